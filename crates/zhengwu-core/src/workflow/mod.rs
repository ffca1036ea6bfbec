//! The workflow engine (工作流): versioned definitions per service item, tasks, the actions staff
//! take on them, and the case's clock.
//!
//! Rules kept here:
//! - every action is one write transaction that first takes the case's row (`revision + 1`), so
//!   actions on one case run one after another on SQLite and PostgreSQL alike; the task is then
//!   read again inside the transaction and must still be open and the actor's — of two people
//!   acting at once, exactly one applies and the other is told who handled it;
//! - the transaction carries the task changes, the case's state and clock, the timeline entry
//!   and the audit record: nothing is half-applied;
//! - everything read from the pool (definition, calendar) is read before the transaction (a
//!   transaction waiting for a second pool connection can starve the pool under load);
//! - a step nobody matches goes to the department's dispatcher (or, without one, to nobody) and
//!   raises an alert: never silently stuck.

pub mod clock;
pub mod jobs;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use zhengwu_types::{
    services::CaseStatus,
    workflow::{
        AssigneeRule, Clock, DefProblem, Inbox, Person, StepAction, StepDef, StepMode, TaskHistory, TaskRow, Warning,
        WorkflowDef, WorkflowPanel, COMMON_PHRASES,
    },
};

use crate::{
    audit::{self, AuditError, AuditEvent},
    calendar::{self, Calendar, CalendarError, Counting},
    citizen::CitizenActor,
    db::{Db, WriteTx},
    identity::{Ctx, Permission, StaffActor},
    services, with_db, with_tx,
};

// The case timeline has one writer.
use crate::cases::event;

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("不存在")]
    NotFound,
    #[error("没有权限")]
    Forbidden,
    /// Somebody acted first.
    #[error("该任务已由{by}处理")]
    AlreadyHandled { by: String },
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("流程定义有误")]
    BadDefinition(Vec<DefProblem>),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
    #[error("{0}")]
    Calendar(#[from] CalendarError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> WorkflowError {
    WorkflowError::Invalid { field, message: message.into() }
}

/// Settings of the clock.
#[derive(Debug, Clone, Copy)]
pub struct ClockPolicy {
    /// Yellow warning when at most this percentage of the limit is left.
    pub yellow_percent: u32,
}

impl Default for ClockPolicy {
    fn default() -> Self {
        ClockPolicy { yellow_percent: 20 }
    }
}

// ---- Definitions --------------------------------------------------------------------------

/// The workflow every item gets until its own is published: 受理 (any reviewer of the item's
/// department) → 审查 (one reviewer chosen by whoever accepted) → 办结.
pub fn default_definition() -> WorkflowDef {
    use StepAction::*;
    WorkflowDef {
        steps: vec![
            StepDef {
                key: "accept".into(),
                name: "受理".into(),
                assignee: AssigneeRule::CaseDepartment { role: "bureau_reviewer".into() },
                mode: StepMode::Any,
                actions: vec![Approve, Reject, Supplement, Transfer, Delegate],
                limit_days: Some(1),
                next: Some("review".into()),
            },
            StepDef {
                key: "review".into(),
                name: "审查决定".into(),
                assignee: AssigneeRule::Chosen { role: "bureau_reviewer".into() },
                mode: StepMode::Single,
                actions: vec![Approve, Reject, Return, Supplement, Transfer, Delegate, Suspend],
                limit_days: None,
                next: None,
            },
        ],
    }
}

pub async fn definition(db: &Db, item_id: i64, version: i32) -> Result<Option<WorkflowDef>, sqlx::Error> {
    let text: Option<String> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT definition FROM workflow_definitions WHERE item_id = $1 AND version = $2")
        .bind(item_id).bind(version).fetch_optional(pool).await)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// The item's current workflow: (version, definition); none before the first is published.
pub async fn current(db: &Db, item_id: i64) -> Result<Option<(i32, WorkflowDef)>, sqlx::Error> {
    let v: Option<Option<i32>> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT workflow_version FROM service_items WHERE id = $1").bind(item_id).fetch_optional(pool).await)?;
    match v.flatten() {
        Some(v) => Ok(definition(db, item_id, v).await?.map(|d| (v, d))),
        None => Ok(None),
    }
}

/// Checks a definition against the database: roles, departments and accounts it names exist.
async fn check_names(db: &Db, def: &WorkflowDef) -> Result<Vec<DefProblem>, sqlx::Error> {
    let mut problems = def.check();
    for (i, s) in def.steps.iter().enumerate() {
        let (role, dept, user) = match &s.assignee {
            AssigneeRule::Role { role, department } => (Some(role), Some(department), None),
            AssigneeRule::CaseDepartment { role } | AssigneeRule::Chosen { role } => (Some(role), None, None),
            AssigneeRule::User { username } => (None, None, Some(username)),
        };
        let exists = |sql: &'static str, v: String| async move {
            let n: i64 = with_db!(db, pool => sqlx::query_scalar(sql).bind(v).fetch_one(pool).await)?;
            Ok::<bool, sqlx::Error>(n > 0)
        };
        if let Some(r) = role {
            if !exists("SELECT COUNT(*) FROM roles WHERE code = $1", r.clone()).await? {
                problems.push(DefProblem { step: Some(i), message: format!("角色“{r}”不存在") });
            }
        }
        if let Some(d) = dept {
            if !exists("SELECT COUNT(*) FROM departments WHERE code = $1", d.clone()).await? {
                problems.push(DefProblem { step: Some(i), message: format!("部门“{d}”不存在") });
            }
        }
        if let Some(u) = user {
            if !exists("SELECT COUNT(*) FROM staff WHERE username = $1 AND status = 'active'", u.clone()).await? {
                problems.push(DefProblem { step: Some(i), message: format!("账号“{u}”不存在或已停用") });
            }
        }
    }
    Ok(problems)
}

/// Publishes a new version of an item's workflow (needs `service:manage` and the item in
/// scope). Running cases keep the version they started with.
pub async fn publish(ctx: &Ctx<'_>, actor: &StaffActor, code: &str, def: &WorkflowDef) -> Result<i32, WorkflowError> {
    actor.require(Permission::ServiceManage).map_err(|_| WorkflowError::Forbidden)?;
    let item = services::item_row(ctx.db, code).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(item.department_id, None, actor.id) {
        return Err(WorkflowError::NotFound);
    }
    let problems = check_names(ctx.db, def).await?;
    if !problems.is_empty() {
        return Err(WorkflowError::BadDefinition(problems));
    }
    // The same definition again is not a new version.
    if let Some((v, current)) = current(ctx.db, item.id).await? {
        if &current == def {
            return Ok(v);
        }
    }
    let text = serde_json::to_string(def).unwrap_or_default();
    let mut tx = ctx.db.begin_write().await?;
    let version = store_definition(&mut tx, item.id, &text, &actor.username, ctx.now).await?;
    let ev = AuditEvent::new("workflow.publish", "service_item", item.id)
        .with_detail(json!({ "code": code, "version": version, "steps": def.steps.len() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(version)
}

/// An item's workflow for the editor: (code, name, current version, definition — the default
/// before any is published). Needs `service:manage` and the item in scope.
pub async fn for_editor(
    db: &Db,
    actor: &StaffActor,
    code: &str,
) -> Result<(String, String, Option<i32>, WorkflowDef), WorkflowError> {
    actor.require(Permission::ServiceManage).map_err(|_| WorkflowError::Forbidden)?;
    let item = services::item_row(db, code)
        .await?
        .filter(|i| actor.scope.covers(i.department_id, None, actor.id))
        .ok_or(WorkflowError::NotFound)?;
    Ok(match current(db, item.id).await? {
        Some((v, d)) => (item.code, item.name, Some(v), d),
        None => (item.code, item.name, None, default_definition()),
    })
}

/// What the structured editor offers: business roles (code, name) and departments (code, name).
pub async fn editor_choices(db: &Db) -> Result<(Vec<(String, String)>, Vec<(String, String)>), sqlx::Error> {
    let roles = with_db!(db, pool => sqlx::query_as(
        "SELECT code, name FROM roles WHERE duty = 'business' ORDER BY id").fetch_all(pool).await)?;
    let departments = with_db!(db, pool => sqlx::query_as(
        "SELECT code, name FROM departments ORDER BY id").fetch_all(pool).await)?;
    Ok((roles, departments))
}

async fn store_definition(
    tx: &mut WriteTx,
    item_id: i64,
    text: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i32, sqlx::Error> {
    let version: i32 = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM workflow_definitions WHERE item_id = $1")
        .bind(item_id).fetch_one(conn).await)?;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO workflow_definitions (item_id, version, definition, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(item_id).bind(version).bind(text).bind(by).bind(now).execute(conn).await.map(|_| ()))?;
    with_tx!(tx, conn => sqlx::query("UPDATE service_items SET workflow_version = $1 WHERE id = $2")
        .bind(version).bind(item_id).execute(conn).await.map(|_| ()))?;
    Ok(version)
}

// ---- Starting (inside the citizen's submitting transaction) --------------------------------

/// What submission needs, read before its transaction.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub version: Option<i32>,
    pub def: WorkflowDef,
    pub calendar: Calendar,
    pub policy: ClockPolicy,
}

pub async fn prepare(
    db: &Db,
    item_id: i64,
    case_version: Option<i32>,
    policy: ClockPolicy,
) -> Result<Prepared, WorkflowError> {
    let calendar = calendar::load(db).await?;
    let found = match case_version {
        Some(v) => definition(db, item_id, v).await?.map(|d| (v, d)),
        None => current(db, item_id).await?,
    };
    Ok(match found {
        Some((v, def)) => Prepared { version: Some(v), def, calendar, policy },
        None => Prepared { version: None, def: default_definition(), calendar, policy },
    })
}

/// A case was submitted (first time) or resubmitted after 补正: tasks for its step, and the
/// clock resumed. Runs inside the caller's transaction, which holds the case's row.
pub(crate) async fn on_submitted(
    tx: &mut WriteTx,
    prepared: &Prepared,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let c = lock_case(tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let version = match c.workflow_version.or(prepared.version) {
        Some(v) => v,
        // The item has no workflow yet: the default becomes its version 1.
        None => {
            store_definition(tx, c.item_id, &serde_json::to_string(&prepared.def).unwrap_or_default(), "system", now)
                .await?
        }
    };
    let today = crate::time::shanghai_date(now);
    let first = prepared.def.first().ok_or(WorkflowError::NotFound)?;
    let step = c.step.clone().and_then(|k| prepared.def.step(&k).cloned()).unwrap_or_else(|| first.clone());
    // Back from 补正: the case goes where it was, the clock resumes with the days it had left.
    let status = if c.accepted_at.is_some() { "processing" } else { "submitted" };
    if c.paused_on.is_some() && c.pause_reason.as_deref() == Some("supplement") {
        resume_clock(tx, &prepared.calendar, &c, today, prepared.policy).await?;
    }
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET workflow_version = $1, step = $2, status = $3 WHERE id = $4")
        .bind(version).bind(&step.key).bind(status).bind(case_id).execute(conn).await.map(|_| ()))?;
    let c = CaseLock { workflow_version: Some(version), step: Some(step.key.clone()), ..c };
    // Whoever asked for the correction gets it back (where the step's rule lets a choice count).
    let asked_by: Option<Option<i64>> = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT decided_by FROM case_tasks WHERE case_id = $1 AND decision = 'supplement' ORDER BY id DESC LIMIT 1")
        .bind(case_id).fetch_optional(conn).await)?;
    create_tasks(tx, &prepared.calendar, &c, &step, asked_by.flatten(), now).await?;
    Ok(())
}

// ---- The case's row and tasks ----------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
struct CaseLock {
    id: i64,
    item_id: i64,
    department_id: i64,
    status: String,
    workflow_version: Option<i32>,
    step: Option<String>,
    accepted_at: Option<DateTime<Utc>>,
    limit_days: Option<i32>,
    day_kind: Option<String>,
    due_date: Option<String>,
    extended_days: i32,
    paused_on: Option<String>,
    pause_reason: Option<String>,
    days_left_at_pause: Option<i32>,
}

impl CaseLock {
    fn status(&self) -> CaseStatus {
        CaseStatus::parse(&self.status).unwrap_or(CaseStatus::Draft)
    }

    fn counting(&self) -> Counting {
        clock::counting(self.day_kind.as_deref().unwrap_or("working"))
    }

    fn due(&self) -> Option<NaiveDate> {
        self.due_date.as_deref().and_then(|d| d.parse().ok())
    }
}

const LOCK_COLUMNS: &str = "id, item_id, department_id, status, workflow_version, step, accepted_at, \
     limit_days, day_kind, due_date, extended_days, paused_on, pause_reason, days_left_at_pause";

/// Takes the case's row for the rest of the transaction.
async fn lock_case(tx: &mut WriteTx, id: i64) -> Result<Option<CaseLock>, sqlx::Error> {
    let sql = format!("UPDATE cases SET revision = revision + 1 WHERE id = $1 RETURNING {LOCK_COLUMNS}");
    with_tx!(tx, conn => sqlx::query_as(&sql).bind(id).fetch_optional(conn).await)
}

async fn case_row(db: &Db, id: i64) -> Result<Option<CaseLock>, sqlx::Error> {
    let sql = format!("SELECT {LOCK_COLUMNS} FROM cases WHERE id = $1");
    with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// Active staff holding `role` in department `dept`.
async fn role_holders(tx: &mut WriteTx, role: &str, dept: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT DISTINCT s.id FROM staff s JOIN staff_roles sr ON sr.staff_id = s.id JOIN roles r ON r.id = sr.role_id \
         WHERE r.code = $1 AND s.department_id = $2 AND s.status = 'active' ORDER BY s.id")
        .bind(role).bind(dept).fetch_all(conn).await)
}

async fn candidates(
    tx: &mut WriteTx,
    rule: &AssigneeRule,
    case_dept: i64,
    chosen: Option<i64>,
) -> Result<Vec<i64>, sqlx::Error> {
    match rule {
        AssigneeRule::Role { role, department } => {
            let dept: Option<i64> = with_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM departments WHERE code = $1")
                .bind(department).fetch_optional(conn).await)?;
            match dept {
                Some(d) => role_holders(tx, role, d).await,
                None => Ok(vec![]),
            }
        }
        AssigneeRule::CaseDepartment { role } => role_holders(tx, role, case_dept).await,
        AssigneeRule::User { username } => with_tx!(tx, conn => sqlx::query_scalar(
            "SELECT id FROM staff WHERE username = $1 AND status = 'active'").bind(username).fetch_all(conn).await),
        AssigneeRule::Chosen { role } => {
            let holders = role_holders(tx, role, case_dept).await?;
            Ok(match chosen {
                Some(c) if holders.contains(&c) => vec![c],
                // Nobody chosen (e.g. after a return): every holder may take it, first wins.
                _ => holders,
            })
        }
    }
}

/// The dispatcher of the case's department, or of the nearest department above with one.
async fn dispatcher(tx: &mut WriteTx, dept: i64) -> Result<Option<i64>, sqlx::Error> {
    let mut d = Some(dept);
    for _ in 0..16 {
        let Some(id) = d else { break };
        let row: Option<(Option<i64>, Option<i64>)> = with_tx!(tx, conn => sqlx::query_as(
            "SELECT d.dispatcher_id, d.parent_id FROM departments d WHERE d.id = $1")
            .bind(id).fetch_optional(conn).await)?;
        let Some((disp, parent)) = row else { break };
        if let Some(s) = disp {
            let active: Option<i64> = with_tx!(tx, conn => sqlx::query_scalar(
                "SELECT id FROM staff WHERE id = $1 AND status = 'active'").bind(s).fetch_optional(conn).await)?;
            if active.is_some() {
                return Ok(Some(s));
            }
        }
        d = parent;
    }
    Ok(None)
}

/// Creates the tasks of `step` for the case (a new round of the step).
async fn create_tasks(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    step: &StepDef,
    chosen: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let round: i32 = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COALESCE(MAX(round), 0) + 1 FROM case_tasks WHERE case_id = $1 AND step = $2")
        .bind(c.id).bind(&step.key).fetch_one(conn).await)?;
    let today = crate::time::shanghai_date(now);
    let due = step.limit_days.map(|n| cal.add(today, n, Counting::Working).to_string());
    let mut people = candidates(tx, &step.assignee, c.department_id, chosen).await?;
    let mut fallback = false;
    if people.is_empty() {
        fallback = true;
        let d = dispatcher(tx, c.department_id).await?;
        let message = match d {
            Some(_) => format!("环节“{}”没有符合规则的办理人，已转部门分办员", step.name),
            None => format!("环节“{}”没有符合规则的办理人，部门也未设分办员，等待督办人员指派", step.name),
        };
        // No personal data here: the case id and the step.
        tracing::warn!(case_id = c.id, step = %step.key, dispatcher = d.is_some(), "workflow: nobody matches the assignee rule");
        with_tx!(tx, conn => sqlx::query(
            "INSERT INTO workflow_alerts (case_id, department_id, at, message) VALUES ($1, $2, $3, $4)")
            .bind(c.id).bind(c.department_id).bind(now).bind(&message).execute(conn).await.map(|_| ()))?;
        people = d.into_iter().collect();
    } else if step.mode == StepMode::Single && people.len() > 1 {
        // The candidate with the fewest open tasks (ties: the first).
        let mut best = (i64::MAX, people[0]);
        for p in &people {
            let n: i64 = with_tx!(tx, conn => sqlx::query_scalar(
                "SELECT COUNT(*) FROM case_tasks WHERE assignee_id = $1 AND status = 'open'")
                .bind(p).fetch_one(conn).await)?;
            if n < best.0 {
                best = (n, *p);
            }
        }
        people = vec![best.1];
    }
    let assignees: Vec<Option<i64>> =
        if people.is_empty() { vec![None] } else { people.into_iter().map(Some).collect() };
    let mode = if fallback { StepMode::Single } else { step.mode };
    for a in assignees {
        with_tx!(tx, conn => sqlx::query(
            "INSERT INTO case_tasks (case_id, step, step_name, round, mode, assignee_id, fallback, status, created_at, due_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9)")
            .bind(c.id).bind(&step.key).bind(&step.name).bind(round).bind(mode.code()).bind(a).bind(fallback)
            .bind(now).bind(&due).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

async fn cancel_open_tasks(tx: &mut WriteTx, case_id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE case_tasks SET status = 'cancelled', decided_at = $1 WHERE case_id = $2 AND status = 'open'")
        .bind(now).bind(case_id).execute(conn).await.map(|_| ()))
}

// ---- The clock ------------------------------------------------------------------------------

fn total_days(c: &CaseLock) -> i64 {
    i64::from(c.limit_days.unwrap_or(0) + c.extended_days)
}

async fn pause_clock(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    today: NaiveDate,
    reason: &str,
    note: &str,
) -> Result<(), sqlx::Error> {
    let Some(due) = c.due() else { return Ok(()) };
    if c.paused_on.is_some() {
        return Ok(());
    }
    let left = clock::pause(cal, today, due, c.counting());
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET paused_on = $1, pause_reason = $2, pause_note = $3, days_left_at_pause = $4, warning = 'none' \
         WHERE id = $5")
        .bind(today.to_string()).bind(reason).bind(note).bind(left as i32).bind(c.id).execute(conn).await.map(|_| ()))
}

async fn resume_clock(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    today: NaiveDate,
    policy: ClockPolicy,
) -> Result<(), sqlx::Error> {
    let (Some(due), Some(left)) = (c.due(), c.days_left_at_pause) else { return Ok(()) };
    let new_due = clock::resume(cal, today, i64::from(left), due, c.counting());
    let w = clock::warning(clock::days_left(cal, today, new_due, c.counting()), total_days(c), policy.yellow_percent);
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET due_date = $1, paused_on = NULL, pause_reason = NULL, pause_note = NULL, \
         days_left_at_pause = NULL, warning = $2 WHERE id = $3")
        .bind(new_due.to_string()).bind(w.code()).bind(c.id).execute(conn).await.map(|_| ()))
}

/// The clock as staff see it.
pub fn clock_view(cal: &Calendar, c: &ClockRow, today: NaiveDate, policy: ClockPolicy) -> Clock {
    let counting = clock::counting(c.day_kind.as_deref().unwrap_or("working"));
    let due: Option<NaiveDate> = c.due_date.as_deref().and_then(|d| d.parse().ok());
    let total = i64::from(c.limit_days.unwrap_or(0) + c.extended_days);
    let (days_left, warning) = match (due, &c.paused_on, c.days_left_at_pause) {
        (_, Some(_), Some(left)) => (Some(i64::from(left)), Warning::None),
        (Some(due), None, _) if c.status == "processing" => {
            let left = clock::days_left(cal, today, due, counting);
            (Some(left), clock::warning(left, total, policy.yellow_percent))
        }
        _ => (None, Warning::None),
    };
    let missing_years = match (c.accepted_at, due) {
        (Some(a), Some(d)) => cal.missing_years(crate::time::shanghai_date(a), d),
        _ => vec![],
    };
    let closed = match c.status.as_str() {
        "approved" => Some("已办结（准予）"),
        "rejected" => Some("已办结（不予许可）"),
        "terminated" => Some("已终止"),
        "withdrawn" => Some("申请人已撤回"),
        _ => None,
    };
    Clock {
        closed: closed.map(str::to_string),
        before_acceptance: c.accepted_at.is_none() && closed.is_none(),
        limit_days: c.limit_days.unwrap_or(0),
        day_kind_zh: if counting == Counting::Natural { "自然日" } else { "工作日" }.into(),
        accepted_on: c.accepted_at.map(|a| crate::time::shanghai_date(a).to_string()),
        due_date: c.due_date.clone(),
        days_left,
        extended_days: c.extended_days,
        paused: c.paused_on.clone().map(|p| {
            let why = match c.pause_reason.as_deref() {
                Some("supplement") => "等待申请人补正".to_string(),
                _ => format!("特别程序：{}", c.pause_note.clone().unwrap_or_default()),
            };
            (p, why)
        }),
        warning,
        missing_years,
    }
}

/// The clock columns of a case.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClockRow {
    pub status: String,
    pub accepted_at: Option<DateTime<Utc>>,
    pub limit_days: Option<i32>,
    pub day_kind: Option<String>,
    pub due_date: Option<String>,
    pub extended_days: i32,
    pub paused_on: Option<String>,
    pub pause_reason: Option<String>,
    pub pause_note: Option<String>,
    pub days_left_at_pause: Option<i32>,
}

const CLOCK_COLUMNS: &str = "status, accepted_at, limit_days, day_kind, due_date, extended_days, paused_on, \
     pause_reason, pause_note, days_left_at_pause";

// ---- Actions --------------------------------------------------------------------------------

/// What a staff member does with their task.
#[derive(Debug, Clone)]
pub enum Act {
    /// 同意; `choose`: the next step's assignee when its rule lets this step choose.
    Approve {
        opinion: String,
        choose: Option<i64>,
    },
    Reject {
        reason: String,
    },
    Return {
        to: String,
        opinion: String,
    },
    Supplement {
        message: String,
        fields: Vec<String>,
    },
    Transfer {
        to: i64,
        opinion: String,
    },
    Delegate {
        to: i64,
        opinion: String,
    },
    /// The owner takes a delegated task back.
    TakeBack,
    /// Stop the clock for an external procedure.
    Suspend {
        note: String,
    },
    /// Restart it.
    Resume,
    /// Ask a permission holder for more time (延期申请).
    RequestExtension {
        days: u32,
        reason: String,
    },
    /// Show the case to a colleague for information (抄送).
    Copy {
        to: i64,
        note: String,
    },
}

impl Act {
    fn step_action(&self) -> Option<StepAction> {
        Some(match self {
            Act::Approve { .. } => StepAction::Approve,
            Act::Reject { .. } => StepAction::Reject,
            Act::Return { .. } => StepAction::Return,
            Act::Supplement { .. } => StepAction::Supplement,
            Act::Transfer { .. } => StepAction::Transfer,
            Act::Delegate { .. } => StepAction::Delegate,
            Act::Suspend { .. } | Act::Resume => StepAction::Suspend,
            Act::TakeBack | Act::RequestExtension { .. } | Act::Copy { .. } => return None,
        })
    }

    fn audit_name(&self) -> &'static str {
        match self {
            Act::Approve { .. } => "case.approve",
            Act::Reject { .. } => "case.reject",
            Act::Return { .. } => "case.return",
            Act::Supplement { .. } => "case.supplement_request",
            Act::Transfer { .. } => "case.transfer",
            Act::Delegate { .. } => "case.delegate",
            Act::TakeBack => "case.take_back",
            Act::Suspend { .. } => "case.suspend",
            Act::Resume => "case.resume",
            Act::RequestExtension { .. } => "case.extension_request",
            Act::Copy { .. } => "case.copy",
        }
    }
}

/// What an action did, for the page that follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The case moved on to a step (name), or stays while countersigning continues.
    Moved {
        step: String,
    },
    Waiting,
    Concluded(CaseStatus),
    Returned {
        step: String,
    },
    Handed,
    Paused,
    Resumed,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct TaskLock {
    id: i64,
    step: String,
    round: i32,
    mode: String,
    assignee_id: Option<i64>,
    owner_id: Option<i64>,
    fallback: bool,
    status: String,
    decided_by: Option<i64>,
}

fn text(s: &str, field: &'static str, min: usize, max: usize, what: &str) -> Result<String, WorkflowError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(invalid(field, format!("请填写{what}（{min}–{max} 字）")));
    }
    Ok(t.to_string())
}

async fn staff_name(tx: &mut WriteTx, id: i64) -> Result<String, sqlx::Error> {
    let n: Option<String> = with_tx!(tx, conn => sqlx::query_scalar("SELECT display_name FROM staff WHERE id = $1")
        .bind(id).fetch_optional(conn).await)?;
    Ok(n.unwrap_or_else(|| "其他人员".into()))
}

/// People a task may be handed to: active staff with a role allowing `case:approve`, in the
/// case's department or the actor's.
async fn colleagues_in(
    tx_or_db: Either<'_, '_>,
    case_dept: i64,
    actor: &StaffActor,
) -> Result<Vec<Person>, sqlx::Error> {
    const SQL: &str = "SELECT DISTINCT s.id, s.display_name, d.name FROM staff s \
         JOIN departments d ON d.id = s.department_id JOIN staff_roles sr ON sr.staff_id = s.id \
         JOIN role_permissions rp ON rp.role_id = sr.role_id \
         WHERE rp.permission = 'case:approve' AND s.status = 'active' AND s.id <> $1 \
         AND (s.department_id = $2 OR s.department_id = $3) ORDER BY s.id";
    let rows: Vec<(i64, String, String)> = match tx_or_db {
        Either::Tx(tx) => with_tx!(tx, conn => sqlx::query_as(SQL).bind(actor.id).bind(case_dept)
            .bind(actor.department_id).fetch_all(conn).await)?,
        Either::Db(db) => with_db!(db, pool => sqlx::query_as(SQL).bind(actor.id).bind(case_dept)
            .bind(actor.department_id).fetch_all(pool).await)?,
    };
    Ok(rows.into_iter().map(|(id, name, department)| Person { id, name, department }).collect())
}

enum Either<'a, 'b> {
    Tx(&'a mut WriteTx),
    Db(&'b Db),
}

/// Acts on a task. See the module's rules; on any error nothing changed.
pub async fn act(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    task_id: i64,
    action: Act,
    policy: ClockPolicy,
) -> Result<Outcome, WorkflowError> {
    actor.require(Permission::CaseRead).map_err(|_| WorkflowError::Forbidden)?;
    let deciding = !matches!(action, Act::Transfer { .. } | Act::Delegate { .. } | Act::TakeBack | Act::Copy { .. });
    if deciding {
        actor.require(Permission::CaseApprove).map_err(|_| WorkflowError::Forbidden)?;
    }
    // Validate the input and read what the transaction needs before it starts.
    let action = match action {
        Act::Approve { opinion, choose } => {
            Act::Approve { opinion: text(&opinion, "opinion", 0, 500, "审批意见")?, choose }
        }
        Act::Reject { reason } => Act::Reject { reason: text(&reason, "reason", 2, 500, "不予通过的理由")? },
        Act::Return { to, opinion } => Act::Return { to, opinion: text(&opinion, "opinion", 2, 500, "退回理由")? },
        Act::Supplement { message, fields } => {
            let message = text(&message, "message", 2, 500, "需要补正的内容")?;
            if fields.is_empty() {
                return Err(invalid("fields", "请至少选择一项需要补正的内容"));
            }
            Act::Supplement { message, fields }
        }
        Act::Suspend { note } => Act::Suspend { note: text(&note, "note", 2, 200, "特别程序的名称和原因")? },
        Act::Copy { to, note } => Act::Copy { to, note: text(&note, "note", 0, 200, "抄送说明")? },
        Act::RequestExtension { days, reason } => {
            if !(1..=60).contains(&days) {
                return Err(invalid("days", "延期天数须为 1–60 天"));
            }
            Act::RequestExtension { days, reason: text(&reason, "reason", 2, 500, "延期理由")? }
        }
        other => other,
    };
    let case_id: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT case_id FROM case_tasks WHERE id = $1")
        .bind(task_id).fetch_optional(pool).await)?;
    let case_id = case_id.ok_or(WorkflowError::NotFound)?;
    let before = case_row(ctx.db, case_id).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(before.department_id, None, actor.id) {
        return Err(WorkflowError::NotFound);
    }
    let version = before.workflow_version.ok_or(WorkflowError::NotFound)?;
    let def = definition(ctx.db, before.item_id, version).await?.ok_or(WorkflowError::NotFound)?;
    let cal = calendar::load(ctx.db).await?;
    if let Act::Supplement { fields, .. } = &action {
        let form_version: i32 = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT form_version FROM cases WHERE id = $1")
            .bind(case_id).fetch_one(pool).await)?;
        let form = services::form_at(ctx.db, before.item_id, form_version).await?.ok_or(WorkflowError::NotFound)?;
        if let Some(bad) = fields.iter().find(|f| form.field(f).is_none()) {
            return Err(invalid("fields", format!("表单中没有“{bad}”这一项")));
        }
    }
    let now = ctx.now;
    let today = crate::time::shanghai_date(now);
    let me = actor.audit_actor();

    let mut tx = ctx.db.begin_write().await?;
    let c = lock_case(&mut tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let t: TaskLock = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT id, step, round, mode, assignee_id, owner_id, fallback, status, decided_by \
         FROM case_tasks WHERE id = $1").bind(task_id).fetch_one(conn).await)?;
    if t.status != "open" {
        // Cancelled because a sibling (或签) or another action came first: name who did it.
        let decided_by = match t.decided_by {
            Some(id) => Some(id),
            None => with_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT decided_by FROM case_tasks WHERE case_id = $1 AND step = $2 AND round = $3 AND status = 'done' \
                 ORDER BY decided_at DESC, id DESC LIMIT 1")
                .bind(c.id).bind(&t.step).bind(t.round).fetch_optional(conn).await)?
            .flatten(),
        };
        let by = match decided_by {
            Some(id) => staff_name(&mut tx, id).await?,
            None => "其他人员".into(),
        };
        return Err(WorkflowError::AlreadyHandled { by });
    }
    let mine = match action {
        Act::TakeBack => t.owner_id == Some(actor.id),
        _ => t.assignee_id == Some(actor.id),
    };
    if !mine {
        return Err(WorkflowError::Forbidden);
    }
    let step = def.step(&t.step).ok_or(WorkflowError::NotFound)?;
    // The dispatcher of a fallback task may hand it on whatever the step allows.
    let allowed = match action.step_action() {
        Some(StepAction::Transfer) if t.fallback => true,
        Some(a) => step.allows(a),
        None => true,
    };
    if !allowed {
        return Err(invalid("action", "本环节不允许该操作"));
    }
    if !matches!(c.status(), CaseStatus::Submitted | CaseStatus::Processing) {
        return Err(invalid("action", "该办件当前不能办理"));
    }
    let paused_external = c.paused_on.is_some() && c.pause_reason.as_deref() == Some("external");
    let allowed_while_paused = matches!(
        action,
        Act::Resume
            | Act::Transfer { .. }
            | Act::Delegate { .. }
            | Act::TakeBack
            | Act::RequestExtension { .. }
            | Act::Copy { .. }
    );
    if paused_external && !allowed_while_paused {
        return Err(invalid("action", "特别程序期间暂停办理：请先恢复计时"));
    }
    let mut detail = json!({ "task": t.id, "step": t.step });
    let outcome = match action.clone() {
        Act::Approve { opinion, choose } => {
            finish_task(&mut tx, t.id, actor.id, now, "approve", &opinion).await?;
            let open_left: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT COUNT(*) FROM case_tasks WHERE case_id = $1 AND step = $2 AND round = $3 AND status = 'open'")
                .bind(c.id).bind(&t.step).bind(t.round).fetch_one(conn).await)?;
            if t.mode == StepMode::All.code() && open_left > 0 {
                event(&mut tx, c.id, now, "countersigned", &me, false, &opinion).await?;
                Outcome::Waiting
            } else {
                cancel_open_tasks(&mut tx, c.id, now).await?;
                let mut c = c.clone();
                if c.status() == CaseStatus::Submitted {
                    // Accepting: the clock starts (the day of acceptance not counted).
                    let (days, kind): (i32, String) = with_tx!(&mut tx, conn => sqlx::query_as(
                        "SELECT promised_days, day_kind FROM service_items WHERE id = $1")
                        .bind(c.item_id).fetch_one(conn).await)?;
                    let counting = clock::counting(&kind);
                    let due = clock::due(&cal, today, days.max(0) as u32, counting);
                    let w = clock::warning(
                        clock::days_left(&cal, today, due, counting),
                        i64::from(days),
                        policy.yellow_percent,
                    );
                    with_tx!(&mut tx, conn => sqlx::query(
                        "UPDATE cases SET status = 'processing', accepted_at = $1, limit_days = $2, day_kind = $3, \
                         due_date = $4, warning = $5 WHERE id = $6")
                        .bind(now).bind(days).bind(&kind).bind(due.to_string()).bind(w.code()).bind(c.id)
                        .execute(conn).await.map(|_| ()))?;
                    event(
                        &mut tx,
                        c.id,
                        now,
                        "accepted",
                        &me,
                        true,
                        &format!(
                            "承诺办结时限 {days} 个{}，应于 {due} 前办结",
                            if counting == Counting::Natural { "自然日" } else { "工作日" }
                        ),
                    )
                    .await?;
                    c.status = "processing".into();
                    detail["accepted"] = json!({ "due": due.to_string() });
                }
                match step.next.as_deref().and_then(|k| def.step(k)) {
                    Some(next) => {
                        with_tx!(&mut tx, conn => sqlx::query("UPDATE cases SET step = $1 WHERE id = $2")
                            .bind(&next.key).bind(c.id).execute(conn).await.map(|_| ()))?;
                        event(&mut tx, c.id, now, "step_approved", &me, false, &opinion).await?;
                        create_tasks(&mut tx, &cal, &c, next, choose, now).await?;
                        Outcome::Moved { step: next.name.clone() }
                    }
                    None => {
                        conclude(&mut tx, &c, CaseStatus::Approved, &opinion, now).await?;
                        event(&mut tx, c.id, now, "approved", &me, true, &opinion).await?;
                        Outcome::Concluded(CaseStatus::Approved)
                    }
                }
            }
        }
        Act::Reject { reason } => {
            finish_task(&mut tx, t.id, actor.id, now, "reject", &reason).await?;
            cancel_open_tasks(&mut tx, c.id, now).await?;
            let kind = if c.status() == CaseStatus::Submitted { "not_accepted" } else { "rejected" };
            conclude(&mut tx, &c, CaseStatus::Rejected, &reason, now).await?;
            event(&mut tx, c.id, now, kind, &me, true, &reason).await?;
            Outcome::Concluded(CaseStatus::Rejected)
        }
        Act::Return { to, opinion } => {
            let target = def.earlier(&t.step).into_iter().find(|s| s.key == to).cloned();
            let target = target.ok_or_else(|| invalid("to", "只能退回到之前的环节"))?;
            finish_task(&mut tx, t.id, actor.id, now, "return", &opinion).await?;
            cancel_open_tasks(&mut tx, c.id, now).await?;
            with_tx!(&mut tx, conn => sqlx::query("UPDATE cases SET step = $1 WHERE id = $2")
                .bind(&target.key).bind(c.id).execute(conn).await.map(|_| ()))?;
            event(&mut tx, c.id, now, "returned", &me, false, &format!("退回至“{}”：{opinion}", target.name)).await?;
            create_tasks(&mut tx, &cal, &c, &target, None, now).await?;
            detail["to"] = json!(target.key);
            Outcome::Returned { step: target.name }
        }
        Act::Supplement { message, fields } => {
            finish_task(&mut tx, t.id, actor.id, now, "supplement", &message).await?;
            cancel_open_tasks(&mut tx, c.id, now).await?;
            with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE cases SET status = 'supplement', supplement_note = $1, supplement_fields = $2, updated_at = $3 \
                 WHERE id = $4")
                .bind(&message).bind(serde_json::to_string(&fields).unwrap_or_default()).bind(now).bind(c.id)
                .execute(conn).await.map(|_| ()))?;
            // The clock stops while the applicant corrects (不计入期限).
            pause_clock(&mut tx, &cal, &c, today, "supplement", "").await?;
            event(&mut tx, c.id, now, "supplement_requested", &me, true, &message).await?;
            detail["fields"] = json!(fields);
            Outcome::Concluded(CaseStatus::Supplement)
        }
        Act::Transfer { to, opinion } | Act::Delegate { to, opinion } => {
            let delegate = matches!(action, Act::Delegate { .. });
            let ok = colleagues_in(Either::Tx(&mut tx), c.department_id, actor).await?.into_iter().any(|p| p.id == to);
            if !ok {
                return Err(invalid("to", "请选择本部门或办件所属部门有审批权限的人员"));
            }
            let name = staff_name(&mut tx, to).await?;
            if delegate {
                with_tx!(&mut tx, conn => sqlx::query(
                    "UPDATE case_tasks SET assignee_id = $1, owner_id = COALESCE(owner_id, $2), opinion = $3 WHERE id = $4")
                    .bind(to).bind(actor.id).bind(&opinion).bind(t.id).execute(conn).await.map(|_| ()))?;
                event(&mut tx, c.id, now, "delegated", &me, false, &format!("委派{name}：{opinion}")).await?;
            } else {
                finish_task(&mut tx, t.id, actor.id, now, "transfer", &opinion).await?;
                with_tx!(&mut tx, conn => sqlx::query(
                    "INSERT INTO case_tasks (case_id, step, step_name, round, mode, assignee_id, status, created_at, due_date) \
                     SELECT case_id, step, step_name, round, mode, $1, 'open', $2, due_date FROM case_tasks WHERE id = $3")
                    .bind(to).bind(now).bind(t.id).execute(conn).await.map(|_| ()))?;
                event(&mut tx, c.id, now, "transferred", &me, false, &format!("转办{name}：{opinion}")).await?;
            }
            detail["to"] = json!(to);
            Outcome::Handed
        }
        Act::TakeBack => {
            with_tx!(&mut tx, conn => sqlx::query("UPDATE case_tasks SET assignee_id = owner_id, owner_id = NULL WHERE id = $1")
                .bind(t.id).execute(conn).await.map(|_| ()))?;
            event(&mut tx, c.id, now, "taken_back", &me, false, "").await?;
            Outcome::Handed
        }
        Act::Suspend { note } => {
            if c.status() != CaseStatus::Processing || c.paused_on.is_some() {
                return Err(invalid("note", "只有已受理、正在计时的办件可以进入特别程序"));
            }
            pause_clock(&mut tx, &cal, &c, today, "external", &note).await?;
            event(&mut tx, c.id, now, "suspended", &me, true, &note).await?;
            Outcome::Paused
        }
        Act::Resume => {
            if !paused_external {
                return Err(invalid("action", "该办件没有暂停计时"));
            }
            resume_clock(&mut tx, &cal, &c, today, policy).await?;
            event(&mut tx, c.id, now, "resumed", &me, true, "").await?;
            Outcome::Resumed
        }
        Act::Copy { to, note } => {
            let ok = colleagues_in(Either::Tx(&mut tx), c.department_id, actor).await?.into_iter().any(|p| p.id == to);
            if !ok {
                return Err(invalid("to", "请选择本部门或办件所属部门有审批权限的人员"));
            }
            with_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO case_copies (case_id, staff_id, copied_by, copied_at, note) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (case_id, staff_id) DO UPDATE SET copied_by = $3, copied_at = $4, note = $5, read_at = NULL")
                .bind(c.id).bind(to).bind(actor.id).bind(now).bind(&note).execute(conn).await.map(|_| ()))?;
            let name = staff_name(&mut tx, to).await?;
            event(&mut tx, c.id, now, "copied", &me, false, &format!("抄送{name}：{note}")).await?;
            detail["to"] = json!(to);
            Outcome::Handed
        }
        Act::RequestExtension { days, reason } => {
            if c.status() != CaseStatus::Processing {
                return Err(invalid("days", "只有已受理、未办结的办件可以申请延期"));
            }
            let pending: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT COUNT(*) FROM case_extensions WHERE case_id = $1 AND status = 'pending'")
                .bind(c.id).fetch_one(conn).await)?;
            if pending > 0 {
                return Err(invalid("days", "已有一项延期申请等待审批"));
            }
            with_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO case_extensions (case_id, requested_by, requested_at, days, reason, status) \
                 VALUES ($1, $2, $3, $4, $5, 'pending')")
                .bind(c.id).bind(actor.id).bind(now).bind(days as i32).bind(&reason).execute(conn).await.map(|_| ()))?;
            event(&mut tx, c.id, now, "extension_requested", &me, false, &format!("申请延长 {days} 天：{reason}"))
                .await?;
            detail["days"] = json!(days);
            Outcome::Handed
        }
    };
    with_tx!(&mut tx, conn => sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
        .bind(now).bind(c.id).execute(conn).await.map(|_| ()))?;
    let ev = AuditEvent::new(action.audit_name(), "case", c.id).with_detail(detail);
    audit::append(&mut tx, ctx.audit, &me, ctx.meta, &ev, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Adds `days` to the case's limit: moves the due date, or the days kept while stopped.
async fn extend(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    days: u32,
    today: NaiveDate,
    policy: ClockPolicy,
) -> Result<NaiveDate, WorkflowError> {
    if c.status() != CaseStatus::Processing && c.status() != CaseStatus::Supplement {
        return Err(invalid("days", "只有已受理、未办结的办件可以延期"));
    }
    let Some(due) = c.due() else { return Err(invalid("days", "该办件尚未开始计时")) };
    let new_due = if c.paused_on.is_some() { due } else { cal.add(due, days, c.counting()) };
    let total = total_days(c) + i64::from(days);
    let w = if c.paused_on.is_some() {
        Warning::None
    } else {
        clock::warning(clock::days_left(cal, today, new_due, c.counting()), total, policy.yellow_percent)
    };
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET extended_days = extended_days + $1, due_date = $2, \
         days_left_at_pause = CASE WHEN paused_on IS NULL THEN NULL ELSE days_left_at_pause + $1 END, warning = $3 \
         WHERE id = $4")
        .bind(days as i32).bind(new_due.to_string()).bind(w.code()).bind(c.id).execute(conn).await.map(|_| ()))?;
    Ok(new_due)
}

async fn finish_task(
    tx: &mut WriteTx,
    task_id: i64,
    by: i64,
    now: DateTime<Utc>,
    decision: &str,
    opinion: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE case_tasks SET status = 'done', decision = $1, opinion = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
        .bind(decision).bind(opinion).bind(by).bind(now).bind(task_id).execute(conn).await.map(|_| ()))
}

async fn conclude(
    tx: &mut WriteTx,
    c: &CaseLock,
    status: CaseStatus,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET status = $1, step = NULL, concluded_at = $2, conclusion_note = $3, warning = 'none', \
         paused_on = NULL, pause_reason = NULL, days_left_at_pause = NULL WHERE id = $4")
        .bind(status.code()).bind(now).bind(note).bind(c.id).execute(conn).await.map(|_| ()))
}

/// The applicant withdraws a case nobody has accepted yet (撤回).
pub async fn withdraw(ctx: &Ctx<'_>, actor: &CitizenActor, case_id: i64) -> Result<(), WorkflowError> {
    let mut tx = ctx.db.begin_write().await?;
    let c = lock_case(&mut tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let owner: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT citizen_id FROM cases WHERE id = $1")
        .bind(case_id).fetch_one(conn).await)?;
    if owner != actor.id {
        return Err(WorkflowError::NotFound);
    }
    if c.status() != CaseStatus::Submitted || c.accepted_at.is_some() {
        return Err(invalid("case", "已受理或已办结的申请不能撤回"));
    }
    cancel_open_tasks(&mut tx, case_id, ctx.now).await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE cases SET status = 'withdrawn', step = NULL, concluded_at = $1, updated_at = $1 WHERE id = $2")
        .bind(ctx.now).bind(case_id).execute(conn).await.map(|_| ()))?;
    let me = actor.audit_actor();
    event(&mut tx, case_id, ctx.now, "withdrawn", &me, true, "").await?;
    audit::append(&mut tx, ctx.audit, &me, ctx.meta, &AuditEvent::new("case.withdraw", "case", case_id), ctx.now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// What a supervisor (`case:supervise`) does to a case in their scope.
#[derive(Debug, Clone)]
pub enum Supervise {
    /// 终止, with the reason.
    Terminate { reason: String },
    /// 延期: more days, with the reason (the supervisor's approval is the action itself).
    Extend { days: u32, reason: String },
    /// 催办: a reminder to whoever holds the case's open tasks.
    Remind { message: String },
    /// A supervision note (督办记录).
    Note { message: String },
    /// Give the case's unassigned (or dispatcher's) open tasks to someone and close its alerts.
    Assign { to: i64 },
    /// Approve or refuse a pending extension request, with a note.
    DecideExtension { request: i64, approve: bool, note: String },
}

pub async fn supervise(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    case_id: i64,
    what: Supervise,
    policy: ClockPolicy,
) -> Result<(), WorkflowError> {
    actor.require(Permission::CaseSupervise).map_err(|_| WorkflowError::Forbidden)?;
    let before = case_row(ctx.db, case_id).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(before.department_id, None, actor.id) || before.status() == CaseStatus::Draft {
        return Err(WorkflowError::NotFound);
    }
    let what = match what {
        Supervise::Terminate { reason } => {
            Supervise::Terminate { reason: text(&reason, "reason", 2, 500, "终止理由")? }
        }
        Supervise::Extend { days, reason } => {
            if !(1..=60).contains(&days) {
                return Err(invalid("days", "延期天数须为 1–60 天"));
            }
            Supervise::Extend { days, reason: text(&reason, "reason", 2, 500, "延期理由")? }
        }
        Supervise::Remind { message } => {
            Supervise::Remind { message: text(&message, "message", 0, 200, "催办内容")? }
        }
        Supervise::Note { message } => Supervise::Note { message: text(&message, "message", 2, 500, "督办记录")? },
        Supervise::DecideExtension { request, approve, note } => {
            let min = if approve { 0 } else { 2 };
            Supervise::DecideExtension { request, approve, note: text(&note, "note", min, 500, "不批准的理由")? }
        }
        Supervise::Assign { to } => {
            if !assignable(ctx.db, actor).await?.iter().any(|p| p.id == to) {
                return Err(invalid("to", "请选择数据范围内有审批权限的人员"));
            }
            Supervise::Assign { to }
        }
    };
    let cal = calendar::load(ctx.db).await?;
    let now = ctx.now;
    let today = crate::time::shanghai_date(now);
    let me = actor.audit_actor();
    let mut tx = ctx.db.begin_write().await?;
    let c = lock_case(&mut tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let open = matches!(c.status(), CaseStatus::Submitted | CaseStatus::Processing | CaseStatus::Supplement);
    let (name, detail) = match &what {
        Supervise::Terminate { reason } => {
            if !open {
                return Err(invalid("reason", "该办件已办结，不能终止"));
            }
            cancel_open_tasks(&mut tx, case_id, now).await?;
            conclude(&mut tx, &c, CaseStatus::Terminated, reason, now).await?;
            event(&mut tx, case_id, now, "terminated", &me, true, reason).await?;
            ("case.terminate", json!({}))
        }
        Supervise::Extend { days, reason } => {
            let new_due = extend(&mut tx, &cal, &c, *days, today, policy).await?;
            event(&mut tx, case_id, now, "extended", &me, true, &format!("延长 {days} 天：{reason}")).await?;
            ("case.extend", json!({ "days": days, "due": new_due.to_string() }))
        }
        Supervise::DecideExtension { request, approve, note } => {
            let row: Option<(i32, String)> = with_tx!(&mut tx, conn => sqlx::query_as(
                "UPDATE case_extensions SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
                 WHERE id = $5 AND case_id = $6 AND status = 'pending' RETURNING days, reason")
                .bind(if *approve { "approved" } else { "refused" }).bind(actor.id).bind(now).bind(note)
                .bind(*request).bind(case_id).fetch_optional(conn).await)?;
            let Some((days, reason)) = row else { return Err(invalid("note", "该延期申请已处理")) };
            if *approve {
                let new_due = extend(&mut tx, &cal, &c, days as u32, today, policy).await?;
                event(&mut tx, case_id, now, "extended", &me, true, &format!("批准延长 {days} 天：{reason}")).await?;
                ("case.extension_approve", json!({ "request": request, "days": days, "due": new_due.to_string() }))
            } else {
                event(&mut tx, case_id, now, "extension_refused", &me, false, note).await?;
                ("case.extension_refuse", json!({ "request": request }))
            }
        }
        Supervise::Remind { message } => {
            if !open {
                return Err(invalid("message", "该办件已办结"));
            }
            let n: u64 = with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE case_tasks SET reminders = reminders + 1 WHERE case_id = $1 AND status = 'open'")
                .bind(case_id).execute(conn).await.map(|r| r.rows_affected()))?;
            event(&mut tx, case_id, now, "reminded", &me, false, message).await?;
            ("case.remind", json!({ "tasks": n }))
        }
        Supervise::Note { message } => {
            event(&mut tx, case_id, now, "supervision_note", &me, false, message).await?;
            ("case.supervision_note", json!({}))
        }
        Supervise::Assign { to } => {
            let n: u64 = with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE case_tasks SET assignee_id = $1, owner_id = NULL, fallback = FALSE WHERE case_id = $2 AND status = 'open' \
                 AND (assignee_id IS NULL OR fallback)")
                .bind(*to).bind(case_id).execute(conn).await.map(|r| r.rows_affected()))?;
            if n == 0 {
                return Err(invalid("to", "该办件没有待指派的任务"));
            }
            with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE workflow_alerts SET resolved_at = $1 WHERE case_id = $2 AND resolved_at IS NULL")
                .bind(now).bind(case_id).execute(conn).await.map(|_| ()))?;
            let name = staff_name(&mut tx, *to).await?;
            event(&mut tx, case_id, now, "assigned", &me, false, &format!("指派{name}办理")).await?;
            ("case.assign", json!({ "to": to, "tasks": n }))
        }
    };
    let ev = AuditEvent::new(name, "case", case_id).with_detail(detail);
    audit::append(&mut tx, ctx.audit, &me, ctx.meta, &ev, now).await?;
    tx.commit().await?;
    Ok(())
}

// ---- Reading --------------------------------------------------------------------------------

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
    decision: Option<String>,
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
        decision: r.decision.map(|d| StepAction::parse(&d).map(|a| a.name_zh().to_string()).unwrap_or(d)),
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
    let sql =
        format!("{TASK_LIST} WHERE t.assignee_id = $1 AND t.status = 'open' ORDER BY t.created_at, t.id LIMIT 500");
    let rows: Vec<TaskListRow> = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).fetch_all(pool).await)?;
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
        "{TASK_LIST} WHERE t.decided_by = $1 AND t.status = 'done' ORDER BY t.decided_at DESC, t.id DESC LIMIT 200"
    );
    let rows: Vec<TaskListRow> = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).fetch_all(pool).await)?;
    let cal = calendar::load(ctx.db).await?;
    let today = crate::time::shanghai_date(ctx.now);
    Ok(rows.into_iter().map(|r| task_row(&cal, r, today, policy)).collect())
}

/// The workflow panel of the staff case page (the caller checked the case is in scope).
pub async fn panel(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    case_id: i64,
    policy: ClockPolicy,
) -> Result<WorkflowPanel, WorkflowError> {
    actor.require(Permission::CaseRead).map_err(|_| WorkflowError::Forbidden)?;
    let c = case_row(ctx.db, case_id).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(c.department_id, None, actor.id) {
        return Err(WorkflowError::NotFound);
    }
    let sql = format!("SELECT {CLOCK_COLUMNS} FROM cases WHERE id = $1");
    let mut clock_row: ClockRow = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(case_id).fetch_one(pool).await)?;
    if clock_row.limit_days.is_none() {
        // Not accepted yet: the limit is the item's promise (taken into the case at acceptance).
        let (days, kind): (i32, String) = with_db!(ctx.db, pool => sqlx::query_as(
            "SELECT promised_days, day_kind FROM service_items WHERE id = $1").bind(c.item_id).fetch_one(pool).await)?;
        clock_row.limit_days = Some(days);
        clock_row.day_kind = Some(kind);
    }
    let cal = calendar::load(ctx.db).await?;
    let today = crate::time::shanghai_date(ctx.now);
    let def = match c.workflow_version {
        Some(v) => definition(ctx.db, c.item_id, v).await?,
        None => None,
    };
    #[derive(sqlx::FromRow)]
    struct HistoryRow {
        id: i64,
        step_name: String,
        assignee: Option<String>,
        status: String,
        decision: Option<String>,
        opinion: String,
        decided_by: Option<String>,
        created_at: DateTime<Utc>,
        decided_at: Option<DateTime<Utc>>,
        assignee_id: Option<i64>,
        owner_id: Option<i64>,
        step: String,
        fallback: bool,
    }
    let rows: Vec<HistoryRow> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT t.id, t.step_name, a.display_name AS assignee, t.status, t.decision, t.opinion, \
         b.display_name AS decided_by, t.created_at, t.decided_at, t.assignee_id, t.owner_id, t.step, t.fallback \
         FROM case_tasks t LEFT JOIN staff a ON a.id = t.assignee_id LEFT JOIN staff b ON b.id = t.decided_by \
         WHERE t.case_id = $1 ORDER BY t.id").bind(case_id).fetch_all(pool).await)?;
    let mut panel = WorkflowPanel {
        accepting: c.status() == CaseStatus::Submitted,
        version: c.workflow_version,
        clock: clock_view(&cal, &clock_row, today, policy),
        // Before acceptance the acceptance phrase first; after it, the decision phrases.
        phrases: {
            let mut p: Vec<String> = COMMON_PHRASES.iter().map(|s| s.to_string()).collect();
            if c.status() != CaseStatus::Submitted {
                p.rotate_left(1);
            }
            p
        },
        can_supervise: actor.can(Permission::CaseSupervise),
        ..WorkflowPanel::default()
    };
    // Opening a case copied to me marks the copy read.
    with_db!(ctx.db, pool => sqlx::query(
        "UPDATE case_copies SET read_at = $1 WHERE case_id = $2 AND staff_id = $3 AND read_at IS NULL")
        .bind(ctx.now).bind(case_id).bind(actor.id).execute(pool).await.map(|_| ()))?;
    let pending: Option<(i64, i32, String, String)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT e.id, e.days, e.reason, s.display_name FROM case_extensions e JOIN staff s ON s.id = e.requested_by \
         WHERE e.case_id = $1 AND e.status = 'pending' ORDER BY e.id LIMIT 1")
        .bind(case_id).fetch_optional(pool).await)?;
    panel.pending_extension = pending.clone();
    let unassigned = rows.iter().any(|r| r.status == "open" && r.assignee_id.is_none());
    if panel.can_supervise && unassigned {
        panel.assignable = assignable(ctx.db, actor).await?;
    }
    let mut my_step: Option<(String, bool)> = None;
    for r in rows {
        let HistoryRow { id, step_name, assignee, status, decision, opinion, decided_by, .. } = r;
        let (created, decided, assignee_id, owner_id) = (r.created_at, r.decided_at, r.assignee_id, r.owner_id);
        if status == "open" {
            panel.step_name = Some(step_name.clone());
            if assignee_id == Some(actor.id) {
                panel.my_task = Some(id);
                my_step = Some((r.step.clone(), r.fallback));
            }
            if owner_id == Some(actor.id) {
                panel.can_take_back = Some(id);
            }
        }
        panel.history.push(TaskHistory {
            step_name,
            assignee: assignee.unwrap_or_else(|| "（待指派）".into()),
            status: match status.as_str() {
                "open" => "待办",
                "done" => "已办",
                _ => "已取消",
            }
            .into(),
            decision: decision.map(|d| StepAction::parse(&d).map(|a| a.name_zh().to_string()).unwrap_or(d)),
            opinion,
            decided_by,
            at: crate::time::local_minute(decided.unwrap_or(created)),
        });
    }
    if let (Some((step_key, fallback)), Some(def)) = (my_step, &def) {
        if let Some(step) = def.step(&step_key) {
            let paused_external = c.paused_on.is_some() && c.pause_reason.as_deref() == Some("external");
            panel.can_resume = paused_external && step.allows(StepAction::Suspend);
            let approver = actor.can(Permission::CaseApprove);
            panel.actions = StepAction::ALL
                .into_iter()
                .filter(|a| step.allows(*a) || (fallback && *a == StepAction::Transfer))
                .filter(|a| approver || matches!(a, StepAction::Transfer | StepAction::Delegate))
                .filter(|a| !paused_external || matches!(a, StepAction::Transfer | StepAction::Delegate))
                .filter(|a| {
                    *a != StepAction::Suspend || (c.status() == CaseStatus::Processing && c.paused_on.is_none())
                })
                .collect();
            panel.return_to = def.earlier(&step_key).into_iter().map(|s| (s.key.clone(), s.name.clone())).collect();
            panel.can_request_extension =
                approver && c.status() == CaseStatus::Processing && panel.pending_extension.is_none();
            if let Some(AssigneeRule::Chosen { role }) =
                step.next.as_deref().and_then(|k| def.step(k)).map(|s| &s.assignee)
            {
                let rows: Vec<(i64, String, String)> = with_db!(ctx.db, pool => sqlx::query_as(
                    "SELECT DISTINCT s.id, s.display_name, d.name FROM staff s JOIN departments d ON d.id = s.department_id \
                     JOIN staff_roles sr ON sr.staff_id = s.id JOIN roles r ON r.id = sr.role_id \
                     WHERE r.code = $1 AND s.department_id = $2 AND s.status = 'active' ORDER BY s.id")
                    .bind(role).bind(c.department_id).fetch_all(pool).await)?;
                panel.choose_next =
                    rows.into_iter().map(|(id, name, department)| Person { id, name, department }).collect();
            }
            panel.colleagues = colleagues_in(Either::Db(ctx.db), c.department_id, actor).await?;
        }
    }
    Ok(panel)
}

/// Who a supervisor may give a task to: active staff with `case:approve` in the supervisor's scope.
pub async fn assignable(db: &Db, actor: &StaffActor) -> Result<Vec<Person>, sqlx::Error> {
    let scope = services::scope_clause(actor, "s.department_id");
    let sql = format!(
        "SELECT DISTINCT s.id, s.display_name, d.name FROM staff s JOIN departments d ON d.id = s.department_id \
         JOIN staff_roles sr ON sr.staff_id = s.id JOIN role_permissions rp ON rp.role_id = sr.role_id \
         WHERE rp.permission = 'case:approve' AND s.status = 'active' {scope} ORDER BY s.id"
    );
    let rows: Vec<(i64, String, String)> = with_db!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(id, name, department)| Person { id, name, department }).collect())
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
         (SELECT MAX(t.step_name) FROM case_tasks t WHERE t.case_id = c.id AND t.status = 'open') AS step_name, \
         (SELECT MAX(s.display_name) FROM case_tasks t JOIN staff s ON s.id = t.assignee_id \
            WHERE t.case_id = c.id AND t.status = 'open') AS assignees, \
         (SELECT MAX(t.reminders) FROM case_tasks t WHERE t.case_id = c.id AND t.status = 'open') AS reminders, \
         c.status, c.accepted_at, c.limit_days, c.day_kind, c.due_date, c.extended_days, c.paused_on, c.pause_reason, \
         c.pause_note, c.days_left_at_pause \
         FROM cases c JOIN service_items i ON i.id = c.item_id JOIN departments d ON d.id = c.department_id \
         WHERE c.status = 'processing' AND c.warning IN ('yellow', 'red') {scope} ORDER BY c.due_date, c.id LIMIT 500"
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
         WHERE e.status = 'pending' {scope} ORDER BY e.id LIMIT 100"
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
