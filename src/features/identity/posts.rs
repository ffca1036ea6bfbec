//! The console's form posts (plain HTML forms; they work without JavaScript) and the audit
//! CSV export. Each checks the session's anti-forgery token and calls one identity service,
//! which checks the permission and the data scope. After a success: a redirect (so reloading
//! does not repeat it) or, where a one-time secret must be shown, the page itself.

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use chrono::{NaiveDate, TimeZone};
use zhengwu_core::identity::{
    self, AccountAction, AccountOutcome, Approved, AssignOutcome, AuditFilter, DepartmentForm, IdentityError, NewStaff,
    ResetDelivered, RoleForm,
};
use zhengwu_types::ErrorCode;

use crate::error::ApiError;
use crate::ui::session::FormEcho;
use crate::web::auth::{request_meta, CurrentStaff};
use crate::web::form::{at_path, bad_request, not_found, Refused, StaffPost};
use crate::web::render::render_page;
use crate::web::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/staff", post(create_staff))
        .route("/admin/staff/{id}/action", post(account_action))
        .route("/admin/staff/{id}/roles", post(assign_roles))
        .route("/admin/audit/verify", post(verify_audit))
        .route("/admin/roles", post(save_role))
        .route("/admin/roles/{id}", post(save_role_id))
        .route("/admin/departments", post(create_department))
        .route("/admin/departments/dispatcher", post(set_dispatcher))
        .route("/admin/audit.csv", get(export_audit))
        .route("/admin/approvals/{id}", post(decide_request))
        .route("/admin/security-events/read", post(security_events_read))
}

/// The response for a service error that is not a form message.
/// A refusal shown as the page's notice (the form's fields are not the ones it is about).
#[allow(clippy::result_large_err)] // the Err is the response itself, sent at once
fn as_notice(e: IdentityError, echo: &mut FormEcho) -> Result<StatusCode, Response> {
    match Refused::from(e) {
        Refused::Form { message, status, .. } => {
            echo.notice = Some(message);
            Ok(status)
        }
        Refused::Page(r) => Err(r),
    }
}

async fn create_staff(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    let new = NewStaff {
        username: p.form.get("username").unwrap_or_default().to_string(),
        display_name: p.form.get("display_name").unwrap_or_default().to_string(),
        department_id: p.form.get("department_id").and_then(|d| d.parse().ok()),
    };
    match identity::create_staff(&ctx, p.staff.actor(), &new).await {
        Ok((id, initial)) => {
            let echo = FormEcho {
                notice: Some(format!(
                    "账号 {} 已创建。请将初始密码当面或通过安全渠道交给本人，首次登录须修改。",
                    new.username.trim()
                )),
                secret: Some(initial),
                ..FormEcho::default()
            };
            render_page(&state, at_path(p.parts, &format!("/admin/staff/{id}")), StatusCode::CREATED, echo).await
        }
        Err(e) => {
            let mut echo = FormEcho::default();
            for f in ["username", "display_name", "department_id"] {
                echo.values.insert(f.into(), p.form.get(f).unwrap_or_default().to_string());
            }
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, "/admin/staff/new"), status, echo).await,
                Err(r) => r,
            }
        }
    }
}

/// The staff page again with a notice (a result, or why nothing happened).
async fn staff_page_notice(state: &AppState, p: StaffPost, id: i64, status: StatusCode, notice: String) -> Response {
    let echo = FormEcho { notice: Some(notice), ..FormEcho::default() };
    render_page(state, at_path(p.parts, &format!("/admin/staff/{id}")), status, echo).await
}

/// What a request to a second administrator means, in words for the one who asked.
fn requested_notice(request: i64) -> String {
    format!(
        "已提交申请（编号 {request}），须由另一名管理员在“待审批”中批准后生效。申请人和审批人都不会看到任何密码或重置码。"
    )
}

async fn account_action(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let Some(action) = p.form.get("action").and_then(AccountAction::parse) else {
        return bad_request("unknown action");
    };
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    let reason = p.form.value("reason").to_string();
    match identity::act_on_account(&ctx, p.staff.actor(), id, action, &reason, &state.delivery()).await {
        Ok(AccountOutcome::Done) => {
            Redirect::to(&format!("/admin/staff/{id}?done={}", p.form.get("action").unwrap_or_default()))
                .into_response()
        }
        Ok(AccountOutcome::Requested(r)) => staff_page_notice(&state, p, id, StatusCode::OK, requested_notice(r)).await,
        Ok(AccountOutcome::ResetSent(phone)) => {
            let n = format!(
                "密码已重置，该账号的所有会话已结束。一次性重置码已通过短信发送到本人登记的手机 {phone}，本人在“忘记密码”页面设置新密码。"
            );
            staff_page_notice(&state, p, id, StatusCode::OK, n).await
        }
        Err(e) => {
            let mut echo = FormEcho::default();
            echo.values.insert("reason".into(), reason.chars().take(200).collect());
            match as_notice(e, &mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, &format!("/admin/staff/{id}")), status, echo).await,
                Err(r) => r,
            }
        }
    }
}

async fn assign_roles(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let roles: Vec<i64> = p.form.all("role").filter_map(|r| r.parse().ok()).collect();
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    match identity::assign_roles(&ctx, p.staff.actor(), id, &roles, p.form.value("reason")).await {
        Ok(AssignOutcome::Done) => Redirect::to(&format!("/admin/staff/{id}?done=roles")).into_response(),
        Ok(AssignOutcome::Requested(r)) => staff_page_notice(&state, p, id, StatusCode::OK, requested_notice(r)).await,
        Err(e) => {
            let mut echo = FormEcho::default();
            match as_notice(e, &mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, &format!("/admin/staff/{id}")), status, echo).await,
                Err(r) => r,
            }
        }
    }
}

/// A second administrator approves or refuses a request; the one who asked cancels it.
async fn decide_request(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    let actor = p.staff.actor();
    let result = match p.form.value("decision") {
        "approve" => identity::approve(&ctx, actor, id, &state.delivery()).await.map(Some),
        "refuse" => identity::close_request(&ctx, actor, id, false).await.map(|()| None),
        "cancel" => identity::close_request(&ctx, actor, id, true).await.map(|()| None),
        _ => return bad_request("unknown decision"),
    };
    let (notice, secret) = match result {
        Ok(None) => ("申请已处理。".to_string(), None),
        Ok(Some(Approved::Done(kind))) => (format!("已批准并生效：{}。", kind.name_zh()), None),
        Ok(Some(Approved::Reset(ResetDelivered::Sms { phone }))) => {
            (format!("已批准：密码已重置，一次性重置码已通过短信发送到本人登记的手机 {phone}。"), None)
        }
        Ok(Some(Approved::Reset(ResetDelivered::Operator))) => (
            "已批准：原密码和动态口令已失效。该账号未登记手机号码，请运维人员在服务器上运行 `zhengwu staff reset 用户名` 生成一次性重置码，当面交给本人。".to_string(),
            None,
        ),
        Ok(Some(Approved::Reset(ResetDelivered::Shown(code)))) => (
            "已批准：密码已重置。本人未登记手机号码，以下一次性重置码只显示这一次，请当面交给本人（24 小时内有效），本人在“忘记密码”页面设置新密码。".to_string(),
            Some(code),
        ),
        Err(e) => {
            let mut echo = FormEcho::default();
            return match as_notice(e, &mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, "/admin/approvals"), status, echo).await,
                Err(r) => r,
            };
        }
    };
    let echo = FormEcho { notice: Some(notice), secret, ..FormEcho::default() };
    render_page(&state, at_path(p.parts, "/admin/approvals"), StatusCode::OK, echo).await
}

/// The auditor has read the security events shown at sign-in.
async fn security_events_read(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(seq) = p.form.value("up_to").parse::<i64>() else {
        return bad_request("up_to");
    };
    let meta = p.meta();
    match identity::mark_security_events_seen(&state.ctx(&meta), p.staff.actor(), seq).await {
        Ok(()) => Redirect::to("/admin?done=events").into_response(),
        Err(e) => Refused::from(e).into_page(),
    }
}

async fn verify_audit(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    let notice = match identity::audit_verify(&ctx, p.staff.actor()).await {
        Ok(Ok(report)) => match report.range {
            Some((first, last)) => format!("审计链完整：共 {} 条记录（第 {first} 至 {last} 条）。", report.records),
            None => "审计链完整：尚无记录。".to_string(),
        },
        Ok(Err(tamper)) => format!("审计链不完整：{tamper}。请立即报告安全管理员。"),
        Err(e) => return Refused::from(e).into_page(),
    };
    let echo = FormEcho { notice: Some(notice), ..FormEcho::default() };
    render_page(&state, at_path(p.parts, "/admin/audit"), StatusCode::OK, echo).await
}

/// Parses the auditor's search form (dates are Shanghai calendar days, `until` inclusive).
pub fn audit_filter(
    from: Option<String>,
    until: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
) -> Result<AuditFilter, ApiError> {
    let day = |v: Option<String>, name: &str, next: bool| -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => {
                let d = NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map_err(|_| ApiError::new(ErrorCode::BadRequest, format!("invalid {name}")))?;
                let d = if next { d.succ_opt().unwrap_or(d) } else { d };
                let local = zhengwu_core::time::shanghai()
                    .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
                    .single()
                    .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, format!("invalid {name}")))?;
                Ok(Some(local.with_timezone(&chrono::Utc)))
            }
        }
    };
    let text = |v: Option<String>| v.map(|s| s.trim().chars().take(100).collect::<String>()).filter(|s| !s.is_empty());
    let (object_type, object_id) = match text(object) {
        None => (None, None),
        Some(o) => match o.split_once([' ', ':']) {
            Some((t, id)) => (Some(t.to_string()), Some(id.trim().to_string()).filter(|s| !s.is_empty())),
            None => (Some(o), None),
        },
    };
    Ok(AuditFilter {
        from: day(from, "from", false)?,
        until: day(until, "until", true)?,
        actor: text(actor),
        action: text(action),
        object_type,
        object_id,
    })
}

async fn export_audit(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let Some(staff) = parts.extensions.get::<CurrentStaff>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    let q: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let filter = match audit_filter(
        q.get("from").cloned(),
        q.get("until").cloned(),
        q.get("actor").cloned(),
        q.get("action").cloned(),
        q.get("object").cloned(),
    ) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, e.message).into_response(),
    };
    let meta = request_meta(&parts.headers, &parts.extensions);
    let ctx = state.ctx(&meta);
    match identity::audit_export(&ctx, staff.actor(), &filter).await {
        Ok(rows) => {
            let name = format!(
                "audit-{}.csv",
                chrono::Utc::now().with_timezone(&zhengwu_core::time::shanghai()).format("%Y%m%d-%H%M%S")
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
                ],
                Body::from(identity::audit_csv(&rows)),
            )
                .into_response()
        }
        Err(e) => Refused::from(e).into_page(),
    }
}

fn role_form(p: &StaffPost) -> RoleForm {
    RoleForm {
        code: p.form.get("code").unwrap_or_default().to_string(),
        name: p.form.get("name").unwrap_or_default().to_string(),
        duty: p.form.get("duty").unwrap_or_default().to_string(),
        data_scope: p.form.get("data_scope").unwrap_or_default().to_string(),
        permissions: p.form.all("permission").map(str::to_string).collect(),
        departments: p.form.all("department").filter_map(|d| d.parse().ok()).collect(),
    }
}

async fn save_role(State(state): State<AppState>, req: Request) -> Response {
    save_role_inner(state, None, req).await
}

async fn save_role_id(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    match id.parse::<i64>() {
        Ok(id) => save_role_inner(state, Some(id), req).await,
        Err(_) => not_found(),
    }
}

/// Creates (`id` none) or updates a role; the form comes back with its message on a problem.
async fn save_role_inner(state: AppState, id: Option<i64>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let form = role_form(&p);
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    let result = match id {
        None => identity::create_role(&ctx, p.staff.actor(), &form).await.map(|_| ()),
        Some(id) => identity::update_role(&ctx, p.staff.actor(), id, &form).await,
    };
    let back = match id {
        Some(id) => format!("/admin/roles/{id}"),
        None => "/admin/roles/new".to_string(),
    };
    match result {
        Ok(()) => Redirect::to("/admin/roles?done=role").into_response(),
        Err(e) => {
            let mut echo = FormEcho::default();
            for f in ["code", "name", "duty", "data_scope"] {
                echo.values.insert(f.into(), p.form.get(f).unwrap_or_default().to_string());
            }
            echo.values.insert("permission".into(), p.form.all("permission").collect::<Vec<_>>().join(","));
            echo.values.insert("department".into(), p.form.all("department").collect::<Vec<_>>().join(","));
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, &back), status, echo).await,
                Err(r) => r,
            }
        }
    }
}

async fn set_dispatcher(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(department) = p.form.get("department").and_then(|v| v.parse().ok()) else {
        return bad_request("请选择部门");
    };
    let staff = p.form.get("dispatcher").and_then(|v| v.parse().ok());
    let meta = p.meta();
    match identity::set_dispatcher(&state.ctx(&meta), p.staff.actor(), department, staff).await {
        Ok(()) => Redirect::to("/admin/departments?done=dispatcher").into_response(),
        Err(e) => {
            let mut echo = FormEcho::default();
            for f in ["department", "dispatcher"] {
                echo.values.insert(f.into(), p.form.get(f).unwrap_or_default().to_string());
            }
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, "/admin/departments"), status, echo).await,
                Err(r) => r,
            }
        }
    }
}

async fn create_department(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let form = DepartmentForm {
        code: p.form.get("code").unwrap_or_default().to_string(),
        name: p.form.get("name").unwrap_or_default().to_string(),
        name_en: p.form.get("name_en").unwrap_or_default().to_string(),
        parent_id: p.form.get("parent_id").and_then(|v| v.parse().ok()),
        level: p.form.get("level").unwrap_or_default().to_string(),
    };
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    match identity::create_department(&ctx, p.staff.actor(), &form).await {
        Ok(_) => Redirect::to("/admin/departments?done=department").into_response(),
        Err(e) => {
            let mut echo = FormEcho::default();
            for f in ["code", "name", "name_en", "parent_id", "level"] {
                echo.values.insert(f.into(), p.form.get(f).unwrap_or_default().to_string());
            }
            match Refused::from(e).in_echo(&mut echo) {
                Ok(status) => render_page(&state, at_path(p.parts, "/admin/departments"), status, echo).await,
                Err(r) => r,
            }
        }
    }
}
