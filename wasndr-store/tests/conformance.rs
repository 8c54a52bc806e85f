//! The store conformance suite: the same tests against the memory, SQLite and PostgreSQL backends.
//!
//! Each test gets a fresh container: memory; SQLite in a temporary file; PostgreSQL in a schema of its
//! own (`wasndr_test_<random>`, set as the pool's `search_path`, dropped afterwards — even when the test
//! fails) on the database named by `WASNDR_TEST_POSTGRES_URL`. Without that variable the PostgreSQL
//! tests print why on stderr and pass without running; CI always sets it.

#![allow(clippy::unwrap_used, clippy::print_stderr)] // tests may unwrap; skipped tests say why

mod conformance {
    pub(crate) mod fixtures;
    pub(crate) mod suite;
}

use conformance::fixtures;

/// Declares one `#[tokio::test]` per suite function, run on the container `$fixture` makes.
macro_rules! conformance_tests {
    ($backend:ident, $fixture:path) => {
        mod $backend {
            use super::conformance::suite;

            conformance_tests!(@tests $fixture;
                container_creates_lists_opens_and_deletes_devices,
                device_round_trips_and_answers_the_identity_store,
                identities_are_trusted_per_address,
                session_records_round_trip,
                prekeys_round_trip_with_ids_and_count,
                signed_prekeys_round_trip_oldest_first,
                sender_keys_round_trip,
                contacts_merge_names,
                lid_mappings_map_both_ways_one_to_one,
                device_lists_are_cached_per_user,
                messages_insert_once_and_read_back,
                statuses_only_move_forward,
                history_filters_by_chat_and_time,
                history_search_ignores_case_beyond_ascii,
                history_pages_count_the_whole_filtered_set,
                history_orders_by_time_then_insertion,
                attachments_list_media_with_totals,
                message_secrets_poll_votes_and_recent_messages,
                groups_round_trip_with_participants,
                settings_round_trip,
                apply_writes_every_kind_of_change,
                apply_is_all_or_nothing,
                apply_all_is_sequential_apply_in_one_transaction,
                devices_never_see_each_other,
                logout_wipes_every_table,
            );
        }
    };
    (@tests $fixture:path; $($test:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                let Some(fixture) = $fixture().await else { return };
                suite::$test(fixture.container()).await;
            }
        )*
    };
}

conformance_tests!(memory, crate::fixtures::memory);
conformance_tests!(sqlite, crate::fixtures::sqlite);
conformance_tests!(postgres, crate::fixtures::postgres);

#[tokio::test]
async fn sqlite_data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    conformance::suite::data_survives_reopening(|| async {
        Box::new(wasndr_store::SqliteContainer::open(&path).await.unwrap()) as _
    })
    .await;
}

#[tokio::test]
async fn sqlite_normal_sync_keeps_data_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    conformance::suite::data_survives_reopening(|| async {
        Box::new(
            wasndr_store::SqliteContainer::open_synced(&path, wasndr_store::SqliteSync::Normal)
                .await
                .unwrap(),
        ) as _
    })
    .await;
}

/// The setting reaches the connections: SQLite reports `synchronous` as 2 for FULL and 1 for NORMAL,
/// and the journal stays WAL under both.
#[tokio::test]
async fn sqlite_sync_setting_is_the_connections_pragma() {
    let dir = tempfile::tempdir().unwrap();
    for (sync, file, expected) in [
        (wasndr_store::SqliteSync::Full, "full.db", 2_i64),
        (wasndr_store::SqliteSync::Normal, "normal.db", 1),
    ] {
        let container = wasndr_store::SqliteContainer::open_synced(dir.path().join(file), sync)
            .await
            .unwrap();
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(container.pool())
            .await
            .unwrap();
        assert_eq!(level, expected, "{sync:?}");
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(container.pool())
            .await
            .unwrap();
        assert_eq!(journal, "wal", "{sync:?}");
    }
    let default = wasndr_store::SqliteContainer::open(dir.path().join("default.db"))
        .await
        .unwrap();
    let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(default.pool())
        .await
        .unwrap();
    assert_eq!(level, 2, "FULL stays the default");
}

#[tokio::test]
async fn postgres_data_survives_reconnecting() {
    let Some(fixture) = fixtures::postgres().await else {
        return;
    };
    let options = fixture.options().unwrap();
    conformance::suite::data_survives_reopening(|| async {
        Box::new(
            wasndr_store::PostgresContainer::connect_with(options.clone(), 2)
                .await
                .unwrap(),
        ) as _
    })
    .await;
}
