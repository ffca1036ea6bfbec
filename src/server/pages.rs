//! Pages rendered by handlers for answers that are not a form: the styled "not found" page for
//! ids that do not exist or are someone else's (the same page either way).

use axum::{
    http::{request::Parts, StatusCode},
    response::Response,
};

use super::{auth::render_page, form::at_path, state::AppState};
use crate::session::FormEcho;

/// The portal's 404 page (the router's fallback page), with status 404.
pub async fn not_found(state: &AppState, parts: Parts) -> Response {
    render_page(state, at_path(parts, "/404"), StatusCode::NOT_FOUND, FormEcho::default()).await
}
