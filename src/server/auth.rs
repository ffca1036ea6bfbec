//! Staff sign-in over HTTP: the session cookie, the gate in front of the console, sign-in,
//! sign-out and password change as plain form posts (they work without JavaScript), the
//! anti-forgery checks, and a per-address limit on sign-in attempts.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{ConnectInfo, Request, State},
    http::{header, request::Parts, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use zhengwu_core::{
    audit::RequestMeta,
    identity::{self, IdentityError, StaffActor},
};

use super::{middleware::RequestId, security::is_https, state::AppState};
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

fn clear_cookie(name: &str, path: &str) -> String {
    format!("{name}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax")
}

/// Resolves the session cookie into [`CurrentStaff`]; clears a cookie whose session is gone.
pub async fn resolve_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(token) = cookie_value(req.headers(), SESSION_COOKIE).map(str::to_string) else {
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
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
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

fn percent_encode(s: &str) -> String {
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

/// The sign-in form's token: bound to a random cookie set when the form was shown.
fn login_token(state: &AppState, cookie: &str) -> String {
    zhengwu_crypto::to_hex(&zhengwu_crypto::hmac_sm3(state.keys.csrf.as_ref(), &[b"login", cookie.as_bytes()]))
}

/// A fixed-window counter of sign-in attempts per IP address (per instance; with several
/// instances each counts its own, so the effective limit is N times higher).
pub struct LoginLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        LoginLimiter { per_minute, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt; `false` when the address is over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() > 10_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = map.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.per_minute
    }
}

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

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// `GET /login` needs its anti-forgery cookie before the page renders: set here, then the page.
pub async fn login_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let existing = cookie_value(&parts.headers, LOGIN_COOKIE).map(str::to_string);
    let cookie = existing.clone().unwrap_or_else(|| {
        let mut b = [0u8; 24];
        zhengwu_crypto::random_bytes(&mut b);
        zhengwu_crypto::to_hex(&b)
    });
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), login_token(&state, &cookie));
    echo.values.insert("next".into(), safe_next(query_param(&parts, "next").as_deref()));
    let secure = is_https(&parts.headers);
    let mut res = render_page(&state, parts, StatusCode::OK, echo).await;
    if existing.is_none() {
        let secure = if secure { "; Secure" } else { "" };
        let c = format!("{LOGIN_COOKIE}={cookie}; Path=/login; HttpOnly; SameSite=Strict{secure}");
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

fn query_param(parts: &Parts, name: &str) -> Option<String> {
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
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
    };
    let form: LoginForm = match serde_urlencoded::from_bytes(&bytes) {
        Ok(f) => f,
        Err(_) => return (StatusCode::BAD_REQUEST, "malformed form").into_response(),
    };
    let next = safe_next(Some(&form.next));
    let cookie = cookie_value(&parts.headers, LOGIN_COOKIE).map(str::to_string);
    let again = |message: &str, field: Option<&str>, status: StatusCode| {
        let mut echo = FormEcho::default();
        echo.values.insert("username".into(), form.username.chars().take(64).collect());
        echo.values.insert("next".into(), next.clone());
        if let Some(c) = &cookie {
            echo.values.insert(CSRF_FIELD.into(), login_token(&state, c));
        }
        match field {
            Some(f) => {
                echo.errors.insert(f.into(), message.into());
            }
            None => echo.notice = Some(message.into()),
        }
        (echo, status)
    };
    let token_ok = cookie
        .as_deref()
        .is_some_and(|c| zhengwu_crypto::constant_time_eq(login_token(&state, c).as_bytes(), form.csrf.as_bytes()));
    if !token_ok {
        // An expired or forged form: show a fresh one (the GET sets the cookie again).
        return (StatusCode::FORBIDDEN, Redirect::to("/login?expired=1")).into_response();
    }
    let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if ip.is_some_and(|ip| !state.login_limiter.allow(ip)) {
        let (echo, status) = again("尝试次数过多，请一分钟后再试", None, StatusCode::TOO_MANY_REQUESTS);
        return render_page(&state, parts, status, echo).await;
    }
    let mut missing = None;
    if form.password.is_empty() {
        missing = Some(("password", "请输入密码"));
    }
    if form.username.trim().is_empty() {
        missing = Some(("username", "请输入用户名"));
    }
    if let Some((field, message)) = missing {
        let (echo, status) = again(message, Some(field), StatusCode::UNPROCESSABLE_ENTITY);
        return render_page(&state, parts, status, echo).await;
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    let ctx = state.ctx(&meta);
    let previous = cookie_value(&parts.headers, SESSION_COOKIE);
    let second = identity::SecondFactor { key: &state.keys.totp, code: &form.totp };
    match identity::sign_in(&ctx, &state.policy, &form.username, &form.password, Some(second), previous).await {
        Ok(session) => {
            // The gate sends on to the password change or the second-factor set-up if needed.
            let to = if session.must_change_password { "/account/password".to_string() } else { next };
            let mut res = Redirect::to(&to).into_response();
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&session.token, is_https(&parts.headers))) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(IdentityError::InvalidCredentials) => {
            let (echo, status) = again(
                "用户名、密码或动态口令错误。连续 5 次错误将锁定账号 30 分钟。",
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
            render_page(&state, parts, status, echo).await
        }
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(staff) = parts.extensions.get::<CurrentStaff>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    let form: CsrfOnly =
        match axum::body::to_bytes(body, 4096).await.ok().and_then(|b| serde_urlencoded::from_bytes(&b).ok()) {
            Some(f) => f,
            None => return (StatusCode::BAD_REQUEST, "malformed form").into_response(),
        };
    if !csrf_ok(&staff, Some(&form.csrf)) {
        return (StatusCode::FORBIDDEN, "anti-forgery token missing or wrong").into_response();
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    let ctx = state.ctx(&meta);
    if let Err(e) = identity::sign_out(&ctx, staff.actor(), staff.token()).await {
        tracing::error!(error = %e, "sign-out failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
    }
    let mut res = Redirect::to("/login?signed_out=1").into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_cookie(SESSION_COOKIE, "/")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn change_password(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(staff) = parts.extensions.get::<CurrentStaff>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    let Some(form) = axum::body::to_bytes(body, 16 * 1024)
        .await
        .ok()
        .and_then(|b| serde_urlencoded::from_bytes::<PasswordForm>(&b).ok())
    else {
        return (StatusCode::BAD_REQUEST, "malformed form").into_response();
    };
    if !csrf_ok(&staff, Some(&form.csrf)) {
        return (StatusCode::FORBIDDEN, "anti-forgery token missing or wrong").into_response();
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    let ctx = state.ctx(&meta);
    let result = identity::change_password(
        &ctx,
        &state.policy,
        staff.actor(),
        staff.token(),
        &form.current_password,
        &form.new_password,
        &form.confirm_password,
    )
    .await;
    match result {
        Ok(()) => Redirect::to("/admin?done=password").into_response(),
        Err(IdentityError::Invalid { field, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(field.into(), message);
            render_page(&state, parts, StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(e) => {
            tracing::error!(error = %e, "password change failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// Confirms a new second factor: the code from the authenticator must match the secret shown.
pub async fn enroll_totp(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(staff) = parts.extensions.get::<CurrentStaff>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    let Some(form) =
        axum::body::to_bytes(body, 4096).await.ok().and_then(|b| serde_urlencoded::from_bytes::<TotpForm>(&b).ok())
    else {
        return (StatusCode::BAD_REQUEST, "malformed form").into_response();
    };
    if !csrf_ok(&staff, Some(&form.csrf)) {
        return (StatusCode::FORBIDDEN, "anti-forgery token missing or wrong").into_response();
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    let ctx = state.ctx(&meta);
    match identity::enroll_totp(&ctx, staff.actor(), &state.keys.totp, &form.secret, &form.code).await {
        Ok(()) => Redirect::to("/admin?done=totp").into_response(),
        Err(IdentityError::Invalid { field, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(field.into(), message);
            // The same secret again: the authenticator already holds it.
            echo.values.insert("secret".into(), form.secret.chars().take(64).collect());
            render_page(&state, parts, StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(e) => {
            tracing::error!(error = %e, "TOTP enrolment failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
}
