//! Citizens over HTTP: sign-in with a mobile number and an SMS code (two plain form steps, no
//! JavaScript needed; each post answers with a redirect, so Back and reload never re-post), the
//! image challenge an address meets after a few codes, the personal page with real-name
//! registration (returning to the form the citizen came from) and its dispute, and the staff
//! side: a citizen's page with audited unmasking, and the disputes to verify.

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, request::Parts, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use chrono::{DateTime, Utc};
use zhengwu_core::citizen::{self, challenge, CitizenError, Field, UnmaskReason};

use crate::ui::session::{FormEcho, CITIZEN_COOKIE, CSRF_FIELD};
use crate::web::auth::{cookie_value, request_meta};
use crate::web::citizen::CurrentCitizen;
use zhengwu_types::{ErrorCode, Failure};

use crate::web::form::{
    at_path, bad_request, over_limit, unavailable, with_cookie, CitizenPost, Form, PreSessionForm, Refused, StaffPost,
};
use crate::web::limits::peer;
use crate::web::render::render_page;
use crate::web::request::is_https;
use crate::web::state::AppState;

const CODE_FORM_COOKIE: &str = "zw_mylogin";
/// The number a code was sent to, sealed, between the two sign-in steps (10 minutes).
const CODE_PHONE_COOKIE: &str = "zw_mylogin_phone";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my/login", get(login_page).post(send_code))
        .route("/my/login/verify", post(verify_code))
        .route("/my/login/challenge/{file}", get(challenge_file))
        .route("/my/logout", post(logout))
        .route("/my/real-name", post(real_name))
        .route("/my/real-name/dispute", post(dispute))
        .route("/admin/citizens/{id}/unmask", post(unmask))
        .route("/admin/disputes/{id}", post(decide_dispute))
}

pub(super) use crate::ui::url::safe_next;

/// The sign-in steps' cookie-bound token.
const CODE_FORM: PreSessionForm = PreSessionForm { cookie: CODE_FORM_COOKIE, path: "/my/login", label: b"my-login" };

fn phone_cookie_aad() -> &'static [u8] {
    b"cookie.mylogin_phone"
}

/// The sealed (number, sent at) cookie of the code step.
fn phone_cookie(state: &AppState, phone: &str, sent: DateTime<Utc>, secure: bool) -> Option<HeaderValue> {
    let payload = format!("{phone}|{}", sent.timestamp());
    let sealed = zhengwu_crypto::sm4gcm::seal(&state.keys.challenge, payload.as_bytes(), phone_cookie_aad());
    let secure = if secure { "; Secure" } else { "" };
    let c = format!(
        "{CODE_PHONE_COOKIE}={}; Path=/my/login; Max-Age=600; HttpOnly; SameSite=Strict{secure}",
        zhengwu_crypto::to_hex(&sealed)
    );
    HeaderValue::from_str(&c).ok()
}

fn read_phone_cookie(state: &AppState, parts: &Parts) -> Option<(String, DateTime<Utc>)> {
    let raw = zhengwu_crypto::from_hex(cookie_value(&parts.headers, CODE_PHONE_COOKIE)?)?;
    let clear = zhengwu_crypto::sm4gcm::open(&state.keys.challenge, &raw, phone_cookie_aad()).ok()?;
    let text = String::from_utf8(clear.to_vec()).ok()?;
    let (phone, at) = text.split_once('|')?;
    Some((phone.to_string(), DateTime::from_timestamp(at.parse().ok()?, 0)?))
}

fn clear_phone_cookie() -> HeaderValue {
    HeaderValue::from_static("zw_mylogin_phone=; Path=/my/login; Max-Age=0; HttpOnly; SameSite=Strict")
}

fn requester(parts: &Parts) -> String {
    peer(parts).map(|ip| ip.to_string()).unwrap_or_else(|| "-".into())
}

/// Seconds until another code may be sent to a number whose last one went out at `sent`.
fn wait_seconds(sent: DateTime<Utc>) -> i64 {
    (sent + citizen::CODE_INTERVAL - Utc::now()).num_seconds().clamp(0, citizen::CODE_INTERVAL.num_seconds())
}

/// The phone step (with the image challenge when this address needs one), or the code step
/// when a code was sent to this browser in the last ten minutes.
async fn login_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    if parts.extensions.get::<CurrentCitizen>().is_some() {
        // Signed in already (e.g. Back after signing in): on to where they were going.
        return Redirect::to(&safe_next(crate::web::auth::query_param(&parts, "next").as_deref())).into_response();
    }
    let (token, cookie) = CODE_FORM.issue(&state, &parts.headers);
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    echo.values.insert("next".into(), safe_next(crate::web::auth::query_param(&parts, "next").as_deref()));
    let code_step = crate::web::auth::query_param(&parts, "step").as_deref() == Some("code");
    match read_phone_cookie(&state, &parts).filter(|_| code_step) {
        Some((phone, sent)) => {
            echo.values.insert("step".into(), "code".into());
            echo.values.insert("phone".into(), phone);
            echo.values.insert("wait".into(), wait_seconds(sent).to_string());
            if let Some(n) = crate::web::auth::query_param(&parts, "notice").as_deref().and_then(code_notice) {
                echo.notice = Some(n.into());
            }
        }
        None => {
            echo.values.insert("step".into(), "phone".into());
            let fresh = crate::web::auth::query_param(&parts, "challenge").as_deref() == Some("new");
            if let Err(r) = add_challenge(&state, &parts, &mut echo, fresh).await {
                return r;
            }
        }
    }
    with_cookie(render_page(&state, parts, StatusCode::OK, echo).await, cookie)
}

fn code_notice(key: &str) -> Option<&'static str> {
    Some(match key {
        "sent" => "验证码已发送，5 分钟内有效。",
        "wait" => "验证码已发送过，仍然有效；请查看短信，稍后可重新获取。",
        _ => return None,
    })
}

/// The image challenge on the phone step when this address needs one: its live one, or with
/// `fresh` (换一张) a new one in its place.
async fn add_challenge(state: &AppState, parts: &Parts, echo: &mut FormEcho, fresh: bool) -> Result<(), Response> {
    let meta = request_meta(&parts.headers, &parts.extensions);
    let needed = citizen::challenge_required(&state.ctx(&meta), &requester(parts), state.sms_challenge_after).await;
    match needed {
        Ok(false) => Ok(()),
        Ok(true) => {
            match challenge::create(&state.db, &state.keys.challenge, &requester(parts), fresh, Utc::now()).await {
                Ok(id) => {
                    echo.values.insert("challenge_id".into(), id);
                    Ok(())
                }
                Err(e) => Err(unavailable("an image challenge", e)),
            }
        }
        Err(e) => Err(unavailable("an image challenge", e)),
    }
}

/// `/my/login/challenge/{id}.png` (the picture) or `{id}.wav` (the spoken digits).
async fn challenge_file(State(state): State<AppState>, Path(file): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let (id, kind) = match file.rsplit_once('.') {
        Some((id, "png")) => (id, "image/png"),
        Some((id, "wav")) => (id, "audio/wav"),
        _ => return (StatusCode::NOT_FOUND, "不存在").into_response(),
    };
    let answer = match challenge::answer(&state.db, &state.keys.challenge, id, &requester(&parts), Utc::now()).await {
        Ok(Some(a)) => a,
        Ok(None) => return (StatusCode::NOT_FOUND, "验证码已过期，请刷新页面").into_response(),
        Err(e) => return unavailable("an image challenge", e),
    };
    let body = if kind == "image/png" { challenge::png(&answer) } else { challenge::wav(&answer) };
    let mut res = Response::new(Body::from(body));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A posted sign-in step: its form and token checked, within the per-address limit.
async fn login_step(state: &AppState, req: Request) -> Result<(Parts, Form, String), Response> {
    let (parts, body) = req.into_parts();
    let form = Form::read(body).await?;
    let Some(token) = CODE_FORM.check(state, &parts.headers, form.value(CSRF_FIELD)) else {
        return Err((StatusCode::FORBIDDEN, Redirect::to("/my/login")).into_response());
    };
    if over_limit(state, &parts).await {
        return Err((StatusCode::TOO_MANY_REQUESTS, "尝试次数过多，请一分钟后再试").into_response());
    }
    Ok((parts, form, token))
}

/// The code step's address with where to go afterwards.
fn code_step(next: &str, notice: &str) -> String {
    format!("/my/login?step=code&notice={notice}&next={}", crate::ui::url::encode_path(next))
}

/// Step 1 posted: check the challenge (when one is needed), send the code, then on to step 2.
async fn send_code(State(state): State<AppState>, req: Request) -> Response {
    let (parts, f, token) = match login_step(&state, req).await {
        Ok(step) => step,
        Err(r) => return r,
    };
    // A resend from the code step carries no number: it is the one in the step's cookie.
    let phone = match f.value("phone") {
        "" => read_phone_cookie(&state, &parts).map(|(p, _)| p).unwrap_or_default(),
        p => p.to_string(),
    };
    let next = safe_next(f.get("next"));
    let mut echo = FormEcho::default();
    echo.values.insert(CSRF_FIELD.into(), token);
    echo.values.insert("next".into(), next.clone());
    // Shown back in the canonical form once it is valid (the masked display relies on it).
    let canonical = zhengwu_types::personal::validate_mobile(&phone);
    echo.values.insert("phone".into(), canonical.clone().unwrap_or_else(|| phone.chars().take(20).collect()));
    echo.values.insert("step".into(), "phone".into());
    let Some(sms) = state.sms.as_ref() else {
        echo.notice = Some("短信服务尚未配置，暂时无法登录。请联系网站管理员。".into());
        return render_page(&state, at_path(parts, "/my/login"), StatusCode::SERVICE_UNAVAILABLE, echo).await;
    };
    let solved = match f.get("challenge_id").filter(|c| !c.is_empty()) {
        Some(id) => {
            let who = requester(&parts);
            match challenge::check(&state.db, &state.keys.challenge, id, f.value("challenge_answer"), &who, Utc::now())
                .await
            {
                Ok(ok) => ok,
                Err(e) => return unavailable("an image challenge", e),
            }
        }
        None => false,
    };
    let meta = request_meta(&parts.headers, &parts.extensions);
    let who = requester(&parts);
    let r = citizen::CodeRequest {
        phone: &phone,
        requester: &who,
        challenge_solved: solved,
        challenge_after: state.sms_challenge_after,
    };
    let secure = is_https(&parts.headers);
    match citizen::request_code(&state.ctx(&meta), &state.personal, sms, &r).await {
        Ok(()) => {
            let mut res = Redirect::to(&code_step(&next, "sent")).into_response();
            if let Some(c) = canonical.and_then(|p| phone_cookie(&state, &p, Utc::now(), secure)) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        // A code went out less than a minute ago and is still valid: back to typing it.
        Err(CitizenError::TooSoon(wait)) => {
            let sent = Utc::now() - (citizen::CODE_INTERVAL - chrono::Duration::seconds(wait));
            let mut res = Redirect::to(&code_step(&next, "wait")).into_response();
            if let Some(c) = canonical.and_then(|p| phone_cookie(&state, &p, sent, secure)) {
                res.headers_mut().append(header::SET_COOKIE, c);
            }
            res
        }
        Err(e) => {
            // The challenge was shown and answered: the answer was wrong.
            let wrong_answer = matches!(e, CitizenError::ChallengeNeeded) && f.get("challenge_id").is_some();
            let status = match Refused::from(e) {
                Refused::Form { field: Some(field), message, status } => {
                    let message =
                        if wrong_answer { "图形验证码不正确，请重新输入".into() } else { message };
                    echo.errors.insert(field.into(), message);
                    status
                }
                Refused::Form { field: None, message, status } => {
                    echo.notice = Some(message);
                    status
                }
                Refused::Page(r) => return r,
            };
            if let Err(r) = add_challenge(&state, &parts, &mut echo, false).await {
                return r;
            }
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
    // The number comes from the step's sealed cookie (older forms post it too).
    let from_cookie = read_phone_cookie(&state, &parts);
    let phone = from_cookie.as_ref().map(|(p, _)| p.clone()).unwrap_or_else(|| f.value("phone").to_string());
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
            res.headers_mut().append(header::SET_COOKIE, clear_phone_cookie());
            res
        }
        Err(e) => {
            let gone = matches!(e, CitizenError::CodeGone);
            let (message, status) = match Refused::from(e) {
                Refused::Form { message, status, .. } => (message, status),
                Refused::Page(r) => return r,
            };
            let mut echo = FormEcho::default();
            echo.values.insert(CSRF_FIELD.into(), token);
            echo.values.insert("next".into(), safe_next(f.get("next")));
            echo.values.insert("phone".into(), phone.chars().take(20).collect());
            echo.values.insert("step".into(), "code".into());
            let wait = from_cookie.map(|(_, sent)| wait_seconds(sent)).unwrap_or(0);
            echo.values.insert("wait".into(), wait.to_string());
            if gone {
                echo.values.insert("gone".into(), "1".into());
            }
            echo.errors.insert("code".into(), message);
            render_page(&state, at_path(parts, "/my/login"), status, echo).await
        }
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

/// The real-name form again, with the values typed and where to return afterwards.
async fn real_name_again(state: &AppState, p: CitizenPost, status: StatusCode, mut echo: FormEcho) -> Response {
    for k in ["real_name", "id_number", "sensitive_consent"] {
        echo.values.insert(k.into(), p.form.value(k).chars().take(40).collect());
    }
    echo.values.insert("next".into(), safe_next(p.form.get("next")));
    render_page(state, at_path(p.parts, "/my/real-name"), status, echo).await
}

async fn real_name(State(state): State<AppState>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let f = &p.form;
    // The user agreement and privacy policy first (a form opened before a new version).
    match citizen::pending_consents(&state.db, p.citizen.0 .1.id, &zhengwu_types::consent::PolicyKind::AT_SIGN_IN).await
    {
        Ok(pending) if !pending.is_empty() => return Redirect::to("/my/consent?next=/my/real-name").into_response(),
        Ok(_) => {}
        Err(e) => return Refused::from(e).into_page(),
    }
    // The separate consent to the identity number: without it nothing is stored.
    if f.value("sensitive_consent") != "1" {
        let mut echo = FormEcho::default();
        echo.errors.insert("sensitive_consent".into(), "请阅读并同意处理您的姓名和居民身份证号码".into());
        return real_name_again(&state, p, StatusCode::UNPROCESSABLE_ENTITY, echo).await;
    }
    let sensitive = match citizen::current_policy(&state.db, zhengwu_types::consent::PolicyKind::Sensitive).await {
        Ok(policy) => policy,
        Err(e) => return Refused::from(e).into_page(),
    };
    let result = citizen::set_real_name(
        &state.ctx(&meta),
        &state.personal,
        &p.citizen.0 .1,
        f.value("real_name"),
        f.value("id_number"),
    )
    .await;
    // Recorded once the registration succeeded (a refused number leaves no consent record).
    let result = match result {
        Ok(()) => {
            citizen::accept_policies(&state.ctx(&meta), &p.citizen.0 .1, &[(sensitive.kind, sensitive.version)]).await
        }
        Err(e) => Err(e),
    };
    let mut echo = FormEcho::default();
    match result {
        Ok(()) => {
            // Back to where the citizen came from (the application form keeps its draft).
            let next = safe_next(f.get("next"));
            let to = if next == "/my" { "/my?done=real_name".to_string() } else { next };
            Redirect::to(&to).into_response()
        }
        Err(e) => {
            if matches!(e, CitizenError::IdTaken) {
                // The page then offers the dispute.
                echo.values.insert("taken".into(), "1".into());
            }
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => real_name_again(&state, p, status, echo).await,
                Err(r) => r,
            }
        }
    }
}

async fn dispute(State(state): State<AppState>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let f = &p.form;
    let result = citizen::dispute_real_name(
        &state.ctx(&meta),
        &state.personal,
        &p.citizen.0 .1,
        f.value("real_name"),
        f.value("id_number"),
    )
    .await;
    let mut echo = FormEcho::default();
    match result {
        Ok(id) => {
            echo.notice = Some(format!(
                "申诉已提交（编号 {id}）。请携带本人居民身份证到政务服务中心窗口，工作人员核实后会把实名信息转到您的账号。"
            ));
            return real_name_again(&state, p, StatusCode::OK, echo).await;
        }
        Err(e) => match Refused::from(e).in_echo(&mut echo) {
            Ok(status) => real_name_again(&state, p, status, echo).await,
            Err(r) => r,
        },
    }
}

/// Staff: one field of a citizen in full, for a reason from the list with words of their own;
/// audited before it is shown.
async fn unmask(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return crate::web::render::not_found(&state, p.parts).await };
    let which = match p.form.value("field") {
        "phone" => Field::Phone,
        "real_name" => Field::RealName,
        "id_number" => Field::IdNumber,
        _ => return bad_request("unknown field"),
    };
    let meta = p.meta();
    let path = format!("/admin/citizens/{id}");
    let reason = UnmaskReason::parse(p.form.value("reason_code"));
    let explanation = p.form.value("reason").to_string();
    let (parts, staff) = (p.parts, p.staff);
    let result =
        citizen::unmask(&state.ctx(&meta), &state.personal, staff.actor(), id, which, reason, &explanation).await;
    let mut echo = FormEcho::default();
    echo.values.insert("reason".into(), explanation.chars().take(200).collect());
    echo.values.insert("reason_code".into(), reason.map(|r| r.code()).unwrap_or_default().into());
    match result {
        Ok(clear) => {
            echo.notice = Some("以下为完整信息，本次查看已记录在审计日志中。请勿截屏或外传。".into());
            echo.secret = Some(clear);
            echo.secret_label = Some("完整信息：".into());
            render_page(&state, at_path(parts, &path), StatusCode::OK, echo).await
        }
        Err(e) if e.code() == ErrorCode::NotFound => crate::web::render::not_found(&state, parts).await,
        Err(e) => match Refused::from(e).in_echo(&mut echo) {
            Ok(status) => render_page(&state, at_path(parts, &path), status, echo).await,
            Err(r) => r,
        },
    }
}

/// Window staff decide a real-name dispute after checking the identity card.
async fn decide_dispute(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return crate::web::render::not_found(&state, p.parts).await };
    let uphold = p.form.value("decision") == "uphold";
    let meta = p.meta();
    match citizen::decide_dispute(&state.ctx(&meta), &state.personal, p.staff.actor(), id, uphold, p.form.value("note"))
        .await
    {
        Ok(()) => Redirect::to("/admin/disputes?done=1").into_response(),
        Err(e) => {
            let mut echo = FormEcho::default();
            echo.values.insert("dispute".into(), id.to_string());
            echo.values.insert("_form".into(), format!("dispute-{id}"));
            echo.values.insert("note".into(), p.form.value("note").chars().take(200).collect());
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, "/admin/disputes"), status, echo).await,
                Err(r) => r,
            }
        }
    }
}
