//! A fresh container per test, and its clean-up.

use std::str::FromStr;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use wasndr_store::{MemoryContainer, PostgresContainer, SqliteContainer, StoreContainer};

/// The environment variable naming the PostgreSQL database the suite may create schemas in.
pub(crate) const POSTGRES_URL_VAR: &str = "WASNDR_TEST_POSTGRES_URL";

/// A container and what must outlive it.
pub(crate) struct Fixture {
    container: Box<dyn StoreContainer>,
    _dir: Option<tempfile::TempDir>,
    schema: Option<PgSchema>,
}

impl Fixture {
    pub(crate) fn container(&self) -> &dyn StoreContainer {
        &*self.container
    }

    /// Connection options into this fixture's PostgreSQL schema.
    pub(crate) fn options(&self) -> Option<PgConnectOptions> {
        self.schema.as_ref().map(PgSchema::options)
    }
}

pub(crate) async fn memory() -> Option<Fixture> {
    Some(Fixture {
        container: Box::new(MemoryContainer::new()),
        _dir: None,
        schema: None,
    })
}

pub(crate) async fn sqlite() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let container = SqliteContainer::open(dir.path().join("store.db")).await.unwrap();
    Some(Fixture {
        container: Box::new(container),
        _dir: Some(dir),
        schema: None,
    })
}

pub(crate) async fn postgres() -> Option<Fixture> {
    let Ok(url) = std::env::var(POSTGRES_URL_VAR) else {
        eprintln!(
            "skipping a PostgreSQL store test: {POSTGRES_URL_VAR} is not set (CI sets it to \
             postgres://postgres@127.0.0.1:5432/test)"
        );
        return None;
    };
    let schema = PgSchema::create(url).await;
    let container = PostgresContainer::connect_with(schema.options(), 4)
        .await
        .unwrap();
    Some(Fixture {
        container: Box::new(container),
        _dir: None,
        schema: Some(schema),
    })
}

/// A schema of this test's own, dropped with the fixture (also when the test panicked).
struct PgSchema {
    url: String,
    name: String,
}

impl PgSchema {
    async fn create(url: String) -> Self {
        let name = format!("wasndr_test_{:016x}", rand::random::<u64>());
        let mut conn = PgConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={url} is set but unreachable: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Self { url, name }
    }

    fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url)
            .unwrap()
            .options([("search_path", self.name.as_str())])
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread of its own can.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect(&url).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .execute(&mut conn)
                .await?;
                conn.close().await
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}: {dropped:?}", self.name);
        }
    }
}
