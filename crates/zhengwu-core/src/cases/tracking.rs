//! Tracking numbers (`QSMZJ-20261129-00042`) and the public look-up by number and the last four
//! characters of the applicant's ID number or phone.

use chrono::{DateTime, Utc};
use zhengwu_types::services::LookupResult;

use super::CaseError;
use crate::{
    citizen::PersonalKeys,
    db::{Db, WriteTx},
    with_db, with_tx,
};

pub(super) fn last4(s: &str) -> &str {
    let n = s.len();
    &s[n.saturating_sub(4)..]
}

/// `QSMZJ-20261129-00042`: the department's code, the day (Asia/Shanghai), and that day's
/// sequence for the department, taken from a counter row inside the submitting transaction.
pub(super) async fn next_tracking_no(
    tx: &mut WriteTx,
    dept_code: &str,
    now: DateTime<Utc>,
) -> Result<String, sqlx::Error> {
    let day = crate::time::shanghai_date(now).format("%Y%m%d").to_string();
    let dept: String = dept_code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    let n: i32 = with_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO case_sequences (day, dept_code, last) VALUES ($1, $2, 1) \
         ON CONFLICT (day, dept_code) DO UPDATE SET last = case_sequences.last + 1 RETURNING last")
        .bind(&day).bind(&dept).fetch_one(conn).await)?;
    Ok(format!("{dept}-{day}-{n:05}"))
}

/// A tracking number as typed: spaces dropped, letters upper-case.
pub fn normalise_tracking_no(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

/// The public look-up: the tracking number and the last four characters of the applicant's
/// ID number or phone. `None` both for "no such case" and "wrong digits", computed the same
/// way either way; the caller limits the rate.
pub async fn lookup(
    db: &Db,
    keys: &PersonalKeys,
    tracking_no: &str,
    last4: &str,
) -> Result<Option<LookupResult>, CaseError> {
    let no = normalise_tracking_no(tracking_no);
    let digits = last4.trim().to_ascii_uppercase();
    let row: Option<(i64, Option<String>, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, lookup_id_mac, lookup_phone_mac FROM cases WHERE tracking_no = $1")
        .bind(&no).fetch_optional(pool).await)?;
    let id_mac = keys.lookup_mac(&no, "id", &digits);
    let phone_mac = keys.lookup_mac(&no, "phone", &digits);
    let Some((id, stored_id, stored_phone)) = row else { return Ok(None) };
    let eq = |a: &str, b: &str| zhengwu_crypto::constant_time_eq(a.as_bytes(), b.as_bytes());
    let matches = stored_id.as_deref().is_some_and(|s| eq(s, &id_mac)) | eq(&stored_phone, &phone_mac);
    if digits.len() != 4 || !matches {
        return Ok(None);
    }
    let s = super::read::summary_of(db, id).await?;
    Ok(Some(LookupResult {
        tracking_no: no,
        service_name: s.service_name,
        department: s.department,
        status: s.status,
        timeline: crate::timeline::read(db, id, true, false).await?,
    }))
}
