//! The `wasndr` binary as an operator runs it: first start prints one key once, the server answers with
//! it, SIGTERM stops it cleanly, a restart keeps the data, and the accounts/keys commands work.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, run, start, wasndr};

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
