//! Integration tests: `numkeep run` as systemd sees it, through a notify socket the test
//! binds. The config's deadlines are far away, so nothing here depends on today's date.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::cli::Scratch;

const CONFIG: &str = r#"
[settings]
timezone = "UTC"
check_at = "0 9 * * *"
[[number]]
number = "+965 5123 4567"
label = "far away"
valid_until = 2099-01-01
"#;

struct Daemon {
    child: Child,
    socket: UnixDatagram,
    log: mpsc::Receiver<String>,
}

impl Daemon {
    fn start(scratch: &Scratch) -> Daemon {
        let socket_path = scratch.path("notify.sock");
        let _ = std::fs::remove_file(&socket_path);
        let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(Duration::from_secs(15)))
            .expect("set a read timeout");
        let mut command = scratch
            .numkeep(&["run"])
            .env("NOTIFY_SOCKET", &socket_path)
            .command;
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start numkeep run");
        // Read the log on a thread so the daemon never blocks on a full pipe.
        let stderr = child.stderr.take().expect("piped stderr");
        let (sender, log) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Daemon { child, socket, log }
    }

    /// The next notify message that changes the state (`READY=1`, `RELOADING=1`,
    /// `STOPPING=1`), skipping status-only updates.
    fn next_notification(&self) -> String {
        let mut buffer = [0u8; 4096];
        loop {
            let length = self
                .socket
                .recv(&mut buffer)
                .expect("a notify message within 15 s");
            let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
            if message.lines().any(|line| line.ends_with("=1")) {
                return message;
            }
        }
    }

    /// Waits for a log line containing `text`, returning it.
    fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no log line containing {text:?} within 15 s");
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    fn wait(mut self) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for numkeep") {
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("numkeep did not exit within 15 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn ready_reload_and_stop_over_the_notify_protocol() {
    let scratch = Scratch::with_config(CONFIG);
    let daemon = Daemon::start(&scratch);

    let ready = daemon.next_notification();
    assert!(ready.contains("READY=1"), "{ready}");
    assert!(ready.contains("STATUS=next check "), "{ready}");
    assert!(
        ready.contains("most urgent +96551234567 act by 2099-01-01"),
        "{ready}"
    );

    // A bad edit: reported, the old config keeps running.
    scratch.write(
        "config.toml",
        &CONFIG.replace("valid_until", "valid_untill"),
    );
    let reloading = daemon.next_notification();
    assert!(reloading.contains("RELOADING=1"), "{reloading}");
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading}");
    let line = daemon.wait_for_log("unknown key `valid_untill`");
    assert!(line.contains("config.toml:8:1"), "{line}");
    daemon.wait_for_log("still running on the last good one");
    let ready = daemon.next_notification();
    assert!(ready.contains("READY=1"), "{ready}");
    assert!(
        ready.contains("+96551234567"),
        "the old config still runs: {ready}"
    );

    // SIGHUP after a good edit: the new config is taken.
    let two_numbers =
        format!("{CONFIG}\n[[number]]\nnumber = \"+44 7700 900123\"\nvalid_until = 2098-01-01\n");
    scratch.write("config.toml", &two_numbers);
    // The file watcher reloads on its own; wait for that, then ask again with SIGHUP.
    assert!(daemon.next_notification().contains("RELOADING=1"));
    assert!(
        daemon
            .next_notification()
            .contains("most urgent +447700900123")
    );
    daemon.signal("HUP");
    assert!(daemon.next_notification().contains("RELOADING=1"));
    daemon.wait_for_log("reason=\"SIGHUP\"");
    let ready = daemon.next_notification();
    assert!(
        ready.contains("READY=1") && ready.contains("+447700900123"),
        "{ready}"
    );

    daemon.signal("TERM");
    let stopping = daemon.next_notification();
    assert!(stopping.contains("STOPPING=1"), "{stopping}");
    assert_eq!(daemon.wait(), 0);
}

#[test]
fn sigint_stops_cleanly_and_records_the_check() {
    // Ticks only on 29 February: no tick can fall between the two starts below, whatever
    // the time the test runs.
    let scratch = Scratch::with_config(&CONFIG.replace("0 9 * * *", "0 9 29 2 *"));
    let daemon = Daemon::start(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));
    // The first start counts as a missed check: it runs at once and is recorded.
    daemon.wait_for_log("check done");
    daemon.signal("INT");
    assert!(daemon.next_notification().contains("STOPPING=1"));
    assert_eq!(daemon.wait(), 0);
    let state = scratch.read("state/state.json");
    assert!(state.contains("\"last_check\": \"2"), "{state}");

    // Started again right away: no check was missed, so none runs.
    let daemon = Daemon::start(&scratch);
    assert!(daemon.next_notification().contains("READY=1"));
    daemon.signal("TERM");
    assert!(daemon.next_notification().contains("STOPPING=1"));
    let mut saw_catch_up = false;
    while let Ok(line) = daemon.log.recv_timeout(Duration::from_millis(500)) {
        saw_catch_up |= line.contains("was missed");
    }
    assert_eq!(daemon.wait(), 0);
    assert!(!saw_catch_up, "no missed check right after a check");
}

#[test]
fn a_bad_config_at_start_exits_2() {
    let scratch = Scratch::with_config("[settings]\ncheck_at = \"every day\"\n");
    let outcome = scratch.numkeep(&["run"]).output().expect_code(2);
    assert!(
        outcome
            .stderr
            .contains("config.toml:2:12: invalid cron line"),
        "{}",
        outcome.stderr
    );
}
