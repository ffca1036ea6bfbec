//! A case's clock: the due date from the promised limit, stopping and resuming, extensions,
//! and the warning level. The arithmetic over the [`Calendar`] first (pure), then what the
//! engine stores in the case's row, then the clock as staff see it.

use chrono::{DateTime, NaiveDate, Utc};
use zhengwu_types::{
    services::{CaseStatus, DayKind},
    workflow::{Clock, PauseReason, Warning},
};

use super::{case_row::CaseLock, invalid, ClockPolicy, WorkflowError};
use crate::{
    calendar::{Calendar, Counting},
    db::WriteTx,
    with_tx,
};

pub fn counting(day_kind: DayKind) -> Counting {
    match day_kind {
        DayKind::Natural => Counting::Natural,
        DayKind::Working => Counting::Working,
    }
}

/// The due date of a limit of `days` starting on `from` (the day itself not counted).
pub fn due(cal: &Calendar, from: NaiveDate, days: u32, c: Counting) -> NaiveDate {
    cal.add(from, days, c)
}

/// Days left on `today` (negative when overdue).
pub fn days_left(cal: &Calendar, today: NaiveDate, due: NaiveDate, c: Counting) -> i64 {
    cal.count(today, due, c)
}

/// Stopping on `today`: the days left, kept until the clock resumes.
pub fn pause(cal: &Calendar, today: NaiveDate, due: NaiveDate, c: Counting) -> i64 {
    days_left(cal, today, due, c)
}

/// Resuming on `today` with `left` days kept: the new due date. Time already overdue stays
/// overdue (the old due date is kept).
pub fn resume(cal: &Calendar, today: NaiveDate, left: i64, old_due: NaiveDate, c: Counting) -> NaiveDate {
    if left > 0 {
        cal.add(today, left as u32, c)
    } else {
        old_due
    }
}

/// Yellow when at most `share_percent` of the whole limit (with extensions) is left, red
/// once the due date has passed.
pub fn warning(left: i64, total_days: i64, share_percent: u32) -> Warning {
    if left < 0 {
        Warning::Red
    } else if left * 100 <= total_days * i64::from(share_percent) {
        Warning::Yellow
    } else {
        Warning::None
    }
}

// ---- The clock as stored in the case's row ----------------------------------------------

pub(super) fn total_days(c: &CaseLock) -> i64 {
    i64::from(c.limit_days.unwrap_or(0) + c.extended_days)
}

pub(super) async fn pause_clock(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    today: NaiveDate,
    reason: PauseReason,
    note: &str,
) -> Result<(), sqlx::Error> {
    let Some(due) = c.due() else { return Ok(()) };
    if c.paused_on.is_some() {
        return Ok(());
    }
    let left = pause(cal, today, due, c.counting());
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET paused_on = $1, pause_reason = $2, pause_note = $3, days_left_at_pause = $4, warning = $5 \
         WHERE id = $6")
        .bind(today.to_string()).bind(reason).bind(note).bind(left as i32).bind(Warning::None).bind(c.id).execute(conn).await.map(|_| ()))
}

pub(super) async fn resume_clock(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    today: NaiveDate,
    policy: ClockPolicy,
) -> Result<(), sqlx::Error> {
    let (Some(due), Some(left)) = (c.due(), c.days_left_at_pause) else { return Ok(()) };
    let new_due = resume(cal, today, i64::from(left), due, c.counting());
    let w = warning(days_left(cal, today, new_due, c.counting()), total_days(c), policy.yellow_percent);
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET due_date = $1, paused_on = NULL, pause_reason = NULL, pause_note = NULL, \
         days_left_at_pause = NULL, warning = $2 WHERE id = $3")
        .bind(new_due.to_string()).bind(w).bind(c.id).execute(conn).await.map(|_| ()))
}

/// The clock as staff see it.
pub fn clock_view(cal: &Calendar, c: &ClockRow, today: NaiveDate, policy: ClockPolicy) -> Clock {
    let counting = counting(c.day_kind.unwrap_or(DayKind::Working));
    let due: Option<NaiveDate> = c.due_date.as_deref().and_then(|d| d.parse().ok());
    let total = i64::from(c.limit_days.unwrap_or(0) + c.extended_days);
    let (days_left, warning) = match (due, &c.paused_on, c.days_left_at_pause) {
        (_, Some(_), Some(left)) => (Some(i64::from(left)), Warning::None),
        (Some(due), None, _) if c.status == CaseStatus::Processing => {
            let left = days_left(cal, today, due, counting);
            (Some(left), warning(left, total, policy.yellow_percent))
        }
        _ => (None, Warning::None),
    };
    let missing_years = match (c.accepted_at, due) {
        (Some(a), Some(d)) => cal.missing_years(crate::time::shanghai_date(a), d),
        _ => vec![],
    };
    let closed = match c.status {
        CaseStatus::Approved => Some("已办结（准予）"),
        CaseStatus::Rejected => Some("已办结（不予许可）"),
        CaseStatus::Terminated => Some("已终止"),
        CaseStatus::Withdrawn => Some("申请人已撤回"),
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
            let why = match c.pause_reason {
                Some(PauseReason::Supplement) => "等待申请人补正".to_string(),
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
    pub status: CaseStatus,
    pub accepted_at: Option<DateTime<Utc>>,
    pub limit_days: Option<i32>,
    pub day_kind: Option<DayKind>,
    pub due_date: Option<String>,
    pub extended_days: i32,
    pub paused_on: Option<String>,
    pub pause_reason: Option<PauseReason>,
    pub pause_note: Option<String>,
    pub days_left_at_pause: Option<i32>,
}

pub(super) const CLOCK_COLUMNS: &str =
    "status, accepted_at, limit_days, day_kind, due_date, extended_days, paused_on, \
     pause_reason, pause_note, days_left_at_pause";

/// Adds `days` to the case's limit: moves the due date, or the days kept while stopped.
pub(super) async fn extend(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    days: u32,
    today: NaiveDate,
    policy: ClockPolicy,
) -> Result<NaiveDate, WorkflowError> {
    if c.status != CaseStatus::Processing && c.status != CaseStatus::Supplement {
        return Err(invalid("days", "只有已受理、未办结的办件可以延期"));
    }
    let Some(due) = c.due() else { return Err(invalid("days", "该办件尚未开始计时")) };
    let new_due = if c.paused_on.is_some() { due } else { cal.add(due, days, c.counting()) };
    let total = total_days(c) + i64::from(days);
    let w = if c.paused_on.is_some() {
        Warning::None
    } else {
        warning(days_left(cal, today, new_due, c.counting()), total, policy.yellow_percent)
    };
    with_tx!(tx, conn => sqlx::query(
        "UPDATE cases SET extended_days = extended_days + $1, due_date = $2, \
         days_left_at_pause = CASE WHEN paused_on IS NULL THEN NULL ELSE days_left_at_pause + $1 END, warning = $3 \
         WHERE id = $4")
        .bind(days as i32).bind(new_due.to_string()).bind(w).bind(c.id).execute(conn).await.map(|_| ()))?;
    Ok(new_due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn suspension_keeps_the_days_left() {
        let cal = Calendar::shipped();
        let c = Counting::Working;
        // Accepted Monday 2026-11-02, 10 working days: due Monday 11-16.
        let due1 = due(&cal, d("2026-11-02"), 10, c);
        assert_eq!(due1, d("2026-11-16"));
        // Stopped Thursday 11-05 (3 days used): 7 left.
        let left = pause(&cal, d("2026-11-05"), due1, c);
        assert_eq!(left, 7);
        // Resumed Monday 11-23: 7 working days from there, 12-02.
        assert_eq!(resume(&cal, d("2026-11-23"), left, due1, c), d("2026-12-02"));
        // Across the National Day holiday: stopped 09-29 with 2 left, resumed 09-30 → 10-09.
        assert_eq!(resume(&cal, d("2026-09-30"), 2, d("2026-10-01"), c), d("2026-10-09"));
        // Overdue when stopped: stays overdue.
        assert_eq!(resume(&cal, d("2026-11-23"), -1, d("2026-11-04"), c), d("2026-11-04"));
    }

    #[test]
    fn warning_levels() {
        assert_eq!(warning(5, 20, 20), Warning::None);
        assert_eq!(warning(4, 20, 20), Warning::Yellow);
        assert_eq!(warning(0, 20, 20), Warning::Yellow);
        assert_eq!(warning(-1, 20, 20), Warning::Red);
    }
}
