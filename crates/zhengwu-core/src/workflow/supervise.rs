//! What a supervisor (`case:supervise`) does to a case in their scope — terminate, extend,
//! decide extension requests, remind, note, assign — and the applicant's withdrawal (撤回).

use serde_json::json;
use zhengwu_types::{
    services::CaseStatus,
    timeline::EventKind,
    workflow::{ExtensionStatus, TaskStatus},
};

use super::{
    assign::assignable,
    case_row::{self, cancel_open_tasks, conclude, staff_name},
    clock::extend,
    invalid, text, ClockPolicy, WorkflowError,
};
use crate::{
    audit::{self, AuditEvent},
    calendar,
    citizen::CitizenActor,
    identity::{Ctx, Permission, StaffActor},
    timeline, with_tx,
};

/// The applicant withdraws a case nobody has accepted yet (撤回).
pub async fn withdraw(ctx: &Ctx<'_>, actor: &CitizenActor, case_id: i64) -> Result<(), WorkflowError> {
    let mut tx = ctx.db.begin_write().await?;
    let c = case_row::lock(&mut tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let owner: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT citizen_id FROM cases WHERE id = $1")
        .bind(case_id).fetch_one(conn).await)?;
    if owner != actor.id {
        return Err(WorkflowError::NotFound);
    }
    if c.status != CaseStatus::Submitted || c.accepted_at.is_some() {
        return Err(invalid("case", "已受理或已办结的申请不能撤回"));
    }
    cancel_open_tasks(&mut tx, case_id, ctx.now).await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE cases SET status = $1, step = NULL, concluded_at = $2, updated_at = $2 WHERE id = $3")
        .bind(CaseStatus::Withdrawn).bind(ctx.now).bind(case_id).execute(conn).await.map(|_| ()))?;
    let me = actor.audit_actor();
    timeline::record(&mut tx, case_id, ctx.now, EventKind::Withdrawn, &me, true, "").await?;
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

/// Applies `what` to the case: one transaction with its timeline entry and audit record.
pub async fn supervise(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    case_id: i64,
    what: Supervise,
    policy: ClockPolicy,
) -> Result<(), WorkflowError> {
    actor.require(Permission::CaseSupervise).map_err(|_| WorkflowError::Forbidden)?;
    let before = case_row::read(ctx.db, case_id).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(before.department_id, None, actor.id) || before.status == CaseStatus::Draft {
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
    let c = case_row::lock(&mut tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let open = matches!(c.status, CaseStatus::Submitted | CaseStatus::Processing | CaseStatus::Supplement);
    let (name, detail) = match &what {
        Supervise::Terminate { reason } => {
            if !open {
                return Err(invalid("reason", "该办件已办结，不能终止"));
            }
            cancel_open_tasks(&mut tx, case_id, now).await?;
            conclude(&mut tx, &c, CaseStatus::Terminated, reason, now).await?;
            timeline::record(&mut tx, case_id, now, EventKind::Terminated, &me, true, reason).await?;
            ("case.terminate", json!({}))
        }
        Supervise::Extend { days, reason } => {
            let new_due = extend(&mut tx, &cal, &c, *days, today, policy).await?;
            timeline::record(
                &mut tx,
                case_id,
                now,
                EventKind::Extended,
                &me,
                true,
                &format!("延长 {days} 天：{reason}"),
            )
            .await?;
            ("case.extend", json!({ "days": days, "due": new_due.to_string() }))
        }
        Supervise::DecideExtension { request, approve, note } => {
            let row: Option<(i32, String)> = with_tx!(&mut tx, conn => sqlx::query_as(
                "UPDATE case_extensions SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 \
                 WHERE id = $5 AND case_id = $6 AND status = $7 RETURNING days, reason")
                .bind(if *approve { ExtensionStatus::Approved } else { ExtensionStatus::Refused }).bind(actor.id).bind(now).bind(note)
                .bind(*request).bind(case_id).bind(ExtensionStatus::Pending).fetch_optional(conn).await)?;
            let Some((days, reason)) = row else { return Err(invalid("note", "该延期申请已处理")) };
            if *approve {
                let new_due = extend(&mut tx, &cal, &c, days as u32, today, policy).await?;
                timeline::record(
                    &mut tx,
                    case_id,
                    now,
                    EventKind::Extended,
                    &me,
                    true,
                    &format!("批准延长 {days} 天：{reason}"),
                )
                .await?;
                ("case.extension_approve", json!({ "request": request, "days": days, "due": new_due.to_string() }))
            } else {
                timeline::record(&mut tx, case_id, now, EventKind::ExtensionRefused, &me, false, note).await?;
                ("case.extension_refuse", json!({ "request": request }))
            }
        }
        Supervise::Remind { message } => {
            if !open {
                return Err(invalid("message", "该办件已办结"));
            }
            let n: u64 = with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE case_tasks SET reminders = reminders + 1 WHERE case_id = $1 AND status = $2")
                .bind(case_id).bind(TaskStatus::Open).execute(conn).await.map(|r| r.rows_affected()))?;
            timeline::record(&mut tx, case_id, now, EventKind::Reminded, &me, false, message).await?;
            ("case.remind", json!({ "tasks": n }))
        }
        Supervise::Note { message } => {
            timeline::record(&mut tx, case_id, now, EventKind::SupervisionNote, &me, false, message).await?;
            ("case.supervision_note", json!({}))
        }
        Supervise::Assign { to } => {
            let n: u64 = with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE case_tasks SET assignee_id = $1, owner_id = NULL, fallback = FALSE WHERE case_id = $2 AND status = $3 \
                 AND (assignee_id IS NULL OR fallback)")
                .bind(*to).bind(case_id).bind(TaskStatus::Open).execute(conn).await.map(|r| r.rows_affected()))?;
            if n == 0 {
                return Err(invalid("to", "该办件没有待指派的任务"));
            }
            with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE workflow_alerts SET resolved_at = $1 WHERE case_id = $2 AND resolved_at IS NULL")
                .bind(now).bind(case_id).execute(conn).await.map(|_| ()))?;
            let name = staff_name(&mut tx, *to).await?;
            timeline::record(&mut tx, case_id, now, EventKind::Assigned, &me, false, &format!("指派{name}办理"))
                .await?;
            ("case.assign", json!({ "to": to, "tasks": n }))
        }
    };
    let ev = AuditEvent::new(name, "case", case_id).with_detail(detail);
    audit::append(&mut tx, ctx.audit, &me, ctx.meta, &ev, now).await?;
    tx.commit().await?;
    Ok(())
}
