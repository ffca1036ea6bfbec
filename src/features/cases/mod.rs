//! Cases (办件): applying, the citizen's cases and the public look-up, and the staff's case list
//! and case page.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod posts;

#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::web::state::AppState> {
    posts::routes()
}
