//! The `wasndr` binary as an operator runs it: first start prints one key once, the server answers with
//! it, SIGTERM stops it cleanly, a restart keeps the data, and the accounts/keys commands work.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn wasndr() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasndr"));
    command
        .env_remove("WASNDR_CONFIG")
        .env_remove("WASNDR_DATABASE")
        .env_remove("WASNDR_LISTEN");
    command
}

struct Server {
    child: Child,
    addr: String,
    stdout: String,
}

/// Starts `wasndr serve` on a free port; waits for its "listening" log line.
fn start(db: &str) -> Server {
    let mut child = wasndr()
        .args(["serve", "--database", db, "--listen", "127.0.0.1:0"])
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
    fn terminate(mut self) -> String {
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
        self.stdout
    }
}

/// A GET with a bearer key over a plain socket: (status, body).
fn get(addr: &str, path: &str, key: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    (status, response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned())
}

fn run(args: &[&str]) -> String {
    let output = wasndr().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn first_start_prints_one_key_and_the_cli_manages_accounts_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wasndr.db");
    let db = db.to_str().unwrap();

    let server = start(db);
    let addr = server.addr.clone();
    // The key is printed before the server listens, so it is there now; read it after stopping.
    let (status, _) = get(&addr, "/healthz", "");
    assert_eq!(status, 200);
    let stdout = server.terminate();
    assert!(stdout.contains("FIRST START"), "{stdout}");
    let key = stdout
        .split_whitespace()
        .find(|w| w.starts_with("wsndr_"))
        .unwrap()
        .to_owned();
    assert!(key.len() >= 38);

    // Second start: the data is kept, no new key is printed, and the first key works.
    let server = start(db);
    let (status, body) = get(&server.addr, "/api/v1/account", &key);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"plan\":\"free_trial\""), "{body}");
    assert_eq!(
        get(
            &server.addr,
            "/api/v1/account",
            "wsndr_nope0000000000000000000000000000000"
        )
        .0,
        401
    );
    let stdout = server.terminate();
    assert!(
        !stdout.contains("wsndr_"),
        "a key is printed only on the first start: {stdout}"
    );

    // Operator commands.
    let created = run(&[
        "--database",
        db,
        "accounts",
        "create",
        "--name",
        "Acme",
        "--plan",
        "standard",
    ]);
    let account = created.split_whitespace().next().unwrap().to_owned();
    assert!(run(&["--database", db, "accounts", "list"]).contains(&account));
    let issued = run(&[
        "--database",
        db,
        "keys",
        "create",
        "--account",
        &account,
        "--scopes",
        "messages:send,sessions:read",
    ]);
    let new_key = issued
        .split_whitespace()
        .find(|w| w.starts_with("wsndr_"))
        .unwrap()
        .to_owned();
    let uuid = issued
        .split("uuid: ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let listed = run(&["--database", db, "keys", "list", "--account", &account]);
    assert!(
        listed.contains(&uuid) && listed.contains("messages:send,sessions:read"),
        "{listed}"
    );
    assert!(!listed.contains(&new_key), "listing never shows the secret");

    let server = start(db);
    let (status, body) = get(&server.addr, "/api/v1/account", &new_key);
    assert!(status == 200 && body.contains("\"plan\":\"standard\""), "{body}");
    run(&[
        "--database",
        db,
        "keys",
        "revoke",
        "--account",
        &account,
        "--key",
        &uuid,
    ]);
    assert_eq!(
        get(&server.addr, "/api/v1/account", &new_key).0,
        401,
        "revocation is effective on the next request"
    );
    server.terminate();

    let bad = wasndr()
        .args([
            "--database",
            db,
            "accounts",
            "create",
            "--name",
            "x",
            "--plan",
            "platinum",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no plan"));
}

#[test]
fn sandbox_is_recognised_but_not_wired_yet() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let output = wasndr()
        .args([
            "serve",
            "--sandbox",
            "--listen",
            "127.0.0.1:0",
            "--database",
            db.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("wasndr-sim"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
