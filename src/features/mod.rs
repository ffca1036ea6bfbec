//! One folder per domain. A feature imports `web`, `ui`, `error` and the core crate — never the
//! shell, and never another feature's internals (what it shares is `pub` in its `mod.rs`).

pub mod cases;
pub mod catalogue;
pub mod citizen;
pub mod content;
pub mod identity;
pub mod workflow;

/// Every feature's HTTP routes (form posts, downloads, REST), for the shell's router. A new
/// feature adds its line here.
#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::web::state::AppState> {
    axum::Router::new()
        .merge(identity::routes())
        .merge(citizen::routes())
        .merge(content::routes())
        .merge(catalogue::routes())
        .merge(cases::routes())
        .merge(workflow::routes())
}
