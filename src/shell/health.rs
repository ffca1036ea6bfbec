//! `/healthz` (the process answers) and `/readyz` (it can reach its database).

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::IntoResponse};

use crate::web::state::AppState;

pub async fn alive() -> &'static str {
    "ok\n"
}

pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready\n"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database timed out\n"),
    }
}
