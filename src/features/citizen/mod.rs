//! Citizens: SMS sign-in with the image challenge, the 我的 hub, real-name registration and its
//! disputes, and the staff's view of a citizen (unmasking).

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod posts;
#[cfg(feature = "ssr")]
pub mod rights;

#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::web::state::AppState> {
    posts::routes().merge(rights::routes())
}
