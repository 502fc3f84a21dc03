//! Watching the config for changes, in a way that cannot miss one.
//!
//! - One inotify instance for the daemon's life, so that events arriving while a reload runs
//!   wait in the kernel's queue instead of being dropped with a rebuilt watcher.
//! - Directories are watched, not files: editors, `stow`, ansible and Kubernetes replace a file
//!   (or a symlink, or a directory of them) by renaming, which a watch on the file's inode
//!   would never see.
//! - Every symlink met on the way to a file (the file itself, a symlinked directory such as a
//!   ConfigMap's `..data`) puts the directory holding that link on the watch list too.
//! - The directory of every `include` glob is watched for new matching files.
//! - After each reload, [`Snapshot::changed_on_disk`] compares what was read with what is on
//!   disk now (device, inode, size, mtime, ctime of each file, and the files the include globs
//!   match): a change that slipped between the reads and the watches is caught there.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use futures_util::StreamExt;
use inotify::{EventMask, EventStream, Inotify, WatchDescriptor, WatchMask, Watches};

/// A file as it was on disk: enough to see it replaced, rewritten or re-linked.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

/// The stamp of what `path` names now (following symlinks), `None` if nothing.
fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    Some(Stamp {
        device: metadata.dev(),
        inode: metadata.ino(),
        size: metadata.size(),
        modified: (metadata.mtime(), metadata.mtime_nsec()),
        changed: (metadata.ctime(), metadata.ctime_nsec()),
    })
}

/// The files a load read, each stamped just before it was read: a file replaced after its
/// stamp was taken shows up as changed, never the other way round.
#[derive(Debug, Default)]
pub struct ReadLog {
    reads: Vec<(PathBuf, Option<Stamp>)>,
}

impl ReadLog {
    /// Reads a config file for the loader, noting its stamp first.
    pub fn read(&mut self, path: &Path) -> io::Result<String> {
        self.reads.push((path.to_path_buf(), stamp(path)));
        std::fs::read_to_string(path)
    }
}

/// What the running config was loaded from.
#[derive(Debug, Default)]
pub struct Snapshot {
    reads: Vec<(PathBuf, Option<Stamp>)>,
    include_patterns: Vec<PathBuf>,
}

impl Snapshot {
    /// `include_patterns` are those of the config that loaded; after a failed load, pass none
    /// (the files it read are still compared, so a fix is noticed).
    pub fn new(log: ReadLog, include_patterns: &[PathBuf]) -> Snapshot {
        Snapshot {
            reads: log.reads,
            include_patterns: include_patterns.to_vec(),
        }
    }

    /// Whether the disk now holds something other than what was loaded: a file changed,
    /// vanished or appeared where an include glob looks.
    pub fn changed_on_disk(&self) -> bool {
        if self
            .reads
            .iter()
            .any(|(path, before)| stamp(path) != *before)
        {
            return true;
        }
        let read: HashSet<&Path> = self.reads.iter().map(|(path, _)| path.as_path()).collect();
        self.include_patterns
            .iter()
            .flat_map(|pattern| glob_matches(pattern))
            .any(|path| !read.contains(path.as_path()))
    }
}

/// The files `pattern` matches, as the loader finds them (hidden files skipped).
fn glob_matches(pattern: &Path) -> Vec<PathBuf> {
    let options = glob::MatchOptions {
        require_literal_leading_dot: true,
        ..glob::MatchOptions::new()
    };
    match glob::glob_with(&pattern.to_string_lossy(), options) {
        Ok(paths) => paths.filter_map(Result::ok).collect(),
        Err(_) => Vec::new(),
    }
}

/// What matters in one watched directory.
#[derive(Debug, Default)]
struct Interest {
    names: HashSet<OsString>,
    patterns: Vec<glob::Pattern>,
}

impl Interest {
    fn matches(&self, name: &OsStr) -> bool {
        if self.names.contains(name) {
            return true;
        }
        let Some(name) = name.to_str() else {
            return false;
        };
        let options = glob::MatchOptions {
            require_literal_leading_dot: true,
            ..glob::MatchOptions::new()
        };
        !name.starts_with('.')
            && self
                .patterns
                .iter()
                .any(|pattern| pattern.matches_with(name, options))
    }

    fn merge(&mut self, other: Interest) {
        self.names.extend(other.names);
        self.patterns.extend(other.patterns);
    }
}

/// Which directories to watch, and for what, to see every change to the config at `main`,
/// the files it loaded and the files its include patterns may match.
fn plan_watches(
    main: &Path,
    files: &[PathBuf],
    include_patterns: &[PathBuf],
) -> BTreeMap<PathBuf, Interest> {
    let mut plan = BTreeMap::new();
    for file in std::iter::once(main).chain(files.iter().map(PathBuf::as_path)) {
        watch_chain(&absolute(file), &mut plan);
    }
    for pattern in include_patterns {
        let pattern = absolute(pattern);
        // The literal directories before the first wildcard: a new file appears there.
        let mut directory = PathBuf::new();
        let mut rest = Vec::new();
        for component in pattern.components() {
            let text = component.as_os_str().to_string_lossy();
            if rest.is_empty() && !text.contains(['*', '?', '[']) {
                directory.push(component);
            } else {
                rest.push(text.into_owned());
            }
        }
        if rest.is_empty() {
            // A literal include: its file's chain is watched like the main file's.
            continue;
        }
        watch_chain(&directory, &mut plan);
        let interest = plan.entry(directory).or_default();
        match (rest.len(), glob::Pattern::new(&rest[0])) {
            (1, Ok(pattern)) => interest.patterns.push(pattern),
            // A wildcard directory: any new entry may be one.
            _ => interest
                .patterns
                .push(glob::Pattern::new("*").unwrap_or_default()),
        }
    }
    plan
}

/// Watches the directory holding `path` for its name and, for every symlink on the way to
/// what `path` names (the last component or a directory), the directory holding that link.
fn watch_chain(path: &Path, plan: &mut BTreeMap<PathBuf, Interest>) {
    let mut queue = vec![path.to_path_buf()];
    let mut seen = HashSet::new();
    while let Some(path) = queue.pop() {
        // A symlink loop, or a very long chain: what is planned so far is watched.
        if seen.len() > 64 || !seen.insert(path.clone()) {
            continue;
        }
        let (Some(directory), Some(name)) = (path.parent(), path.file_name()) else {
            continue;
        };
        plan.entry(directory.to_path_buf())
            .or_default()
            .names
            .insert(name.to_os_string());
        if let Ok(target) = std::fs::read_link(&path) {
            // A relative target is relative to the link's directory; `join` keeps an
            // absolute one as it is.
            queue.push(directory.join(target));
        }
        // A symlinked directory on the way is an entry of its own parent.
        for ancestor in directory.ancestors() {
            let is_link = std::fs::symlink_metadata(ancestor)
                .is_ok_and(|metadata| metadata.file_type().is_symlink());
            if is_link {
                queue.push(ancestor.to_path_buf());
            }
        }
    }
}

/// `path` made absolute against the working directory, with `.` and `..` resolved lexically
/// (a `..` after a symlinked directory is followed through that link by the kernel anyway,
/// and the link itself is watched).
fn absolute(path: &Path) -> PathBuf {
    let joined = match std::env::current_dir() {
        Ok(current) if path.is_relative() => current.join(path),
        _ => path.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

const MASK: WatchMask = WatchMask::CLOSE_WRITE
    .union(WatchMask::MOVED_TO)
    .union(WatchMask::MOVED_FROM)
    .union(WatchMask::CREATE)
    .union(WatchMask::DELETE)
    .union(WatchMask::ATTRIB)
    .union(WatchMask::DELETE_SELF)
    .union(WatchMask::MOVE_SELF)
    .union(WatchMask::ONLYDIR);

/// The daemon's watch on its config. Without inotify (or after it failed) it never reports a
/// change, and SIGHUP is the way to reload.
pub struct ConfigWatcher {
    stream: Option<EventStream<Vec<u8>>>,
    watches: Option<Watches>,
    interest: HashMap<WatchDescriptor, Interest>,
}

impl ConfigWatcher {
    pub fn start() -> ConfigWatcher {
        let stream = Inotify::init()
            .and_then(|inotify| inotify.into_event_stream(vec![0u8; 64 * 1024]))
            .map_err(|error| {
                tracing::warn!(%error, "cannot watch the config for changes; reload with SIGHUP");
            })
            .ok();
        ConfigWatcher {
            watches: stream.as_ref().map(EventStream::watches),
            stream,
            interest: HashMap::new(),
        }
    }

    /// Watches what the config at `main` needs, and stops watching what it no longer does.
    /// Directories are only ever added before the old ones go, so no change can fall between.
    pub fn watch(&mut self, main: &Path, files: &[PathBuf], include_patterns: &[PathBuf]) {
        let Some(watches) = &mut self.watches else {
            return;
        };
        let mut interest: HashMap<WatchDescriptor, Interest> = HashMap::new();
        for (directory, wanted) in plan_watches(main, files, include_patterns) {
            match watches.add(&directory, MASK) {
                // Two paths to one directory (through a symlink) share one descriptor.
                Ok(descriptor) => interest.entry(descriptor).or_default().merge(wanted),
                // Not there (yet): nothing to watch here. An include folder made later is
                // seen through its parent, which the plan lists too; a missing config
                // folder is not watched until a reload finds it.
                Err(error) => {
                    tracing::debug!(%error, directory = %directory.display(), "not watched")
                }
            }
        }
        for (descriptor, _) in self.interest.drain() {
            if !interest.contains_key(&descriptor) {
                let _ = watches.remove(descriptor);
            }
        }
        self.interest = interest;
    }

    /// Waits for a change that may concern the config. Cancel-safe: an event read but not
    /// yet judged stays in the stream's buffer.
    pub async fn changed(&mut self) {
        loop {
            let Some(stream) = &mut self.stream else {
                return std::future::pending().await;
            };
            match stream.next().await {
                Some(Ok(event)) => {
                    if event.mask.contains(EventMask::Q_OVERFLOW) {
                        return;
                    }
                    match (self.interest.get(&event.wd), &event.name) {
                        (Some(interest), Some(name)) if interest.matches(name) => return,
                        // The watched directory itself was removed or moved.
                        (Some(_), None) => return,
                        _ => {}
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "watching the config failed; reload with SIGHUP");
                    self.stream = None;
                    self.watches = None;
                    // One last reload: the failure may have hidden a change.
                    return;
                }
                None => {
                    self.stream = None;
                    self.watches = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(plan: &BTreeMap<PathBuf, Interest>, directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = plan
            .get(directory)
            .map(|interest| {
                interest
                    .names
                    .iter()
                    .map(|name| name.to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_configmap_layout_watches_the_link_directory_and_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("..2026_01")).unwrap();
        std::fs::write(root.join("..2026_01/config.toml"), "").unwrap();
        symlink("..2026_01", root.join("..data")).unwrap();
        symlink("..data/config.toml", root.join("config.toml")).unwrap();
        let plan = plan_watches(&root.join("config.toml"), &[], &[]);
        assert_eq!(names(&plan, root), ["..2026_01", "..data", "config.toml"]);
        assert_eq!(names(&plan, &root.join("..data")), ["config.toml"]);
    }

    #[test]
    fn a_symlink_elsewhere_watches_its_target_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("dotfiles")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("dotfiles/numkeep.toml"), "").unwrap();
        symlink("../dotfiles/numkeep.toml", root.join("etc/config.toml")).unwrap();
        let plan = plan_watches(&root.join("etc/config.toml"), &[], &[]);
        assert_eq!(names(&plan, &root.join("etc")), ["config.toml"]);
        // The target, spelled through the link's directory: the kernel resolves it.
        assert_eq!(
            names(&plan, &root.join("etc/../dotfiles")),
            ["numkeep.toml"]
        );
    }

    #[test]
    fn include_directories_are_watched_for_matching_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let plan = plan_watches(
            &root.join("config.toml"),
            &[],
            &[
                root.join("conf.d/*.toml"),
                root.join("fleet/*/numbers.toml"),
            ],
        );
        let conf = plan.get(&root.join("conf.d")).unwrap();
        assert!(conf.matches(OsStr::new("b.toml")));
        assert!(!conf.matches(OsStr::new("b.toml~")));
        assert!(!conf.matches(OsStr::new(".b.toml.swp")));
        // The include directory may not exist yet: its parent watches for its name.
        assert_eq!(names(&plan, root), ["conf.d", "config.toml", "fleet"]);
        assert!(
            plan.get(&root.join("fleet"))
                .unwrap()
                .matches(OsStr::new("x"))
        );
    }

    #[test]
    fn a_snapshot_sees_replaced_and_new_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let main = root.join("config.toml");
        std::fs::write(&main, "a").unwrap();
        std::fs::create_dir(root.join("conf.d")).unwrap();
        let mut log = ReadLog::default();
        log.read(&main).unwrap();
        let patterns = [root.join("conf.d/*.toml")];
        let snapshot = Snapshot::new(log, &patterns);
        assert!(!snapshot.changed_on_disk());
        std::fs::write(root.join("conf.d/.hidden.toml"), "").unwrap();
        assert!(!snapshot.changed_on_disk(), "hidden files are not included");
        std::fs::write(root.join("conf.d/new.toml"), "").unwrap();
        assert!(snapshot.changed_on_disk());
        std::fs::remove_file(root.join("conf.d/new.toml")).unwrap();
        std::fs::write(root.join("next"), "b").unwrap();
        std::fs::rename(root.join("next"), &main).unwrap();
        assert!(snapshot.changed_on_disk());
    }
}
