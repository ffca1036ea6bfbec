//! Server functions of the workflow: the inbox and done list, a case's workflow panel, the
//! supervision view, the working-day calendar and an item's workflow definition. Each checks
//! the signed-in staff member and calls one core function, which checks permission and scope.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use zhengwu_types::workflow::{Inbox, TaskRow, Warning, WorkflowPanel};

use crate::error::ApiError;

/// A row of the supervision view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisedRow {
    pub case_id: i64,
    pub tracking_no: String,
    pub service_name: String,
    pub department: String,
    pub step_name: Option<String>,
    pub assignees: String,
    pub due_date: Option<String>,
    pub days_left: Option<i64>,
    pub warning: Warning,
    pub reminders: i32,
}

/// A case copied to me (抄送).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopiedCase {
    pub case_id: i64,
    pub tracking_no: String,
    pub service_name: String,
    pub by: String,
    pub at: String,
    pub note: String,
    pub read: bool,
}

/// An open alert: (case id, tracking number, message, when).
pub type AlertRow = (i64, String, String, String);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisionView {
    pub rows: Vec<SupervisedRow>,
    pub alerts: Vec<AlertRow>,
    /// Extension requests waiting: (request id, case id, tracking number, days, reason, by, when).
    pub extensions: Vec<(i64, i64, String, i32, String, String, String)>,
}

/// One year of the working-day calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarView {
    pub year: i32,
    pub notice: Option<String>,
    /// (date, weekday, kind name, name)
    pub days: Vec<(String, String, String, String)>,
    pub years: Vec<i32>,
    pub warning: Option<String>,
    pub can_edit: bool,
}

/// An item's workflow for the editor: its current version (pretty JSON) and the steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowEditor {
    pub code: String,
    pub name: String,
    pub version: Option<i32>,
    pub json: String,
    /// (name, rule, mode, actions, limit)
    pub steps: Vec<(String, String, String, String, String)>,
    /// The definition itself, for the structured editor.
    pub def: zhengwu_types::workflow::WorkflowDef,
    /// Business roles and departments: (code, name).
    pub roles: Vec<(String, String)>,
    pub departments: Vec<(String, String)>,
}

/// My open tasks: filter by service code and warning, sort by time left (default) or received.
#[server(prefix = "/sfn", endpoint = "admin/inbox")]
pub async fn staff_inbox(
    service: Option<String>,
    warning: Option<String>,
    sort: Option<String>,
) -> Result<Inbox, ApiError> {
    use crate::web::sfn::{blank, staff_context};
    let (state, s, meta) = staff_context()?;
    let filter = zhengwu_core::workflow::InboxFilter {
        service: blank(service),
        warning: blank(warning).and_then(|w| Warning::parse(&w)),
        by_received: sort.as_deref() == Some("received"),
    };
    Ok(zhengwu_core::workflow::inbox(&state.ctx(&meta), s.actor(), &filter, state.clock).await?)
}

#[server(prefix = "/sfn", endpoint = "admin/done")]
pub async fn done_tasks() -> Result<Vec<TaskRow>, ApiError> {
    let (state, s, meta) = crate::web::sfn::staff_context()?;
    Ok(zhengwu_core::workflow::done(&state.ctx(&meta), s.actor(), state.clock).await?)
}

#[server(prefix = "/sfn", endpoint = "admin/copied")]
pub async fn copied_cases() -> Result<Vec<CopiedCase>, ApiError> {
    let (state, s, meta) = crate::web::sfn::staff_context()?;
    let rows = zhengwu_core::workflow::copied(&state.ctx(&meta), s.actor()).await?;
    Ok(rows
        .into_iter()
        .map(|r| CopiedCase {
            case_id: r.case_id,
            tracking_no: r.tracking_no,
            service_name: r.service_name,
            by: r.by,
            at: r.at,
            note: r.note,
            read: r.read,
        })
        .collect())
}

#[server(prefix = "/sfn", endpoint = "admin/case-workflow")]
pub async fn case_workflow(id: String) -> Result<WorkflowPanel, ApiError> {
    use crate::web::sfn::{id as parse_id, staff_context};
    let (state, s, meta) = staff_context()?;
    Ok(zhengwu_core::workflow::panel(&state.ctx(&meta), s.actor(), parse_id(&id)?, state.clock).await?)
}

#[server(prefix = "/sfn", endpoint = "admin/supervision")]
pub async fn supervision() -> Result<SupervisionView, ApiError> {
    let (state, s, meta) = crate::web::sfn::staff_context()?;
    let data = zhengwu_core::workflow::supervision(&state.ctx(&meta), s.actor(), state.clock).await?;
    Ok(SupervisionView {
        extensions: data.extensions,
        rows: data
            .rows
            .into_iter()
            .map(|r| SupervisedRow {
                case_id: r.case_id,
                tracking_no: r.tracking_no,
                service_name: r.service_name,
                department: r.department,
                step_name: r.step_name,
                assignees: r.assignees,
                due_date: r.due_date,
                days_left: r.days_left,
                warning: r.warning,
                reminders: r.reminders,
            })
            .collect(),
        alerts: data.alerts,
    })
}

/// The calendar of a year (default: this year). Any staff member may read it; `config:manage`
/// may correct days.
#[server(prefix = "/sfn", endpoint = "admin/calendar")]
pub async fn calendar_year(year: Option<String>) -> Result<CalendarView, ApiError> {
    use chrono::Datelike;
    use zhengwu_core::calendar;
    let (state, s, _meta) = crate::web::sfn::staff_context()?;
    let today = zhengwu_core::time::shanghai_date(chrono::Utc::now());
    let year = year.and_then(|y| y.parse::<i32>().ok()).filter(|y| (2000..=2100).contains(y)).unwrap_or(today.year());
    let internal = |e: calendar::CalendarError| crate::web::sfn::internal(e);
    let cal = calendar::load(&state.db).await.map_err(internal)?;
    let notices = calendar::notices(&state.db).await.map_err(internal)?;
    let weekday = |d: chrono::NaiveDate| calendar::weekday_zh(d).to_string();
    Ok(CalendarView {
        year,
        notice: notices.iter().find(|(y, _, _)| *y == year).map(|(_, n, _)| n.clone()),
        days: {
            // Consecutive days of one holiday shown as one span.
            let mut spans: Vec<(chrono::NaiveDate, chrono::NaiveDate, calendar::DayType, String)> = vec![];
            for (d, t, name) in cal.year_days(year) {
                match spans.last_mut() {
                    Some(last) if last.2 == t && last.3 == name && last.1.succ_opt() == Some(d) => last.1 = d,
                    _ => spans.push((d, d, t, name)),
                }
            }
            spans
                .into_iter()
                .map(|(from, to, t, name)| {
                    let n = (to - from).num_days() + 1;
                    if from == to {
                        (from.to_string(), weekday(from), t.name_zh().to_string(), name)
                    } else {
                        (
                            format!("{from} 至 {}", to.format("%m-%d")),
                            format!("{}至{}", weekday(from), weekday(to)),
                            format!("{}（{n} 天）", t.name_zh()),
                            name,
                        )
                    }
                })
                .collect()
        },
        years: notices.iter().map(|(y, _, _)| *y).collect(),
        warning: cal.coverage_warning(today),
        can_edit: s.actor().can(zhengwu_core::identity::Permission::ConfigManage),
    })
}

#[server(prefix = "/sfn", endpoint = "admin/workflow")]
pub async fn item_workflow(code: String) -> Result<WorkflowEditor, ApiError> {
    let (state, s, _meta) = crate::web::sfn::staff_context()?;
    let (code, name, version, def) = zhengwu_core::workflow::for_editor(&state.db, s.actor(), &code).await?;
    let (roles, departments) =
        zhengwu_core::workflow::editor_choices(&state.db).await.map_err(crate::web::sfn::internal)?;
    // Rules read with the roles' and departments' names, not their codes.
    let name_of = |list: &[(String, String)], code: &str| {
        list.iter().find(|(c, _)| c == code).map(|(_, n)| n.clone()).unwrap_or_else(|| code.to_string())
    };
    let describe = |rule: &zhengwu_types::workflow::AssigneeRule| {
        use zhengwu_types::workflow::AssigneeRule as R;
        match rule {
            R::Role { role, department } => format!("{}的{}", name_of(&departments, department), name_of(&roles, role)),
            R::CaseDepartment { role } => format!("办件所属部门的{}", name_of(&roles, role)),
            R::User { username } => format!("指定人员 {username}"),
            R::Chosen { role } => format!("上一环节办理人从{}中选定", name_of(&roles, role)),
        }
    };
    let steps = def
        .steps
        .iter()
        .map(|st| {
            (
                st.name.clone(),
                describe(&st.assignee),
                st.mode.name_zh().to_string(),
                st.actions.iter().map(|a| a.name_zh()).collect::<Vec<_>>().join("、"),
                st.limit_days.map(|d| format!("{d} 个工作日")).unwrap_or_else(|| "—".into()),
            )
        })
        .collect();
    let json = serde_json::to_string_pretty(&def).unwrap_or_default();
    Ok(WorkflowEditor { code, name, version, json, steps, def, roles, departments })
}
