//! What a server function needs from its request: the state, the signed-in staff member or
//! citizen (or a 401), the request's origin for the audit trail, and the small parsers every
//! server function uses. Server functions reach the request through Leptos's context.

use axum::http::request::Parts;
use leptos::prelude::use_context;
use zhengwu_core::audit::RequestMeta;
use zhengwu_types::{ErrorCode, PageRequest};

use crate::{
    error::ApiError,
    web::{
        auth::{request_meta, CurrentStaff},
        citizen::CurrentCitizen,
        state::{use_app_state, AppState},
    },
};

fn parts() -> Result<Parts, ApiError> {
    use_context::<Parts>().ok_or_else(|| ApiError::new(ErrorCode::Internal, "request missing"))
}

/// The state, the signed-in citizen, and the request's audit metadata.
pub fn citizen_context() -> Result<(AppState, CurrentCitizen, RequestMeta), ApiError> {
    let state = use_app_state()?;
    let parts = parts()?;
    let c = parts
        .extensions
        .get::<CurrentCitizen>()
        .cloned()
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "not signed in"))?;
    Ok((state, c, request_meta(&parts.headers, &parts.extensions)))
}

/// The state, the signed-in staff member, and the request's audit metadata.
pub fn staff_context() -> Result<(AppState, CurrentStaff, RequestMeta), ApiError> {
    let state = use_app_state()?;
    let parts = parts()?;
    let s = parts
        .extensions
        .get::<CurrentStaff>()
        .cloned()
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "not signed in"))?;
    Ok((state, s, request_meta(&parts.headers, &parts.extensions)))
}

/// The state and the request's audit metadata, for what anyone may call.
pub fn public_context() -> Result<(AppState, RequestMeta), ApiError> {
    let state = use_app_state()?;
    let parts = parts()?;
    Ok((state, request_meta(&parts.headers, &parts.extensions)))
}

pub fn page_request(page: Option<String>) -> Result<PageRequest, ApiError> {
    PageRequest::parse(page.as_deref(), None).map_err(|_| ApiError::new(ErrorCode::BadRequest, "page out of range"))
}

/// An id from the URL: one that does not parse is "not found", like one that does not exist.
pub fn id(s: &str) -> Result<i64, ApiError> {
    s.parse().map_err(|_| ApiError::new(ErrorCode::NotFound, "not found"))
}

/// A failure of the machinery: logged with the request's span; the caller gets the code only.
pub fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "server function failed");
    ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
}

/// A trimmed form value, or none when empty.
pub fn blank(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}
