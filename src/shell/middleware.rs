//! One middleware for every request: request id, tracing span, access log line and metrics.
//!
//! The log names the matched route template (`/notices/{id}`), never the raw path or query,
//! which may later carry tracking numbers or other personal data.

use std::time::Instant;

use axum::{
    extract::{MatchedPath, Request, State},
    http::HeaderValue,
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

use crate::web::state::AppState;

pub use crate::web::request::{RequestId, REQUEST_ID};

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_acceptable_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| unmatched_label(req.uri().path()).to_string());
    let method = req.method().as_str().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, v);
    }

    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let mut res = next.run(req).instrument(span.clone()).await;

    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    state.metrics.record(&route, &method, status, elapsed);
    span.in_scope(|| {
        tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1000.0, "response");
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    res
}

/// A bounded label for requests no route template matched (static files, 404s), so metrics
/// keep a fixed number of series and logs never carry the raw path.
fn unmatched_label(path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        "/pkg/{file}"
    } else {
        "unmatched"
    }
}

/// A client's request id is kept only if it is short and plain (no log injection).
fn is_acceptable_id(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::is_acceptable_id;

    #[test]
    fn plain_ids_are_kept_and_others_replaced() {
        assert!(is_acceptable_id("abc-123_X.y"));
        assert!(!is_acceptable_id(""));
        assert!(!is_acceptable_id("a b"));
        assert!(!is_acceptable_id("x\ny"));
        assert!(!is_acceptable_id(&"a".repeat(65)));
    }
}
