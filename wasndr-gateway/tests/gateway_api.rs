//! The gateway used directly, without HTTP (as the MCP shell will): authentication, the event sink's
//! effects on session records, and the sole-connected-session helper.

// A panic here is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use wasndr_gateway::api::{CreateLocation, CreateSession, SendText};
use wasndr_gateway::engine::SessionStatus;
use wasndr_gateway::testing::RecordingEngine;
use wasndr_gateway::{Gateway, GatewayConfig, GatewayError, GatewayStore, ScopeSet, SqliteStore};

async fn gateway() -> (Arc<Gateway>, Arc<RecordingEngine>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("g.db")).await.unwrap();
    store.migrate().await.unwrap();
    let engine = RecordingEngine::new();
    let gateway = Gateway::new(Arc::new(store), engine.clone(), GatewayConfig::default()).unwrap();
    (Arc::new(gateway), engine, dir)
}

#[tokio::test]
async fn keys_authenticate_and_events_update_session_records() {
    let (gateway, engine, _dir) = gateway().await;
    let (account, key) = gateway.bootstrap_if_empty().await.unwrap().unwrap();
    assert!(
        gateway.bootstrap_if_empty().await.unwrap().is_none(),
        "only on an empty database"
    );
    assert!(matches!(
        gateway.authenticate(None).await,
        Err(GatewayError::Unauthorized)
    ));
    assert!(matches!(
        gateway.authenticate(Some("wsndr_x")).await,
        Err(GatewayError::Unauthorized)
    ));
    let caller = gateway.authenticate(Some(&key.key)).await.unwrap();
    assert_eq!(
        (caller.account.id.as_str(), caller.scopes),
        (account.id.as_str(), ScopeSet::all())
    );
    assert_eq!(caller.plan.name, "free_trial");

    let location = gateway
        .create_location(&caller, CreateLocation { name: "Acme".into() })
        .await
        .unwrap();
    let session = gateway
        .create_session(
            &caller,
            CreateSession {
                location_uuid: location.location_uuid,
                name: "Main".into(),
            },
        )
        .await
        .unwrap();
    let id = session.session_id;
    let missing = gateway.sole_connected_session(&caller).await.unwrap_err();
    assert_eq!(missing.code(), "invalid_request");
    assert!(missing.to_string().starts_with("sessionId:"));

    engine.link(&id, "14155551234").await.unwrap();
    let record = gateway
        .store()
        .get_session(&caller.account.id, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (record.status, record.phone.as_deref()),
        (SessionStatus::Connected, Some("14155551234"))
    );
    assert_eq!(gateway.sole_connected_session(&caller).await.unwrap(), id);

    let sent = gateway
        .send_text(
            &caller,
            SendText {
                session_id: id.clone(),
                phone: "14155550002".into(),
                text: "hi".into(),
            },
        )
        .await;
    assert_eq!(sent.result.unwrap().to, "14155550002@s.whatsapp.net");
    let rate = sent.rate.unwrap();
    assert_eq!((rate.limit, rate.remaining), (5, 4));
    assert_eq!(gateway.usage(&caller).await.unwrap().messages_used, 1);
}
