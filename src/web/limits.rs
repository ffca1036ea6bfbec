//! Fixed-window rate limits per key (a client address, a citizen's account), kept in memory per
//! instance: with several instances each counts its own, so the effective limit is N times
//! higher (issue 18 moves them to Redis). Refusals are audited in aggregate: the first of a
//! window, then every hundredth, with the count so far — a flood leaves a few records, not
//! thousands.

use std::{
    collections::HashMap,
    hash::Hash,
    net::{IpAddr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{extract::ConnectInfo, http::request::Parts};
use serde_json::json;
use zhengwu_core::audit::{self, Actor, AuditEvent};

use crate::web::state::AppState;

/// What a limiter says of one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Over the limit; `record` when this refusal should be audited (with `refused` so far in
    /// this window).
    Refused {
        refused: u32,
        record: bool,
    },
}

impl Verdict {
    pub fn refused(self) -> bool {
        matches!(self, Verdict::Refused { .. })
    }
}

pub struct RateLimiter<K> {
    per_window: u32,
    window: Duration,
    /// (window start, attempts, refusals) per key.
    windows: Mutex<HashMap<K, (Instant, u32, u32)>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn per_minute(per_minute: u32) -> Self {
        Self::new(per_minute, Duration::from_secs(60))
    }

    pub fn new(per_window: u32, window: Duration) -> Self {
        RateLimiter { per_window, window, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt.
    pub fn check(&self, key: &K) -> Verdict {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > 10_000 {
            let w = self.window;
            map.retain(|_, (start, _, _)| now.duration_since(*start) < w);
        }
        let entry = map.entry(key.clone()).or_insert((now, 0, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0, 0);
        }
        entry.1 += 1;
        if entry.1 <= self.per_window {
            return Verdict::Allowed;
        }
        entry.2 += 1;
        Verdict::Refused { refused: entry.2, record: entry.2 == 1 || entry.2.is_multiple_of(100) }
    }

    /// Counts an attempt; `false` when over the limit.
    pub fn allow(&self, key: &K) -> bool {
        !self.check(key).refused()
    }
}

/// Per client address.
pub type AddressLimiter = RateLimiter<IpAddr>;

/// The client's address as the server sees it (the TCP peer; forwarded headers are not trusted).
pub fn peer(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// Whether the request's address is over `limiter`'s limit (counting this attempt); refusals
/// are audited in aggregate under `what` (e.g. `auth.rate_limited`).
pub async fn over_limit(state: &AppState, limiter: &AddressLimiter, parts: &Parts, what: &'static str) -> bool {
    let Some(ip) = peer(parts) else { return false };
    match limiter.check(&ip) {
        Verdict::Allowed => false,
        Verdict::Refused { refused, record } => {
            if record {
                record_refusals(state, parts, what, refused).await;
            }
            true
        }
    }
}

async fn record_refusals(state: &AppState, parts: &Parts, what: &'static str, refused: u32) {
    let meta = crate::web::auth::request_meta(&parts.headers, &parts.extensions);
    let e = AuditEvent::new(what, "rate_limit", parts.uri.path())
        .failed()
        .with_detail(json!({ "refused_in_window": refused }));
    let write = async {
        let mut tx = state.db.begin_write().await?;
        audit::append(&mut tx, &state.keys.audit, &Actor::anonymous(), &meta, &e, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    };
    if let Err(e) = write.await {
        tracing::warn!(error = %e, "recording refused requests failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_and_recorded_sparingly() {
        let l = RateLimiter::per_minute(2);
        assert_eq!(l.check(&1), Verdict::Allowed);
        assert_eq!(l.check(&1), Verdict::Allowed);
        assert_eq!(l.check(&1), Verdict::Refused { refused: 1, record: true });
        assert_eq!(l.check(&1), Verdict::Refused { refused: 2, record: false });
        assert_eq!(l.check(&2), Verdict::Allowed, "per key");
        let recorded = (0..300).filter(|_| matches!(l.check(&1), Verdict::Refused { record: true, .. })).count();
        assert_eq!(recorded, 3, "every hundredth");
    }

    #[test]
    fn a_new_window_starts_over() {
        let l = RateLimiter::new(1, Duration::from_millis(20));
        assert!(l.allow(&"a"));
        assert!(!l.allow(&"a"));
        std::thread::sleep(Duration::from_millis(25));
        assert!(l.allow(&"a"));
    }
}
