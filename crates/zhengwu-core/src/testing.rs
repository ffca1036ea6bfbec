//! Fresh databases for tests: a new SQLite file, or a new PostgreSQL database on the local
//! server. Compiled only with the `test-support` feature (dev-dependencies turn it on).
//!
//! PostgreSQL comes from `ZHENGWU_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! When it is unreachable the PostgreSQL tests are skipped with a message on stderr, unless
//! `CI=true`, where they fail: CI must run both databases.

use std::{
    path::PathBuf,
    sync::atomic::{AtomicU32, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use secrecy::SecretString;

use crate::{config::DatabaseTarget, db::Db};

/// How long one test may take before it fails instead of holding up the whole run.
pub const TEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs a test body, failing it (rather than hanging CI) when it outlives [`TEST_LIMIT`].
pub async fn within_limit(test: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(TEST_LIMIT, test).await.is_err() {
        panic!("the test did not finish within {} s", TEST_LIMIT.as_secs());
    }
}

/// Declares one test per backend, `name::sqlite` and `name::postgres`, each calling
/// `name(Backend)` within [`TEST_LIMIT`].
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::testing::within_limit(super::$name($crate::testing::Backend::Sqlite)).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::testing::within_limit(super::$name($crate::testing::Backend::Postgres)).await
            }
        }
    )*};
}

pub const DEFAULT_PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists only for one test.
pub struct TestDb {
    pub db: Db,
    pub target: DatabaseTarget,
    /// For SQLite: the directory holding the file (use it as the data dir).
    pub dir: PathBuf,
    pg_name: Option<String>,
}

fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), nanos)
}

/// A unique, empty temporary directory.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

pub fn pg_admin_url() -> String {
    std::env::var("ZHENGWU_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_string())
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

impl TestDb {
    /// A fresh, migrated database on `backend`; `None` when PostgreSQL is skipped.
    pub async fn new(backend: Backend, test: &str) -> Option<TestDb> {
        let (target, dir, pg_name) = Self::target(backend, test).await?;
        let db = Db::connect(&target, 4).await.expect("connect test database");
        db.migrate().await.expect("migrate test database");
        crate::calendar::ensure_shipped(&db, chrono::Utc::now()).await.expect("load the shipped calendar");
        Some(TestDb { db, target, dir, pg_name })
    }

    /// A fresh database target, not yet opened or migrated (for start-up tests).
    pub async fn target(backend: Backend, test: &str) -> Option<(DatabaseTarget, PathBuf, Option<String>)> {
        match backend {
            Backend::Sqlite => Some(Self::target_sqlite()),
            Backend::Postgres => Self::target_postgres(test).await,
        }
    }

    fn target_sqlite() -> (DatabaseTarget, PathBuf, Option<String>) {
        let dir = temp_dir("zw_sqlite");
        (DatabaseTarget::Sqlite { path: dir.join("zhengwu.db") }, dir, None)
    }

    async fn target_postgres(test: &str) -> Option<(DatabaseTarget, PathBuf, Option<String>)> {
        let admin = pg_admin_url();
        let admin_db = match Db::connect(&DatabaseTarget::Postgres { url: SecretString::from(admin.clone()) }, 1).await
        {
            Ok(db) => db,
            Err(e) if !ci() => {
                eprintln!("SKIPPED on PostgreSQL: {test} (no server: {e}; set CI=true to require it)");
                return None;
            }
            Err(e) => panic!("CI=true requires PostgreSQL for {test}: {e}"),
        };
        let name = unique("zw_test");
        admin_db.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin_db.close().await;
        let mut url = url::Url::parse(&admin).expect("ZHENGWU_TEST_PG_URL is a URL");
        url.set_path(&format!("/{name}"));
        let dir = temp_dir("zw_pgdata");
        Some((DatabaseTarget::Postgres { url: SecretString::from(url.to_string()) }, dir, Some(name)))
    }

    /// Everything the database holds, as text: for SQLite the file's bytes (WAL checkpointed
    /// first), for PostgreSQL every row of every table. For "this value is stored nowhere in
    /// clear" checks.
    pub async fn dump_all_text(&self) -> String {
        match (&self.db, &self.target) {
            (Db::Sqlite(pool), DatabaseTarget::Sqlite { path }) => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(pool).await.expect("checkpoint");
                let mut bytes = std::fs::read(path).expect("read database file");
                if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
                    bytes.extend(wal);
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            (Db::Postgres(pool), _) => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                )
                .fetch_all(pool)
                .await
                .expect("list tables");
                let mut out = String::new();
                for t in tables {
                    let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT x::text FROM \"{t}\" x"))
                        .fetch_all(pool)
                        .await
                        .expect("dump table");
                    out.push_str(&rows.join("\n"));
                }
                out
            }
            _ => unreachable!("a SQLite pool always has a SQLite target"),
        }
    }

    /// Closes the pool and removes the database.
    pub async fn finish(self) {
        self.db.close().await;
        drop_target(self.pg_name, &self.dir).await;
    }
}

/// A Redis session store under a prefix of its own (from `ZHENGWU_TEST_REDIS_URL`, default
/// `redis://127.0.0.1:6379`); `None` (with a message) when no Redis answers, unless `CI=true`.
pub async fn test_redis(test: &str) -> Option<(crate::identity::SessionStore, String, String)> {
    let url = std::env::var("ZHENGWU_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let prefix = format!("{}:", unique("zw_test"));
    match crate::identity::SessionStore::redis(&url, &prefix).await {
        Ok(store) => Some((store, url, prefix)),
        Err(e) if !ci() => {
            eprintln!("SKIPPED on Redis: {test} (no server: {e}; set CI=true to require it)");
            None
        }
        Err(e) => panic!("CI=true requires Redis for {test}: {e}"),
    }
}

/// Removes what [`TestDb::target`] created.
pub async fn drop_target(pg_name: Option<String>, dir: &std::path::Path) {
    if let Some(name) = pg_name {
        let admin = pg_admin_url();
        if let Ok(db) = Db::connect(&DatabaseTarget::Postgres { url: SecretString::from(admin) }, 1).await {
            let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            db.close().await;
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Signs a demo staff member in with the demo password (the second factor not required) and
/// changes it to `new_password` the first time; the signed-in actor.
pub async fn signed_in_staff(
    ctx: &crate::identity::Ctx<'_>,
    keys: &crate::identity::StaffKeys,
    username: &str,
    new_password: &str,
) -> crate::identity::StaffActor {
    use crate::identity as id;
    let policy = id::AuthPolicy { require_totp_for_admins: false, ..id::AuthPolicy::default() };
    let first = id::Attempt { username, password: id::DEMO_PASSWORD, totp: "", previous: None, device: None };
    let s = match id::sign_in(ctx, &policy, keys, &first).await {
        Ok(s) => s,
        Err(_) => {
            id::sign_in(ctx, &policy, keys, &id::Attempt { password: new_password, ..first }).await.expect("sign in")
        }
    };
    let a = id::session_actor(ctx, &policy, &s.token).await.unwrap().expect("session");
    if a.must_change_password {
        id::change_password(ctx, &policy, &a, &s.token, id::DEMO_PASSWORD, new_password, new_password).await.unwrap();
    }
    id::session_actor(ctx, &policy, &s.token).await.unwrap().expect("session")
}

/// The code an SMS would carry, read back by brute force over its MAC (tests only: a real
/// attacker gets five tries, not a million).
pub async fn sms_code_for(db: &Db, keys: &crate::citizen::PersonalKeys, phone: &str) -> String {
    let index = keys.index(crate::citizen::Field::Phone, phone);
    let mac: String =
        crate::with_db!(db, pool => sqlx::query_scalar("SELECT code_mac FROM sms_codes WHERE phone_index = $1")
        .bind(&index).fetch_one(pool).await)
        .expect("a code was stored");
    (0..1_000_000).map(|n| format!("{n:06}")).find(|c| keys.code_mac(&index, c) == mac).expect("the code")
}

/// A citizen signed in by SMS code (the log provider); the session token and actor.
pub async fn signed_in_citizen(
    ctx: &crate::identity::Ctx<'_>,
    keys: &crate::citizen::PersonalKeys,
    phone: &str,
) -> (String, crate::citizen::CitizenActor) {
    use crate::citizen;
    let r = citizen::CodeRequest {
        phone,
        requester: "192.0.2.99",
        challenge_solved: true,
        challenge_after: citizen::CHALLENGE_AFTER,
    };
    citizen::request_code(ctx, keys, &citizen::SmsSender::Log, &r).await.expect("code sent");
    let code = sms_code_for(ctx.db, keys, phone).await;
    let s = citizen::sign_in(ctx, keys, phone, &code, None).await.expect("signed in");
    let a = citizen::session_actor(ctx, chrono::Duration::minutes(30), &s.token).await.unwrap().expect("session");
    (s.token, a)
}

/// Runs futures concurrently on the current task, results in order (what tests need of
/// `futures::join_all`, without the dependency).
pub async fn join_all<F: std::future::Future>(fs: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = fs.into_iter().map(Box::pin).collect();
    let mut out = Vec::with_capacity(handles.len());
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    let mut results: Vec<Option<F::Output>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out.extend(results.into_iter().map(|r| r.expect("every future finished")));
    out
}
