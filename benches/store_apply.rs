//! `apply` throughput for a typical incoming message: one session record upsert plus one message insert
//! in one transaction (what the Client commits before acking).
//!
//! Anchor: a transaction writing one 4-byte row to the same SQLite file with the same settings (WAL,
//! `synchronous = FULL`), i.e. the cost of one durable commit on this disk. Report `apply` as a ratio to
//! it. The memory backend is shown beside them for the cost of building and cloning the values.
//!
//! Run: `cargo bench -p wasndr-store --bench store_apply`

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use wasndr_core::crypto::KeyPair;
use wasndr_core::jid::Jid;
use wasndr_core::signal::session::{self, LocalIdentity, SessionRecord};
use wasndr_core::signal::{IdentityKeyPair, PreKeyBundle, ProtocolAddress, SignedPreKeyRecord};
use wasndr_core::store::{Changes, Device, MessageStatus, Store, StoredMessage};
use wasndr_store::{MemoryContainer, SqliteContainer, StoreContainer};

fn session_record() -> SessionRecord {
    let mut rng = StdRng::seed_from_u64(1);
    let ours = IdentityKeyPair::generate(&mut rng);
    let theirs = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKeyRecord::generate(&theirs, 1, 1_700_000_000, &mut rng).unwrap();
    let bundle = PreKeyBundle {
        registration_id: 77,
        identity_key: *theirs.public(),
        signed_prekey_id: 1,
        signed_prekey: spk.key_pair.public,
        signed_prekey_signature: spk.signature.to_vec(),
        prekey: Some((9, KeyPair::generate(&mut rng).public)),
    };
    let local = LocalIdentity {
        identity: &ours,
        registration_id: 12,
    };
    let mut record = session::initiate(None, local, &bundle, &mut rng).unwrap();
    for _ in 0..5 {
        record = session::encrypt(&record, b"hello").unwrap().record;
    }
    record
}

/// The batch of one incoming text message with id `n`.
fn incoming(record: &SessionRecord, n: u64) -> Changes {
    let chat = Jid::pn("15550001111");
    let mut changes = Changes::new();
    changes.save_session(ProtocolAddress::new("15550001111", 0), record.clone());
    changes.insert_message(StoredMessage {
        chat: chat.clone(),
        id: format!("3EB0{n:016X}"),
        sender: chat,
        from_me: false,
        timestamp: 1_700_000_000 + n,
        status: MessageStatus::Sent,
        message_type: "text".into(),
        text: Some("Hello there, are we still on for lunch tomorrow?".into()),
        raw: vec![0x0a; 60],
        media: None,
    });
    changes
}

async fn device_store(container: &dyn StoreContainer) -> Arc<dyn Store> {
    let id = container.create_device().await.unwrap();
    let store = container.open_device(id).await.unwrap();
    let (device, _) = Device::generate(1_700_000_000, &mut StdRng::seed_from_u64(2)).unwrap();
    store.save_device(&device).await.unwrap();
    store
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = runtime
        .block_on(SqliteContainer::open(dir.path().join("bench.db")))
        .unwrap();
    runtime
        .block_on(sqlx::raw_sql("CREATE TABLE anchor (n INTEGER NOT NULL)").execute(sqlite.pool()))
        .unwrap();
    let sqlite_store = runtime.block_on(device_store(&sqlite));
    let memory = MemoryContainer::new();
    let memory_store = runtime.block_on(device_store(&memory));
    let record = session_record();
    let counter = AtomicU64::new(0);
    let next = || counter.fetch_add(1, Ordering::Relaxed);

    let mut group = c.benchmark_group("apply_incoming_message");
    group.sample_size(30);
    group.bench_function("anchor: sqlite one-row transaction", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let mut tx = sqlite.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
                sqlx::query("INSERT INTO anchor (n) VALUES ($1)")
                    .bind(next() as i64)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            })
        })
    });
    group.bench_function("sqlite apply (session + message)", |b| {
        b.iter(|| {
            runtime
                .block_on(sqlite_store.apply(&incoming(&record, next())))
                .unwrap()
        })
    });
    group.bench_function("memory apply (session + message)", |b| {
        b.iter(|| {
            runtime
                .block_on(memory_store.apply(&incoming(&record, next())))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
