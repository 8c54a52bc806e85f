//! The admin HTTP API, exactly as the control-surface contract says, and the binary's start line.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One HTTP/1.1 request with `Connection: close`; returns the status and the JSON body.
async fn request(admin_url: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let host = admin_url.trim_start_matches("http://").split('/').next().unwrap();
    let mut stream = TcpStream::connect(host).await.unwrap();
    let body = body.map(|body| body.to_string()).unwrap_or_default();
    let request = format!(
        "{method} /admin{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_admin_api_follows_the_contract() {
    let sim = common::simulator().await;
    let admin = sim.info().admin_url;
    let (status, info) = request(&admin, "GET", "/info", None).await;
    assert_eq!(status, 200);
    for key in ["wsUrl", "mediaUrl", "adminUrl", "rootPublicKey", "rootSerial"] {
        assert!(info.get(key).is_some(), "{key} missing from {info}");
    }
    assert_eq!(info["rootPublicKey"].as_str().unwrap().len(), 64);
    assert_eq!(info["rootSerial"], 0);
    assert_eq!(info["wsUrl"], sim.info().ws_url);

    let (status, created) = request(&admin, "POST", "/phones", Some(json!({"phone": "15550007777"}))).await;
    assert_eq!(status, 201);
    assert_eq!(
        created,
        json!({"phone": "15550007777", "jid": "15550007777@s.whatsapp.net"})
    );
    let (status, _) = request(&admin, "POST", "/phones", Some(json!({"phone": "15550007777"}))).await;
    assert_eq!(status, 409);
    request(&admin, "POST", "/phones", Some(json!({"phone": "15550008888"}))).await;
    let (status, list) = request(&admin, "GET", "/phones", None).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["phone"], "15550007777");

    // Phone to phone: the receiving virtual phone decrypts it.
    let (status, sent) = request(
        &admin,
        "POST",
        "/phones/15550007777/send",
        Some(json!({"to": "15550008888@s.whatsapp.net", "text": "hi there"})),
    )
    .await;
    assert_eq!(status, 200);
    let id = sent["id"].as_str().unwrap().to_owned();
    sim.wait_for_messages("15550008888", 1, Duration::from_secs(5))
        .await
        .unwrap();
    let (status, messages) = request(&admin, "GET", "/phones/15550008888/messages", None).await;
    assert_eq!(status, 200);
    assert_eq!(messages[0]["id"], id.as_str());
    assert_eq!(messages[0]["from"], "15550007777@s.whatsapp.net");
    assert_eq!(messages[0]["chat"], "15550007777@s.whatsapp.net");
    assert_eq!(messages[0]["text"], "hi there");
    assert!(messages[0]["timestamp"].as_u64().unwrap() > 1_700_000_000);

    // A group of the two phones; a group text reaches the other member.
    let (status, group) = request(
        &admin,
        "POST",
        "/groups",
        Some(json!({"creator": "15550007777", "subject": "team", "participants": ["15550008888"]})),
    )
    .await;
    assert_eq!(status, 201);
    let group = group["jid"].as_str().unwrap().to_owned();
    assert!(group.ends_with("@g.us"));
    request(
        &admin,
        "POST",
        "/phones/15550008888/send",
        Some(json!({"to": group, "text": "to the group"})),
    )
    .await;
    let messages = sim
        .wait_for_messages("15550007777", 1, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        (messages[0].chat.as_str(), messages[0].text.as_str()),
        (group.as_str(), "to the group")
    );

    let (status, _) = request(&admin, "GET", "/phones/19999999999/messages", None).await;
    assert_eq!(status, 404);
    let (status, _) = request(
        &admin,
        "POST",
        "/phones/15550007777/scan",
        Some(json!({"qr": "nonsense"})),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_binary_prints_its_info_line_and_serves() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wasndr-sim"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let (status, served) = request(info["adminUrl"].as_str().unwrap(), "GET", "/info", None).await;
    assert_eq!(status, 200);
    assert_eq!(served, info);
    child.kill().await.unwrap();
}
