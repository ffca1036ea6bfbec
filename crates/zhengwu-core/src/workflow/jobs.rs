//! Scheduled jobs that run exactly once per period across every instance sharing the database.
//!
//! A period (for the deadline warnings: a day in Asia/Shanghai) is claimed by inserting its row
//! in `job_runs`; the instance whose insert succeeds runs it, the others skip. A claim whose
//! instance died (no `finished_at` after the lease) is taken over. After downtime the job runs
//! once for the current period: its work is a function of the date, so one run brings every
//! case to the state it would have had, and the periods missed are recorded in its detail.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use zhengwu_types::workflow::Warning;

use super::{clock, ClockPolicy, WorkflowError};
use crate::{
    audit::{self, Actor, AuditEvent, AuditKey, RequestMeta},
    calendar,
    db::Db,
    with_db, with_tx,
};

pub const DEADLINE_JOB: &str = "deadline_warnings";

/// How long a claim stays with an instance that has not finished it.
const LEASE_MINUTES: i64 = 15;

/// Claims `(job, period)` for `instance`. True: run it now.
pub async fn claim(db: &Db, job: &str, period: &str, instance: &str, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let inserted: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO job_runs (job, period, instance, claimed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (job, period) DO NOTHING")
        .bind(job).bind(period).bind(instance).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    let taken = if inserted == 1 {
        true
    } else {
        // Take over a claim left unfinished past its lease.
        let stale = now - Duration::minutes(LEASE_MINUTES);
        let n: u64 = with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE job_runs SET instance = $1, claimed_at = $2 WHERE job = $3 AND period = $4 \
             AND finished_at IS NULL AND claimed_at < $5")
            .bind(instance).bind(now).bind(job).bind(period).bind(stale).execute(conn).await.map(|r| r.rows_affected()))?;
        n == 1
    };
    tx.commit().await?;
    Ok(taken)
}

pub async fn finish(db: &Db, job: &str, period: &str, detail: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query("UPDATE job_runs SET finished_at = $1, detail = $2 WHERE job = $3 AND period = $4")
        .bind(now).bind(detail).bind(job).bind(period).execute(pool).await.map(|_| ()))
}

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
    let rows: Vec<(i64, String, Option<String>, i32, i32, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, due_date, day_kind, COALESCE(limit_days, 0), extended_days, warning FROM cases \
         WHERE status = 'processing' AND paused_on IS NULL AND due_date IS NOT NULL")
        .fetch_all(pool).await)?;
    let mut report = Report { ran: true, checked: rows.len(), missed, ..Report::default() };
    let system = Actor::system();
    for (id, due, kind, limit, extended, stored) in rows {
        let Ok(due) = due.parse::<NaiveDate>() else { continue };
        let counting = clock::counting(kind.as_deref().unwrap_or("working"));
        let left = clock::days_left(&cal, today, due, counting);
        let w = clock::warning(left, i64::from(limit + extended), policy.yellow_percent);
        let before = Warning::parse(&stored);
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
            "UPDATE cases SET warning = $1 WHERE id = $2 AND warning = $3 AND status = 'processing' AND paused_on IS NULL")
            .bind(w.code()).bind(id).bind(&stored).execute(conn).await.map(|r| r.rows_affected()))?;
        if changed == 1 && w != Warning::None {
            let message = match w {
                Warning::Red => format!("已超过办结期限（{due}）"),
                _ => format!("剩余 {left} 天，应于 {due} 前办结"),
            };
            with_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO case_events (case_id, at, kind, actor_kind, actor_name, public, message) \
                 VALUES ($1, $2, $3, 'system', 'system', FALSE, $4)")
                .bind(id).bind(now).bind(format!("warning_{}", w.code())).bind(message)
                .execute(conn).await.map(|_| ()))?;
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
