//! Time zones by IANA name, read one file at a time from the system's database.
//!
//! jiff's own database indexes every zone file on first use (42 directory reads, about
//! 2 ms): more than the rest of a `status` on a handful of numbers. A config names a few
//! zones, so each is read from its own file, and jiff's index is the fallback for the names
//! that file lookup cannot resolve (another case, a bundled database).

use std::path::{Component, Path, PathBuf};

use jiff::tz::TimeZone;

const SYSTEM_DATABASE: &str = "/usr/share/zoneinfo";

/// The zone called `name` (`Asia/Kuwait`), or `None` if there is none.
pub fn named(name: &str) -> Option<TimeZone> {
    if name == "UTC" {
        return Some(TimeZone::UTC);
    }
    from_file(name).or_else(|| TimeZone::get(name).ok())
}

/// The system's zone: `TZ` naming a zone, else the zone `/etc/localtime` links to; anything
/// else (a POSIX rule in `TZ`, a copied file) goes to jiff, which knows every form.
pub fn system() -> Option<TimeZone> {
    let named_zone = match std::env::var("TZ") {
        Ok(value) => {
            Some(value.trim_start_matches(':').to_owned()).filter(|name| is_zone_name(name))
        }
        Err(std::env::VarError::NotPresent) => std::fs::read_link("/etc/localtime")
            .ok()
            .and_then(|target| name_in_database(&target)),
        Err(std::env::VarError::NotUnicode(_)) => None,
    };
    named_zone
        .and_then(|name| from_file(&name))
        .or_else(|| TimeZone::try_system().ok())
}

fn from_file(name: &str) -> Option<TimeZone> {
    if !is_zone_name(name) {
        return None;
    }
    let data = std::fs::read(database().join(name)).ok()?;
    TimeZone::tzif(name, &data).ok()
}

/// `$TZDIR` if set (as jiff and the C library honour), else the system's.
fn database() -> PathBuf {
    std::env::var_os("TZDIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from(SYSTEM_DATABASE), PathBuf::from)
}

/// A relative path of plain names (`America/Argentina/Buenos_Aires`): nothing that could
/// reach outside the database.
fn is_zone_name(name: &str) -> bool {
    !name.is_empty()
        && Path::new(name)
            .components()
            .all(|component| matches!(component, Component::Normal(_)))
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"/_+-".contains(&byte))
}

/// `Asia/Shanghai` out of `/usr/share/zoneinfo/Asia/Shanghai` (or `../zoneinfo/…`).
fn name_in_database(target: &Path) -> Option<String> {
    let text = target.to_str()?;
    let (_, name) = text.rsplit_once("zoneinfo/")?;
    let name = name.strip_prefix("posix/").unwrap_or(name);
    is_zone_name(name).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_database() {
        for good in [
            "Asia/Kuwait",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
            "UTC",
        ] {
            assert!(is_zone_name(good), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../etc/passwd",
            "Asia/../../x",
            "Asia/./Kuwait",
            "a b",
        ] {
            assert!(!is_zone_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_zone_read_from_its_file_is_the_databases() {
        let instant: jiff::Timestamp = "2026-07-01T12:00:00Z".parse().unwrap();
        for name in [
            "Asia/Kuwait",
            "America/New_York",
            "Pacific/Kiritimati",
            "Europe/London",
        ] {
            let zone = named(name).unwrap();
            assert_eq!(zone.iana_name(), Some(name));
            let reference = TimeZone::get(name).unwrap();
            assert_eq!(
                zone.to_offset(instant),
                reference.to_offset(instant),
                "{name}"
            );
        }
        assert!(named("Mars/Olympus_Mons").is_none());
        assert!(named("../../etc/passwd").is_none());
        // Another case is not a file name here, but jiff's index still knows it.
        assert_eq!(
            named("asia/kuwait")
                .and_then(|zone| zone.iana_name().map(str::to_owned))
                .as_deref(),
            Some("Asia/Kuwait")
        );
    }

    #[test]
    fn link_targets_name_their_zone() {
        let cases = [
            ("/usr/share/zoneinfo/Asia/Shanghai", Some("Asia/Shanghai")),
            (
                "../usr/share/zoneinfo/posix/Europe/Paris",
                Some("Europe/Paris"),
            ),
            ("/etc/timezone-copy", None),
        ];
        for (target, expected) in cases {
            assert_eq!(
                name_in_database(Path::new(target)).as_deref(),
                expected,
                "{target}"
            );
        }
    }
}
