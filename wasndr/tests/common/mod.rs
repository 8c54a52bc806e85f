//! Running the real `wasndr` binary in tests: servers on a free port, operator commands.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary, without configuration inherited from the environment.
pub(crate) fn wasndr() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasndr"));
    command
        .env_remove("WASNDR_CONFIG")
        .env_remove("WASNDR_DATABASE")
        .env_remove("WASNDR_LISTEN")
        .env_remove("WASNDR_PUBLIC_URL")
        .env_remove("WASNDR_MCP_ALLOWED_HOSTS")
        .env_remove("WASNDR_API_KEY")
        .env_remove("WASNDR_SANDBOX_URL");
    command
}

/// A running `wasndr serve`.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: String,
    pub(crate) stdout: String,
}

/// Starts `wasndr serve` on a free port; waits for its "listening" log line.
pub(crate) fn start(db: &str) -> Server {
    start_with(db, &[])
}

/// Starts `wasndr serve` with extra arguments.
pub(crate) fn start_with(db: &str, extra: &[&str]) -> Server {
    let mut child = wasndr()
        .args(["serve", "--database", db, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(rest) = line.split("local=").nth(1) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server did not start");
    Server {
        child,
        addr,
        stdout: String::new(),
    }
}

impl Server {
    /// Sends SIGTERM and waits for a clean exit; returns what it printed on stdout.
    pub(crate) fn terminate(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit status {status}");
                break;
            }
            assert!(Instant::now() < deadline, "no exit within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut self.stdout)
            .unwrap();
        std::mem::take(&mut self.stdout)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed assertion must not leave a server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs an operator command that must succeed; returns its stdout.
pub(crate) fn run(args: &[&str]) -> String {
    let output = wasndr().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A GET with a bearer key over a plain socket: (status, body).
pub(crate) fn get(addr: &str, path: &str, key: &str) -> (u16, String) {
    http(addr, "GET", path, addr, key, "")
}

/// One HTTP/1.1 request over a plain socket with the given `Host` header and bearer key (none when
/// empty) and a JSON body (none when empty): (status, body).
pub(crate) fn http(addr: &str, method: &str, path: &str, host: &str, key: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if !key.is_empty() {
        head.push_str(&format!("Authorization: Bearer {key}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    write!(stream, "{head}\r\n{body}").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    (status, response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned())
}
