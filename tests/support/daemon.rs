//! `numkeep run` as a child process: its log read on a thread (so it never blocks on a full
//! pipe), signals, and optionally the systemd notify socket it reports to.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixDatagram;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::cli::{Run, Scratch};

const PATIENCE: Duration = Duration::from_secs(15);

pub struct Daemon {
    child: Child,
    socket: Option<UnixDatagram>,
    pub log: mpsc::Receiver<String>,
}

impl Daemon {
    /// Starts `numkeep run` in `scratch`, with `configure` adding environment variables.
    pub fn start(scratch: &Scratch, configure: impl FnOnce(Run) -> Run) -> Daemon {
        Daemon::spawn(configure(scratch.numkeep(&["run"])), None)
    }

    /// As [`Daemon::start`], with a notify socket bound in the scratch directory.
    pub fn start_with_notify(scratch: &Scratch) -> Daemon {
        Daemon::start_with_notify_and(scratch, |run| run)
    }

    /// As [`Daemon::start_with_notify`], with `configure` adjusting the command.
    pub fn start_with_notify_and(scratch: &Scratch, configure: impl FnOnce(Run) -> Run) -> Daemon {
        let socket_path = scratch.path("notify.sock");
        let _ = std::fs::remove_file(&socket_path);
        let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
        socket
            .set_read_timeout(Some(PATIENCE))
            .expect("set a read timeout");
        let run = scratch.numkeep(&["run"]).env("NOTIFY_SOCKET", &socket_path);
        Daemon::spawn(configure(run), Some(socket))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every notify message (status updates and watchdog pings too) until `until`, each with
    /// the instant it arrived.
    pub fn notifications_until(&self, until: Instant) -> Vec<(Instant, String)> {
        let socket = self.socket.as_ref().expect("started with a notify socket");
        let mut buffer = [0u8; 4096];
        let mut messages = Vec::new();
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            socket
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .expect("set a read timeout");
            if let Ok(length) = socket.recv(&mut buffer) {
                let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
                messages.push((Instant::now(), message));
            }
        }
        socket
            .set_read_timeout(Some(PATIENCE))
            .expect("set a read timeout");
        messages
    }

    /// Waits for a notify message (of any kind) containing `text`, returning it.
    #[track_caller]
    pub fn wait_for_notification(&self, text: &str) -> String {
        let socket = self.socket.as_ref().expect("started with a notify socket");
        let deadline = Instant::now() + PATIENCE;
        let mut buffer = [0u8; 4096];
        while Instant::now() < deadline {
            if let Ok(length) = socket.recv(&mut buffer) {
                let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
                if message.contains(text) {
                    return message;
                }
            }
        }
        panic!("no notify message containing {text:?} within 15 s");
    }

    fn spawn(run: Run, socket: Option<UnixDatagram>) -> Daemon {
        let mut command = run.command;
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start numkeep run");
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
    #[track_caller]
    pub fn next_notification(&self) -> String {
        let socket = self.socket.as_ref().expect("started with a notify socket");
        let mut buffer = [0u8; 4096];
        loop {
            let length = socket
                .recv(&mut buffer)
                .expect("a notify message within 15 s");
            let message = String::from_utf8_lossy(&buffer[..length]).into_owned();
            if message.lines().any(|line| line.ends_with("=1")) {
                return message;
            }
        }
    }

    /// Waits for a log line containing `text`, returning it.
    #[track_caller]
    pub fn wait_for_log(&self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no log line containing {text:?} within 15 s");
    }

    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("poll numkeep").is_none()
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for the exit and returns its code.
    #[track_caller]
    pub fn wait(mut self) -> i32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for numkeep") {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "numkeep did not exit within 15 s"
            );
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
