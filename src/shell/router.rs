//! The HTTP routes: operational endpoints, the REST API, server functions, the portal pages,
//! static files, and the 404 page for everything else.

use std::sync::OnceLock;

use axum::{
    http::{header, HeaderValue},
    middleware::{from_fn, from_fn_with_state},
    routing::{get, post},
    Router,
};
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

use crate::{
    shell::{assets, health, middleware, security},
    web::{auth, citizen, metrics, page_cache, prefs, render::provide_page_context, state::AppState},
};

/// The console and account pages are for signed-in staff only ([`auth::gate`]).
async fn console_gate(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let p = req.uri().path();
    let console = p == "/admin" || p.starts_with("/admin/") || p == "/account" || p.starts_with("/account/");
    if console {
        auth::gate(req, next).await
    } else {
        next.run(req).await
    }
}
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

/// Paths answered by handlers of their own rather than by the page router.
const OWN_GET_HANDLERS: &[&str] = &["/login", "/my/login", "/login/reset"];

pub fn router(state: AppState) -> Router {
    let routes: Vec<AxumRouteListing> =
        page_routes().into_iter().filter(|r| !OWN_GET_HANDLERS.contains(&r.path())).collect();
    let site = state.site.clone();
    let context = move || provide_page_context(site.clone());
    let options = state.leptos_options.clone();
    let pkg_dir = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);

    // Unversioned bundle paths (the pages link the fingerprinted ones, [`assets`]): browsers
    // revalidate (cheap 304s) instead of caching blindly.
    let pkg = Router::new()
        .fallback_service(ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip())
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));

    Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::export))
        .route("/prefs", post(prefs::set))
        .route("/pkg/v/{hash}/{*file}", get(assets::versioned))
        // Every feature's form posts, downloads and REST endpoints.
        .merge(crate::features::routes())
        .nest_service(&format!("/{}", options.site_pkg_dir), pkg)
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(options.clone()))
        .fallback(file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(from_fn(console_gate))
        .layer(from_fn(auth::sfn_gate))
        .layer(from_fn_with_state(state.clone(), citizen::gate))
        .layer(from_fn_with_state(state.clone(), auth::resolve_session))
        .layer(from_fn_with_state(state.clone(), citizen::resolve))
        .layer(from_fn_with_state(state.clone(), page_cache::serve_cached))
        .layer(from_fn(assets::tidy_html))
        .layer(from_fn(security::headers))
        .layer(from_fn_with_state(state.clone(), middleware::observe))
        .layer(assets::compression())
        .with_state(state)
}
