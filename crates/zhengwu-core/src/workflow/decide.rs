//! The deciding actions (need `case:approve`): approve — which accepts the case at the first
//! step and starts the clock, moves it on, or concludes it — reject, return to an earlier step,
//! and send it back to the applicant for correction (补正, the clock stops).

use serde_json::{json, Value};
use zhengwu_types::{
    services::{CaseStatus, DayKind},
    timeline::EventKind,
    workflow::{PauseReason, StepAction, StepMode, TaskStatus},
};

use super::{
    act::{Acting, Outcome},
    assign::create_tasks,
    case_row::{cancel_open_tasks, conclude, finish_task},
    clock::{self, pause_clock},
    invalid, WorkflowError,
};
use crate::{db::WriteTx, timeline, with_tx};

pub(super) async fn approve(
    tx: &mut WriteTx,
    a: &Acting<'_>,
    detail: &mut Value,
    opinion: &str,
    choose: Option<i64>,
) -> Result<Outcome, WorkflowError> {
    let (t, now) = (&a.t, a.now);
    finish_task(tx, t.id, a.actor.id, now, StepAction::Approve, opinion).await?;
    let open_left: i64 = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM case_tasks WHERE case_id = $1 AND step = $2 AND round = $3 AND status = $4")
        .bind(a.c.id).bind(&t.step).bind(t.round).bind(TaskStatus::Open).fetch_one(conn).await)?;
    if t.mode == StepMode::All && open_left > 0 {
        timeline::record(tx, a.c.id, now, EventKind::Countersigned, &a.me, false, opinion).await?;
        return Ok(Outcome::Waiting);
    }
    cancel_open_tasks(tx, a.c.id, now).await?;
    let mut c = a.c.clone();
    if c.status == CaseStatus::Submitted {
        // Accepting: the clock starts (the day of acceptance not counted).
        let (days, kind): (i32, DayKind) = with_tx!(tx, conn => sqlx::query_as(
            "SELECT promised_days, day_kind FROM service_items WHERE id = $1")
            .bind(c.item_id).fetch_one(conn).await)?;
        let counting = clock::counting(kind);
        let due = clock::due(a.cal, a.today, days.max(0) as u32, counting);
        let w =
            clock::warning(clock::days_left(a.cal, a.today, due, counting), i64::from(days), a.policy.yellow_percent);
        with_tx!(tx, conn => sqlx::query(
            "UPDATE cases SET status = $1, accepted_at = $2, limit_days = $3, day_kind = $4, due_date = $5, warning = $6 \
             WHERE id = $7")
            .bind(CaseStatus::Processing).bind(now).bind(days).bind(kind).bind(due.to_string()).bind(w).bind(c.id)
            .execute(conn).await.map(|_| ()))?;
        let message = format!("承诺办结时限 {days} {}，应于 {due} 前办结", kind.unit_zh());
        timeline::record(tx, c.id, now, EventKind::Accepted, &a.me, true, &message).await?;
        c.status = CaseStatus::Processing;
        detail["accepted"] = json!({ "due": due.to_string() });
    }
    match a.step.next.as_deref().and_then(|k| a.def.step(k)) {
        Some(next) => {
            with_tx!(tx, conn => sqlx::query("UPDATE cases SET step = $1 WHERE id = $2")
                .bind(&next.key).bind(c.id).execute(conn).await.map(|_| ()))?;
            timeline::record(tx, c.id, now, EventKind::StepApproved, &a.me, false, opinion).await?;
            create_tasks(tx, a.cal, &c, next, choose, now).await?;
            Ok(Outcome::Moved { step: next.name.clone() })
        }
        None => {
            conclude(tx, &c, CaseStatus::Approved, opinion, now).await?;
            timeline::record(tx, c.id, now, EventKind::Approved, &a.me, true, opinion).await?;
            Ok(Outcome::Concluded(CaseStatus::Approved))
        }
    }
}

pub(super) async fn reject(tx: &mut WriteTx, a: &Acting<'_>, reason: &str) -> Result<Outcome, WorkflowError> {
    finish_task(tx, a.t.id, a.actor.id, a.now, StepAction::Reject, reason).await?;
    cancel_open_tasks(tx, a.c.id, a.now).await?;
    // Before acceptance this is 不予受理; after it, 不予许可.
    let kind = if a.c.status == CaseStatus::Submitted { EventKind::NotAccepted } else { EventKind::Rejected };
    conclude(tx, &a.c, CaseStatus::Rejected, reason, a.now).await?;
    timeline::record(tx, a.c.id, a.now, kind, &a.me, true, reason).await?;
    Ok(Outcome::Concluded(CaseStatus::Rejected))
}

pub(super) async fn return_to(
    tx: &mut WriteTx,
    a: &Acting<'_>,
    detail: &mut Value,
    to: &str,
    opinion: &str,
) -> Result<Outcome, WorkflowError> {
    let target = a.def.earlier(&a.t.step).into_iter().find(|s| s.key == to).cloned();
    let target = target.ok_or_else(|| invalid("to", "只能退回到之前的环节"))?;
    finish_task(tx, a.t.id, a.actor.id, a.now, StepAction::Return, opinion).await?;
    cancel_open_tasks(tx, a.c.id, a.now).await?;
    with_tx!(tx, conn => sqlx::query("UPDATE cases SET step = $1 WHERE id = $2")
        .bind(&target.key).bind(a.c.id).execute(conn).await.map(|_| ()))?;
    let message = format!("退回至“{}”：{opinion}", target.name);
    timeline::record(tx, a.c.id, a.now, EventKind::Returned, &a.me, false, &message).await?;
    create_tasks(tx, a.cal, &a.c, &target, None, a.now).await?;
    detail["to"] = json!(target.key);
    Ok(Outcome::Returned { step: target.name })
}

pub(super) async fn supplement(
    tx: &mut WriteTx,
    a: &Acting<'_>,
    detail: &mut Value,
    message: &str,
    fields: &[String],
) -> Result<Outcome, WorkflowError> {
    finish_task(tx, a.t.id, a.actor.id, a.now, StepAction::Supplement, message).await?;
    cancel_open_tasks(tx, a.c.id, a.now).await?;
    let fields_json = serde_json::to_string(fields).expect("a list of strings serialises");
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET status = $1, supplement_note = $2, supplement_fields = $3, updated_at = $4 WHERE id = $5")
        .bind(CaseStatus::Supplement).bind(message).bind(fields_json).bind(a.now).bind(a.c.id)
        .execute(conn).await.map(|_| ()))?;
    // The clock stops while the applicant corrects (不计入期限).
    pause_clock(tx, a.cal, &a.c, a.today, PauseReason::Supplement, "").await?;
    timeline::record(tx, a.c.id, a.now, EventKind::SupplementRequested, &a.me, true, message).await?;
    detail["fields"] = json!(fields);
    Ok(Outcome::Concluded(CaseStatus::Supplement))
}
