//! Staff sign-in over HTTP: sign-in, sign-out, the initial password change and the second
//! factor's set-up as plain form posts (they work without JavaScript), with the sign-in form's
//! cookie-bound token and the per-address limit on attempts.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use zhengwu_core::identity::{self, IdentityError};

use crate::{
    ui::session::{FormEcho, CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE},
    web::{
        auth::{clear_cookie, cookie_value, device_cookie, query_param, request_meta, session_cookie, DEVICE_COOKIE},
        form::{over_limit, unavailable, with_cookie, Form, PreSessionForm, Refused, StaffPost},
        render::render_page,
        request::is_https,
        state::AppState,
    },
};

/// The staff sign-in form's cookie-bound token.
const LOGIN_FORM: PreSessionForm = PreSessionForm { cookie: LOGIN_COOKIE, path: "/login", label: b"login" };

/// `GET /login` needs its anti-forgery cookie before the page renders: set here, then the page.
pub async fn login_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let (token, cookie) = LOGIN_FORM.issue(&state, &parts.headers);
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    echo.values.insert("next".into(), safe_next(query_param(&parts, "next").as_deref()));
    with_cookie(render_page(&state, parts, StatusCode::OK, echo).await, cookie)
}

/// A return-to path after sign-in: only paths on this site, else the console.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if crate::web::prefs::is_local_path(n) => n.to_string(),
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
        Err(e) => Refused::from(e).into_page(),
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
        Err(e) => {
            let mut echo = FormEcho::default();
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, p.parts, status, echo).await,
                Err(r) => r,
            }
        }
    }
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
        Err(e) => {
            let mut echo = FormEcho::default();
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, p.parts, status, echo).await,
                Err(r) => r,
            }
        }
    }
}
