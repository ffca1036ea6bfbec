//! Citizens over HTTP: sign-in with a mobile number and an SMS code (two plain form steps,
//! no JavaScript needed), the personal page with real-name registration, and the staff view
//! of a citizen with audited unmasking.

use std::sync::Arc;

use axum::{
    extract::{Path, Request, State},
    http::{header, request::Parts, HeaderValue, StatusCode, Uri},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Router,
};
use zhengwu_core::citizen::{self, CitizenActor, CitizenError, Field};

use super::{
    auth::{cookie_value, render_page, request_meta, CurrentStaff},
    security::is_https,
    state::AppState,
};
use crate::session::{CitizenView, FormEcho, CITIZEN_COOKIE, CSRF_FIELD};

const CODE_FORM_COOKIE: &str = "zw_mylogin";

/// The signed-in citizen of this request, with the session token.
#[derive(Clone)]
pub struct CurrentCitizen(pub Arc<(String, CitizenActor)>);

impl CurrentCitizen {
    pub fn view(&self) -> CitizenView {
        CitizenView { citizen_id: self.0 .1.id, verified: self.0 .1.verified, csrf: self.0 .1.csrf_token.clone() }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my/login", axum::routing::get(login_page).post(send_code))
        .route("/my/login/verify", post(verify_code))
        .route("/my/logout", post(logout))
        .route("/my/real-name", post(real_name))
        .route("/admin/citizens/{id}/unmask", post(unmask))
}

pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(token) = cookie_value(req.headers(), CITIZEN_COOKIE).map(str::to_string) else {
        return next.run(req).await;
    };
    let meta = request_meta(req.headers(), req.extensions());
    let ctx = state.ctx(&meta);
    match citizen::session_actor(&ctx, state.policy.idle_timeout, &token).await {
        Ok(Some(actor)) => {
            req.extensions_mut().insert(CurrentCitizen(Arc::new((token, actor))));
            next.run(req).await
        }
        Ok(None) => {
            let mut res = next.run(req).await;
            let clear = format!("{CITIZEN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
            if let Ok(v) = HeaderValue::from_str(&clear) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "citizen session lookup failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
}

/// `/my/...` (but not the sign-in steps) is for signed-in citizens.
pub async fn gate(req: Request, next: Next) -> Response {
    let p = req.uri().path();
    let mine = (p == "/my" || p.starts_with("/my/")) && !p.starts_with("/my/login");
    if mine && req.extensions().get::<CurrentCitizen>().is_none() {
        return Redirect::to("/my/login").into_response();
    }
    next.run(req).await
}

fn form_token(state: &AppState, cookie: &str) -> String {
    zhengwu_crypto::to_hex(&zhengwu_crypto::hmac_sm3(state.keys.csrf.as_ref(), &[b"my-login", cookie.as_bytes()]))
}

fn fresh_cookie() -> String {
    let mut b = [0u8; 24];
    zhengwu_crypto::random_bytes(&mut b);
    zhengwu_crypto::to_hex(&b)
}

fn with_path(mut parts: Parts, path: &str) -> Parts {
    if let Ok(uri) = path.parse::<Uri>() {
        parts.uri = uri;
    }
    parts
}

async fn fields(body: axum::body::Body) -> Option<Vec<(String, String)>> {
    let bytes = axum::body::to_bytes(body, 16 * 1024).await.ok()?;
    Some(url::form_urlencoded::parse(&bytes).into_owned().collect())
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> &'a str {
    f.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

/// Step 1: the phone form, with its cookie-bound anti-forgery token.
async fn login_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let existing = cookie_value(&parts.headers, CODE_FORM_COOKIE).map(str::to_string);
    let cookie = existing.clone().unwrap_or_else(fresh_cookie);
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), form_token(&state, &cookie));
    echo.values.insert("step".into(), "phone".into());
    let secure = is_https(&parts.headers);
    let mut res = render_page(&state, parts, StatusCode::OK, echo).await;
    if existing.is_none() {
        let secure = if secure { "; Secure" } else { "" };
        let c = format!("{CODE_FORM_COOKIE}={cookie}; Path=/my/login; HttpOnly; SameSite=Strict{secure}");
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// The same per-address limit as staff sign-in, for sending and checking codes.
fn over_limit(state: &AppState, parts: &Parts) -> bool {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| !state.login_limiter.allow(c.0.ip()))
}

fn token_ok(state: &AppState, parts: &Parts, given: &str) -> Option<String> {
    let cookie = cookie_value(&parts.headers, CODE_FORM_COOKIE)?;
    let expected = form_token(state, cookie);
    zhengwu_crypto::constant_time_eq(expected.as_bytes(), given.as_bytes()).then_some(expected)
}

/// Step 1 posted: send the code, then show step 2 (or step 1 again with the message).
async fn send_code(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(f) = fields(body).await else { return (StatusCode::BAD_REQUEST, "malformed form").into_response() };
    let Some(token) = token_ok(&state, &parts, field(&f, CSRF_FIELD)) else {
        return (StatusCode::FORBIDDEN, Redirect::to("/my/login")).into_response();
    };
    if over_limit(&state, &parts) {
        return (StatusCode::TOO_MANY_REQUESTS, "尝试次数过多，请一分钟后再试").into_response();
    }
    let phone = field(&f, "phone").to_string();
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    // Shown back in the canonical form once it is valid (the masked display relies on it).
    let shown = zhengwu_types::personal::validate_mobile(&phone).unwrap_or_else(|| phone.chars().take(20).collect());
    echo.values.insert("phone".into(), shown);
    let Some(sms) = state.sms.as_ref() else {
        echo.values.insert("step".into(), "phone".into());
        echo.notice = Some("短信服务尚未配置，暂时无法登录。请联系网站管理员。".into());
        return render_page(&state, with_path(parts, "/my/login"), StatusCode::SERVICE_UNAVAILABLE, echo).await;
    };
    let meta = request_meta(&parts.headers, &parts.extensions);
    match citizen::request_code(&state.ctx(&meta), &state.personal, sms, &phone).await {
        Ok(()) => {
            echo.values.insert("step".into(), "code".into());
            echo.notice = Some("验证码已发送，5 分钟内有效。".into());
            render_page(&state, with_path(parts, "/my/login"), StatusCode::OK, echo).await
        }
        Err(e) => {
            let status = match &e {
                CitizenError::Invalid { field, message } => {
                    echo.errors.insert((*field).into(), message.clone());
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                CitizenError::TooSoon(_) | CitizenError::DailyLimit => {
                    echo.notice = Some(e.to_string());
                    StatusCode::TOO_MANY_REQUESTS
                }
                CitizenError::Sms(_) => {
                    tracing::warn!(error = %e, "SMS sending failed");
                    echo.notice = Some(e.to_string());
                    StatusCode::SERVICE_UNAVAILABLE
                }
                _ => {
                    tracing::error!(error = %e, "sending a code failed");
                    return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
                }
            };
            echo.values.insert("step".into(), "phone".into());
            render_page(&state, with_path(parts, "/my/login"), status, echo).await
        }
    }
}

/// Step 2 posted: check the code, start the session.
async fn verify_code(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(f) = fields(body).await else { return (StatusCode::BAD_REQUEST, "malformed form").into_response() };
    let Some(token) = token_ok(&state, &parts, field(&f, CSRF_FIELD)) else {
        return (StatusCode::FORBIDDEN, Redirect::to("/my/login")).into_response();
    };
    if over_limit(&state, &parts) {
        return (StatusCode::TOO_MANY_REQUESTS, "尝试次数过多，请一分钟后再试").into_response();
    }
    let phone = field(&f, "phone").to_string();
    let meta = request_meta(&parts.headers, &parts.extensions);
    let previous = cookie_value(&parts.headers, CITIZEN_COOKIE);
    match citizen::sign_in(&state.ctx(&meta), &state.personal, &phone, field(&f, "code"), previous).await {
        Ok(session) => {
            let mut res = Redirect::to("/my").into_response();
            let secure = if is_https(&parts.headers) { "; Secure" } else { "" };
            let c = format!("{CITIZEN_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}", session.token);
            if let Ok(v) = HeaderValue::from_str(&c) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e @ (CitizenError::BadCode | CitizenError::Invalid { .. })) => {
            let mut echo = FormEcho::default();
            echo.values.insert(CSRF_FIELD.into(), token);
            echo.values.insert("phone".into(), phone.chars().take(20).collect());
            echo.values.insert("step".into(), "code".into());
            echo.errors.insert("code".into(), e.to_string());
            render_page(&state, with_path(parts, "/my/login"), StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(e) => {
            tracing::error!(error = %e, "citizen sign-in failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
}

fn citizen_csrf_ok(c: &CurrentCitizen, f: &[(String, String)]) -> bool {
    zhengwu_crypto::constant_time_eq(field(f, CSRF_FIELD).as_bytes(), c.0 .1.csrf_token.as_bytes())
}

async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(c) = parts.extensions.get::<CurrentCitizen>().cloned() else {
        return Redirect::to("/my/login").into_response();
    };
    let Some(f) = fields(body).await else { return (StatusCode::BAD_REQUEST, "malformed form").into_response() };
    if !citizen_csrf_ok(&c, &f) {
        return (StatusCode::FORBIDDEN, "anti-forgery token missing or wrong").into_response();
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    if let Err(e) = citizen::sign_out(&state.ctx(&meta), &c.0 .1, &c.0 .0).await {
        tracing::error!(error = %e, "citizen sign-out failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response();
    }
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{CITIZEN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn real_name(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(c) = parts.extensions.get::<CurrentCitizen>().cloned() else {
        return Redirect::to("/my/login").into_response();
    };
    let Some(f) = fields(body).await else { return (StatusCode::BAD_REQUEST, "malformed form").into_response() };
    if !citizen_csrf_ok(&c, &f) {
        return (StatusCode::FORBIDDEN, "anti-forgery token missing or wrong").into_response();
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    match citizen::set_real_name(
        &state.ctx(&meta),
        &state.personal,
        &c.0 .1,
        field(&f, "real_name"),
        field(&f, "id_number"),
    )
    .await
    {
        Ok(()) => Redirect::to("/my?done=real_name").into_response(),
        Err(CitizenError::Invalid { field: name, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(name.into(), message);
            for k in ["real_name", "id_number"] {
                echo.values.insert(k.into(), field(&f, k).chars().take(40).collect());
            }
            render_page(&state, with_path(parts, "/my"), StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(e) => {
            tracing::error!(error = %e, "real-name registration failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
}

/// Staff: one field of a citizen in full, with a reason; audited before it is shown.
async fn unmask(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(staff) = parts.extensions.get::<CurrentStaff>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    let Some(f) = fields(body).await else { return (StatusCode::BAD_REQUEST, "malformed form").into_response() };
    if !super::auth::csrf_ok(&staff, Some(field(&f, CSRF_FIELD))) {
        return (StatusCode::FORBIDDEN, "anti-forgery token missing or wrong").into_response();
    }
    let Ok(id) = id.parse::<i64>() else { return (StatusCode::NOT_FOUND, "不存在").into_response() };
    let which = match field(&f, "field") {
        "phone" => Field::Phone,
        "real_name" => Field::RealName,
        "id_number" => Field::IdNumber,
        _ => return (StatusCode::BAD_REQUEST, "unknown field").into_response(),
    };
    let meta = request_meta(&parts.headers, &parts.extensions);
    let path = format!("/admin/citizens/{id}");
    match citizen::unmask(&state.ctx(&meta), &state.personal, staff.actor(), id, which, field(&f, "reason")).await {
        Ok(clear) => {
            let echo = FormEcho {
                notice: Some("以下为完整信息，本次查看已记录在审计日志中。请勿截屏或外传。".into()),
                secret: Some(clear),
                ..FormEcho::default()
            };
            render_page(&state, with_path(parts, &path), StatusCode::OK, echo).await
        }
        Err(CitizenError::Invalid { field: name, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(name.into(), message);
            render_page(&state, with_path(parts, &path), StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(CitizenError::Forbidden) => (StatusCode::FORBIDDEN, "没有权限").into_response(),
        Err(CitizenError::NotFound) => (StatusCode::NOT_FOUND, "不存在").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "unmasking failed");
            (StatusCode::SERVICE_UNAVAILABLE, "service unavailable").into_response()
        }
    }
}
