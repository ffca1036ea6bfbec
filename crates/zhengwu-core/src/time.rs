//! Time as the government counts it: Asia/Shanghai.
//!
//! China has used UTC+8 without daylight saving since 1991, so a fixed offset is exact for every
//! date this system stores, and it keeps a time-zone database out of the binary.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset")
}

/// The calendar date in Asia/Shanghai of an instant.
pub fn shanghai_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&shanghai()).date_naive()
}

/// An instant as people here read it: `2026-11-29 18:05`, Asia/Shanghai.
pub fn local_minute(t: DateTime<Utc>) -> String {
    t.with_timezone(&shanghai()).format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_utc_evening_is_next_day_in_shanghai() {
        let t: DateTime<Utc> = "2026-09-30T16:30:00Z".parse().unwrap();
        assert_eq!(shanghai_date(t).to_string(), "2026-10-01");
        let t: DateTime<Utc> = "2026-09-30T15:59:59Z".parse().unwrap();
        assert_eq!(shanghai_date(t).to_string(), "2026-09-30");
    }
}
