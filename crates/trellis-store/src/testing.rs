//! `TestDb`: a fresh, migrated database per test. SQLite in a temporary directory by default;
//! a fresh PostgreSQL database on the server at `TRELLIS_TEST_PG_URL` when that is set.

use std::str::FromStr as _;

use anyhow::Context as _;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::config::{DatabaseUrl, StoreConfig};
use crate::db::Db;

/// A throwaway database; dropped (files removed or database dropped) with the value.
#[derive(Debug)]
pub struct TestDb {
    config: StoreConfig,
    db: Db,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(#[allow(dead_code, reason = "held for its Drop")] tempfile::TempDir),
    Postgres {
        admin: Box<PgConnectOptions>,
        name: String,
    },
}

impl TestDb {
    /// The environment variable naming a PostgreSQL server for tests (`postgres://…/postgres`).
    pub const PG_URL_VAR: &'static str = "TRELLIS_TEST_PG_URL";

    /// Creates and migrates a fresh database.
    pub async fn create() -> anyhow::Result<Self> {
        #[allow(
            clippy::disallowed_methods,
            reason = "test harness: selects the backend under test"
        )]
        let pg = std::env::var(Self::PG_URL_VAR)
            .ok()
            .filter(|s| !s.is_empty());
        match pg {
            Some(url) => Self::postgres(&url).await,
            None => Self::sqlite().await,
        }
    }

    /// True when tests run against PostgreSQL.
    pub fn is_postgres_run() -> bool {
        #[allow(
            clippy::disallowed_methods,
            reason = "test harness: selects the backend under test"
        )]
        std::env::var(Self::PG_URL_VAR).is_ok_and(|s| !s.is_empty())
    }

    async fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a temporary directory")?;
        let config = StoreConfig {
            data_dir: dir.path().to_owned(),
            ..StoreConfig::default()
        };
        let db = Db::connect(&config).await?;
        db.migrate().await?;
        Ok(Self {
            config,
            db,
            cleanup: Cleanup::Sqlite(dir),
        })
    }

    async fn postgres(admin_url: &str) -> anyhow::Result<Self> {
        let admin = PgConnectOptions::from_str(admin_url).context("parsing TRELLIS_TEST_PG_URL")?;
        let name = format!("trellis_test_{}", uuid::Uuid::now_v7().simple());
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .context("connecting to the test server")?;
        sqlx::query(&format!("create database {name}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let url = DatabaseUrl::parse(&format!(
            "{}/{name}",
            admin_url
                .rsplit_once('/')
                .map_or(admin_url, |(base, _)| base)
        ))
        .map_err(anyhow::Error::msg)?;
        let config = StoreConfig {
            url: Some(url),
            max_connections: 4,
            ..StoreConfig::default()
        };
        let db = Db::connect(&config).await?;
        db.migrate().await?;
        Ok(Self {
            config,
            db,
            cleanup: Cleanup::Postgres {
                admin: Box::new(admin),
                name,
            },
        })
    }

    /// The connected, migrated handle.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Settings that connect to this database (for a server under test).
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin, name } = &self.cleanup else {
            return;
        };
        #[allow(
            clippy::disallowed_methods,
            reason = "test harness: keep databases for debugging"
        )]
        if std::env::var("TRELLIS_TEST_KEEP_DB").is_ok() {
            return;
        }
        // Drop runs inside the test's runtime, which cannot block on async work, so the
        // database is dropped from a helper thread with its own small runtime. The pool is not
        // closed first: returning its connections needs the (now blocked) test runtime, and
        // `with (force)` ends them anyway.
        let (admin, name) = ((**admin).clone(), name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                    let _ = sqlx::query(&format!("drop database if exists {name} with (force)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}
