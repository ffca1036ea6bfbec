//! Staff identity: sign-in, password, second factor and reset, accounts, roles and departments,
//! the two-person approvals, and the audit trail's pages.

#[cfg(feature = "ssr")]
pub mod account;
pub mod api;
pub mod pages;

pub use pages::console::ConsoleNav;
#[cfg(feature = "ssr")]
pub mod posts;
#[cfg(feature = "ssr")]
pub mod signin;

/// Sign-in and the account pages' posts, and the console's account, role and audit posts.
#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::web::state::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/login", get(signin::login_page).post(signin::login_submit))
        .route("/logout", post(signin::logout))
        .route("/account/password", post(signin::change_password))
        .route("/account/totp", post(signin::enroll_totp))
        .merge(account::routes())
        .merge(posts::routes())
}
