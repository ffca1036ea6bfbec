//! The HTTP routes: operational endpoints, the REST API, server functions, the portal pages,
//! static files, and the 404 page for everything else.

use std::sync::OnceLock;

use axum::{
    http::{header, HeaderValue},
    middleware::from_fn_with_state,
    routing::{get, post},
    Router,
};
use leptos::prelude::*;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use super::{health, metrics, middleware, page_cache, prefs, rest, state::AppState};
use crate::app::{shell, App};

/// The portal's page routes, generated once per process.
///
/// Why once: generating them renders the app with resource loading suppressed through a
/// *process-global* flag in leptos_server, and a resource first polled by another server's
/// request while that flag is set waits forever (leptos-rs/leptos#4773). A process runs one
/// server, but the tests run many at once; generating the list only before the first server
/// exists makes the overlap impossible (and each later start cheaper).
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let site = state.site.clone();
    let context = move || provide_context(site.clone());
    let options = state.leptos_options.clone();
    let pkg_dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);

    // The bundle's file names carry no hash, so browsers revalidate (cheap 304s) instead of caching blindly.
    let pkg = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));

    Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::export))
        .route("/prefs", post(prefs::set))
        .nest("/api/v1", rest::router())
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(from_fn_with_state(state.clone(), page_cache::serve_cached))
        .layer(from_fn_with_state(state.clone(), middleware::observe))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .with_state(state)
}
