//! The workflow over HTTP, all plain form posts (no JavaScript needed): staff acting on their
//! task, supervisors' actions, the applicant withdrawing, administrators correcting the
//! calendar, and publishing an item's workflow. A refused post shows the same page again with
//! the message next to the field and the input kept.

use axum::{
    extract::{Path, Request, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Router,
};
use zhengwu_core::{
    calendar::{self, DayType},
    workflow::{self, Act, Supervise, WorkflowError},
};
use zhengwu_types::workflow::{PanelAction, SuperviseKind};

use crate::ui::session::FormEcho;
use crate::web::form::{at_path, bad_request, forbidden, not_found, CitizenPost, Refused, StaffPost};
use crate::web::render::render_page;
use crate::web::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tasks/{id}/act", post(act))
        .route("/admin/cases/{id}/supervise", post(supervise))
        .route("/my/cases/{id}/withdraw", post(withdraw))
        .route("/admin/calendar", post(set_day))
        .route("/admin/services/{code}/workflow", post(publish))
        .route("/admin/services/{code}/workflow/steps", post(publish_steps))
}

/// The page at `path` again, with `message` at `field` (of the form `form`) and the values kept.
async fn again(
    state: &AppState,
    parts: axum::http::request::Parts,
    path: &str,
    form: &str,
    field: &str,
    message: String,
    values: Vec<(&str, String)>,
) -> Response {
    let mut echo = FormEcho::default();
    echo.errors.insert(field.into(), message);
    echo.values.insert("_form".into(), form.into());
    for (k, v) in values {
        echo.values.insert(k.into(), v.chars().take(600).collect());
    }
    render_page(state, at_path(parts, path), StatusCode::UNPROCESSABLE_ENTITY, echo).await
}

fn opt_id(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

async fn act(State(state): State<AppState>, Path(task): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (Ok(task), Some(case_id)) = (task.parse::<i64>(), opt_id(p.form.value("case_id"))) else { return not_found() };
    let f = &p.form;
    let opinion = {
        let typed = f.value("opinion").trim();
        if typed.is_empty() {
            f.value("phrase").trim().to_string()
        } else {
            typed.to_string()
        }
    };
    let Some(kind) = PanelAction::parse(f.value("action")) else {
        return bad_request("未知操作");
    };
    let action = match kind {
        PanelAction::Approve => Act::Approve { opinion: opinion.clone(), choose: opt_id(f.value("choose")) },
        PanelAction::Reject => Act::Reject { reason: f.value("reason").to_string() },
        PanelAction::Return => Act::Return { to: f.value("to_step").to_string(), opinion: opinion.clone() },
        PanelAction::Supplement => Act::Supplement {
            message: f.value("message").to_string(),
            fields: f.all("field").map(str::to_string).collect(),
        },
        PanelAction::Transfer | PanelAction::Delegate | PanelAction::Copy => {
            let Some(to) = opt_id(f.value("to")) else {
                let path = format!("/admin/cases/{case_id}");
                return again(
                    &state,
                    p.parts,
                    &path,
                    kind.form(),
                    "to",
                    "请选择人员".into(),
                    vec![("opinion", opinion)],
                )
                .await;
            };
            match kind {
                PanelAction::Transfer => Act::Transfer { to, opinion: opinion.clone() },
                PanelAction::Delegate => Act::Delegate { to, opinion: opinion.clone() },
                _ => Act::Copy { to, note: opinion.clone() },
            }
        }
        PanelAction::TakeBack => Act::TakeBack,
        PanelAction::Suspend => Act::Suspend { note: f.value("note").to_string() },
        PanelAction::Resume => Act::Resume,
        PanelAction::RequestExtension => match f.value("days").trim().parse::<u32>() {
            Ok(days) => Act::RequestExtension { days, reason: f.value("reason").to_string() },
            Err(_) => {
                let path = format!("/admin/cases/{case_id}");
                let values = vec![("days", f.value("days").to_string()), ("reason", f.value("reason").to_string())];
                return again(&state, p.parts, &path, kind.form(), "days", "请填写延期天数（1–60）".into(), values)
                    .await;
            }
        },
    };
    let meta = p.meta();
    let path = format!("/admin/cases/{case_id}");
    // Which form the message belongs to on the page.
    let form = kind.form();
    let values = vec![
        ("opinion", f.value("opinion").to_string()),
        ("reason", f.value("reason").to_string()),
        ("message", f.value("message").to_string()),
        ("note", f.value("note").to_string()),
        ("days", f.value("days").to_string()),
    ];
    match workflow::act(&state.ctx(&meta), p.staff.actor(), task, action, state.clock).await {
        Ok(_) => Redirect::to(&format!("/admin/cases/{case_id}?done={kind}")).into_response(),
        Err(e) => match Refused::from(e) {
            Refused::Form { field: Some(field), message, .. } => {
                again(&state, p.parts, &path, form, field, message, values).await
            }
            // About the task, not a field (somebody acted first): at the top of the panel.
            Refused::Form { field: None, message, .. } => {
                again(&state, p.parts, &path, "task", "_task", message, vec![]).await
            }
            Refused::Page(r) => r,
        },
    }
}

async fn supervise(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(case_id) = id.parse::<i64>() else { return not_found() };
    let f = &p.form;
    let Some(kind) = SuperviseKind::parse(f.value("kind")) else {
        return bad_request("未知操作");
    };
    let path = format!("/admin/cases/{case_id}");
    let what = match kind {
        SuperviseKind::Terminate => Supervise::Terminate { reason: f.value("reason").to_string() },
        SuperviseKind::Extend => {
            let Ok(days) = f.value("days").trim().parse::<u32>() else {
                let values = vec![("days", f.value("days").to_string()), ("reason", f.value("reason").to_string())];
                return again(&state, p.parts, &path, kind.code(), "days", "请填写延期天数（1–60）".into(), values)
                    .await;
            };
            Supervise::Extend { days, reason: f.value("reason").to_string() }
        }
        SuperviseKind::Remind => Supervise::Remind { message: f.value("message").to_string() },
        SuperviseKind::Note => Supervise::Note { message: f.value("message").to_string() },
        SuperviseKind::DecideExtension => match opt_id(f.value("request")) {
            Some(request) => Supervise::DecideExtension {
                request,
                approve: f.value("decision") == "approve",
                note: f.value("note").to_string(),
            },
            None => return not_found(),
        },
        SuperviseKind::Assign => match opt_id(f.value("to")) {
            Some(to) => Supervise::Assign { to },
            None => return again(&state, p.parts, &path, kind.code(), "to", "请选择人员".into(), vec![]).await,
        },
    };
    let values = vec![
        ("days", f.value("days").to_string()),
        ("reason", f.value("reason").to_string()),
        ("message", f.value("message").to_string()),
        ("note", f.value("note").to_string()),
    ];
    let meta = p.meta();
    let back = match f.value("back") {
        "supervision" => "/admin/supervision".to_string(),
        _ => path.clone(),
    };
    match workflow::supervise(&state.ctx(&meta), p.staff.actor(), case_id, what, state.clock).await {
        Ok(()) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{back}{sep}done={kind}")).into_response()
        }
        Err(e) => match Refused::from(e) {
            Refused::Form { field, message, .. } => {
                again(&state, p.parts, &path, kind.code(), field.unwrap_or("_form"), message, values).await
            }
            Refused::Page(r) => r,
        },
    }
}

async fn withdraw(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(case_id) = id.parse::<i64>() else { return not_found() };
    let meta = p.meta();
    match workflow::withdraw(&state.ctx(&meta), &p.citizen.0 .1, case_id).await {
        Ok(()) => Redirect::to(&format!("/my/cases/{case_id}?done=withdrawn")).into_response(),
        Err(e) => match Refused::from(e) {
            Refused::Form { message, .. } => {
                let path = format!("/my/cases/{case_id}");
                again(&state, p.parts, &path, "withdraw", "withdraw", message, vec![]).await
            }
            Refused::Page(r) => r,
        },
    }
}

async fn set_day(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = &p.form;
    let values = vec![("day", f.value("day").to_string()), ("name", f.value("name").to_string())];
    let Ok(day) = f.value("day").trim().parse::<chrono::NaiveDate>() else {
        return again(&state, p.parts, "/admin/calendar", "day", "day", "请按 年-月-日 填写日期".into(), values).await;
    };
    let kind = match f.value("kind") {
        "holiday" => Some(DayType::Holiday),
        "workday" => Some(DayType::Workday),
        "clear" => None,
        _ => return again(&state, p.parts, "/admin/calendar", "day", "kind", "请选择类型".into(), values).await,
    };
    let meta = p.meta();
    match calendar::set_day(&state.ctx(&meta), p.staff.actor(), day, kind, f.value("name")).await {
        Ok(()) => {
            use chrono::Datelike;
            Redirect::to(&format!("/admin/calendar?year={}&done=day", day.year())).into_response()
        }
        Err(e) => match Refused::from(e) {
            Refused::Form { field, message, .. } => {
                let path = format!("/admin/calendar?year={}", chrono::Datelike::year(&day));
                again(&state, p.parts, &path, "day", field.unwrap_or("name"), message, values).await
            }
            Refused::Page(r) => r,
        },
    }
}

async fn publish(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    // Permission before anything is read from the post.
    if !p.staff.actor().can(zhengwu_core::identity::Permission::ServiceManage) {
        return forbidden();
    }
    let path = format!("/admin/services/{code}");
    let text = p.form.value("definition").to_string();
    let def = match serde_json::from_str::<zhengwu_types::workflow::WorkflowDef>(&text) {
        Ok(d) => d,
        Err(e) => {
            let m = format!("流程定义不是有效的 JSON 或缺少字段：{e}");
            return again_long(&state, p.parts, &path, m, text).await;
        }
    };
    let meta = p.meta();
    match workflow::publish(&state.ctx(&meta), p.staff.actor(), &code, &def).await {
        Ok(v) => Redirect::to(&format!("{path}?done=workflow&v={v}")).into_response(),
        Err(WorkflowError::BadDefinition(problems)) => {
            let m = problems
                .iter()
                .map(|p| match p.step {
                    Some(i) => format!("第 {} 个环节：{}", i + 1, p.message),
                    None => p.message.clone(),
                })
                .collect::<Vec<_>>()
                .join("；");
            again_long(&state, p.parts, &path, m, text).await
        }
        Err(e) => match Refused::from(e) {
            Refused::Form { message, .. } => again_long(&state, p.parts, &path, message, text).await,
            Refused::Page(r) => r,
        },
    }
}

/// The definition text is kept whole (up to 64 KB), not cut like short fields.
async fn again_long(
    state: &AppState,
    parts: axum::http::request::Parts,
    path: &str,
    message: String,
    text: String,
) -> Response {
    let mut echo = FormEcho::default();
    echo.errors.insert("definition".into(), message);
    echo.values.insert("_form".into(), "workflow".into());
    echo.values.insert("definition".into(), text.chars().take(64 * 1024).collect());
    render_page(state, at_path(parts, path), StatusCode::UNPROCESSABLE_ENTITY, echo).await
}

/// The structured editor's rows as a definition: rows in their order, deleted and blank rows
/// left out. Values that cannot be read become problems, the rest is kept as typed.
fn steps_from_rows(f: &crate::web::form::Form) -> (zhengwu_types::workflow::WorkflowDef, Vec<String>) {
    use zhengwu_types::workflow::{AssigneeRule, StepAction, StepDef, StepMode, WorkflowDef};
    let mut problems = vec![];
    let mut rows: Vec<(f64, usize, StepDef)> = vec![];
    for (n, i) in f.all("row").enumerate() {
        let v = |k: &str| f.value(&format!("{k}_{i}")).trim().to_string();
        if f.get(&format!("delete_{i}")).is_some() || (v("key").is_empty() && v("name").is_empty()) {
            continue;
        }
        let role = v("role");
        let assignee = match v("rule").as_str() {
            "role" => AssigneeRule::Role { role, department: v("department") },
            "user" => AssigneeRule::User { username: v("user") },
            "chosen" => AssigneeRule::Chosen { role },
            _ => AssigneeRule::CaseDepartment { role },
        };
        let limit_days = match v("limit") {
            s if s.is_empty() => None,
            s => match s.parse::<u32>() {
                Ok(d) => Some(d),
                Err(_) => {
                    problems.push(format!("环节“{}”：时限请填写工作日天数", v("name")));
                    None
                }
            },
        };
        let next = Some(v("next")).filter(|s| !s.is_empty());
        let order = v("order").parse::<f64>().unwrap_or(1000.0 + n as f64);
        rows.push((
            order,
            n,
            StepDef {
                key: v("key"),
                name: v("name"),
                assignee,
                mode: StepMode::parse(&v("mode")).unwrap_or_default(),
                actions: f.all(&format!("action_{i}")).filter_map(StepAction::parse).collect(),
                limit_days,
                next,
            },
        ));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    (WorkflowDef { steps: rows.into_iter().map(|r| r.2).collect() }, problems)
}

async fn publish_steps(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    if !p.staff.actor().can(zhengwu_core::identity::Permission::ServiceManage) {
        return forbidden();
    }
    let path = format!("/admin/services/{code}");
    let (def, mut problems) = steps_from_rows(&p.form);
    if problems.is_empty() {
        let meta = p.meta();
        match workflow::publish(&state.ctx(&meta), p.staff.actor(), &code, &def).await {
            Ok(v) => return Redirect::to(&format!("{path}?done=workflow&v={v}")).into_response(),
            Err(WorkflowError::BadDefinition(found)) => {
                problems = found
                    .iter()
                    .map(|x| match x.step {
                        Some(i) => format!("第 {} 个环节：{}", i + 1, x.message),
                        None => x.message.clone(),
                    })
                    .collect()
            }
            Err(e) => match Refused::from(e) {
                Refused::Form { message, .. } => problems.push(message),
                Refused::Page(r) => return r,
            },
        }
    }
    // Back with the problems above the rows and the rows as typed.
    let mut echo = FormEcho::default();
    echo.errors.insert("steps".into(), problems.join("；"));
    echo.values.insert("_form".into(), "steps".into());
    echo.values.insert("steps_json".into(), serde_json::to_string(&def).unwrap_or_default());
    render_page(&state, at_path(p.parts, &path), StatusCode::UNPROCESSABLE_ENTITY, echo).await
}
