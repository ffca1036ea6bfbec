//! Rendering pages from handlers: a page again (as a GET) with a form's messages and values —
//! every form post that fails renders its page this way — and the styled "not found" page, with
//! the context every page render gets.

use axum::{
    body::Body,
    extract::Request,
    http::{request::Parts, Method, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::prelude::{provide_context, use_context};

use crate::{
    ui::{prefs::SiteInfo, session::FormEcho},
    web::{auth::CurrentStaff, citizen::CurrentCitizen, form::at_path, request::CspNonce, state::AppState},
};

/// Context every page render gets: the site's name, the CSP nonce of this response (so the
/// inline scripts Leptos writes carry it), and the signed-in staff member or citizen, if any.
pub fn provide_page_context(site: SiteInfo) {
    provide_context(site);
    if let Some(parts) = use_context::<Parts>() {
        if let Some(n) = parts.extensions.get::<CspNonce>() {
            provide_context(leptos::nonce::Nonce::from_value(n.0.clone()));
        }
        provide_context(parts.extensions.get::<CurrentStaff>().map(|s| s.view()));
        provide_context(parts.extensions.get::<CurrentCitizen>().map(|c| c.view()));
    }
}

/// Renders the page at the request's path again (as a GET) with `echo` in context: a form
/// with its messages and the values typed.
pub async fn render_page(state: &AppState, parts: Parts, status: StatusCode, echo: FormEcho) -> Response {
    let mut req = Request::from_parts(parts, Body::empty());
    *req.method_mut() = Method::GET;
    let site = state.site.clone();
    let options = state.leptos_options.clone();
    let render = state.render;
    let app_state = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            // What leptos_routes_with_context gives every page: the state for server functions.
            provide_context(app_state.clone());
            provide_page_context(site.clone());
            provide_context(echo.clone());
        },
        move || render(options.clone()),
    );
    let mut res = handler(req).await.into_response();
    *res.status_mut() = status;
    res
}

/// The portal's 404 page (the router's fallback page), with status 404.
pub async fn not_found(state: &AppState, parts: Parts) -> Response {
    render_page(state, at_path(parts, "/404"), StatusCode::NOT_FOUND, FormEcho::default()).await
}

/// A refused citizen request without a form to come back to: "not found" as the portal's
/// styled 404 page, anything else as [`Refused`] says.
pub async fn refusal<E: zhengwu_types::Failure>(state: &AppState, parts: Parts, e: E) -> Response {
    match e.code() {
        zhengwu_types::ErrorCode::NotFound => not_found(state, parts).await,
        _ => crate::web::errors::Refused::from(e).into_page(),
    }
}
