//! Published content: the home page, the notice, policy and update channels, their attachments,
//! and the `/api/v1` notices.

pub mod api;
pub mod article_row;
#[cfg(feature = "ssr")]
pub mod files;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod rest;

/// The attachments' downloads and the REST API's notices.
#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::web::state::AppState> {
    axum::Router::new().merge(files::routes()).nest("/api/v1", rest::router())
}
