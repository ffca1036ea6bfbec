//! A staff member's own account, as plain form posts: finishing a reset with the one-time code
//! (before signing in, at `/login/reset`) and registering the phone that reset codes go to
//! (`/account/phone`, password and a code sent to it).

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use zhengwu_core::identity::{self};

use crate::ui::session::{FormEcho, CSRF_FIELD, LOGIN_COOKIE};
use crate::web::auth::request_meta;
use crate::web::form::{at_path, over_limit, with_cookie, Form, PreSessionForm, Refused, StaffPost};
use crate::web::render::render_page;
use crate::web::state::AppState;

/// The reset form shares the sign-in form's cookie (its path `/login` covers `/login/reset`).
const RESET_FORM: PreSessionForm = PreSessionForm { cookie: LOGIN_COOKIE, path: "/login", label: b"login-reset" };

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login/reset", get(reset_page).post(reset_submit))
        .route("/login/reset/resend", post(reset_resend))
        .route("/account/phone", post(phone_start))
        .route("/account/phone/confirm", post(phone_confirm))
}

async fn reset_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let (token, cookie) = RESET_FORM.issue(&state, &parts.headers);
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    with_cookie(render_page(&state, parts, StatusCode::OK, echo).await, cookie)
}

/// The form again with a message; what was typed is kept (never the passwords or the code).
async fn reset_again(
    state: &AppState,
    parts: axum::http::request::Parts,
    token: String,
    username: &str,
    field: Option<&str>,
    message: String,
    status: StatusCode,
) -> Response {
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    echo.values.insert("username".into(), username.chars().take(64).collect());
    match field {
        Some(f) => {
            echo.errors.insert(f.into(), message);
        }
        None => echo.notice = Some(message),
    }
    render_page(state, at_path(parts, "/login/reset"), status, echo).await
}

async fn reset_submit(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form = match Form::read(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(token) = RESET_FORM.check(&state, &parts.headers, form.value(CSRF_FIELD)) else {
        return (StatusCode::FORBIDDEN, Redirect::to("/login/reset")).into_response();
    };
    let username = form.value("username").to_string();
    if over_limit(&state, &parts).await {
        let m = "尝试次数过多，请一分钟后再试".to_string();
        return reset_again(&state, parts, token, &username, None, m, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    let result = identity::complete_reset(
        &state.ctx(&meta),
        &state.policy,
        &state.keys.staff,
        &username,
        form.value("code"),
        form.value("new_password"),
        form.value("confirm_password"),
    )
    .await;
    match result {
        Ok(()) => Redirect::to("/login?reset=1").into_response(),
        Err(e) => match Refused::from(e) {
            Refused::Form { field, message, status } => {
                reset_again(&state, parts, token, &username, field, message, status).await
            }
            Refused::Page(r) => r,
        },
    }
}

/// A fresh code to the registered phone of an account being reset. The answer is the same
/// whatever the user name: it tells nobody which accounts exist or are being reset.
async fn reset_resend(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form = match Form::read(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(token) = RESET_FORM.check(&state, &parts.headers, form.value(CSRF_FIELD)) else {
        return (StatusCode::FORBIDDEN, Redirect::to("/login/reset")).into_response();
    };
    let username = form.value("username").to_string();
    if over_limit(&state, &parts).await {
        let m = "尝试次数过多，请一分钟后再试".to_string();
        return reset_again(&state, parts, token, &username, None, m, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    if let Err(e) = identity::resend_reset_code(&state.ctx(&meta), &state.delivery(), &username).await {
        tracing::warn!(error = %e, "resending a reset code failed");
    }
    let m = "如果该账号正在重置且登记了手机号码，新的重置码已发送到该手机（每分钟最多一次）。".to_string();
    reset_again(&state, parts, token, &username, None, m, StatusCode::OK).await
}

async fn phone_start(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let phone = p.form.value("phone").to_string();
    let mut echo = FormEcho::default();
    echo.values.insert("phone".into(), phone.chars().take(20).collect());
    let result = identity::start_phone(
        &state.ctx(&meta),
        p.staff.actor(),
        &state.delivery(),
        &phone,
        p.form.value("current_password"),
    )
    .await;
    let status = match result {
        Ok(masked) => {
            echo.values.insert("step".into(), "code".into());
            echo.notice = Some(format!("验证码已发送至 {masked}，10 分钟内有效。"));
            StatusCode::OK
        }
        Err(e) => match Refused::from(e).in_echo(&mut echo) {
            Ok(status) => status,
            Err(r) => return r,
        },
    };
    render_page(&state, at_path(p.parts, "/account/phone"), status, echo).await
}

async fn phone_confirm(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    match identity::confirm_phone(&state.ctx(&meta), p.staff.actor(), &state.keys.staff, p.form.value("code")).await {
        Ok(()) => Redirect::to("/account/phone?done=1").into_response(),
        Err(e) => {
            let mut echo = FormEcho::default();
            echo.values.insert("step".into(), "code".into());
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, "/account/phone"), status, echo).await,
                Err(r) => r,
            }
        }
    }
}
