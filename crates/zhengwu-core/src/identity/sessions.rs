//! Where staff sessions live: the database (default) or Redis (when configured, so several
//! stateless instances share them). Either way the cookie holds a random token and the store
//! only its SM3 digest; a session ends when idle too long, at its absolute limit, at sign-out,
//! or when the account is disabled, reset or changes its password.
//!
//! Redis layout (prefix `zw:` by default):
//! - `{prefix}s:{digest}` — the session as JSON, expiring when the session would;
//! - `{prefix}u:{staff_id}` — the set of that account's session digests, to end them all.
//!
//! With the database, session rows change inside the same transaction as the account change
//! that ends them. With Redis, they change right after that transaction commits.

use chrono::{DateTime, Duration, Utc};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub staff_id: i64,
    pub csrf_secret: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone)]
pub enum SessionStore {
    Database,
    Redis { conn: redis::aio::ConnectionManager, prefix: String },
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionStore::Database => f.write_str("SessionStore::Database"),
            SessionStore::Redis { prefix, .. } => write!(f, "SessionStore::Redis({prefix})"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(String);

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        StoreError(e.to_string())
    }
}

impl SessionStore {
    /// Connects to Redis (giving up after 5 seconds with a one-line reason).
    pub async fn redis(url: &str, prefix: &str) -> Result<SessionStore, String> {
        let client = redis::Client::open(url)
            .map_err(|e| format!("'{}' is not a Redis URL: {e}", crate::config::redact_url(url)))?;
        let conn = tokio::time::timeout(std::time::Duration::from_secs(5), redis::aio::ConnectionManager::new(client))
            .await
            .map_err(|_| format!("{} did not answer within 5 s", crate::config::redact_url(url)))?
            .map_err(|e| format!("cannot connect to {}: {e}", crate::config::redact_url(url)))?;
        let mut probe = conn.clone();
        let _: String = redis::cmd("PING").query_async(&mut probe).await.map_err(|e| format!("PING failed: {e}"))?;
        Ok(SessionStore::Redis { conn, prefix: prefix.to_string() })
    }

    pub fn is_redis(&self) -> bool {
        matches!(self, SessionStore::Redis { .. })
    }

    fn keys(prefix: &str, digest: &str, staff_id: i64) -> (String, String) {
        (format!("{prefix}s:{digest}"), format!("{prefix}u:{staff_id}"))
    }

    /// Seconds until the record expires by either limit (at least 1).
    fn ttl(rec: &SessionRecord, idle: Duration, now: DateTime<Utc>) -> u64 {
        let end = rec.expires_at.min(rec.last_seen_at + idle);
        u64::try_from((end - now).num_seconds()).unwrap_or(0).max(1)
    }

    /// Redis only: stores a new session.
    pub async fn put(
        &self,
        digest: &str,
        rec: &SessionRecord,
        idle: Duration,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let SessionStore::Redis { conn, prefix } = self {
            let (key, set) = Self::keys(prefix, digest, rec.staff_id);
            let json = serde_json::to_string(rec).map_err(|e| StoreError(e.to_string()))?;
            let mut c = conn.clone();
            redis::pipe()
                .atomic()
                .set_ex(&key, json, Self::ttl(rec, idle, now))
                .sadd(&set, digest)
                .expire(&set, 13 * 3600)
                .query_async::<()>(&mut c)
                .await?;
        }
        Ok(())
    }

    /// Redis only: the session of `digest`, if any.
    pub async fn get(&self, digest: &str) -> Result<Option<SessionRecord>, StoreError> {
        match self {
            SessionStore::Database => Ok(None),
            SessionStore::Redis { conn, prefix } => {
                let mut c = conn.clone();
                let json: Option<String> = c.get(format!("{prefix}s:{digest}")).await?;
                Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
            }
        }
    }

    /// Redis only: ends one session.
    pub async fn remove(&self, digest: &str, staff_id: i64) -> Result<(), StoreError> {
        if let SessionStore::Redis { conn, prefix } = self {
            let (key, set) = Self::keys(prefix, digest, staff_id);
            let mut c = conn.clone();
            redis::pipe().atomic().del(&key).srem(&set, digest).query_async::<()>(&mut c).await?;
        }
        Ok(())
    }

    /// Redis only: ends every session of an account except `keep` (a digest).
    pub async fn remove_all(&self, staff_id: i64, keep: Option<&str>) -> Result<(), StoreError> {
        if let SessionStore::Redis { conn, prefix } = self {
            let set = format!("{prefix}u:{staff_id}");
            let mut c = conn.clone();
            let digests: Vec<String> = c.smembers(&set).await?;
            for d in digests.iter().filter(|d| Some(d.as_str()) != keep) {
                redis::pipe().atomic().del(format!("{prefix}s:{d}")).srem(&set, d).query_async::<()>(&mut c).await?;
            }
        }
        Ok(())
    }
}
