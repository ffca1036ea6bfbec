//! The actions that hand a task on or change its clock without deciding: transfer (转办),
//! delegate (委派) and take back, copy (抄送), the external procedure (特别程序) and its end,
//! and the extension request (延期申请).

use serde_json::{json, Value};
use zhengwu_types::{
    services::CaseStatus,
    timeline::EventKind,
    workflow::{ExtensionStatus, PauseReason, StepAction, TaskStatus},
};

use super::{
    act::{Acting, Outcome},
    assign::{colleagues_in, Either},
    case_row::{finish_task, staff_name},
    clock::{pause_clock, resume_clock},
    invalid, WorkflowError,
};
use crate::{db::WriteTx, timeline, with_tx};

/// `to` must be a colleague who may approve, in the case's department or the actor's.
async fn check_colleague(tx: &mut WriteTx, a: &Acting<'_>, to: i64) -> Result<(), WorkflowError> {
    let ok = colleagues_in(Either::Tx(tx), a.c.department_id, a.actor).await?.into_iter().any(|p| p.id == to);
    if !ok {
        return Err(invalid("to", "请选择本部门或办件所属部门有审批权限的人员"));
    }
    Ok(())
}

pub(super) async fn transfer(
    tx: &mut WriteTx,
    a: &Acting<'_>,
    detail: &mut Value,
    to: i64,
    opinion: &str,
) -> Result<Outcome, WorkflowError> {
    check_colleague(tx, a, to).await?;
    let name = staff_name(tx, to).await?;
    finish_task(tx, a.t.id, a.actor.id, a.now, StepAction::Transfer, opinion).await?;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO case_tasks (case_id, step, step_name, round, mode, assignee_id, status, created_at, due_date) \
         SELECT case_id, step, step_name, round, mode, $1, $2, $3, due_date FROM case_tasks WHERE id = $4")
        .bind(to).bind(TaskStatus::Open).bind(a.now).bind(a.t.id).execute(conn).await.map(|_| ()))?;
    timeline::record(tx, a.c.id, a.now, EventKind::Transferred, &a.me, false, &format!("转办{name}：{opinion}"))
        .await?;
    detail["to"] = json!(to);
    Ok(Outcome::Handed)
}

pub(super) async fn delegate(
    tx: &mut WriteTx,
    a: &Acting<'_>,
    detail: &mut Value,
    to: i64,
    opinion: &str,
) -> Result<Outcome, WorkflowError> {
    check_colleague(tx, a, to).await?;
    let name = staff_name(tx, to).await?;
    with_tx!(tx, conn => sqlx::query(
        "UPDATE case_tasks SET assignee_id = $1, owner_id = COALESCE(owner_id, $2), opinion = $3 WHERE id = $4")
        .bind(to).bind(a.actor.id).bind(opinion).bind(a.t.id).execute(conn).await.map(|_| ()))?;
    timeline::record(tx, a.c.id, a.now, EventKind::Delegated, &a.me, false, &format!("委派{name}：{opinion}")).await?;
    detail["to"] = json!(to);
    Ok(Outcome::Handed)
}

pub(super) async fn take_back(tx: &mut WriteTx, a: &Acting<'_>) -> Result<Outcome, WorkflowError> {
    with_tx!(tx, conn => sqlx::query("UPDATE case_tasks SET assignee_id = owner_id, owner_id = NULL WHERE id = $1")
        .bind(a.t.id).execute(conn).await.map(|_| ()))?;
    timeline::record(tx, a.c.id, a.now, EventKind::TakenBack, &a.me, false, "").await?;
    Ok(Outcome::Handed)
}

pub(super) async fn suspend(tx: &mut WriteTx, a: &Acting<'_>, note: &str) -> Result<Outcome, WorkflowError> {
    if a.c.status != CaseStatus::Processing || a.c.paused_on.is_some() {
        return Err(invalid("note", "只有已受理、正在计时的办件可以进入特别程序"));
    }
    pause_clock(tx, a.cal, &a.c, a.today, PauseReason::External, note).await?;
    timeline::record(tx, a.c.id, a.now, EventKind::Suspended, &a.me, true, note).await?;
    Ok(Outcome::Paused)
}

pub(super) async fn resume(tx: &mut WriteTx, a: &Acting<'_>) -> Result<Outcome, WorkflowError> {
    if !a.c.paused_external() {
        return Err(invalid("action", "该办件没有暂停计时"));
    }
    resume_clock(tx, a.cal, &a.c, a.today, a.policy).await?;
    timeline::record(tx, a.c.id, a.now, EventKind::Resumed, &a.me, true, "").await?;
    Ok(Outcome::Resumed)
}

pub(super) async fn copy(
    tx: &mut WriteTx,
    a: &Acting<'_>,
    detail: &mut Value,
    to: i64,
    note: &str,
) -> Result<Outcome, WorkflowError> {
    check_colleague(tx, a, to).await?;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO case_copies (case_id, staff_id, copied_by, copied_at, note) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (case_id, staff_id) DO UPDATE SET copied_by = $3, copied_at = $4, note = $5, read_at = NULL")
        .bind(a.c.id).bind(to).bind(a.actor.id).bind(a.now).bind(note).execute(conn).await.map(|_| ()))?;
    let name = staff_name(tx, to).await?;
    timeline::record(tx, a.c.id, a.now, EventKind::Copied, &a.me, false, &format!("抄送{name}：{note}")).await?;
    detail["to"] = json!(to);
    Ok(Outcome::Handed)
}

pub(super) async fn request_extension(
    tx: &mut WriteTx,
    a: &Acting<'_>,
    detail: &mut Value,
    days: u32,
    reason: &str,
) -> Result<Outcome, WorkflowError> {
    if a.c.status != CaseStatus::Processing {
        return Err(invalid("days", "只有已受理、未办结的办件可以申请延期"));
    }
    let pending: i64 = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM case_extensions WHERE case_id = $1 AND status = $2")
        .bind(a.c.id).bind(ExtensionStatus::Pending).fetch_one(conn).await)?;
    if pending > 0 {
        return Err(invalid("days", "已有一项延期申请等待审批"));
    }
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO case_extensions (case_id, requested_by, requested_at, days, reason, status) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(a.c.id).bind(a.actor.id).bind(a.now).bind(days as i32).bind(reason).bind(ExtensionStatus::Pending)
        .execute(conn).await.map(|_| ()))?;
    let message = format!("申请延长 {days} 天：{reason}");
    timeline::record(tx, a.c.id, a.now, EventKind::ExtensionRequested, &a.me, false, &message).await?;
    detail["days"] = json!(days);
    Ok(Outcome::Handed)
}
