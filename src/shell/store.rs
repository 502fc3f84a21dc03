//! The state store: which reminders are done, which channels have failed sends waiting for
//! a retry, and when the last check ran. One JSON file in the state directory, replaced
//! atomically on every change; a lock file keeps a second numkeep out.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt, fchown};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub use crate::engine::retry::Pending;

use super::clock;
use super::files::write_atomically_with;

const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "numkeep.lock";
/// 2 added `delivered` and `counters`; a schema-1 file loads with both empty.
pub const SCHEMA_VERSION: u32 = 2;

/// Reminder keys whose act-by date is this many days in the past are forgotten: the
/// obligation is long lost or renewed, and the file must not grow forever. The planner
/// sends nothing for them either.
const FORGET_AFTER_DAYS: i32 = crate::engine::plan::REMEMBER_DAYS;

#[derive(Debug)]
pub enum StoreError {
    Locked(PathBuf),
    Io(PathBuf, io::Error),
    NewerSchema(PathBuf, u32),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Locked(dir) => write!(
                f,
                "another numkeep is already running with the state directory {}",
                dir.display()
            ),
            StoreError::Io(path, error) => write!(f, "cannot use {}: {error}", path.display()),
            StoreError::NewerSchema(path, version) => write!(
                f,
                "{} was written by a newer numkeep (schema {version}, this one knows {SCHEMA_VERSION}); upgrade numkeep",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io(_, error) => Some(error),
            StoreError::Locked(_) | StoreError::NewerSchema(..) => None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    schema: u32,
    last_check: Option<Timestamp>,
    #[serde(default)]
    done: Vec<String>,
    #[serde(default)]
    pending: BTreeMap<String, Pending>,
    #[serde(default)]
    delivered: BTreeMap<String, Timestamp>,
    #[serde(default)]
    counters: BTreeMap<String, Counter>,
}

/// What one channel did since the state began, for the metrics: reminders delivered and
/// sends that failed.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Counter {
    #[serde(default)]
    pub sent: u64,
    #[serde(default)]
    pub failures: u64,
}

/// What `save` writes: a [`StateFile`] borrowed from the store, streamed to the file. A
/// fleet's state holds tens of thousands of keys, and copying them, then the whole text,
/// before writing was most of the daemon's peak memory.
#[derive(Serialize)]
struct SavedState<'a> {
    schema: u32,
    last_check: Option<Timestamp>,
    done: Vec<&'a str>,
    pending: &'a BTreeMap<String, Pending>,
    delivered: &'a BTreeMap<String, Timestamp>,
    counters: &'a BTreeMap<String, Counter>,
}

/// The open store; holds the directory lock until dropped.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    _lock: File,
    /// The uid and gid to give new files, when they must not stay root's.
    owner: Option<(u32, u32)>,
    pub done: HashSet<String>,
    pub pending: BTreeMap<String, Pending>,
    pub last_check: Option<Timestamp>,
    /// When each reminder key was delivered (the keys of the alerts sent, not those they
    /// superseded): what `numkeep history` lists. Pruned with `done`.
    pub delivered: BTreeMap<String, Timestamp>,
    /// Per metrics channel (`log`, `email`, `notify:NAME`).
    pub counters: BTreeMap<String, Counter>,
}

/// The service's state directory (`StateDirectory=numkeep` in the unit).
pub const SERVICE_STATE_DIR: &str = "/var/lib/numkeep";

/// `settings.state_dir`, else [`default_state_directory`] for this process's user and
/// environment.
pub fn state_directory(configured: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = configured {
        return Some(dir.to_path_buf());
    }
    default_state_directory(effective_user(), |name| std::env::var_os(name))
}

/// The state directory when the config names none (DESIGN.md section 3): `$STATE_DIRECTORY`
/// (systemd), else for root (`euid` 0) the service's, so that `sudo numkeep run --once`
/// shares the service's state and lock instead of sending every reminder again; else
/// `$XDG_STATE_HOME/numkeep`, else `~/.local/state/numkeep`. The user and the environment
/// are arguments so that every case is tested whoever runs the tests.
pub fn default_state_directory(
    euid: u32,
    env: impl Fn(&str) -> Option<OsString>,
) -> Option<PathBuf> {
    let from_env = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(dirs) = from_env("STATE_DIRECTORY") {
        // systemd may list several directories separated by colons; ours is the first.
        let first = dirs.to_string_lossy().split(':').next().map(PathBuf::from);
        return first;
    }
    if euid == 0 {
        return Some(PathBuf::from(SERVICE_STATE_DIR));
    }
    if let Some(xdg) = from_env("XDG_STATE_HOME") {
        return Some(PathBuf::from(xdg).join("numkeep"));
    }
    from_env("HOME").map(|home| PathBuf::from(home).join(".local/state/numkeep"))
}

fn effective_user() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Who should own the files this process creates in a directory owned by `directory_owner`
/// (uid, gid): root gives them to the directory's owner, so that the service (often a
/// systemd dynamic user) can still replace the state and take the lock after
/// `sudo numkeep run --once`; anyone else cannot, and need not.
fn owner_of_new_files(euid: u32, directory_owner: (u32, u32)) -> Option<(u32, u32)> {
    (euid == 0 && directory_owner != (0, 0)).then_some(directory_owner)
}

impl Store {
    /// Opens (creating, mode 0700) the state directory and takes its lock. A corrupt state
    /// file is moved aside with a warning: reminders may then repeat, but none is lost.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let io_error = |path: &Path| {
            let path = path.to_path_buf();
            move |error| StoreError::Io(path, error)
        };
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_error(dir))?;
        let directory = fs::metadata(dir).map_err(io_error(dir))?;
        let owner = owner_of_new_files(effective_user(), (directory.uid(), directory.gid()));
        let lock_path = dir.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(io_error(&lock_path))?;
        if let Some((uid, gid)) = owner {
            fchown(&lock, Some(uid), Some(gid)).map_err(io_error(&lock_path))?;
        }
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked(dir.to_path_buf())),
            Err(fs::TryLockError::Error(error)) => return Err(StoreError::Io(lock_path, error)),
        }
        let path = dir.join(STATE_FILE);
        let file = match fs::read(&path) {
            Ok(bytes) => match parse_state(&bytes) {
                Ok(file) if file.schema > SCHEMA_VERSION => {
                    return Err(StoreError::NewerSchema(path, file.schema));
                }
                Ok(file) => file,
                Err(reason) => {
                    let aside = set_aside(&path).map_err(io_error(&path))?;
                    tracing::warn!(
                        state_file = %path.display(),
                        moved_to = %aside.display(),
                        "the state file is unreadable ({reason}); it was moved aside and a fresh one started: some reminders may be sent again"
                    );
                    StateFile::default()
                }
            },
            Err(error) if error.kind() == io::ErrorKind::NotFound => StateFile::default(),
            Err(error) => return Err(StoreError::Io(path, error)),
        };
        Ok(Store {
            path,
            _lock: lock,
            owner,
            done: file.done.into_iter().collect(),
            pending: file.pending,
            last_check: file.last_check,
            delivered: file.delivered,
            counters: file.counters,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the whole state atomically. Keys of obligations long past are dropped first.
    pub fn save(&mut self, today: Date) -> Result<(), StoreError> {
        if let Ok(horizon) = today.checked_sub(jiff::Span::new().days(FORGET_AFTER_DAYS)) {
            self.done
                .retain(|key| act_by_of(key).is_none_or(|act_by| act_by >= horizon));
            self.delivered
                .retain(|key, _| act_by_of(key).is_none_or(|act_by| act_by >= horizon));
        }
        let mut done: Vec<&str> = self.done.iter().map(String::as_str).collect();
        done.sort_unstable();
        let file = SavedState {
            schema: SCHEMA_VERSION,
            last_check: self.last_check,
            done,
            pending: &self.pending,
            delivered: &self.delivered,
            counters: &self.counters,
        };
        let owner = self.owner;
        write_atomically_with(&self.path, |temporary| {
            if let Some((uid, gid)) = owner {
                fchown(&*temporary, Some(uid), Some(gid))?;
            }
            let mut out = io::BufWriter::new(temporary);
            serde_json::to_writer_pretty(&mut out, &file).map_err(io::Error::other)?;
            out.flush()?;
            pause_for_crash_tests();
            Ok(())
        })
        .map_err(|error| StoreError::Io(self.path.clone(), error))?;
        // The state names numbers and addresses: keep it private even under a loose umask.
        let _ = fs::set_permissions(&self.path, fs::Permissions::from_mode(0o600));
        Ok(())
    }
}

/// `NUMKEEP_STATE_WRITE_PAUSE_MS`, a hook for the crash tests only: a pause between writing
/// the temporary state file and renaming it into place, so that a kill can be aimed at that
/// window, which is otherwise a few microseconds wide.
fn pause_for_crash_tests() {
    let pause = std::env::var("NUMKEEP_STATE_WRITE_PAUSE_MS")
        .ok()
        .and_then(|text| text.parse::<u64>().ok());
    if let Some(milliseconds) = pause {
        std::thread::sleep(std::time::Duration::from_millis(milliseconds.min(1_000)));
    }
}

/// What `metrics` and `history` read of the state, without taking the lock (the daemon may
/// hold it; the file is replaced atomically, so a read sees a whole one).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub last_check: Option<Timestamp>,
    pub delivered: BTreeMap<String, Timestamp>,
    pub counters: BTreeMap<String, Counter>,
}

impl Snapshot {
    /// The state file of `dir` as it is now; an absent or unreadable file reads as empty
    /// (an unreadable one is the daemon's to set aside).
    pub fn read(dir: &Path) -> Result<Snapshot, StoreError> {
        let path = dir.join(STATE_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Snapshot::default()),
            Err(error) => return Err(StoreError::Io(path, error)),
        };
        match parse_state(&bytes) {
            Ok(file) if file.schema > SCHEMA_VERSION => {
                Err(StoreError::NewerSchema(path, file.schema))
            }
            Ok(file) => Ok(Snapshot {
                last_check: file.last_check,
                delivered: file.delivered,
                counters: file.counters,
            }),
            Err(reason) => {
                tracing::warn!(state_file = %path.display(), "the state file is unreadable ({reason})");
                Ok(Snapshot::default())
            }
        }
    }
}

/// Just the schema version, read leniently: a newer numkeep may have added fields, and its
/// file must be refused as newer, not set aside as corrupt.
#[derive(Deserialize)]
struct SchemaOnly {
    schema: u32,
}

/// Why a state file could not be read: it is set aside and a fresh one started.
#[derive(Debug)]
enum StateFileError {
    Json(serde_json::Error),
    SchemaZero,
}

impl std::fmt::Display for StateFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateFileError::Json(error) => write!(f, "{error}"),
            StateFileError::SchemaZero => f.write_str("schema version 0 is not valid"),
        }
    }
}

impl std::error::Error for StateFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateFileError::Json(error) => Some(error),
            StateFileError::SchemaZero => None,
        }
    }
}

/// Parses a state file, migrating older schemas. Never panics, whatever the bytes.
fn parse_state(bytes: &[u8]) -> Result<StateFile, StateFileError> {
    if let Ok(SchemaOnly { schema }) = serde_json::from_slice::<SchemaOnly>(bytes)
        && schema > SCHEMA_VERSION
    {
        return Ok(StateFile {
            schema,
            ..StateFile::default()
        });
    }
    let file: StateFile = serde_json::from_slice(bytes).map_err(StateFileError::Json)?;
    if file.schema == 0 {
        return Err(StateFileError::SchemaZero);
    }
    // Schema 1 is the first; 2 added `delivered` and `counters`, which default to empty.
    // Later versions add their migrations here.
    Ok(file)
}

/// The act-by date inside a reminder key (`channel|number|rule|act-by|threshold`).
fn act_by_of(key: &str) -> Option<Date> {
    key.rsplit('|').nth(1)?.parse().ok()
}

fn set_aside(path: &Path) -> io::Result<PathBuf> {
    let aside = path.with_extension(format!("json.corrupt-{}", clock::now().as_nanosecond()));
    fs::rename(path, &aside)?;
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn round_trips_and_forgets_old_keys() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = Store::open(dir.path()).unwrap();
            store
                .done
                .insert("log|+96551234567|fee|2026-11-30|lead:7d".into());
            store
                .done
                .insert("log|+96551234567|fee|2020-01-01|lost".into());
            store.last_check = Some("2026-11-23T06:00:00Z".parse().unwrap());
            store.save(date(2026, 11, 23)).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.done.len(), 1);
        assert!(
            store
                .done
                .contains("log|+96551234567|fee|2026-11-30|lead:7d")
        );
        assert_eq!(
            store.last_check.unwrap().to_string(),
            "2026-11-23T06:00:00Z"
        );
        let mode = fs::metadata(dir.path().join(STATE_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_second_store_on_the_same_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Store::open(dir.path()).unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Locked(_))
        ));
    }

    #[test]
    fn corrupt_state_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let set_aside_files = || -> BTreeMap<String, Vec<u8>> {
            fs::read_dir(dir.path())
                .unwrap()
                .map(|entry| entry.unwrap())
                .filter(|entry| entry.file_name().to_string_lossy().contains(".corrupt-"))
                .map(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    (name, fs::read(entry.path()).unwrap())
                })
                .collect()
        };
        let corrupt: [&[u8]; 4] = [
            b"{\"schema\": 1, \"done\": [3]",
            b"\x00\xff garbage",
            b"",
            b"{\"schema\":0}",
        ];
        for (count, bytes) in corrupt.iter().enumerate() {
            fs::write(dir.path().join(STATE_FILE), bytes).unwrap();
            let before = set_aside_files();
            let store = Store::open(dir.path()).unwrap();
            assert!(store.done.is_empty());
            assert!(!dir.path().join(STATE_FILE).exists());
            drop(store);
            // Each corrupt file is kept, byte for byte, under a name of its own.
            let after = set_aside_files();
            assert_eq!(after.len(), count + 1, "{after:?}");
            let new: Vec<&Vec<u8>> = after
                .iter()
                .filter(|(name, _)| !before.contains_key(*name))
                .map(|(_, kept)| kept)
                .collect();
            assert_eq!(new, [&bytes.to_vec()]);
            assert!(
                after
                    .keys()
                    .all(|name| name.starts_with(&format!("{STATE_FILE}.corrupt-"))),
                "{after:?}"
            );
        }
    }

    #[test]
    fn newer_schema_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let text = "{\"schema\": 99, \"last_check\": null, \"added_later\": [1]}";
        fs::write(dir.path().join(STATE_FILE), text).unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::NewerSchema(..))
        ));
        assert_eq!(
            fs::read_to_string(dir.path().join(STATE_FILE)).unwrap(),
            text
        );
    }

    fn environment(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), OsString::from(value)))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn the_default_state_directory_follows_the_design() {
        let everything = [
            ("STATE_DIRECTORY", "/var/lib/numkeep-a:/var/lib/other"),
            ("XDG_STATE_HOME", "/home/u/.state"),
            ("HOME", "/home/u"),
        ];
        // (user, environment) → directory.
        type Case<'a> = (u32, &'a [(&'a str, &'a str)], Option<&'a str>);
        let cases: [Case<'_>; 8] = [
            (0, &everything, Some("/var/lib/numkeep-a")),
            (1000, &everything, Some("/var/lib/numkeep-a")),
            (0, &everything[1..], Some("/var/lib/numkeep")),
            (0, &[], Some("/var/lib/numkeep")),
            (1000, &everything[1..], Some("/home/u/.state/numkeep")),
            (1000, &everything[2..], Some("/home/u/.local/state/numkeep")),
            (
                1000,
                &[("XDG_STATE_HOME", ""), ("HOME", "/home/u")],
                Some("/home/u/.local/state/numkeep"),
            ),
            (1000, &[], None),
        ];
        for (euid, pairs, expected) in cases {
            assert_eq!(
                default_state_directory(euid, environment(pairs)),
                expected.map(PathBuf::from),
                "{euid} {pairs:?}"
            );
        }
    }

    #[test]
    fn only_root_hands_new_files_to_the_directorys_owner() {
        assert_eq!(owner_of_new_files(0, (61234, 61234)), Some((61234, 61234)));
        assert_eq!(owner_of_new_files(0, (0, 0)), None);
        assert_eq!(owner_of_new_files(1000, (61234, 61234)), None);
        assert_eq!(owner_of_new_files(1000, (1000, 1000)), None);
    }

    /// Root (as the tests run here) writing into a directory another user owns, as
    /// `sudo numkeep run --once` does in the service's: the files stay that user's.
    #[test]
    fn files_root_creates_keep_the_directorys_owner() {
        if effective_user() != 0 {
            eprintln!("skipped: only root can create files for another user");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::chown(dir.path(), Some(61234), Some(61235)).unwrap();
        {
            let mut store = Store::open(dir.path()).unwrap();
            store
                .done
                .insert("log|+96551234567|fee|2026-11-30|lead:7d".into());
            store.save(date(2026, 11, 23)).unwrap();
        }
        for name in [STATE_FILE, LOCK_FILE] {
            let metadata = fs::metadata(dir.path().join(name)).unwrap();
            assert_eq!((metadata.uid(), metadata.gid()), (61234, 61235), "{name}");
        }
    }

    #[test]
    fn directory_is_private() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("state");
        let _store = Store::open(&dir).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
