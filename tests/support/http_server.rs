//! A small HTTP/1.1 server on loopback for the push channels' tests: it records every
//! request (method, path, headers, body) and answers from a script — a status with a body,
//! or a hang — then with a default answer.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names lower-cased, in the order sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Clone, Debug)]
pub enum Answer {
    Status(u16, &'static str),
    /// Reads the request, then neither answers nor closes for a while.
    Hang,
    /// Answers after this many milliseconds.
    Slow(u64, u16, &'static str),
}

struct Shared {
    requests: Vec<Request>,
    script: VecDeque<Answer>,
    default: Answer,
}

pub struct HttpServer {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl HttpServer {
    /// Answers `default` to every request after those of `script`.
    pub fn start(script: Vec<Answer>, default: Answer) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared {
            requests: Vec::new(),
            script: script.into(),
            default,
        }));
        let state = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&state);
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        HttpServer { port, shared }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().unwrap().requests.clone()
    }
}

fn serve(stream: TcpStream, shared: &Mutex<Shared>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut stream = stream;
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 {
            return;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let name = name.trim().to_ascii_lowercase();
            let value = value.trim().to_owned();
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let answer = {
        let mut shared = shared.lock().unwrap();
        shared.requests.push(Request {
            method,
            path,
            headers,
            body,
        });
        let default = shared.default.clone();
        shared.script.pop_front().unwrap_or(default)
    };
    match answer {
        Answer::Hang => std::thread::sleep(Duration::from_secs(20)),
        Answer::Slow(millis, status, text) => {
            std::thread::sleep(Duration::from_millis(millis));
            respond(&mut stream, status, text);
        }
        Answer::Status(status, text) => respond(&mut stream, status, text),
    }
}

fn respond(stream: &mut TcpStream, status: u16, text: &str) {
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
}
