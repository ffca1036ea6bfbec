//! The daily deadline warnings (黄牌预警 / 红牌超期), run once a day across instances through
//! [`crate::jobs`]. Its work is a function of the date: after downtime one run brings every
//! case to the state it would have had, and the days missed are recorded in its detail.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use zhengwu_types::{
    services::{CaseStatus, DayKind},
    timeline::EventKind,
    workflow::Warning,
};

use super::{clock, ClockPolicy, WorkflowError};
use crate::{
    audit::{self, Actor, AuditEvent, AuditKey, RequestMeta},
    calendar,
    db::Db,
    jobs::{claim, finish},
    timeline, with_db, with_tx,
};

pub const DEADLINE_JOB: &str = "deadline_warnings";

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// False: another instance has (or had) this period.
    pub ran: bool,
    pub checked: usize,
    pub to_yellow: usize,
    pub to_red: usize,
    pub cleared: usize,
    /// Periods since the last finished run that were not run (downtime).
    pub missed: Vec<String>,
}

/// Updates the warning level of every running case for the period of `now`, once.
pub async fn deadline_warnings(
    db: &Db,
    key: &AuditKey,
    instance: &str,
    now: DateTime<Utc>,
    policy: ClockPolicy,
) -> Result<Report, WorkflowError> {
    let today = crate::time::shanghai_date(now);
    let period = today.to_string();
    if !claim(db, DEADLINE_JOB, &period, instance, now).await? {
        return Ok(Report::default());
    }
    let last: Option<String> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT MAX(period) FROM job_runs WHERE job = $1 AND period < $2 AND finished_at IS NOT NULL")
        .bind(DEADLINE_JOB).bind(&period).fetch_one(pool).await)?;
    let mut missed = vec![];
    if let Some(last) = last.and_then(|l| l.parse::<NaiveDate>().ok()) {
        let mut d = last + Duration::days(1);
        while d < today && missed.len() < 366 {
            missed.push(d.to_string());
            d += Duration::days(1);
        }
    }
    let cal = calendar::load(db).await?;
    let rows: Vec<(i64, String, Option<DayKind>, i32, i32, Warning)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, due_date, day_kind, COALESCE(limit_days, 0), extended_days, warning FROM cases \
         WHERE status = $1 AND paused_on IS NULL AND due_date IS NOT NULL")
        .bind(CaseStatus::Processing).fetch_all(pool).await)?;
    let mut report = Report { ran: true, checked: rows.len(), missed, ..Report::default() };
    let system = Actor::system();
    for (id, due, kind, limit, extended, before) in rows {
        let Ok(due) = due.parse::<NaiveDate>() else {
            tracing::error!(case_id = id, "deadline warnings: a stored due date does not parse");
            continue;
        };
        let counting = clock::counting(kind.unwrap_or(DayKind::Working));
        let left = clock::days_left(&cal, today, due, counting);
        let w = clock::warning(left, i64::from(limit + extended), policy.yellow_percent);
        if w == before {
            continue;
        }
        match w {
            Warning::Yellow => report.to_yellow += 1,
            Warning::Red => report.to_red += 1,
            Warning::None => report.cleared += 1,
        }
        // Each change is its own small transaction: a crash mid-run leaves every case either
        // updated with its timeline entry or untouched, and the next claimant redoes the rest.
        let mut tx = db.begin_write().await?;
        let changed: u64 = with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE cases SET warning = $1 WHERE id = $2 AND warning = $3 AND status = $4 AND paused_on IS NULL")
            .bind(w).bind(id).bind(before).bind(CaseStatus::Processing).execute(conn).await.map(|r| r.rows_affected()))?;
        if changed == 1 && w != Warning::None {
            let message = match w {
                Warning::Red => format!("已超过办结期限（{due}）"),
                _ => format!("剩余 {left} 天，应于 {due} 前办结"),
            };
            let kind = if w == Warning::Red { EventKind::WarningRed } else { EventKind::WarningYellow };
            timeline::record(&mut tx, id, now, kind, &system, false, &message).await?;
        }
        tx.commit().await?;
    }
    let detail = json!({
        "checked": report.checked, "yellow": report.to_yellow, "red": report.to_red,
        "cleared": report.cleared, "missed": report.missed.len(),
    });
    let mut tx = db.begin_write().await?;
    let ev = AuditEvent::new("job.deadline_warnings", "job", 0).with_detail(detail.clone());
    audit::append(&mut tx, key, &system, &RequestMeta::default(), &ev, now).await?;
    tx.commit().await?;
    finish(db, DEADLINE_JOB, &period, &detail.to_string(), now).await?;
    if !report.missed.is_empty() {
        tracing::info!(missed = report.missed.len(), "deadline warnings: caught up after downtime");
    }
    Ok(report)
}
