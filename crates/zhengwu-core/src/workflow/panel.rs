//! The workflow panel of the staff case page: the clock, where the case is, the history of its
//! tasks, and the actions this person may take now.

use chrono::{DateTime, Utc};
use zhengwu_types::{
    services::CaseStatus,
    workflow::{
        AssigneeRule, ExtensionStatus, Person, StepAction, TaskHistory, TaskStatus, WorkflowPanel, COMMON_PHRASES,
    },
};

use super::{
    assign::{assignable, colleagues_in, Either},
    case_row,
    clock::{clock_view, ClockRow, CLOCK_COLUMNS},
    definitions::definition,
    ClockPolicy, WorkflowError,
};
use crate::{
    calendar,
    identity::{Ctx, Permission, StaffActor},
    with_db,
};

/// The workflow panel of the staff case page (the caller checked the case is in scope).
pub async fn panel(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    case_id: i64,
    policy: ClockPolicy,
) -> Result<WorkflowPanel, WorkflowError> {
    actor.require(Permission::CaseRead).map_err(|_| WorkflowError::Forbidden)?;
    let c = case_row::read(ctx.db, case_id).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(c.department_id, None, actor.id) {
        return Err(WorkflowError::NotFound);
    }
    let sql = format!("SELECT {CLOCK_COLUMNS} FROM cases WHERE id = $1");
    let mut clock_row: ClockRow = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(case_id).fetch_one(pool).await)?;
    if clock_row.limit_days.is_none() {
        // Not accepted yet: the limit is the item's promise (taken into the case at acceptance).
        let (days, kind): (i32, zhengwu_types::services::DayKind) = with_db!(ctx.db, pool => sqlx::query_as(
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
        status: TaskStatus,
        decision: Option<StepAction>,
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
        accepting: c.status == CaseStatus::Submitted,
        version: c.workflow_version,
        clock: clock_view(&cal, &clock_row, today, policy),
        // Before acceptance the acceptance phrase first; after it, the decision phrases.
        phrases: {
            let mut p: Vec<String> = COMMON_PHRASES.iter().map(|s| s.to_string()).collect();
            if c.status != CaseStatus::Submitted {
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
         WHERE e.case_id = $1 AND e.status = $2 ORDER BY e.id LIMIT 1")
        .bind(case_id).bind(ExtensionStatus::Pending).fetch_optional(pool).await)?;
    panel.pending_extension = pending.clone();
    let unassigned = rows.iter().any(|r| r.status == TaskStatus::Open && r.assignee_id.is_none());
    if panel.can_supervise && unassigned {
        panel.assignable = assignable(ctx.db, actor).await?;
    }
    let mut my_step: Option<(String, bool)> = None;
    for r in rows {
        let HistoryRow { id, step_name, assignee, status, decision, opinion, decided_by, .. } = r;
        let (created, decided, assignee_id, owner_id) = (r.created_at, r.decided_at, r.assignee_id, r.owner_id);
        if status == TaskStatus::Open {
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
            status: status.name_zh().into(),
            decision: decision.map(|d| d.name_zh().to_string()),
            opinion,
            decided_by,
            at: crate::time::local_minute(decided.unwrap_or(created)),
        });
    }
    if let (Some((step_key, fallback)), Some(def)) = (my_step, &def) {
        if let Some(step) = def.step(&step_key) {
            let paused_external = c.paused_external();
            panel.can_resume = paused_external && step.allows(StepAction::Suspend);
            let approver = actor.can(Permission::CaseApprove);
            panel.actions = StepAction::ALL
                .into_iter()
                .filter(|a| step.allows(*a) || (fallback && *a == StepAction::Transfer))
                .filter(|a| approver || matches!(a, StepAction::Transfer | StepAction::Delegate))
                .filter(|a| !paused_external || matches!(a, StepAction::Transfer | StepAction::Delegate))
                .filter(|a| *a != StepAction::Suspend || (c.status == CaseStatus::Processing && c.paused_on.is_none()))
                .collect();
            panel.return_to = def.earlier(&step_key).into_iter().map(|s| (s.key.clone(), s.name.clone())).collect();
            panel.can_request_extension =
                approver && c.status == CaseStatus::Processing && panel.pending_extension.is_none();
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
