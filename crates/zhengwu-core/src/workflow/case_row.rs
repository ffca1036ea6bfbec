//! The case's row as the engine holds it (locked for the rest of a transaction), and the task
//! rows every action writes.

use chrono::{DateTime, NaiveDate, Utc};
use zhengwu_types::{
    services::{CaseStatus, DayKind},
    workflow::{PauseReason, StepAction, TaskStatus, Warning},
};

use crate::{
    calendar::Counting,
    db::{Db, WriteTx},
    with_db, with_tx,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct CaseLock {
    pub id: i64,
    pub item_id: i64,
    pub department_id: i64,
    pub status: CaseStatus,
    pub workflow_version: Option<i32>,
    pub step: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub limit_days: Option<i32>,
    pub day_kind: Option<DayKind>,
    pub due_date: Option<String>,
    pub extended_days: i32,
    pub paused_on: Option<String>,
    pub pause_reason: Option<PauseReason>,
    pub days_left_at_pause: Option<i32>,
}

impl CaseLock {
    pub fn counting(&self) -> Counting {
        super::clock::counting(self.day_kind.unwrap_or(DayKind::Working))
    }

    pub fn due(&self) -> Option<NaiveDate> {
        self.due_date.as_deref().and_then(|d| d.parse().ok())
    }

    /// Stopped for an external procedure (特别程序), not for a correction.
    pub fn paused_external(&self) -> bool {
        self.paused_on.is_some() && self.pause_reason == Some(PauseReason::External)
    }
}

const LOCK_COLUMNS: &str = "id, item_id, department_id, status, workflow_version, step, accepted_at, \
     limit_days, day_kind, due_date, extended_days, paused_on, pause_reason, days_left_at_pause";

/// Takes the case's row for the rest of the transaction.
pub(super) async fn lock(tx: &mut WriteTx, id: i64) -> Result<Option<CaseLock>, sqlx::Error> {
    let sql = format!("UPDATE cases SET revision = revision + 1 WHERE id = $1 RETURNING {LOCK_COLUMNS}");
    with_tx!(tx, conn => sqlx::query_as(&sql).bind(id).fetch_optional(conn).await)
}

/// The row inside a transaction that already holds it (the submitting one).
pub(super) async fn held(tx: &mut WriteTx, id: i64) -> Result<Option<CaseLock>, sqlx::Error> {
    let sql = format!("SELECT {LOCK_COLUMNS} FROM cases WHERE id = $1");
    with_tx!(tx, conn => sqlx::query_as(&sql).bind(id).fetch_optional(conn).await)
}

/// The row as it is now, read from the pool (before a transaction).
pub(super) async fn read(db: &Db, id: i64) -> Result<Option<CaseLock>, sqlx::Error> {
    let sql = format!("SELECT {LOCK_COLUMNS} FROM cases WHERE id = $1");
    with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

/// A staff member's display name (for timeline messages).
pub(super) async fn staff_name(tx: &mut WriteTx, id: i64) -> Result<String, sqlx::Error> {
    let n: Option<String> = with_tx!(tx, conn => sqlx::query_scalar("SELECT display_name FROM staff WHERE id = $1")
        .bind(id).fetch_optional(conn).await)?;
    Ok(n.unwrap_or_else(|| "其他人员".into()))
}

pub(super) async fn cancel_open_tasks(tx: &mut WriteTx, case_id: i64, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE case_tasks SET status = $1, decided_at = $2 WHERE case_id = $3 AND status = $4")
        .bind(TaskStatus::Cancelled).bind(now).bind(case_id).bind(TaskStatus::Open).execute(conn).await.map(|_| ()))
}

pub(super) async fn finish_task(
    tx: &mut WriteTx,
    task_id: i64,
    by: i64,
    now: DateTime<Utc>,
    decision: StepAction,
    opinion: &str,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE case_tasks SET status = $1, decision = $2, opinion = $3, decided_by = $4, decided_at = $5 WHERE id = $6")
        .bind(TaskStatus::Done).bind(decision).bind(opinion).bind(by).bind(now).bind(task_id)
        .execute(conn).await.map(|_| ()))
}

/// The case ends with `status` (办结, 终止): no step, no clock.
pub(super) async fn conclude(
    tx: &mut WriteTx,
    c: &CaseLock,
    status: CaseStatus,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET status = $1, step = NULL, concluded_at = $2, conclusion_note = $3, warning = $4, \
         paused_on = NULL, pause_reason = NULL, days_left_at_pause = NULL WHERE id = $5")
        .bind(status).bind(now).bind(note).bind(Warning::None).bind(c.id).execute(conn).await.map(|_| ()))
}
