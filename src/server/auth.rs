//! Staff sign-in over HTTP: the session cookie, the gate in front of the console, sign-in,
//! sign-out and password change as plain form posts (they work without JavaScript), the
//! anti-forgery checks, and a per-address limit on sign-in attempts.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use zhengwu_core::{
    audit::RequestMeta,
    identity::{self, IdentityError, StaffActor},
};

use super::{
    form::{over_limit, unavailable, with_cookie, Form, PreSessionForm, StaffPost},
    middleware::RequestId,
    security::is_https,
    state::AppState,
};
use crate::session::{FormEcho, SessionView, CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE};

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

fn session_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}")
}

/// The browser's proof that its owner signed in here before (OWASP's device cookie): sent only
/// to the sign-in form, so a stranger's failures cannot lock this browser out.
pub const DEVICE_COOKIE: &str = "zw_device";

fn device_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let age = zhengwu_core::identity::DEVICE_DAYS * 24 * 3600;
    format!("{DEVICE_COOKIE}={token}; Path=/login; Max-Age={age}; HttpOnly; SameSite=Strict{secure}")
}

fn clear_cookie(name: &str, path: &str) -> String {
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
            Redirect::to(&format!("/login?next={}", percent_encode(next_param))).into_response()
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

pub(super) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The per-session anti-forgery check for a form of a signed-in staff member.
pub fn csrf_ok(staff: &CurrentStaff, given: Option<&str>) -> bool {
    given.is_some_and(|g| zhengwu_crypto::constant_time_eq(g.as_bytes(), staff.actor().csrf_token.as_bytes()))
}

/// The staff sign-in form's cookie-bound token.
const LOGIN_FORM: PreSessionForm = PreSessionForm { cookie: LOGIN_COOKIE, path: "/login", label: b"login" };

/// Renders the page at the request's path again (as a GET) with `echo` in context: a form
/// with its messages and the values typed.
pub async fn render_page(state: &AppState, parts: Parts, status: StatusCode, echo: FormEcho) -> Response {
    let mut req = Request::from_parts(parts, Body::empty());
    *req.method_mut() = Method::GET;
    let site = state.site.clone();
    let options = state.leptos_options.clone();
    let app_state = state.clone();
    let handler = leptos_axum::render_app_async_with_context(
        move || {
            // What leptos_routes_with_context gives every page: the state for server functions.
            leptos::prelude::provide_context(app_state.clone());
            super::router::provide_page_context(site.clone());
            leptos::prelude::provide_context(echo.clone());
        },
        move || crate::app::shell(options.clone()),
    );
    let mut res = handler(req).await.into_response();
    *res.status_mut() = status;
    res
}

/// `GET /login` needs its anti-forgery cookie before the page renders: set here, then the page.
pub async fn login_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let (token, cookie) = LOGIN_FORM.issue(&state, &parts.headers);
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    echo.values.insert("next".into(), safe_next(query_param(&parts, "next").as_deref()));
    with_cookie(render_page(&state, parts, StatusCode::OK, echo).await, cookie)
}

pub(super) fn query_param(parts: &Parts, name: &str) -> Option<String> {
    parts
        .uri
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
}

/// A return-to path after sign-in: only paths on this site, else the console.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if super::prefs::is_local_path(n) => n.to_string(),
        _ => "/admin".to_string(),
    }
}

pub async fn login_submit(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form = match Form::read(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let (username, password) = (form.value("username"), form.value("password"));
    let next = safe_next(Some(form.value("next")));
    let Some(token) = LOGIN_FORM.check(&state, &parts.headers, form.value(CSRF_FIELD)) else {
        // An expired or forged form: show a fresh one (the GET sets the cookie again).
        return (StatusCode::FORBIDDEN, Redirect::to("/login?expired=1")).into_response();
    };
    let again = |message: &str, field: Option<&str>, status: StatusCode| {
        let mut echo = FormEcho::default();
        echo.values.insert("username".into(), username.chars().take(64).collect());
        echo.values.insert("next".into(), next.clone());
        echo.values.insert(CSRF_FIELD.into(), token.clone());
        match field {
            Some(f) => {
                echo.errors.insert(f.into(), message.into());
            }
            None => echo.notice = Some(message.into()),
        }
        (echo, status)
    };
    if over_limit(&state, &parts).await {
        let (echo, status) = again("尝试次数过多，请一分钟后再试", None, StatusCode::TOO_MANY_REQUESTS);
        return render_page(&state, parts, status, echo).await;
    }
    let mut missing = None;
    if password.is_empty() {
        missing = Some(("password", "请输入密码"));
    }
    if username.trim().is_empty() {
        missing = Some(("username", "请输入用户名"));
    }
    if let Some((field, message)) = missing {
        let (echo, status) = again(message, Some(field), StatusCode::UNPROCESSABLE_ENTITY);
        return render_page(&state, parts, status, echo).await;
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    let ctx = state.ctx(&meta);
    let attempt = identity::Attempt {
        username,
        password,
        totp: form.value("totp"),
        previous: cookie_value(&parts.headers, SESSION_COOKIE),
        device: cookie_value(&parts.headers, DEVICE_COOKIE),
    };
    match identity::sign_in(&ctx, &state.policy, &state.keys.staff, &attempt).await {
        Ok(session) => {
            // The gate sends on to the password change or the second-factor set-up if needed.
            let to = if session.must_change_password { "/account/password".to_string() } else { next };
            let mut res = Redirect::to(&to).into_response();
            let https = is_https(&parts.headers);
            for c in [session_cookie(&session.token, https), device_cookie(&session.device_cookie, https)] {
                if let Ok(v) = HeaderValue::from_str(&c) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            res
        }
        Err(IdentityError::InvalidCredentials) => {
            let (echo, status) = again(
                "用户名、密码或动态口令错误。连续 5 次错误，将暂停从本设备登录，暂停时间逐次加长（最长 30 分钟）。",
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            render_page(&state, parts, status, echo).await
        }
        Err(IdentityError::Busy) => {
            let (echo, status) = again("登录的人较多，请稍等几秒再试。", None, StatusCode::SERVICE_UNAVAILABLE);
            let mut res = render_page(&state, parts, status, echo).await;
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            res
        }
        Err(e) => unavailable("sign-in", e),
    }
}

pub async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    if let Err(e) = identity::sign_out(&state.ctx(&meta), p.staff.actor(), p.staff.token()).await {
        return unavailable("sign-out", e);
    }
    let mut res = Redirect::to("/login?signed_out=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(SESSION_COOKIE, "/")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

pub async fn change_password(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let f = &p.form;
    let result = identity::change_password(
        &state.ctx(&meta),
        &state.policy,
        p.staff.actor(),
        p.staff.token(),
        f.value("current_password"),
        f.value("new_password"),
        f.value("confirm_password"),
    )
    .await;
    match result {
        Ok(()) => Redirect::to("/admin?done=password").into_response(),
        Err(IdentityError::Invalid { field, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(field.into(), message);
            render_page(&state, p.parts, StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(IdentityError::Busy) => busy(),
        Err(e) => unavailable("password change", e),
    }
}

fn busy() -> Response {
    let mut res = (StatusCode::SERVICE_UNAVAILABLE, "系统繁忙，请稍后再试").into_response();
    res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res
}

/// Confirms a new second factor: the code from the authenticator must match the pending secret
/// the page showed; replacing one already set up needs the password and a current code.
pub async fn enroll_totp(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let f = &p.form;
    let e = identity::Enrolment {
        code: f.value("code"),
        current_password: f.value("current_password"),
        current_code: f.value("current_code"),
    };
    match identity::enroll_totp(&state.ctx(&meta), p.staff.actor(), &state.keys.staff, &e).await {
        Ok(()) => Redirect::to("/admin?done=totp").into_response(),
        Err(IdentityError::Invalid { field, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(field.into(), message);
            render_page(&state, p.parts, StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(IdentityError::Busy) => busy(),
        Err(e) => unavailable("TOTP enrolment", e),
    }
}
