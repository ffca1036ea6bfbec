//! The workflow in the console: the inbox and the other task lists, supervision, the calendar,
//! the item's workflow editor, and the case page's workflow panel.

pub mod api;
pub mod pages;

pub use pages::{item::ItemWorkflowSection, panel::WorkflowSection};
#[cfg(feature = "ssr")]
pub mod posts;

#[cfg(feature = "ssr")]
pub fn routes() -> axum::Router<crate::web::state::AppState> {
    posts::routes()
}
