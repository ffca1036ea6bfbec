//! Starting a case on its workflow, inside the citizen's submitting transaction: the first
//! step's tasks (or, back from 补正, the step it was at), the clock resumed, and the status —
//! the engine's first status write; the case's own code leaves it alone from here on.

use chrono::{DateTime, Utc};
use zhengwu_types::{
    services::CaseStatus,
    workflow::{PauseReason, WorkflowDef},
};

use super::{
    assign::create_tasks,
    case_row::{self, CaseLock},
    clock::resume_clock,
    definitions::{current, default_definition, definition, store_definition},
    ClockPolicy, WorkflowError,
};
use crate::{
    calendar::{self, Calendar},
    db::{Db, WriteTx},
    with_tx,
};

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

/// A case was submitted (first time) or resubmitted after 补正: its status, tasks for its step,
/// and the clock resumed. Runs inside the caller's transaction, which already holds the case's
/// row (so the row is read here, not locked a second time).
pub(crate) async fn on_submitted(
    tx: &mut WriteTx,
    prepared: &Prepared,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let c = case_row::held(tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let version = match c.workflow_version.or(prepared.version) {
        Some(v) => v,
        // The item has no workflow yet: the default becomes its version 1.
        None => {
            let text = serde_json::to_string(&prepared.def).expect("a definition serialises");
            store_definition(tx, c.item_id, &text, "system", now).await?
        }
    };
    let today = crate::time::shanghai_date(now);
    let first = prepared.def.first().ok_or(WorkflowError::NotFound)?;
    let step = c.step.clone().and_then(|k| prepared.def.step(&k).cloned()).unwrap_or_else(|| first.clone());
    // Back from 补正: the case goes where it was, the clock resumes with the days it had left.
    let status = if c.accepted_at.is_some() { CaseStatus::Processing } else { CaseStatus::Submitted };
    if c.paused_on.is_some() && c.pause_reason == Some(PauseReason::Supplement) {
        resume_clock(tx, &prepared.calendar, &c, today, prepared.policy).await?;
    }
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET workflow_version = $1, step = $2, status = $3 WHERE id = $4")
        .bind(version).bind(&step.key).bind(status).bind(case_id).execute(conn).await.map(|_| ()))?;
    let c = CaseLock { workflow_version: Some(version), step: Some(step.key.clone()), status, ..c };
    // Whoever asked for the correction gets it back (where the step's rule lets a choice count).
    let asked_by: Option<Option<i64>> = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT decided_by FROM case_tasks WHERE case_id = $1 AND decision = $2 ORDER BY id DESC LIMIT 1")
        .bind(case_id).bind(zhengwu_types::workflow::StepAction::Supplement).fetch_optional(conn).await)?;
    create_tasks(tx, &prepared.calendar, &c, &step, asked_by.flatten(), now).await?;
    Ok(())
}
