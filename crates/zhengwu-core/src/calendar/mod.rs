//! The working-day calendar (工作日历): weekends, public holidays and make-up workdays (调休).
//!
//! Each year's holidays come from the State Council's annual notice (国务院办公厅关于…年部分节假日
//! 安排的通知), kept as one TOML file per year (`crates/zhengwu-core/calendar/YYYY.toml`, shipped
//! in the binary) and loaded into the database on start, where administrators can correct single
//! days and operators can import a new year (`zhengwu calendar import FILE`). A year without data
//! counts Saturdays and Sundays only, and [`Calendar::missing_years`] says so.
//!
//! Counting follows the law: a period of N days starting on day D does not count D
//! (《行政许可法》第八十二条: 期间开始的日不计算在内), so the deadline is the N-th working (or
//! natural) day after D.

use std::collections::{BTreeMap, BTreeSet};
use zhengwu_types::Failure;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use serde_json::json;

use crate::{
    audit::{self, Actor, AuditError, AuditEvent},
    db::Db,
    identity::{Ctx, Permission, StaffActor},
    with_db, with_tx,
};

/// The years shipped with the platform: every notice published so far that matters for
/// cases still running.
pub const SHIPPED: &[&str] = &[include_str!("../../calendar/2025.toml"), include_str!("../../calendar/2026.toml")];

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("{0}")]
    Invalid(String),
    #[error("没有权限")]
    Forbidden,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
}

impl Failure for CalendarError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        use zhengwu_types::ErrorCode::*;
        match self {
            CalendarError::Invalid(_) => BadRequest,
            CalendarError::Forbidden => Forbidden,
            CalendarError::Db(_) | CalendarError::Audit(_) => Internal,
        }
    }
}

zhengwu_types::code_enum! {
    /// Whether a day is a rest day or a working day when the weekday alone would say otherwise.
    pub enum DayType {
        Holiday = "holiday",
        Workday = "workday",
    }
}

impl DayType {
    pub fn name_zh(self) -> &'static str {
        match self {
            DayType::Holiday => "放假",
            DayType::Workday => "调休上班",
        }
    }
}

/// Working days (工作日) or natural days (自然日), as a service item's limit is stated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    Working,
    Natural,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    notice: String,
    holidays: Vec<HolidaySpan>,
    workdays: Vec<Workday>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidaySpan {
    name: String,
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Workday {
    name: String,
    date: NaiveDate,
}

/// One year's notice, checked.
#[derive(Debug, Clone)]
pub struct YearData {
    pub year: i32,
    pub notice: String,
    pub days: BTreeMap<NaiveDate, (DayType, String)>,
}

/// 周一 … 周日.
pub fn weekday_zh(d: NaiveDate) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][d.weekday().num_days_from_monday() as usize]
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Reads and checks a year file: dates inside the year, spans in order, make-up workdays on a
/// weekend, no day both a holiday and a workday.
pub fn parse_year(text: &str) -> Result<YearData, CalendarError> {
    let f: YearFile = toml::from_str(text).map_err(|e| CalendarError::Invalid(format!("节假日文件格式错误：{e}")))?;
    if !(2000..=2100).contains(&f.year) {
        return Err(CalendarError::Invalid(format!("年份 {} 不在 2000–2100 之间", f.year)));
    }
    let mut days = BTreeMap::new();
    let in_year = |d: NaiveDate| d.year() == f.year;
    for h in &f.holidays {
        if !in_year(h.from) || !in_year(h.to) || h.to < h.from || (h.to - h.from).num_days() > 15 {
            return Err(CalendarError::Invalid(format!(
                "{}：{} 至 {} 不是 {} 年内的假期",
                h.name, h.from, h.to, f.year
            )));
        }
        let mut d = h.from;
        while d <= h.to {
            days.insert(d, (DayType::Holiday, h.name.clone()));
            d += Duration::days(1);
        }
    }
    for w in &f.workdays {
        if !in_year(w.date) || !is_weekend(w.date) {
            return Err(CalendarError::Invalid(format!(
                "{}：{} 不是 {} 年的周末，无需调休上班",
                w.name, w.date, f.year
            )));
        }
        if days.insert(w.date, (DayType::Workday, w.name.clone())).is_some() {
            return Err(CalendarError::Invalid(format!("{} 既是假日又是调休上班日", w.date)));
        }
    }
    Ok(YearData { year: f.year, notice: f.notice, days })
}

/// The calendar in memory: the exceptions to "Saturday and Sunday are rest days", and the
/// years that have data.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, (DayType, String)>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// A calendar from year data (tests, the command line without a database).
    pub fn from_years(years: impl IntoIterator<Item = YearData>) -> Calendar {
        let mut c = Calendar::default();
        for y in years {
            c.years.insert(y.year);
            c.days.extend(y.days);
        }
        c
    }

    /// The shipped years only.
    pub fn shipped() -> Calendar {
        Calendar::from_years(SHIPPED.iter().filter_map(|t| parse_year(t).ok()))
    }

    pub fn is_working(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some((DayType::Holiday, _)) => false,
            Some((DayType::Workday, _)) => true,
            None => !is_weekend(d),
        }
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// Years in `[from, to]` without data (counted with weekends only).
    pub fn missing_years(&self, from: NaiveDate, to: NaiveDate) -> Vec<i32> {
        (from.year()..=to.year()).filter(|y| !self.covers(*y)).collect()
    }

    /// The warning administrators see: this year or the coming one has no holiday data.
    pub fn coverage_warning(&self, today: NaiveDate) -> Option<String> {
        let missing: Vec<String> =
            [today.year(), today.year() + 1].into_iter().filter(|y| !self.covers(*y)).map(|y| y.to_string()).collect();
        (!missing.is_empty()).then(|| {
            format!(
                "工作日历缺少 {} 年的节假日数据：期限只按周末计算。国务院办公厅发布当年节假日安排通知后，请录入或导入。",
                missing.join("、")
            )
        })
    }

    /// The day `n` days after `from` (`from` itself not counted); working days skip rest days.
    /// `n = 0` is `from`.
    pub fn add(&self, from: NaiveDate, n: u32, counting: Counting) -> NaiveDate {
        match counting {
            Counting::Natural => from + Duration::days(i64::from(n)),
            Counting::Working => {
                let mut d = from;
                let mut left = n;
                while left > 0 {
                    d += Duration::days(1);
                    if self.is_working(d) {
                        left -= 1;
                    }
                }
                d
            }
        }
    }

    /// The days in `(from, to]` (working days only for [`Counting::Working`]); negative when
    /// `to` is before `from`. `count(d, add(d, n)) == n`.
    pub fn count(&self, from: NaiveDate, to: NaiveDate, counting: Counting) -> i64 {
        if to < from {
            return -self.count(to, from, counting);
        }
        match counting {
            Counting::Natural => (to - from).num_days(),
            Counting::Working => {
                let mut n = 0;
                let mut d = from;
                while d < to {
                    d += Duration::days(1);
                    if self.is_working(d) {
                        n += 1;
                    }
                }
                n
            }
        }
    }

    /// The year's exceptions, in date order.
    pub fn year_days(&self, year: i32) -> Vec<(NaiveDate, DayType, String)> {
        self.days.iter().filter(|(d, _)| d.year() == year).map(|(d, (t, n))| (*d, *t, n.clone())).collect()
    }
}

// ---- The database ---------------------------------------------------------------------------

/// Loads the shipped years that the database does not have yet (first start, or a new release
/// with a new year). Instances starting together insert once: the year row decides.
pub async fn ensure_shipped(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<i32>, CalendarError> {
    let mut added = vec![];
    for text in SHIPPED {
        let y = parse_year(text)?;
        if store_year(db, &y, "shipped", "system", now, false).await? {
            added.push(y.year);
        }
    }
    Ok(added)
}

/// Stores a year: with `replace`, the year's days are replaced; without, a year already present
/// is left alone (returns false).
async fn store_year(
    db: &Db,
    y: &YearData,
    source: &str,
    by: &str,
    now: chrono::DateTime<chrono::Utc>,
    replace: bool,
) -> Result<bool, CalendarError> {
    let mut tx = db.begin_write().await?;
    let inserted: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO calendar_years (year, notice, source, loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (year) DO NOTHING")
        .bind(y.year).bind(&y.notice).bind(source).bind(by).bind(now).execute(conn).await.map(|r| r.rows_affected()))?;
    if inserted == 0 {
        if !replace {
            return Ok(false);
        }
        with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE calendar_years SET notice = $1, source = $2, loaded_by = $3, loaded_at = $4 WHERE year = $5")
            .bind(&y.notice).bind(source).bind(by).bind(now).bind(y.year).execute(conn).await.map(|_| ()))?;
        with_tx!(&mut tx, conn => sqlx::query("DELETE FROM calendar_days WHERE year = $1")
            .bind(y.year).execute(conn).await.map(|_| ()))?;
    }
    for (d, (t, name)) in &y.days {
        with_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO calendar_days (day, year, kind, name, source, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(d.to_string()).bind(y.year).bind(t.code()).bind(name).bind(source).bind(by).bind(now)
            .execute(conn).await.map(|_| ()))?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Imports a year file (operators, when the State Council publishes a new year), replacing the
/// year if present; recorded in the audit trail as the system's doing.
pub async fn import_year(
    db: &Db,
    key: &audit::AuditKey,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<YearData, CalendarError> {
    let y = parse_year(text)?;
    store_year(db, &y, "file", "system", now, true).await?;
    let mut tx = db.begin_write().await?;
    let ev = AuditEvent::new("calendar.import", "calendar", y.year as i64)
        .with_detail(json!({ "notice": y.notice, "days": y.days.len() }));
    audit::append(&mut tx, key, &Actor::system(), &audit::RequestMeta::default(), &ev, now).await?;
    tx.commit().await?;
    Ok(y)
}

/// The calendar as stored.
pub async fn load(db: &Db) -> Result<Calendar, CalendarError> {
    let years: Vec<i32> =
        with_db!(db, pool => sqlx::query_scalar("SELECT year FROM calendar_years").fetch_all(pool).await)?;
    let rows: Vec<(String, String, String)> =
        with_db!(db, pool => sqlx::query_as("SELECT day, kind, name FROM calendar_days").fetch_all(pool).await)?;
    let mut c = Calendar { years: years.into_iter().collect(), ..Calendar::default() };
    for (day, kind, name) in rows {
        if let (Ok(d), Some(t)) = (day.parse::<NaiveDate>(), DayType::parse(&kind)) {
            c.days.insert(d, (t, name));
        }
    }
    Ok(c)
}

/// The notices loaded, by year.
pub async fn notices(db: &Db) -> Result<Vec<(i32, String, String)>, CalendarError> {
    Ok(with_db!(db, pool => sqlx::query_as(
        "SELECT year, notice, source FROM calendar_years ORDER BY year").fetch_all(pool).await)?)
}

/// An administrator's correction of one day: make it a holiday or a make-up workday, or clear
/// it back to the weekday rule (`kind = None`). Needs `config:manage`; audited.
pub async fn set_day(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    day: NaiveDate,
    kind: Option<DayType>,
    name: &str,
) -> Result<(), CalendarError> {
    actor.require(Permission::ConfigManage).map_err(|_| CalendarError::Forbidden)?;
    let name = name.trim();
    if kind.is_some() && !(1..=30).contains(&name.chars().count()) {
        return Err(CalendarError::Invalid("请填写名称（1–30 字），例如“春节”或“春节调休上班”".into()));
    }
    if kind == Some(DayType::Workday) && !is_weekend(day) {
        return Err(CalendarError::Invalid(format!("{day} 本来就是工作日，无需设为调休上班")));
    }
    let mut tx = ctx.db.begin_write().await?;
    let before: Option<(String, String)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT kind, name FROM calendar_days WHERE day = $1").bind(day.to_string()).fetch_optional(conn).await)?;
    match kind {
        Some(t) => {
            with_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO calendar_days (day, year, kind, name, source, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, 'admin', $5, $6) ON CONFLICT (day) DO UPDATE SET kind = $3, name = $4, \
                 source = 'admin', updated_by = $5, updated_at = $6")
                .bind(day.to_string()).bind(day.year()).bind(t.code()).bind(name).bind(&actor.username).bind(ctx.now)
                .execute(conn).await.map(|_| ()))?;
        }
        None => {
            with_tx!(&mut tx, conn => sqlx::query("DELETE FROM calendar_days WHERE day = $1")
                .bind(day.to_string()).execute(conn).await.map(|_| ()))?;
        }
    }
    let ev = AuditEvent::new("calendar.set_day", "calendar", day.year() as i64).with_detail(json!({
        "day": day.to_string(),
        "before": before.map(|(k, n)| json!({ "kind": k, "name": n })),
        "after": kind.map(|t| json!({ "kind": t.code(), "name": name })),
    }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn shipped_years_parse() {
        let c = Calendar::shipped();
        assert!(c.covers(2025) && c.covers(2026) && !c.covers(2027));
        assert_eq!(c.year_days(2026).iter().filter(|x| x.1 == DayType::Workday).count(), 6);
        assert_eq!(c.year_days(2025).iter().filter(|x| x.1 == DayType::Holiday).count(), 1 + 8 + 3 + 5 + 3 + 8);
    }

    #[test]
    fn spring_festival_2026() {
        let c = Calendar::shipped();
        // Friday 2026-02-13 plus 1 working day: Saturday 02-14 is a make-up workday.
        assert_eq!(c.add(d("2026-02-13"), 1, Counting::Working), d("2026-02-14"));
        // From 02-14, the next working day is after the holiday (02-15..02-23): Tuesday 02-24.
        assert_eq!(c.add(d("2026-02-14"), 1, Counting::Working), d("2026-02-24"));
        // Accepted on Thursday 02-12: 02-13, 02-14, 02-24, 02-25, 02-26 → 5 working days.
        assert_eq!(c.add(d("2026-02-12"), 5, Counting::Working), d("2026-02-26"));
        // Saturday 02-28 is a make-up workday too.
        assert!(c.is_working(d("2026-02-28")));
        assert_eq!(c.add(d("2026-02-26"), 2, Counting::Working), d("2026-02-28"));
    }

    #[test]
    fn national_day_2025_and_2026() {
        let c = Calendar::shipped();
        // 2025: Sunday 09-28 works, 10-01..10-08 off, Saturday 10-11 works.
        assert_eq!(c.add(d("2025-09-26"), 1, Counting::Working), d("2025-09-28"));
        assert_eq!(c.add(d("2025-09-30"), 1, Counting::Working), d("2025-10-09"));
        assert_eq!(c.add(d("2025-09-30"), 3, Counting::Working), d("2025-10-11"));
        // 2026: Sunday 09-20 works; 09-25..27 中秋 and 10-01..07 国庆 off; Saturday 10-10 works.
        assert_eq!(c.add(d("2026-09-30"), 1, Counting::Working), d("2026-10-08"));
        assert_eq!(c.add(d("2026-09-24"), 1, Counting::Working), d("2026-09-28"));
        assert_eq!(c.count(d("2026-09-18"), d("2026-09-21"), Counting::Working), 2);
        assert_eq!(c.add(d("2026-10-09"), 1, Counting::Working), d("2026-10-10"));
    }

    #[test]
    fn natural_days_and_negative_counts() {
        let c = Calendar::shipped();
        assert_eq!(c.add(d("2026-02-12"), 20, Counting::Natural), d("2026-03-04"));
        assert_eq!(c.count(d("2026-03-04"), d("2026-02-12"), Counting::Natural), -20);
        assert_eq!(c.count(d("2026-02-26"), d("2026-02-12"), Counting::Working), -5);
        assert_eq!(c.add(d("2026-02-12"), 0, Counting::Working), d("2026-02-12"));
    }

    #[test]
    fn missing_year_counts_weekends_and_warns() {
        let c = Calendar::shipped();
        // 2027-01-01 is a Friday; without data it is a working day.
        assert!(c.is_working(d("2027-01-01")));
        assert_eq!(c.missing_years(d("2026-12-20"), d("2027-01-10")), vec![2027]);
        assert!(c.coverage_warning(d("2026-11-29")).unwrap().contains("2027"));
        assert!(c.coverage_warning(d("2025-06-01")).is_none());
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let e = parse_year(
            "year = 2027\nnotice = \"x\"\nholidays = []\nworkdays = [{ name = \"a\", date = \"2027-01-04\" }]",
        )
        .unwrap_err();
        assert!(e.to_string().contains("不是 2027 年的周末"), "{e}");
        let e = parse_year("year = 2027\nnotice = \"x\"\nholidays = [{ name = \"a\", from = \"2026-12-31\", to = \"2027-01-01\" }]\nworkdays = []")
            .unwrap_err();
        assert!(e.to_string().contains("不是 2027 年内的假期"), "{e}");
        assert!(parse_year("year = 2027").is_err());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn day(offset: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 12, 1).unwrap() + Duration::days(offset)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        // Over 2025–2026 (and the weekends-only edges around them).
        #[test]
        fn adding_then_counting_back_agree(start in 0i64..800, n in 0u32..120) {
            let c = Calendar::shipped();
            let from = day(start);
            let to = c.add(from, n, Counting::Working);
            prop_assert_eq!(c.count(from, to, Counting::Working), i64::from(n));
            prop_assert_eq!(c.count(to, from, Counting::Working), -i64::from(n));
            if n > 0 {
                prop_assert!(c.is_working(to), "{} is not a working day", to);
                // The day before the result still had one day to go.
                prop_assert_eq!(c.count(from, to - Duration::days(1), Counting::Working), i64::from(n) - 1);
            }
        }

        #[test]
        fn adding_in_two_parts_is_adding_once(start in 0i64..800, a in 0u32..60, b in 0u32..60) {
            let c = Calendar::shipped();
            let from = day(start);
            let once = c.add(from, a + b, Counting::Working);
            let twice = c.add(c.add(from, a, Counting::Working), b, Counting::Working);
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn holidays_are_skipped_and_make_up_days_counted(start in 0i64..800, n in 1u32..60) {
            let c = Calendar::shipped();
            let from = day(start);
            let to = c.add(from, n, Counting::Working);
            let mut d = from + Duration::days(1);
            let mut counted = 0;
            while d <= to {
                let data = c.days.get(&d).map(|(t, _)| *t);
                let working = match data {
                    Some(DayType::Holiday) => false,
                    Some(DayType::Workday) => true,
                    None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
                };
                prop_assert_eq!(c.is_working(d), working);
                if working { counted += 1; }
                d += Duration::days(1);
            }
            prop_assert_eq!(counted, n);
        }
    }
}
