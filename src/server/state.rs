use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use zhengwu_core::Db;
use zhengwu_types::ErrorCode;

use crate::{
    api::ApiError,
    prefs::SiteInfo,
    server::{metrics::Metrics, page_cache::PageCache},
};

/// Everything a handler or server function needs; handed through axum state and Leptos
/// context, never through globals, so each test can run its own app with its own database.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub metrics: Arc<Metrics>,
    pub page_cache: Arc<PageCache>,
    pub site: SiteInfo,
}

/// The state inside a server function.
pub fn use_app_state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| ApiError::new(ErrorCode::Internal, "server state missing"))
}
