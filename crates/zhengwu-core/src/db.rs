//! The database layer: one code base for SQLite (embedded default) and PostgreSQL (scale-out).
//!
//! Decision (docs/architecture.md): an enum over the two native pools, not `sqlx::Any`.
//! Each query is written once as SQL text that both dialects accept (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`) and run through [`with_db!`], which compiles the same block for
//! both drivers, so native types (timestamps) work on each. DDL differs, so migrations come in
//! two directories with the same names, checked by a test.

use std::{path::Path, str::FromStr, time::Duration};

use secrecy::ExposeSecret;
use sqlx::{
    migrate::{MigrateError, Migrator},
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Connection, PgPool, Postgres, Sqlite, SqlitePool, Transaction,
};

use crate::config::{io_reason, DatabaseTarget};

pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
pub static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

/// How long to wait for a connection before saying the database is unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a SQLite writer waits for the lock held by another writer.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A pool on one of the two supported databases. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever pool (or transaction) `$db` holds.
///
/// ```ignore
/// with_db!(db, pool => sqlx::query("SELECT 1").execute(pool).await)
/// ```
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs the same block against a write transaction's connection (`&mut *tx` of either driver).
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::WriteTx::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::db::WriteTx::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}

/// A write transaction. On SQLite it is `BEGIN IMMEDIATE`: the write lock is taken at the start,
/// so two writers queue on the busy timeout instead of failing at commit with SQLITE_BUSY.
/// Dropped without [`WriteTx::commit`], it rolls back.
pub enum WriteTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Sqlite(t) => t.commit().await,
            WriteTx::Postgres(t) => t.commit().await,
        }
    }
}

/// Why the database could not be opened or migrated. Displays as one line.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open {target}: {reason}")]
    Connect { target: String, reason: String },
    #[error("migration {name} failed, database left as it was: {reason}")]
    Migration { name: String, reason: String },
    #[error("database has migration {version} that this program does not know; is it newer?")]
    UnknownMigration { version: i64 },
    #[error("migrations: {0}")]
    Migrate(String),
}

impl Db {
    /// Opens a pool and checks that the database answers.
    pub async fn connect(target: &DatabaseTarget, max_connections: u32) -> Result<Db, DbError> {
        let fail = |reason: String| DbError::Connect { target: target.describe(), reason };
        match target {
            DatabaseTarget::Sqlite { path } => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| fail(io_reason(&e)))?;
                }
                let opts = sqlite_options(path);
                let pool = SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(opts)
                    .await
                    .map_err(|e| fail(short_reason(&e)))?;
                Ok(Db::Sqlite(pool))
            }
            DatabaseTarget::Postgres { url } => {
                let opts = PgConnectOptions::from_str(url.expose_secret())
                    .map_err(|e| fail(short_reason(&e)))?
                    .application_name("zhengwu");
                // One direct connection first: the pool would retry until its timeout and then
                // say only "timed out"; the operator needs the reason (refused, auth, no such db).
                match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&opts)).await {
                    Ok(Ok(conn)) => {
                        let _ = conn.close().await;
                    }
                    Ok(Err(e)) => return Err(fail(short_reason(&e))),
                    Err(_) => return Err(fail("timed out connecting".into())),
                }
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(opts)
                    .await
                    .map_err(|e| fail(short_reason(&e)))?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Db::Sqlite(_) => &SQLITE_MIGRATIONS,
            Db::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies the embedded migrations not yet applied. Each runs in its own transaction, so a
    /// failing one leaves the database as the previous one left it; the error names it.
    pub async fn migrate(&self) -> Result<(), DbError> {
        let migrator = self.migrator();
        let result = with_db!(self, pool => migrator.run(pool).await);
        result.map_err(|e| match e {
            MigrateError::ExecuteMigration(err, version) => {
                DbError::Migration { name: migration_name(migrator, version), reason: short_reason(&err) }
            }
            MigrateError::VersionMissing(version) => DbError::UnknownMigration { version },
            other => DbError::Migrate(other.to_string()),
        })
    }

    /// Answers whether the database is reachable now (for `/readyz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        with_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// Runs one statement without parameters and returns the rows it affected. For fixed
    /// administrative SQL only (tests, maintenance); queries with values use bound parameters.
    pub async fn execute_unprepared(&self, sql: &str) -> Result<u64, sqlx::Error> {
        with_db!(self, pool => sqlx::raw_sql(sql).execute(pool).await.map(|r| r.rows_affected()))
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(p) => WriteTx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => WriteTx::Postgres(p.begin().await?),
        })
    }

    /// Waits for connections in use to be returned, then closes them. SQLite folds its WAL back
    /// into the database first: the last connection to close would do it too, but connections
    /// closing at the same moment can each see another still open and leave it.
    pub async fn close(&self) {
        if let Db::Sqlite(pool) = self {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await {
                tracing::warn!(error = %e, "closing the database: WAL checkpoint failed");
            }
        }
        with_db!(self, pool => pool.close().await)
    }
}

fn sqlite_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
}

/// `0001_init` for version 1, from the embedded migrations.
pub fn migration_name(migrator: &Migrator, version: i64) -> String {
    migrator
        .iter()
        .find(|m| m.version == version)
        .map(|m| format!("{:04}_{}", m.version, m.description.replace(' ', "_")))
        .unwrap_or_else(|| version.to_string())
}

/// The first line of a driver error, without connection details that could hold secrets.
fn short_reason(e: &sqlx::Error) -> String {
    let text = match e {
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Io(io) => io_reason(io),
        sqlx::Error::PoolTimedOut => "timed out connecting".to_string(),
        other => other.to_string(),
    };
    text.lines().next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_have_the_same_migrations() {
        let names = |m: &Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
        assert!(SQLITE_MIGRATIONS.iter().next().is_some());
        assert_eq!(names(&SQLITE_MIGRATIONS), names(&POSTGRES_MIGRATIONS));
    }
}
