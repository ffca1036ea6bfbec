//! Scheduled jobs that run exactly once per period across every instance sharing the database:
//! the machinery every domain's job uses (the deadline warnings, the blob sweep, and those to
//! come).
//!
//! A period (a day in Asia/Shanghai, say) is claimed by inserting its row in `job_runs`; the
//! instance whose insert succeeds runs it, the others skip. A claim whose instance died (no
//! `finished_at` after the lease) is taken over. A job's work should be a function of its
//! period, so that after downtime one run brings everything to the state it would have had.

use chrono::{DateTime, Duration, Utc};

use crate::{db::Db, with_db, with_tx};

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

/// Marks the claimed period done, with what the run did.
pub async fn finish(db: &Db, job: &str, period: &str, detail: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    with_db!(db, pool => sqlx::query("UPDATE job_runs SET finished_at = $1, detail = $2 WHERE job = $3 AND period = $4")
        .bind(now).bind(detail).bind(job).bind(period).execute(pool).await.map(|_| ()))
}
