//! In-process SMTP server for the integration tests.
//!
//! Speaks enough SMTP for lettre (EHLO/HELO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA,
//! RSET, NOOP, QUIT) in three modes: plain, STARTTLS and implicit TLS (port-465 style). It
//! records every accepted message and injects faults (reply codes, a dropped connection,
//! delays, a server that is down) that a test can change while it runs. It listens on
//! 127.0.0.1 with an OS-chosen port, on its own thread with its own tokio runtime, so sync
//! tests, async tests and child processes can all talk to it. TLS uses the certificate in
//! `tests/fixtures/tls/`; clients must trust [`CA_PEM`] (also at [`ca_path`]).
#![allow(dead_code)] // each test uses a different part of the API

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The CA that signed the server certificate: what clients must trust.
pub const CA_PEM: &[u8] = include_bytes!("../fixtures/tls/ca.pem");
const SERVER_PEM: &[u8] = include_bytes!("../fixtures/tls/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("../fixtures/tls/server.key");
/// A self-signed CA certificate (`CA:TRUE`) for localhost and its key: what a server set up
/// with a plain `openssl req -x509` presents. Clients that trust it still refuse it.
pub const CA_AS_SERVER_PEM: &[u8] = include_bytes!("../fixtures/tls/ca-as-server.pem");
const CA_AS_SERVER_KEY: &[u8] = include_bytes!("../fixtures/tls/ca-as-server.key");
/// Longest command or data line; a longer one ends the session (garbage must not eat memory).
const MAX_LINE: u64 = 64 * 1024;
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// Path of [`CA_PEM`] on disk, for handing to a numkeep child process.
pub fn ca_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tls/ca.pem"
    ))
}

/// Path of [`CA_AS_SERVER_PEM`] on disk, for a client that should trust it.
pub fn ca_as_server_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/tls/ca-as-server.pem"
    ))
}

/// A 127.0.0.1 port where nothing listens right now (a server that is down).
pub fn free_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// How the server does TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// No TLS at all.
    Plain,
    /// Plain first; STARTTLS advertised, AUTH advertised only after the upgrade.
    StartTls,
    /// TLS from the first byte, like port 465.
    ImplicitTls,
}

/// One message the server accepted (answered 250 after DATA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent, dot-unstuffed, CRLF line endings kept.
    pub data: String,
    /// The user the session authenticated as, if any.
    pub auth_user: Option<String>,
    /// Whether the session was encrypted.
    pub tls: bool,
}

/// One AUTH exchange that got as far as checking credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthAttempt {
    /// `PLAIN` or `LOGIN`.
    pub mechanism: String,
    pub user: String,
    pub success: bool,
}

/// Injected faults; change them any time through [`SmtpServer::faults`].
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Greet new connections with this code (e.g. 421) instead of 220, then close.
    pub greeting: Option<u16>,
    /// Reply this code to MAIL FROM.
    pub mail_from: Option<u16>,
    /// Reply this code to RCPT TO for these addresses (compared ignoring ASCII case).
    pub rcpt: HashMap<String, u16>,
    /// Reply this code after the final dot instead of 250; nothing is recorded.
    pub data_end: Option<u16>,
    /// Close the connection after the first line of message data; nothing is recorded.
    pub drop_in_data: bool,
    /// Wait this long before every reply.
    pub reply_delay: Option<Duration>,
    /// Wait this long before the reply to the final dot, after the message was recorded:
    /// a client killed in this window has delivered a message it never saw accepted.
    pub data_end_delay: Option<Duration>,
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    auths: Vec<AuthAttempt>,
    connections: usize,
}

struct Shared {
    mode: Mode,
    credentials: Option<(String, String)>,
    acceptor: TlsAcceptor,
    faults: Mutex<Faults>,
    state: Mutex<State>,
    arrived: Condvar,
}

/// Stops one accept loop: send on the first, then the second says the socket is closed.
type Listening = (oneshot::Sender<()>, mpsc::Receiver<()>);

/// The running server; stops when dropped.
pub struct SmtpServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    handle: Handle,
    listening: Mutex<Option<Listening>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// A poisoned lock only means another test thread panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SmtpServer {
    /// Starts a server that accepts mail without authentication.
    pub fn start(mode: Mode) -> Self {
        Self::spawn(mode, None, (SERVER_PEM, SERVER_KEY))
    }

    /// Starts a server that advertises AUTH PLAIN/LOGIN and requires this user before MAIL.
    pub fn with_auth(mode: Mode, user: &str, password: &str) -> Self {
        let credentials = Some((user.to_owned(), password.to_owned()));
        Self::spawn(mode, credentials, (SERVER_PEM, SERVER_KEY))
    }

    /// Starts a server that presents [`CA_AS_SERVER_PEM`], a CA certificate, as its own.
    pub fn with_ca_as_certificate(mode: Mode) -> Self {
        Self::spawn(mode, None, (CA_AS_SERVER_PEM, CA_AS_SERVER_KEY))
    }

    fn spawn(
        mode: Mode,
        credentials: Option<(String, String)>,
        (certificate, private_key): (&[u8], &[u8]),
    ) -> Self {
        // lettre pulls in ring; name it everywhere so rustls never has to guess a provider.
        let _ = ring::default_provider().install_default();
        let certs = CertificateDer::pem_slice_iter(certificate)
            .collect::<Result<Vec<_>, _>>()
            .expect("parse the server certificate");
        let key = PrivateKeyDer::from_pem_slice(private_key).expect("parse the server key");
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        let shared = Arc::new(Shared {
            mode,
            credentials,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            faults: Mutex::default(),
            state: Mutex::default(),
            arrived: Condvar::new(),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let handle = runtime.handle().clone();
        let (shutdown, stop) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("smtp-test-server".into())
            .spawn(move || {
                let _ = runtime.block_on(stop);
            })
            .expect("spawn server thread");
        let mut server = Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            shared,
            handle,
            listening: Mutex::new(None),
            shutdown: Some(shutdown),
            thread: Some(thread),
        };
        server.addr = server.listen();
        server
    }

    /// Binds `self.addr` (port 0 the first time) and starts accepting.
    fn listen(&self) -> SocketAddr {
        let _runtime = self.handle.enter();
        let socket = TcpSocket::new_v4().expect("socket");
        // Lets set_down(false) rebind the port while old connections sit in TIME_WAIT.
        socket.set_reuseaddr(true).expect("SO_REUSEADDR");
        socket
            .bind(self.addr)
            .unwrap_or_else(|e| panic!("bind {}: {e}", self.addr));
        let listener = socket.listen(64).expect("listen");
        let addr = listener.local_addr().expect("local_addr");
        let (stop, stop_rx) = oneshot::channel();
        let (closed_tx, closed) = mpsc::channel();
        self.handle.spawn(accept_loop(
            listener,
            self.shared.clone(),
            stop_rx,
            closed_tx,
        ));
        *lock(&self.listening) = Some((stop, closed));
        addr
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn mode(&self) -> Mode {
        self.shared.mode
    }

    /// Down: stop listening, so connections are refused (sessions already open go on).
    /// Up again: listen on the same port. Returns once the change is in effect.
    pub fn set_down(&self, down: bool) {
        let running = lock(&self.listening).take();
        match (down, running) {
            (true, Some((stop, closed))) => {
                let _ = stop.send(());
                let _ = closed.recv_timeout(Duration::from_secs(5));
            }
            (false, None) => {
                self.listen();
            }
            (_, running) => *lock(&self.listening) = running,
        }
    }

    /// The live faults, e.g. `server.faults().mail_from = Some(451);`.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.shared.faults)
    }

    /// Replaces every fault (`Faults::default()` clears them).
    pub fn set_faults(&self, faults: Faults) {
        *self.faults() = faults;
    }

    /// Every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.shared.state).messages.clone()
    }

    /// Blocks until at least `n` messages were accepted or `timeout` passed; returns them all.
    pub fn wait_for_messages(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let state = lock(&self.shared.state);
        let (state, _) = self
            .shared
            .arrived
            .wait_timeout_while(state, timeout, |s| s.messages.len() < n)
            .unwrap_or_else(PoisonError::into_inner);
        state.messages.clone()
    }

    /// [`Self::wait_for_messages`] for async tests (does not block the test's runtime).
    pub async fn wait_for_messages_async(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every AUTH attempt so far, oldest first.
    pub fn auth_attempts(&self) -> Vec<AuthAttempt> {
        lock(&self.shared.state).auths.clone()
    }

    /// How many TCP connections were accepted.
    pub fn connections(&self) -> usize {
        lock(&self.shared.state).connections
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
    closed: mpsc::Sender<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    lock(&shared.state).connections += 1;
                    tokio::spawn(session(stream, shared.clone()));
                }
                // e.g. out of file descriptors: back off rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
    drop(listener);
    let _ = closed.send(());
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let tls = shared.mode == Mode::ImplicitTls;
    let io: Box<dyn Io> = if tls {
        match shared.acceptor.accept(stream).await {
            Ok(stream) => Box::new(stream),
            Err(_) => return,
        }
    } else {
        Box::new(stream)
    };
    let mut session = Session {
        io: BufReader::new(io),
        shared,
        tls,
        auth_user: None,
        from: None,
        to: Vec::new(),
    };
    // Errors (client gone, TLS failure, oversized line) just end the session.
    let _ = session.run().await;
}

struct Session {
    io: BufReader<Box<dyn Io>>,
    shared: Arc<Shared>,
    tls: bool,
    auth_user: Option<String>,
    from: Option<String>,
    to: Vec<String>,
}

impl Session {
    async fn run(&mut self) -> io::Result<()> {
        let greeting = lock(&self.shared.faults).greeting;
        if let Some(code) = greeting {
            return self
                .reply(code, "4.3.2 service not available (injected)")
                .await;
        }
        self.reply(220, "localhost numkeep test ESMTP").await?;
        while let Some(line) = self.read_line().await? {
            let (verb, arg) = line.split_once(' ').unwrap_or((&line, ""));
            match verb.to_ascii_uppercase().as_str() {
                "EHLO" => self.ehlo().await?,
                "HELO" => {
                    self.from = None;
                    self.reply(250, "localhost").await?;
                }
                "STARTTLS" if self.shared.mode == Mode::StartTls && !self.tls => {
                    self.reply(220, "2.0.0 ready to start TLS").await?;
                    self.starttls().await?;
                }
                "STARTTLS" => self.reply(502, "5.5.1 STARTTLS not available").await?,
                "AUTH" => self.auth(arg.trim()).await?,
                "MAIL" => self.mail(arg).await?,
                "RCPT" => self.rcpt(arg).await?,
                "DATA" => {
                    if !self.data().await? {
                        return Ok(());
                    }
                }
                "RSET" => {
                    self.from = None;
                    self.reply(250, "2.0.0 OK").await?;
                }
                "NOOP" => self.reply(250, "2.0.0 OK").await?,
                "QUIT" => return self.reply(221, "2.0.0 bye").await,
                _ => self.reply(500, "5.5.2 command not recognized").await?,
            }
        }
        Ok(())
    }

    /// One line with its terminator; `None` at end of input.
    async fn read_raw_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        (&mut self.io)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .await?;
        match line.last() {
            Some(b'\n') => Ok(Some(line)),
            None => Ok(None),
            Some(_) if line.len() as u64 >= MAX_LINE => Err(io::ErrorKind::InvalidData.into()),
            Some(_) => Ok(None), // cut off by end of input
        }
    }

    async fn read_line(&mut self) -> io::Result<Option<String>> {
        let line = self.read_raw_line().await?;
        Ok(line.map(|l| String::from_utf8_lossy(&l).trim_end().to_owned()))
    }

    async fn reply(&mut self, code: u16, text: &str) -> io::Result<()> {
        self.reply_lines(code, &[text]).await
    }

    async fn reply_lines(&mut self, code: u16, lines: &[&str]) -> io::Result<()> {
        let delay = lock(&self.shared.faults).reply_delay;
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let mut out = String::new();
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{code}{sep}{line}\r\n"));
        }
        let io = self.io.get_mut();
        io.write_all(out.as_bytes()).await?;
        io.flush().await // tokio-rustls buffers until flushed
    }

    async fn ehlo(&mut self) -> io::Result<()> {
        self.from = None;
        let mut lines = vec!["localhost", "8BITMIME"];
        if self.shared.mode == Mode::StartTls && !self.tls {
            lines.push("STARTTLS");
        }
        // Like real submission servers: never offer AUTH in the clear before STARTTLS.
        if self.shared.credentials.is_some() && (self.tls || self.shared.mode == Mode::Plain) {
            lines.push("AUTH PLAIN LOGIN");
        }
        self.reply_lines(250, &lines).await
    }

    async fn starttls(&mut self) -> io::Result<()> {
        let plain = std::mem::replace(&mut self.io, BufReader::new(Box::new(tokio::io::empty())));
        // into_inner drops anything pipelined after STARTTLS, as RFC 3207 requires.
        let stream = self.shared.acceptor.accept(plain.into_inner()).await?;
        self.io = BufReader::new(Box::new(stream));
        self.tls = true;
        self.auth_user = None;
        self.from = None;
        Ok(())
    }

    /// Sends a 334 challenge and decodes the base64 answer (`None` if it is not base64).
    async fn challenge(&mut self, prompt: &str) -> io::Result<Option<String>> {
        self.reply(334, prompt).await?;
        let answer = self
            .read_line()
            .await?
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        Ok(decode_text(&answer))
    }

    async fn auth(&mut self, arg: &str) -> io::Result<()> {
        let Some((user, password)) = self.shared.credentials.clone() else {
            return self.reply(502, "5.5.1 AUTH not available").await;
        };
        if self.auth_user.is_some() {
            return self.reply(503, "5.5.1 already authenticated").await;
        }
        if self.shared.mode == Mode::StartTls && !self.tls {
            return self.reply(538, "5.7.11 encryption required").await;
        }
        let (mechanism, initial) = arg.split_once(' ').unwrap_or((arg, ""));
        let mechanism = mechanism.to_ascii_uppercase();
        let given = match mechanism.as_str() {
            "PLAIN" => {
                let response = match initial {
                    "" => self.challenge("").await?,
                    initial => decode_text(initial),
                };
                // authzid NUL authcid NUL password
                response.and_then(|r| {
                    let mut parts = r.split('\0').skip(1);
                    Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
                })
            }
            "LOGIN" => {
                let login = match initial {
                    "" => self.challenge("VXNlcm5hbWU6").await?, // "Username:"
                    initial => decode_text(initial),
                };
                let password = self.challenge("UGFzc3dvcmQ6").await?; // "Password:"
                login.zip(password)
            }
            _ => return self.reply(504, "5.5.4 mechanism not supported").await,
        };
        let Some((given_user, given_password)) = given else {
            return self.reply(501, "5.5.2 malformed AUTH response").await;
        };
        let success = given_user == user && given_password == password;
        lock(&self.shared.state).auths.push(AuthAttempt {
            mechanism,
            user: given_user.clone(),
            success,
        });
        if success {
            self.auth_user = Some(given_user);
            self.reply(235, "2.7.0 authentication successful").await
        } else {
            self.reply(535, "5.7.8 authentication credentials invalid")
                .await
        }
    }

    async fn mail(&mut self, arg: &str) -> io::Result<()> {
        if self.shared.credentials.is_some() && self.auth_user.is_none() {
            return self.reply(530, "5.7.0 authentication required").await;
        }
        let Some(from) = parse_path(arg, "FROM:") else {
            return self.reply(501, "5.5.4 syntax: MAIL FROM:<address>").await;
        };
        let fault = lock(&self.shared.faults).mail_from;
        if let Some(code) = fault {
            return self.reply(code, "injected MAIL FROM fault").await;
        }
        self.from = Some(from);
        self.to.clear();
        self.reply(250, "2.1.0 OK").await
    }

    async fn rcpt(&mut self, arg: &str) -> io::Result<()> {
        if self.from.is_none() {
            return self.reply(503, "5.5.1 MAIL first").await;
        }
        let Some(to) = parse_path(arg, "TO:") else {
            return self.reply(501, "5.5.4 syntax: RCPT TO:<address>").await;
        };
        let fault = lock(&self.shared.faults)
            .rcpt
            .iter()
            .find(|(addr, _)| addr.eq_ignore_ascii_case(&to))
            .map(|(_, code)| *code);
        if let Some(code) = fault {
            return self.reply(code, "injected RCPT TO fault").await;
        }
        self.to.push(to);
        self.reply(250, "2.1.5 OK").await
    }

    /// Returns false when the connection must be closed.
    async fn data(&mut self) -> io::Result<bool> {
        if self.from.is_none() || self.to.is_empty() {
            self.reply(503, "5.5.1 MAIL and RCPT first").await?;
            return Ok(true);
        }
        self.reply(354, "end data with <CR><LF>.<CR><LF>").await?;
        let drop_in_data = lock(&self.shared.faults).drop_in_data;
        let mut data = Vec::new();
        loop {
            let Some(line) = self.read_raw_line().await? else {
                return Ok(false);
            };
            if line == b".\r\n" || line == b".\n" {
                break;
            }
            if drop_in_data || data.len() + line.len() > MAX_MESSAGE {
                return Ok(false);
            }
            data.extend_from_slice(line.strip_prefix(b".").unwrap_or(&line));
        }
        let from = self.from.take().unwrap_or_default();
        let to = std::mem::take(&mut self.to);
        let (fault, delay) = {
            let faults = lock(&self.shared.faults);
            (faults.data_end, faults.data_end_delay)
        };
        if let Some(code) = fault {
            self.reply(code, "injected DATA fault").await?;
            return Ok(true);
        }
        lock(&self.shared.state).messages.push(Received {
            from,
            to,
            data: String::from_utf8_lossy(&data).into_owned(),
            auth_user: self.auth_user.clone(),
            tls: self.tls,
        });
        self.shared.arrived.notify_all();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        self.reply(250, "2.0.0 OK queued").await?;
        Ok(true)
    }
}

/// `FROM:<a@b> BODY=8BITMIME` -> `a@b` (empty for the null sender `<>`).
fn parse_path(arg: &str, prefix: &str) -> Option<String> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start().strip_prefix('<')?;
    Some(rest[..rest.find('>')?].to_owned())
}

/// Base64 to UTF-8 text; `None` for anything else (including the `*` that cancels AUTH).
fn decode_text(encoded: &str) -> Option<String> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in encoded.trim().trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod self_tests {
    use super::*;
    use lettre::transport::smtp::authentication::{Credentials, Mechanism};
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    use tokio::io::AsyncBufReadExt;

    type Client = AsyncSmtpTransport<Tokio1Executor>;
    const WAIT: Duration = Duration::from_secs(5);

    fn client(port: u16, tls: Tls, credentials: Option<(&str, &str)>) -> Client {
        let mut builder = Client::builder_dangerous("127.0.0.1")
            .port(port)
            .tls(tls)
            .timeout(Some(WAIT));
        if let Some((user, password)) = credentials {
            builder = builder.credentials(Credentials::new(user.into(), password.into()));
        }
        builder.build()
    }

    fn tls_params() -> TlsParameters {
        TlsParameters::builder("localhost".into())
            .add_root_certificate(Certificate::from_pem(CA_PEM).expect("CA"))
            .build()
            .expect("TLS parameters")
    }

    fn message(to: &str) -> Message {
        Message::builder()
            .from("numkeep <numkeep@example.org>".parse().unwrap())
            .to(to.parse().unwrap())
            .subject("1 number due")
            .body(".leading dot\r\nsecond line\r\n".to_owned())
            .unwrap()
    }

    #[tokio::test]
    async fn plain_without_and_with_auth() {
        let open = SmtpServer::start(Mode::Plain);
        let c = client(open.port(), Tls::None, None);
        c.send(message("a@example.org")).await.expect("plain send");
        let got = open.wait_for_messages(1, WAIT);
        assert_eq!(got[0].from, "numkeep@example.org");
        assert_eq!(got[0].to, ["a@example.org"]);
        assert!(got[0].data.contains("Subject: 1 number due\r\n"));
        assert!(
            got[0].data.contains("\r\n.leading dot\r\n"),
            "{}",
            got[0].data
        );
        assert_eq!((got[0].tls, got[0].auth_user.clone()), (false, None));

        let auth = SmtpServer::with_auth(Mode::Plain, "u", "p");
        let c = client(auth.port(), Tls::None, Some(("u", "p")));
        c.send(message("a@example.org"))
            .await
            .expect("plain auth send");
        let unauth = client(auth.port(), Tls::None, None);
        let err = unauth.send(message("a@example.org")).await.unwrap_err();
        assert!(err.is_permanent(), "{err}"); // 530
        let wrong = client(auth.port(), Tls::None, Some(("u", "nope")));
        assert!(wrong.send(message("a@example.org")).await.is_err());
        assert_eq!(auth.messages()[0].auth_user.as_deref(), Some("u"));
        let attempts = auth.auth_attempts();
        assert_eq!(attempts.len(), 2);
        assert!(attempts[0].success && !attempts[1].success);
        assert_eq!(attempts[0].mechanism, "PLAIN");
    }

    #[tokio::test]
    async fn starttls_required_with_plain_and_login() {
        let server = SmtpServer::with_auth(Mode::StartTls, "user@x", "pä ss");
        for mechanism in [Mechanism::Plain, Mechanism::Login] {
            let c = Client::builder_dangerous("127.0.0.1")
                .port(server.port())
                .tls(Tls::Required(tls_params()))
                .credentials(Credentials::new("user@x".into(), "pä ss".into()))
                .authentication(vec![mechanism])
                .build::<Tokio1Executor>();
            c.send(message("b@example.org"))
                .await
                .expect("STARTTLS send");
        }
        let got = server.wait_for_messages(2, WAIT);
        assert!(
            got.iter()
                .all(|m| m.tls && m.auth_user.as_deref() == Some("user@x"))
        );
        let mechanisms: Vec<_> = server
            .auth_attempts()
            .into_iter()
            .map(|a| a.mechanism)
            .collect();
        assert_eq!(mechanisms, ["PLAIN", "LOGIN"]);
        // No AUTH offered in the clear, so a client that skips TLS cannot log in.
        let clear = client(server.port(), Tls::None, Some(("user@x", "pä ss")));
        assert!(clear.send(message("b@example.org")).await.is_err());
        // A client that does not trust the CA refuses the certificate.
        let untrusted = client(
            server.port(),
            Tls::Required(TlsParameters::new("localhost".into()).unwrap()),
            None,
        );
        assert!(untrusted.send(message("b@example.org")).await.is_err());
        assert_eq!(server.messages().len(), 2);
    }

    #[tokio::test]
    async fn implicit_tls_wrapper() {
        let server = SmtpServer::with_auth(Mode::ImplicitTls, "u", "p");
        let c = client(server.port(), Tls::Wrapper(tls_params()), Some(("u", "p")));
        c.send(message("c@example.org"))
            .await
            .expect("wrapper send");
        let got = server.wait_for_messages_async(1, WAIT).await;
        assert!(got[0].tls);
        // Plain text against a TLS port never gets a greeting. lettre's async `timeout` only
        // bounds the TCP connect, so the caller must bound the whole send itself.
        let plain = client(server.port(), Tls::None, None);
        let send = plain.send(message("c@example.org"));
        let outcome = tokio::time::timeout(Duration::from_millis(500), send).await;
        assert!(!matches!(outcome, Ok(Ok(_))));
    }

    #[tokio::test]
    async fn injected_reply_codes() {
        let server = SmtpServer::start(Mode::Plain);
        let c = client(server.port(), Tls::None, None);
        server.faults().rcpt.insert("Bad@Example.org".into(), 550);
        let err = c.send(message("bad@example.org")).await.unwrap_err();
        assert!(err.is_permanent(), "{err}");
        c.send(message("good@example.org"))
            .await
            .expect("other recipient");

        server.faults().mail_from = Some(451);
        let err = c.send(message("good@example.org")).await.unwrap_err();
        assert!(err.is_transient(), "{err}");
        server.set_faults(Faults {
            data_end: Some(554),
            ..Faults::default()
        });
        assert!(
            c.send(message("good@example.org"))
                .await
                .unwrap_err()
                .is_permanent()
        );
        server.set_faults(Faults {
            greeting: Some(421),
            ..Faults::default()
        });
        assert!(c.send(message("good@example.org")).await.is_err());
        server.set_faults(Faults::default());
        c.send(message("good@example.org"))
            .await
            .expect("faults cleared");
        let got = server.messages();
        assert_eq!(got.len(), 2);
        assert!(got.iter().all(|m| m.to == ["good@example.org"]));
    }

    #[tokio::test]
    async fn drop_in_data_and_delays() {
        let server = SmtpServer::start(Mode::StartTls);
        let c = client(server.port(), Tls::Required(tls_params()), None);
        server.faults().drop_in_data = true;
        assert!(c.send(message("d@example.org")).await.is_err());
        assert!(server.messages().is_empty());

        server.set_faults(Faults {
            reply_delay: Some(Duration::from_millis(50)),
            data_end_delay: Some(Duration::from_millis(300)),
            ..Faults::default()
        });
        let started = Instant::now();
        c.send(message("d@example.org")).await.expect("slow send");
        assert!(started.elapsed() >= Duration::from_millis(600));
        // The message is recorded before the delayed final reply.
        server.faults().data_end_delay = Some(Duration::from_secs(30));
        let send = tokio::spawn(async move { c.send(message("d@example.org")).await });
        assert_eq!(server.wait_for_messages_async(2, WAIT).await.len(), 2);
        send.abort();
    }

    #[tokio::test]
    async fn down_then_up_on_same_port() {
        let server = SmtpServer::start(Mode::Plain);
        let c = client(server.port(), Tls::None, None);
        c.send(message("e@example.org")).await.expect("up");
        server.set_down(true);
        server.set_down(true); // idempotent
        let err = c.send(message("e@example.org")).await.unwrap_err();
        assert!(TcpStream::connect(server.addr()).await.is_err(), "{err}");
        server.set_down(false);
        server.set_down(false);
        c.send(message("e@example.org")).await.expect("back up");
        assert_eq!(server.messages().len(), 2);
        assert_eq!(server.connections(), 2);

        let nothing = client(free_port(), Tls::None, None);
        assert!(nothing.send(message("e@example.org")).await.is_err());
        let few = server.wait_for_messages(3, Duration::from_millis(100));
        assert_eq!(few.len(), 2);
    }

    #[tokio::test]
    async fn survives_garbage() {
        let server = SmtpServer::with_auth(Mode::Plain, "u", "p");
        let mut raw = BufReader::new(TcpStream::connect(server.addr()).await.unwrap());
        let mut line = String::new();
        raw.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("220 "));
        let script: &[(&[u8], &str)] = &[
            (b"\xff\xfe\x00garbage\r\n", "500"),
            (b"MAIL FROM:<a@b>\r\n", "530"),
            (b"RCPT TO:<a@b>\r\n", "503"),
            (b"DATA\r\n", "503"),
            (b"AUTH PLAIN !!!\r\n", "501"),
            (b"AUTH XOAUTH2 abc\r\n", "504"),
            (b"AUTH PLAIN AHUAcA==\r\n", "235"), // "\0u\0p"
            (b"AUTH LOGIN\r\n", "503"),
            (b"\r\n", "500"),
            ("MAIL FROM\u{e9}:<x>\r\n".as_bytes(), "501"),
            ("MAIL FR\u{e9}:<x>\r\n".as_bytes(), "501"),
            (b"MAIL FROM:<x\r\n", "501"),
            (b"MAIL FROM:<>\r\n", "250"),
            (b"RCPT TO:\r\n", "501"),
            (b"RCPT TO:<>\r\n", "250"),
            (b"STARTTLS\r\n", "502"),
            (b"NOOP\r\n", "250"),
        ];
        for (junk, code) in script {
            raw.get_mut().write_all(junk).await.unwrap();
            line.clear();
            raw.read_line(&mut line).await.unwrap();
            assert!(line.starts_with(code), "{junk:?} -> {line}");
        }
        // An endless line ends that session only.
        let mut huge = TcpStream::connect(server.addr()).await.unwrap();
        let _ = huge.write_all(&vec![b'x'; 2 * MAX_LINE as usize]).await;
        let mut rest = Vec::new();
        let _ = huge.read_to_end(&mut rest).await;
        let c = client(server.port(), Tls::None, Some(("u", "p")));
        c.send(message("f@example.org"))
            .await
            .expect("still serving");
    }

    #[test]
    fn decodes_base64() {
        assert_eq!(decode_text("AHUAcA==").as_deref(), Some("\0u\0p"));
        assert_eq!(decode_text("VXNlcm5hbWU6").as_deref(), Some("Username:"));
        assert_eq!(decode_text("*"), None);
        assert_eq!(
            parse_path("from:<a@b> BODY=8BITMIME", "FROM:").as_deref(),
            Some("a@b")
        );
    }
}
