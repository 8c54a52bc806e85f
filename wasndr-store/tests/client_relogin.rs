//! wasndr-core's `Client` over the SQLite and PostgreSQL backends against the simulator: pair by QR,
//! drop the client and the database handle, open the database again, and log in again without a QR,
//! with the device, its keys and its prekeys read back from the database. Then a logout empties the
//! device's slot.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // the shared PostgreSQL fixture prints why it skips

#[allow(dead_code)]
#[path = "conformance/fixtures.rs"]
mod fixtures;
#[path = "../../wasndr-sim/tests/wasndr_client/mod.rs"]
mod wasndr_client;

use std::future::Future;
use std::pin::Pin;

use wasndr_client::{client, next_significant, pair_by_qr, until_connected};
use wasndr_core::client::{ConnectionState, Event, LogoutReason};
use wasndr_core::signal::INITIAL_PREKEY_COUNT;
use wasndr_store::{DeviceId, PostgresContainer, SqliteContainer, StoreContainer};

const PHONE: &str = "15550008888";

/// Opens the same database again, as a restarted process would.
type Reopen<'a> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Box<dyn StoreContainer>> + 'a>> + 'a>;

async fn relogin_from(reopen: Reopen<'_>) {
    let sim = wasndr_client::simulator().await;
    sim.create_phone(PHONE).await.unwrap();

    let container = reopen().await;
    let id: DeviceId = container.create_device().await.unwrap();
    let store = container.open_device(id).await.unwrap();
    let (paired, mut events, jid) = pair_by_qr(&sim, PHONE, store).await;
    let noise_key = paired.device().await.unwrap().unwrap().noise_key.public;
    paired.disconnect().await;
    drop(paired);
    drop(events);
    drop(container);

    // A new process: the database opened again, a new client over the device's store.
    let container = reopen().await;
    let listed = container.devices().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].jid.as_ref(), Some(&jid));
    let store = container.open_device(id).await.unwrap();
    let device = store.load_device().await.unwrap().unwrap();
    assert_eq!(device.noise_key.public, noise_key, "the same Noise key");
    assert!(device.account.is_some(), "the signed device identity");
    assert_eq!(
        store.prekey_count().await.unwrap(),
        INITIAL_PREKEY_COUNT as usize,
        "the prekeys uploaded at the first login"
    );
    let (client, client_events) = client(&sim, store.clone());
    events = client_events;
    client.connect().await.unwrap();
    assert_eq!(until_connected(&mut events).await, jid, "logged in without a QR");
    assert!(sim.is_connected(PHONE, jid.device()));
    assert_eq!(sim.phones()[0].devices, vec![0, jid.device()], "no new device");
    assert_eq!(
        store.prekey_count().await.unwrap(),
        INITIAL_PREKEY_COUNT as usize,
        "no second upload: the server still holds them"
    );

    // Logging out empties the slot in the database.
    client.logout().await.unwrap();
    assert!(matches!(
        next_significant(&mut events).await,
        Event::LoggedOut {
            reason: LogoutReason::Requested
        }
    ));
    assert_eq!(client.state(), ConnectionState::LoggedOut);
    let listed = container.devices().await.unwrap();
    assert!(!listed[0].has_device);
    assert_eq!(store.prekey_count().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_in_again_from_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wasndr.db");
    relogin_from(Box::new(|| {
        let path = path.clone();
        Box::pin(
            async move { Box::new(SqliteContainer::open(&path).await.unwrap()) as Box<dyn StoreContainer> },
        )
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_in_again_from_postgres() {
    // A fresh schema of its own on WASNDR_TEST_POSTGRES_URL, dropped afterwards; skipped with a printed
    // reason when the variable is unset (CI sets it).
    let Some(fixture) = fixtures::postgres().await else {
        return;
    };
    let options = fixture.options().unwrap();
    relogin_from(Box::new(|| {
        let options = options.clone();
        Box::pin(async move {
            Box::new(PostgresContainer::connect_with(options, 4).await.unwrap()) as Box<dyn StoreContainer>
        })
    }))
    .await;
}
