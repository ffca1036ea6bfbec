//! What every handler and server function stands on (server only): the state, the signed-in
//! person and the request's origin, reading forms, rate limits, rendering a page again with its
//! form, metrics and the page cache. It imports nothing above it (no feature, no shell, no app).

pub mod auth;
pub mod citizen;
pub mod download;
pub mod errors;
pub mod form;
pub mod limits;
pub mod metrics;
pub mod page_cache;
pub mod prefs;
pub mod render;
pub mod request;
pub mod sfn;
pub mod state;
