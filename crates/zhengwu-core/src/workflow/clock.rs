//! A case's clock: the due date from the promised limit, stopping and resuming, extensions,
//! and the warning level. Pure arithmetic over the [`Calendar`]; the engine stores the results.

use chrono::NaiveDate;
use zhengwu_types::workflow::Warning;

use crate::calendar::{Calendar, Counting};

pub fn counting(day_kind: &str) -> Counting {
    if day_kind == "natural" {
        Counting::Natural
    } else {
        Counting::Working
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
