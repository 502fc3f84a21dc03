//! Integration tests: the daemon sees every change to its config without a SIGHUP, however
//! the file is replaced: a save while a reload runs, a symlink to a file elsewhere, the
//! Kubernetes ConfigMap layout, a new file in an `include` directory. Deadlines are far away
//! and checks run only on 29 February, so nothing here depends on the date.

use std::os::unix::fs::symlink;
use std::time::Duration;

use crate::support::cli::Scratch;
use crate::support::daemon::Daemon;

const HEADER: &str = "[settings]\ntimezone = \"UTC\"\ncheck_at = \"0 9 29 2 *\"\n";

/// A config with one number, `+4477009` and five digits, valid until `year`-01-01.
fn one_number(digits: u32, year: u32) -> String {
    format!("{HEADER}[[number]]\nnumber = \"+4477009{digits:05}\"\nvalid_until = {year}-01-01\n")
}

/// Replaces `name` in the scratch directory by renaming a finished file over it, as editors,
/// stow and ansible do.
fn replace(scratch: &Scratch, name: &str, text: &str) {
    let temporary = format!("{name}.tmp-replace");
    scratch.write(&temporary, text);
    std::fs::rename(scratch.path(&temporary), scratch.path(name)).expect("rename into place");
}

/// Waits until the daemon reports READY with `text` in its STATUS (a reload done).
#[track_caller]
fn wait_for_ready_with(daemon: &Daemon, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let message = daemon.next_notification();
        if message.contains("READY=1") && message.contains(text) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no READY with {text:?} within 15 s; last: {message}"
        );
    }
}

#[test]
fn a_save_while_a_reload_runs_is_not_lost() {
    let scratch = Scratch::with_config(&one_number(1, 2099));
    let daemon = Daemon::start_with_notify(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));

    // 100,000 numbers renamed into place; while they load, a one-number config replaces
    // them. The daemon must end on the one number.
    let mut big = String::from(HEADER);
    for index in 0..100_000u32 {
        big.push_str(&format!(
            "[[number]]\nnumber = \"+4478009{index:05}\"\nvalid_until = 2099-06-01\n"
        ));
    }
    replace(&scratch, "config.toml", &big);
    assert!(daemon.next_notification().contains("RELOADING=1"));
    std::thread::sleep(Duration::from_millis(100));
    replace(&scratch, "config.toml", &one_number(2, 2098));

    wait_for_ready_with(&daemon, "most urgent +447700900002");
    let mut last_reload = String::new();
    while let Ok(line) = daemon.log.recv_timeout(Duration::from_millis(500)) {
        if line.contains("config reloaded") {
            last_reload = line;
        }
    }
    assert!(last_reload.contains("numbers=1"), "{last_reload}");
    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn a_symlinked_config_replaced_by_rename_is_reloaded() {
    // stow, a dotfiles checkout, ansible: config.toml links to a file in another directory,
    // and that file is replaced by rename.
    let scratch = Scratch::new();
    scratch.write("dotfiles/numkeep.toml", &one_number(1, 2099));
    symlink("dotfiles/numkeep.toml", scratch.config_path()).expect("symlink");
    let daemon = Daemon::start_with_notify(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));

    replace(&scratch, "dotfiles/numkeep.toml", &one_number(2, 2098));
    wait_for_ready_with(&daemon, "most urgent +447700900002");

    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn a_kubernetes_configmap_update_is_reloaded() {
    // The layout the kubelet writes: config.toml -> ..data/config.toml, ..data -> a
    // timestamped directory; an update writes a new directory and renames a new ..data link
    // over the old one.
    let scratch = Scratch::new();
    scratch.write("..2026_11_30_09_00_00.1/config.toml", &one_number(1, 2099));
    symlink("..2026_11_30_09_00_00.1", scratch.path("..data")).expect("symlink ..data");
    symlink("..data/config.toml", scratch.config_path()).expect("symlink config.toml");
    let daemon = Daemon::start_with_notify(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));

    scratch.write("..2026_11_30_09_05_00.2/config.toml", &one_number(2, 2098));
    symlink("..2026_11_30_09_05_00.2", scratch.path("..data_tmp")).expect("symlink");
    std::fs::rename(scratch.path("..data_tmp"), scratch.path("..data")).expect("swap ..data");
    std::fs::remove_dir_all(scratch.path("..2026_11_30_09_00_00.1")).expect("remove old");
    wait_for_ready_with(&daemon, "most urgent +447700900002");

    // And the next update too: the watch followed ..data to its new directory.
    scratch.write("..2026_11_30_09_10_00.3/config.toml", &one_number(3, 2097));
    symlink("..2026_11_30_09_10_00.3", scratch.path("..data_tmp")).expect("symlink");
    std::fs::rename(scratch.path("..data_tmp"), scratch.path("..data")).expect("swap ..data");
    wait_for_ready_with(&daemon, "most urgent +447700900003");

    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn a_new_file_in_an_include_directory_is_picked_up() {
    let scratch = Scratch::with_config(&format!(
        "include = [\"conf.d/*.toml\"]\n{}",
        one_number(1, 2099)
    ));
    std::fs::create_dir(scratch.path("conf.d")).expect("mkdir conf.d");
    let daemon = Daemon::start_with_notify(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));

    scratch.write(
        "conf.d/office.toml",
        "[[number]]\nnumber = \"+447700900002\"\nvalid_until = 2098-01-01\n",
    );
    wait_for_ready_with(&daemon, "most urgent +447700900002");
    daemon.wait_for_log("numbers=2");

    daemon.signal("TERM");
    assert_eq!(daemon.wait(), 0);
}
