//! Prometheus metrics: request counts and latency histograms by route, method and status.
//!
//! A small registry of our own rather than a metrics framework: one mutex-protected map, a
//! critical section of a few nanoseconds per request, and the text format written by hand
//! (it is simple and stable: https://prometheus.io/docs/instrumenting/exposition_formats/).

use std::{collections::BTreeMap, fmt::Write, sync::Mutex, time::Duration};

use axum::{extract::State, http::header, response::IntoResponse};

use crate::web::state::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Default, Clone)]
struct Series {
    /// Non-cumulative counts per bucket; the last slot is +Inf.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<Key, Series>>,
}

impl Metrics {
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let slot = BUCKETS.iter().position(|b| secs <= *b).unwrap_or(BUCKETS.len());
        let key = Key { route: route.to_string(), method: method.to_string(), status };
        let mut map = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let s = map.entry(key).or_default();
        s.buckets[slot] += 1;
        s.sum += secs;
        s.count += 1;
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let map = self.series.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut out = String::with_capacity(256 + map.len() * 1024);
        out.push_str("# HELP zhengwu_http_requests_total HTTP requests handled, by route, method and status.\n");
        out.push_str("# TYPE zhengwu_http_requests_total counter\n");
        for (k, s) in &map {
            let _ = writeln!(out, "zhengwu_http_requests_total{{{}}} {}", labels(k), s.count);
        }
        out.push_str(
            "# HELP zhengwu_http_request_duration_seconds Time to produce the response, by route, method and status.\n",
        );
        out.push_str("# TYPE zhengwu_http_request_duration_seconds histogram\n");
        for (k, s) in &map {
            let l = labels(k);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i];
                let _ =
                    writeln!(out, "zhengwu_http_request_duration_seconds_bucket{{{l},le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "zhengwu_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "zhengwu_http_request_duration_seconds_sum{{{l}}} {}", s.sum);
            let _ = writeln!(out, "zhengwu_http_request_duration_seconds_count{{{l}}} {}", s.count);
        }
        out
    }
}

fn labels(k: &Key) -> String {
    format!("route=\"{}\",method=\"{}\",status=\"{}\"", escape(&k.route), escape(&k.method), k.status)
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `/metrics` on the main address: only with `Authorization: Bearer <ZHENGWU_METRICS_TOKEN>`.
/// Without a token configured it is not served there at all (404, like any unknown path);
/// `ZHENGWU_METRICS_ADDR` serves it on an address of its own instead ([`export_open`]).
pub async fn export(State(state): State<AppState>, headers: axum::http::HeaderMap) -> axum::response::Response {
    use axum::response::IntoResponse;
    use secrecy::ExposeSecret;
    let Some(token) = state.metrics_token.as_ref() else {
        return (axum::http::StatusCode::NOT_FOUND, "not found").into_response();
    };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let ok = given.is_some_and(|g| zhengwu_crypto::constant_time_eq(g.as_bytes(), token.expose_secret().as_bytes()));
    if !ok {
        return (axum::http::StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "token required")
            .into_response();
    }
    export_open(State(state)).await.into_response()
}

/// `/metrics` without a token, for the separate metrics listener only.
pub async fn export_open(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_counts_agree() {
        let m = Metrics::default();
        m.record("/notices", "GET", 200, Duration::from_micros(500));
        m.record("/notices", "GET", 200, Duration::from_millis(30));
        m.record("/notices", "GET", 200, Duration::from_secs(10));
        m.record("/notices/{id}", "GET", 404, Duration::from_millis(2));
        let text = m.render();
        assert!(
            text.contains("zhengwu_http_requests_total{route=\"/notices\",method=\"GET\",status=\"200\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("le=\"0.001\"} 1\n"));
        assert!(text.contains("route=\"/notices\",method=\"GET\",status=\"200\",le=\"0.05\"} 2\n"), "{text}");
        assert!(text.contains("route=\"/notices\",method=\"GET\",status=\"200\",le=\"+Inf\"} 3\n"));
        assert!(text.contains(
            "zhengwu_http_request_duration_seconds_count{route=\"/notices/{id}\",method=\"GET\",status=\"404\"} 1\n"
        ));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
