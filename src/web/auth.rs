//! The signed-in staff member: the session cookie read on every request, the gates in front of
//! the console and the server functions, the cookies sign-in sets, the anti-forgery check of
//! staff forms, and where a request came from (for the audit trail).

use std::{net::SocketAddr, sync::Arc};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use zhengwu_core::{
    audit::RequestMeta,
    identity::{self, StaffActor},
};

use crate::ui::session::{SessionView, SESSION_COOKIE};
use crate::web::form::unavailable;
use crate::web::request::RequestId;
use crate::web::state::AppState;

/// The signed-in staff member of this request, with the session token (for sign-out).
#[derive(Clone)]
pub struct CurrentStaff(pub Arc<(String, StaffActor)>);

impl CurrentStaff {
    pub fn actor(&self) -> &StaffActor {
        &self.0 .1
    }

    pub fn token(&self) -> &str {
        &self.0 .0
    }

    pub fn view(&self) -> SessionView {
        let a = self.actor();
        SessionView {
            staff_id: a.id,
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            department: a.department_name.clone(),
            roles: a.roles.iter().map(|r| r.name.clone()).collect(),
            permissions: a.permissions.iter().map(|p| p.code().to_string()).collect(),
            must_change_password: a.must_change_password,
            needs_totp: a.needs_totp,
            has_totp: a.has_totp,
            csrf: a.csrf_token.clone(),
        }
    }
}

/// Where the request came from, for the audit trail. The address is the TCP peer's: behind a
/// proxy it is the proxy's (forwarded headers are not trusted).
pub fn request_meta(parts_headers: &HeaderMap, extensions: &axum::http::Extensions) -> RequestMeta {
    RequestMeta {
        ip: extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()),
        user_agent: parts_headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
        request_id: extensions.get::<RequestId>().map(|r| r.0.clone()),
    }
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// The browser's proof that its owner signed in here before (OWASP's device cookie): sent only
/// to the sign-in form, so a stranger's failures cannot lock this browser out.
pub const DEVICE_COOKIE: &str = "zw_device";

pub fn device_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let age = zhengwu_core::identity::DEVICE_DAYS * 24 * 3600;
    format!("{DEVICE_COOKIE}={token}; Path=/login; Max-Age={age}; HttpOnly; SameSite=Strict{secure}")
}

pub fn clear_cookie(name: &str, path: &str) -> String {
    format!("{name}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax")
}

/// Resolves the session cookie into [`CurrentStaff`]; clears a cookie whose session is gone.
/// Requests that never need to know who is signed in: the bundle, public files, probes.
/// Browsers send the session cookie with each of them; looking it up would cost several
/// queries per stylesheet and WebAssembly fetch.
pub fn needs_no_session(path: &str) -> bool {
    path.starts_with("/pkg/") || matches!(path, "/islands.js" | "/favicon.svg" | "/healthz" | "/readyz" | "/metrics")
}

pub async fn resolve_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = cookie_value(req.headers(), SESSION_COOKIE).filter(|_| !needs_no_session(req.uri().path()));
    let Some(token) = token.map(str::to_string) else {
        return next.run(req).await;
    };
    let meta = request_meta(req.headers(), req.extensions());
    let ctx = state.ctx(&meta);
    match identity::session_actor(&ctx, &state.policy, &token).await {
        Ok(Some(actor)) => {
            req.extensions_mut().insert(CurrentStaff(Arc::new((token, actor))));
            next.run(req).await
        }
        Ok(None) => {
            let mut res = next.run(req).await;
            if let Ok(v) = HeaderValue::from_str(&clear_cookie(SESSION_COOKIE, "/")) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => unavailable("session lookup", e),
    }
}

/// Server functions answer nothing to a session still waiting for its password change or its
/// second factor, as the pages do not (their own set-up pages call theirs while rendering on
/// the server, not over HTTP).
pub async fn sfn_gate(req: Request, next: Next) -> Response {
    let waiting = req.uri().path().starts_with("/sfn/")
        && req
            .extensions()
            .get::<CurrentStaff>()
            .is_some_and(|s| s.actor().must_change_password || s.actor().needs_totp);
    if waiting {
        return (StatusCode::FORBIDDEN, "先修改初始密码并绑定动态口令").into_response();
    }
    next.run(req).await
}

/// In front of `/admin` and `/account`: signed-in staff only, and nothing but the password
/// page (and sign-out) until an initial password has been changed.
pub async fn gate(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match req.extensions().get::<CurrentStaff>() {
        None => {
            let here = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/admin");
            let next_param = if req.method() == Method::GET { here } else { "/admin" };
            Redirect::to(&format!("/login?next={}", crate::ui::url::encode_path(next_param))).into_response()
        }
        Some(staff) if staff.actor().must_change_password && path != "/account/password" => {
            Redirect::to("/account/password").into_response()
        }
        Some(staff) if !staff.actor().must_change_password && staff.actor().needs_totp && path != "/account/totp" => {
            Redirect::to("/account/totp").into_response()
        }
        Some(_) => next.run(req).await,
    }
}

/// The per-session anti-forgery check for a form of a signed-in staff member.
pub fn csrf_ok(staff: &CurrentStaff, given: Option<&str>) -> bool {
    given.is_some_and(|g| zhengwu_crypto::constant_time_eq(g.as_bytes(), staff.actor().csrf_token.as_bytes()))
}

pub fn query_param(parts: &Parts, name: &str) -> Option<String> {
    parts
        .uri
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
}
