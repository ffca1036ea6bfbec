//! Citizens over HTTP: sign-in with a mobile number and an SMS code (two plain form steps,
//! no JavaScript needed), the personal page with real-name registration, and the staff view
//! of a citizen with audited unmasking.

use std::sync::Arc;

use axum::{
    extract::{Path, Request, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Router,
};
use zhengwu_core::citizen::{self, CitizenActor, CitizenError, Field};

use super::{
    auth::{cookie_value, render_page, request_meta},
    form::{at_path, over_limit, unavailable, with_cookie, CitizenPost, Form, PreSessionForm, StaffPost},
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
    let token =
        cookie_value(req.headers(), CITIZEN_COOKIE).filter(|_| !super::auth::needs_no_session(req.uri().path()));
    let Some(token) = token.map(str::to_string) else {
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
        Err(e) => unavailable("citizen session lookup", e),
    }
}

/// `/my/...` (but not the sign-in steps) is for signed-in citizens.
pub async fn gate(req: Request, next: Next) -> Response {
    let p = req.uri().path();
    let mine = (p == "/my" || p.starts_with("/my/")) && !p.starts_with("/my/login");
    if mine && req.extensions().get::<CurrentCitizen>().is_none() {
        // Back to the page after signing in (a GET only: a form post cannot be replayed).
        let here = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/my");
        let next = if req.method() == axum::http::Method::GET { here } else { "/my" };
        return Redirect::to(&format!("/my/login?next={}", super::auth::percent_encode(next))).into_response();
    }
    next.run(req).await
}

/// Where to go after signing in: a path on this site under /my or /services, else /my.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if super::prefs::is_local_path(n) && (n.starts_with("/my") || n.starts_with("/services")) => {
            n.to_string()
        }
        _ => "/my".to_string(),
    }
}

/// The sign-in steps' cookie-bound token.
const CODE_FORM: PreSessionForm = PreSessionForm { cookie: CODE_FORM_COOKIE, path: "/my/login", label: b"my-login" };

/// Step 1: the phone form, with its cookie-bound anti-forgery token.
async fn login_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let (token, cookie) = CODE_FORM.issue(&state, &parts.headers);
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    echo.values.insert("step".into(), "phone".into());
    echo.values.insert("next".into(), safe_next(super::auth::query_param(&parts, "next").as_deref()));
    with_cookie(render_page(&state, parts, StatusCode::OK, echo).await, cookie)
}

/// A posted sign-in step: its form and token checked, within the per-address limit.
async fn login_step(state: &AppState, req: Request) -> Result<(Parts, Form, String), Response> {
    let (parts, body) = req.into_parts();
    let form = Form::read(body).await?;
    let Some(token) = CODE_FORM.check(state, &parts.headers, form.value(CSRF_FIELD)) else {
        return Err((StatusCode::FORBIDDEN, Redirect::to("/my/login")).into_response());
    };
    if over_limit(state, &parts) {
        return Err((StatusCode::TOO_MANY_REQUESTS, "尝试次数过多，请一分钟后再试").into_response());
    }
    Ok((parts, form, token))
}

/// Step 1 posted: send the code, then show step 2 (or step 1 again with the message).
async fn send_code(State(state): State<AppState>, req: Request) -> Response {
    let (parts, f, token) = match login_step(&state, req).await {
        Ok(step) => step,
        Err(r) => return r,
    };
    let phone = f.value("phone").to_string();
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    echo.values.insert("next".into(), safe_next(f.get("next")));
    // Shown back in the canonical form once it is valid (the masked display relies on it).
    let shown = zhengwu_types::personal::validate_mobile(&phone).unwrap_or_else(|| phone.chars().take(20).collect());
    echo.values.insert("phone".into(), shown);
    let Some(sms) = state.sms.as_ref() else {
        echo.values.insert("step".into(), "phone".into());
        echo.notice = Some("短信服务尚未配置，暂时无法登录。请联系网站管理员。".into());
        return render_page(&state, at_path(parts, "/my/login"), StatusCode::SERVICE_UNAVAILABLE, echo).await;
    };
    let meta = request_meta(&parts.headers, &parts.extensions);
    match citizen::request_code(&state.ctx(&meta), &state.personal, sms, &phone).await {
        Ok(()) => {
            echo.values.insert("step".into(), "code".into());
            echo.notice = Some("验证码已发送，5 分钟内有效。".into());
            render_page(&state, at_path(parts, "/my/login"), StatusCode::OK, echo).await
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
                _ => return unavailable("sending a code", e),
            };
            echo.values.insert("step".into(), "phone".into());
            render_page(&state, at_path(parts, "/my/login"), status, echo).await
        }
    }
}

/// Step 2 posted: check the code, start the session.
async fn verify_code(State(state): State<AppState>, req: Request) -> Response {
    let (parts, f, token) = match login_step(&state, req).await {
        Ok(step) => step,
        Err(r) => return r,
    };
    let phone = f.value("phone").to_string();
    let meta = request_meta(&parts.headers, &parts.extensions);
    let previous = cookie_value(&parts.headers, CITIZEN_COOKIE);
    match citizen::sign_in(&state.ctx(&meta), &state.personal, &phone, f.value("code"), previous).await {
        Ok(session) => {
            let mut res = Redirect::to(&safe_next(f.get("next"))).into_response();
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
            echo.values.insert("next".into(), safe_next(f.get("next")));
            echo.values.insert("phone".into(), phone.chars().take(20).collect());
            echo.values.insert("step".into(), "code".into());
            echo.errors.insert("code".into(), e.to_string());
            render_page(&state, at_path(parts, "/my/login"), StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(e) => unavailable("citizen sign-in", e),
    }
}

async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    if let Err(e) = citizen::sign_out(&state.ctx(&meta), &p.citizen.0 .1, &p.citizen.0 .0).await {
        return unavailable("citizen sign-out", e);
    }
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("{CITIZEN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

async fn real_name(State(state): State<AppState>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let f = &p.form;
    match citizen::set_real_name(
        &state.ctx(&meta),
        &state.personal,
        &p.citizen.0 .1,
        f.value("real_name"),
        f.value("id_number"),
    )
    .await
    {
        Ok(()) => Redirect::to("/my?done=real_name").into_response(),
        Err(CitizenError::Invalid { field: name, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(name.into(), message);
            for k in ["real_name", "id_number"] {
                echo.values.insert(k.into(), f.value(k).chars().take(40).collect());
            }
            render_page(&state, at_path(p.parts, "/my"), StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(e) => unavailable("real-name registration", e),
    }
}

/// Staff: one field of a citizen in full, with a reason; audited before it is shown.
async fn unmask(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return (StatusCode::NOT_FOUND, "不存在").into_response() };
    let which = match p.form.value("field") {
        "phone" => Field::Phone,
        "real_name" => Field::RealName,
        "id_number" => Field::IdNumber,
        _ => return (StatusCode::BAD_REQUEST, "unknown field").into_response(),
    };
    let meta = p.meta();
    let path = format!("/admin/citizens/{id}");
    let (parts, staff) = (p.parts, p.staff);
    match citizen::unmask(&state.ctx(&meta), &state.personal, staff.actor(), id, which, p.form.value("reason")).await {
        Ok(clear) => {
            let echo = FormEcho {
                notice: Some("以下为完整信息，本次查看已记录在审计日志中。请勿截屏或外传。".into()),
                secret: Some(clear),
                ..FormEcho::default()
            };
            render_page(&state, at_path(parts, &path), StatusCode::OK, echo).await
        }
        Err(CitizenError::Invalid { field: name, message }) => {
            let mut echo = FormEcho::default();
            echo.errors.insert(name.into(), message);
            render_page(&state, at_path(parts, &path), StatusCode::UNPROCESSABLE_ENTITY, echo).await
        }
        Err(CitizenError::Forbidden) => (StatusCode::FORBIDDEN, "没有权限").into_response(),
        Err(CitizenError::NotFound) => (StatusCode::NOT_FOUND, "不存在").into_response(),
        Err(e) => unavailable("unmasking", e),
    }
}
