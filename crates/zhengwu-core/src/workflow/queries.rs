//! The lists staff work from: my open tasks (待办) with counts by warning, what I decided
//! (已办), cases copied to me (抄送), and the supervision view (督办).

use chrono::{DateTime, NaiveDate, Utc};
use zhengwu_types::{
    services::CaseStatus,
    workflow::{ExtensionStatus, Inbox, StepAction, TaskRow, TaskStatus, Warning},
};

use super::{
    clock::{clock_view, ClockRow},
    ClockPolicy, WorkflowError,
};
use crate::{
    calendar::{self, Calendar},
    identity::{Ctx, Permission, StaffActor},
    services, with_db,
};

/// Inbox filters and order.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub service: Option<String>,
    pub warning: Option<Warning>,
    /// Sort by time left (default) or by when received.
    pub by_received: bool,
}

#[derive(sqlx::FromRow)]
struct TaskListRow {
    task_id: i64,
    case_id: i64,
    tracking_no: Option<String>,
    service_name: String,
    service_code: String,
    step_name: String,
    created_at: DateTime<Utc>,
    task_due: Option<String>,
    owner_name: Option<String>,
    fallback: bool,
    reminders: i32,
    decision: Option<StepAction>,
    decided_at: Option<DateTime<Utc>>,
    #[sqlx(flatten)]
    clock: ClockRow,
}

const TASK_LIST: &str =
    "SELECT t.id AS task_id, t.case_id, c.tracking_no, i.name AS service_name, i.code AS service_code, \
     t.step_name, t.created_at, t.due_date AS task_due, o.display_name AS owner_name, t.fallback, t.reminders, \
     t.decision, t.decided_at, c.status, c.accepted_at, c.limit_days, c.day_kind, c.due_date, c.extended_days, \
     c.paused_on, c.pause_reason, c.pause_note, c.days_left_at_pause \
     FROM case_tasks t JOIN cases c ON c.id = t.case_id JOIN service_items i ON i.id = c.item_id \
     LEFT JOIN staff o ON o.id = t.owner_id";

fn task_row(cal: &Calendar, r: TaskListRow, today: NaiveDate, policy: ClockPolicy) -> TaskRow {
    let clock = clock_view(cal, &r.clock, today, policy);
    TaskRow {
        task_id: r.task_id,
        case_id: r.case_id,
        tracking_no: r.tracking_no.unwrap_or_default(),
        service_name: r.service_name,
        step_name: r.step_name,
        received_at: crate::time::local_minute(r.created_at),
        step_overdue: r.decided_at.is_none()
            && r.task_due.as_deref().and_then(|d| d.parse::<NaiveDate>().ok()).is_some_and(|d| d < today),
        step_due: r.task_due,
        case_due: clock.due_date.clone(),
        days_left: clock.days_left,
        warning: clock.warning,
        paused: clock.paused.is_some(),
        delegated_by: r.owner_name,
        fallback: r.fallback,
        reminders: r.reminders,
        decision: r.decision.map(|d| d.name_zh().to_string()),
        decided_at: r.decided_at.map(crate::time::local_minute),
    }
}

/// My open tasks (待办), with counts by warning.
pub async fn inbox(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    f: &InboxFilter,
    policy: ClockPolicy,
) -> Result<Inbox, WorkflowError> {
    actor.require(Permission::CaseRead).map_err(|_| WorkflowError::Forbidden)?;
    let sql = format!("{TASK_LIST} WHERE t.assignee_id = $1 AND t.status = $2 ORDER BY t.created_at, t.id LIMIT 500");
    let rows: Vec<TaskListRow> =
        with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).bind(TaskStatus::Open).fetch_all(pool).await)?;
    let cal = calendar::load(ctx.db).await?;
    let today = crate::time::shanghai_date(ctx.now);
    let mut all: Vec<(String, TaskRow)> =
        rows.into_iter().map(|r| (r.service_code.clone(), task_row(&cal, r, today, policy))).collect();
    let mut inbox = Inbox {
        open: all.len() as i64,
        yellow: all.iter().filter(|(_, r)| r.warning == Warning::Yellow).count() as i64,
        red: all.iter().filter(|(_, r)| r.warning == Warning::Red).count() as i64,
        rows: vec![],
    };
    all.retain(|(code, r)| f.service.as_deref().is_none_or(|s| s == code) && f.warning.is_none_or(|w| w == r.warning));
    let mut rows: Vec<TaskRow> = all.into_iter().map(|(_, r)| r).collect();
    if !f.by_received {
        // Least time left first; tasks without a clock (not accepted yet) by their step's due date.
        rows.sort_by_key(|r| (r.days_left.unwrap_or(i64::MAX / 2), r.step_due.clone().unwrap_or_default(), r.task_id));
    }
    inbox.rows = rows;
    Ok(inbox)
}

/// What I decided (已办), newest first.
pub async fn done(ctx: &Ctx<'_>, actor: &StaffActor, policy: ClockPolicy) -> Result<Vec<TaskRow>, WorkflowError> {
    actor.require(Permission::CaseRead).map_err(|_| WorkflowError::Forbidden)?;
    let sql = format!(
        "{TASK_LIST} WHERE t.decided_by = $1 AND t.status = $2 ORDER BY t.decided_at DESC, t.id DESC LIMIT 200"
    );
    let rows: Vec<TaskListRow> =
        with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).bind(TaskStatus::Done).fetch_all(pool).await)?;
    let cal = calendar::load(ctx.db).await?;
    let today = crate::time::shanghai_date(ctx.now);
    Ok(rows.into_iter().map(|r| task_row(&cal, r, today, policy)).collect())
}

/// A case copied to me (抄送).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedRow {
    pub case_id: i64,
    pub tracking_no: String,
    pub service_name: String,
    pub by: String,
    pub at: String,
    pub note: String,
    pub read: bool,
}

/// Cases copied to me, newest first.
pub async fn copied(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<Vec<CopiedRow>, WorkflowError> {
    actor.require(Permission::CaseRead).map_err(|_| WorkflowError::Forbidden)?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, Option<String>, String, String, DateTime<Utc>, String, Option<DateTime<Utc>>)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT k.case_id, c.tracking_no, i.name, s.display_name, k.copied_at, k.note, k.read_at \
         FROM case_copies k JOIN cases c ON c.id = k.case_id JOIN service_items i ON i.id = c.item_id \
         JOIN staff s ON s.id = k.copied_by WHERE k.staff_id = $1 ORDER BY k.copied_at DESC LIMIT 200")
        .bind(actor.id).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(case_id, no, service_name, by, at, note, read)| CopiedRow {
            case_id,
            tracking_no: no.unwrap_or_default(),
            service_name,
            by,
            at: crate::time::local_minute(at),
            note,
            read: read.is_some(),
        })
        .collect())
}

/// A row of the supervision view (督办).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervised {
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

/// What the supervision view shows.
#[derive(Debug, Clone, Default)]
pub struct SupervisionData {
    /// Cases late or about to be, red first.
    pub rows: Vec<Supervised>,
    /// Open alerts: (case id, tracking number, message, when).
    pub alerts: Vec<(i64, String, String, String)>,
    /// Extension requests waiting: (request id, case id, tracking number, days, reason, by, when).
    pub extensions: Vec<(i64, i64, String, i32, String, String, String)>,
}

/// Cases in the supervisor's scope that are late or about to be (red first), the open alerts
/// (steps nobody matched) and the extension requests waiting for a decision.
pub async fn supervision(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    policy: ClockPolicy,
) -> Result<SupervisionData, WorkflowError> {
    actor.require(Permission::CaseSupervise).map_err(|_| WorkflowError::Forbidden)?;
    let scope = services::scope_clause(actor, "c.department_id");
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        tracking_no: Option<String>,
        service_name: String,
        department: String,
        step_name: Option<String>,
        assignees: Option<String>,
        reminders: Option<i32>,
        #[sqlx(flatten)]
        clock: ClockRow,
    }
    let sql = format!(
        "SELECT c.id, c.tracking_no, i.name AS service_name, d.name AS department, \
         (SELECT MAX(t.step_name) FROM case_tasks t WHERE t.case_id = c.id AND t.status = '{open}') AS step_name, \
         (SELECT MAX(s.display_name) FROM case_tasks t JOIN staff s ON s.id = t.assignee_id \
            WHERE t.case_id = c.id AND t.status = '{open}') AS assignees, \
         (SELECT MAX(t.reminders) FROM case_tasks t WHERE t.case_id = c.id AND t.status = '{open}') AS reminders, \
         c.status, c.accepted_at, c.limit_days, c.day_kind, c.due_date, c.extended_days, c.paused_on, c.pause_reason, \
         c.pause_note, c.days_left_at_pause \
         FROM cases c JOIN service_items i ON i.id = c.item_id JOIN departments d ON d.id = c.department_id \
         WHERE c.status = '{processing}' AND c.warning IN ('{yellow}', '{red}') {scope} ORDER BY c.due_date, c.id LIMIT 500",
        open = TaskStatus::Open,
        processing = CaseStatus::Processing,
        yellow = Warning::Yellow,
        red = Warning::Red,
    );
    let rows: Vec<Row> = with_db!(ctx.db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    let cal = calendar::load(ctx.db).await?;
    let today = crate::time::shanghai_date(ctx.now);
    let mut out: Vec<Supervised> = rows
        .into_iter()
        .map(|r| {
            let clock = clock_view(&cal, &r.clock, today, policy);
            Supervised {
                case_id: r.id,
                tracking_no: r.tracking_no.unwrap_or_default(),
                service_name: r.service_name,
                department: r.department,
                step_name: r.step_name,
                assignees: r.assignees.unwrap_or_else(|| "（待指派）".into()),
                due_date: clock.due_date,
                days_left: clock.days_left,
                warning: clock.warning,
                reminders: r.reminders.unwrap_or(0),
            }
        })
        .collect();
    out.sort_by_key(|s| (s.warning != Warning::Red, s.days_left.unwrap_or(0), s.case_id));
    let alerts_sql = format!(
        "SELECT a.case_id, COALESCE(c.tracking_no, ''), a.message, a.at FROM workflow_alerts a JOIN cases c ON c.id = a.case_id \
         WHERE a.resolved_at IS NULL {scope} ORDER BY a.id DESC LIMIT 100"
    );
    let alerts: Vec<(i64, String, String, DateTime<Utc>)> =
        with_db!(ctx.db, pool => sqlx::query_as(&alerts_sql).fetch_all(pool).await)?;
    let ext_sql = format!(
        "SELECT e.id, e.case_id, COALESCE(c.tracking_no, ''), e.days, e.reason, s.display_name, e.requested_at \
         FROM case_extensions e JOIN cases c ON c.id = e.case_id JOIN staff s ON s.id = e.requested_by \
         WHERE e.status = '{pending}' {scope} ORDER BY e.id LIMIT 100",
        pending = ExtensionStatus::Pending,
    );
    #[allow(clippy::type_complexity)]
    let extensions: Vec<(i64, i64, String, i32, String, String, DateTime<Utc>)> =
        with_db!(ctx.db, pool => sqlx::query_as(&ext_sql).fetch_all(pool).await)?;
    Ok(SupervisionData {
        rows: out,
        alerts: alerts.into_iter().map(|(id, no, m, at)| (id, no, m, crate::time::local_minute(at))).collect(),
        extensions: extensions
            .into_iter()
            .map(|(id, case, no, days, reason, by, at)| (id, case, no, days, reason, by, crate::time::local_minute(at)))
            .collect(),
    })
}
