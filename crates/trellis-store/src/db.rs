//! The database handle: an enum over the two concrete drivers, and the macros that expand one
//! query body once per backend so each copy is type-checked against its own driver.
//!
//! SQLite gets two pools: one writer (SQLite allows one at a time, so writers queue in the pool
//! instead of failing with `SQLITE_BUSY`) and a read pool that runs beside it under WAL. Hot
//! writes run on the writer's own thread ([`Db::on_writer`], see [`lane`]).

pub mod lane;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::Context as _;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{PgConnection, Postgres, Sqlite, SqliteConnection, Transaction};

use crate::config::StoreConfig;
use crate::error::Result;

/// Which engine a [`Db`] runs on, for the few `// dialect:` branches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A cheap-to-clone handle on the database.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite: a single writer and a read pool.
    Sqlite {
        /// Pool of readers.
        read: SqlitePool,
        /// The one writer.
        write: SqlitePool,
        /// The thread that drives hot write transactions.
        lane: Arc<lane::Lane>,
    },
    /// PostgreSQL: one pool.
    Postgres(PgPool),
}

/// A borrowed connection of one backend: a transaction's, or one taken from the read pool.
#[derive(Debug)]
pub enum Exec<'a> {
    /// SQLite connection.
    Sqlite(&'a mut SqliteConnection),
    /// PostgreSQL connection.
    Postgres(&'a mut PgConnection),
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls back.
#[derive(Debug)]
pub enum Tx {
    /// SQLite transaction on the writer.
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL transaction.
    Postgres(Transaction<'static, Postgres>),
}

/// A connection from the read pool.
#[derive(Debug)]
pub enum Conn {
    /// SQLite reader.
    Sqlite(PoolConnection<Sqlite>),
    /// PostgreSQL connection.
    Postgres(PoolConnection<Postgres>),
}

/// Runs `$body` with `$c` bound to the concrete `&mut Connection` of `$ex: &mut Exec`.
#[macro_export]
macro_rules! on_backend {
    ($ex:expr, |$c:ident| $body:expr) => {
        match $ex {
            $crate::db::Exec::Sqlite(conn) => {
                let $c = &mut **conn;
                $body
            }
            $crate::db::Exec::Postgres(conn) => {
                let $c = &mut **conn;
                $body
            }
        }
    };
}

/// `query_as::<_, Row>(sql).bind(..)….$fetch(conn)` on either backend.
#[macro_export]
macro_rules! fetch {
    ($ex:expr, $row:ty, $sql:expr, [$($b:expr),* $(,)?], $fetch:ident) => {
        $crate::on_backend!($ex, |c| {
            sqlx::query_as::<_, $row>($sql)$(.bind($b))*.$fetch(c).await
        })
    };
}

/// `query_scalar(sql).bind(..)….$fetch(conn)` on either backend.
#[macro_export]
macro_rules! scalar {
    ($ex:expr, $t:ty, $sql:expr, [$($b:expr),* $(,)?], $fetch:ident) => {
        $crate::on_backend!($ex, |c| {
            sqlx::query_scalar::<_, $t>($sql)$(.bind($b))*.$fetch(c).await
        })
    };
}

/// `query(sql).bind(..)….execute(conn)`, returning the number of rows affected.
#[macro_export]
macro_rules! execute {
    ($ex:expr, $sql:expr, [$($b:expr),* $(,)?]) => {
        $crate::on_backend!($ex, |c| {
            sqlx::query($sql)$(.bind($b))*.execute(c).await.map(|r| r.rows_affected())
        })
    };
}

impl Db {
    /// Connects according to `config`; creates the SQLite file (and its directory) if missing.
    pub async fn connect(config: &StoreConfig) -> Result<Self> {
        let url = config.effective_url();
        if url.is_postgres() {
            let opts = PgConnectOptions::from_str(url.expose())
                .context("parsing the PostgreSQL URL (store.url)")?;
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections.max(1))
                .acquire_timeout(config.acquire_timeout)
                .connect_with(opts)
                .await
                .with_context(|| format!("connecting to {url}"))?;
            return Ok(Db::Postgres(pool));
        }
        let opts = SqliteConnectOptions::from_str(url.expose())
            .context("parsing the SQLite URL (store.url)")?;
        if opts.get_filename().as_os_str().is_empty()
            || opts.get_filename().to_string_lossy().contains(":memory:")
        {
            return Err(anyhow::anyhow!(
                "an in-memory SQLite database cannot be shared by the reader and writer pools; \
                 use a file path"
            )
            .into());
        }
        if let Some(dir) = opts
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
        }
        let opts = opts
            // A page of results (up to 201 rows) fits the driver's row channel, so the
            // connection's worker thread never stalls mid-query waiting for the reader.
            .row_buffer_size(256)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(5))
            .foreign_keys(true);
        // A local file's connections cannot go stale, so sqlx's ping before every acquire (one
        // more round trip to the connection's worker thread per query) buys nothing here.
        let write = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .acquire_timeout(config.acquire_timeout)
            .connect_with(opts.clone())
            .await
            .with_context(|| format!("opening {url}"))?;
        // Every SQLite connection is an OS thread of the driver's; past two per core they only
        // add context switches (measured with `trellis bench api` on 2 cores: 4 readers beat 8).
        let cores = std::thread::available_parallelism()
            .map_or(2, |n| u32::try_from(n.get()).unwrap_or(u32::MAX));
        let read = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(config.max_connections.clamp(1, cores.saturating_mul(2)))
            .acquire_timeout(config.acquire_timeout)
            .connect_with(opts.read_only(true))
            .await
            .with_context(|| format!("opening {url} for reading"))?;
        let lane = lane::Lane::start().context("starting the writer's thread")?;
        Ok(Db::Sqlite {
            read,
            write,
            lane: Arc::new(lane),
        })
    }

    /// Which engine this is.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations. On PostgreSQL, sqlx serialises concurrent migrators with an
    /// advisory lock, so several instances may start at once.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { write, .. } => sqlx::migrate!("migrations/sqlite").run(write).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Runs `work`, a future that writes, where writes go fastest. On SQLite that is the
    /// writer's own thread, so the transaction holding the one writer never waits behind
    /// request handling between its statements; `work` then runs to completion even if the
    /// caller stops waiting. On PostgreSQL, which has no single writer and whose connections
    /// belong to the runtime that opened them, it runs in place.
    ///
    /// For throughput-critical writes (deal registration). `work` must own what it uses.
    pub async fn on_writer<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> T {
        match self {
            Db::Sqlite { lane, .. } => lane.run(work).await,
            Db::Postgres(_) => work.await,
        }
    }

    /// Takes a connection for reads outside a transaction.
    pub async fn read(&self) -> Result<Conn> {
        Ok(match self {
            Db::Sqlite { read, .. } => Conn::Sqlite(read.acquire().await?),
            Db::Postgres(pool) => Conn::Postgres(pool.acquire().await?),
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        let mut conn = self.read().await?;
        crate::scalar!(&mut conn.exec(), i32, "select 1", [], fetch_one)?;
        Ok(())
    }

    /// Closes every pool, waiting for connections to be returned.
    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// The transaction's connection.
    pub fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Sqlite(tx) => Exec::Sqlite(&mut *tx),
            Tx::Postgres(tx) => Exec::Postgres(&mut *tx),
        }
    }

    /// Commits.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

impl Exec<'_> {
    /// Which engine this connection is on.
    pub fn backend(&self) -> Backend {
        match self {
            Exec::Sqlite(_) => Backend::Sqlite,
            Exec::Postgres(_) => Backend::Postgres,
        }
    }
}

impl Conn {
    /// The connection.
    pub fn exec(&mut self) -> Exec<'_> {
        match self {
            Conn::Sqlite(c) => Exec::Sqlite(&mut *c),
            Conn::Postgres(c) => Exec::Postgres(&mut *c),
        }
    }
}
