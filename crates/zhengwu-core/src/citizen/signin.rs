//! Citizens sign in with a mobile number and a one-time code sent by SMS.
//!
//! Sending is limited so that nobody can use up someone else's codes or our SMS budget:
//! - one code a minute per number, [`CODES_PER_DAY`] a day per number in all;
//! - [`CODES_PER_REQUESTER`] a day per number *and requester* (the client's address), so a
//!   stranger asking for the owner's number uses up only their own share;
//! - after [`CHALLENGE_AFTER`] requests in a day from one address, each further one needs the
//!   image challenge ([`super::challenge`]) solved first;
//! - [`CODES_PER_ADDRESS`] a day from one address across all numbers, challenge or not: what
//!   bounds SMS pumping (messages to many numbers at our cost) by a program that solves the
//!   challenge. Generous, because a NAT puts many people behind one address.
//!
//! Every request is audited (the number as a blind-index prefix, never in clear).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{citizen_actor, digest, invalid, random_hex, CitizenError, CitizenSession, Field, PersonalKeys};
use crate::{
    audit::{self, Actor, AuditEvent},
    identity::Ctx,
    sms::SmsSender,
    with_tx,
};

/// How long a code is valid, how often one may be sent, how many tries it allows.
pub const CODE_TTL: Duration = Duration::minutes(5);
pub const CODE_INTERVAL: Duration = Duration::seconds(60);
pub const CODES_PER_DAY: i32 = 20;
pub const CODES_PER_REQUESTER: i32 = 5;
pub const CODES_PER_ADDRESS: i64 = 200;
pub const CODE_ATTEMPTS: i32 = 5;
pub use crate::config::CHALLENGE_AFTER;

fn normalise_phone(raw: &str) -> Result<String, CitizenError> {
    zhengwu_types::personal::validate_mobile(raw).ok_or_else(|| invalid("phone", "请输入 11 位手机号码"))
}

/// One request for a code.
pub struct CodeRequest<'a> {
    pub phone: &'a str,
    /// Who asks: the client's address as the server sees it.
    pub requester: &'a str,
    /// Whether the image challenge was solved for this request.
    pub challenge_solved: bool,
    /// Requests a day from one address before the challenge is asked for.
    pub challenge_after: u32,
}

/// Whether the requester must solve the image challenge before the next code.
pub async fn challenge_required(ctx: &Ctx<'_>, requester: &str, after: u32) -> Result<bool, CitizenError> {
    let today = crate::time::shanghai_date(ctx.now).to_string();
    let n: Option<i64> = crate::with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT CAST(SUM(count) AS BIGINT) FROM sms_requests WHERE requester = $1 AND day = $2")
        .bind(requester).bind(&today).fetch_one(pool).await)?;
    Ok(n.unwrap_or(0) >= i64::from(after))
}

/// Sends a sign-in code within the limits above. The code is kept only as a MAC and only if
/// the message went out.
pub async fn request_code(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    sms: &SmsSender,
    r: &CodeRequest<'_>,
) -> Result<(), CitizenError> {
    let phone = normalise_phone(r.phone)?;
    let index = keys.index(Field::Phone, &phone);
    let today = crate::time::shanghai_date(ctx.now).to_string();
    let requester: String = r.requester.chars().take(64).collect();
    let need_challenge = challenge_required(ctx, &requester, r.challenge_after).await?;
    let mut tx = ctx.db.begin_write().await?;
    let refuse = |reason: &'static str| {
        let mut e = AuditEvent::new("citizen.code_request", "citizen", "")
            .failed()
            .with_detail(json!({ "phone": &index[..16], "reason": reason }));
        e.object_id = None;
        e
    };
    if need_challenge && !r.challenge_solved {
        audit::append(&mut tx, ctx.audit, &Actor::anonymous(), ctx.meta, &refuse("challenge"), ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::ChallengeNeeded);
    }
    let row: Option<(DateTime<Utc>, String, i32)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT sent_at, day, sent_today FROM sms_codes WHERE phone_index = $1")
        .bind(&index).fetch_optional(conn).await)?;
    let mine: Option<i32> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT count FROM sms_requests WHERE phone_index = $1 AND requester = $2 AND day = $3")
        .bind(&index).bind(&requester).bind(&today).fetch_optional(conn).await)?;
    let from_here: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT CAST(SUM(count) AS BIGINT) FROM sms_requests WHERE requester = $1 AND day = $2")
        .bind(&requester).bind(&today).fetch_one(conn).await)?;
    let refused = match &row {
        Some((sent_at, _, _)) if *sent_at + CODE_INTERVAL > ctx.now => {
            Some(CitizenError::TooSoon((*sent_at + CODE_INTERVAL - ctx.now).num_seconds().max(1)))
        }
        Some((_, day, n)) if *day == today && *n >= CODES_PER_DAY => Some(CitizenError::DailyLimit),
        _ if mine.unwrap_or(0) >= CODES_PER_REQUESTER => Some(CitizenError::DailyLimit),
        _ if from_here.unwrap_or(0) >= CODES_PER_ADDRESS => Some(CitizenError::DailyLimit),
        _ => None,
    };
    if let Some(e) = refused {
        let reason = if matches!(e, CitizenError::TooSoon(_)) { "too_soon" } else { "daily_limit" };
        audit::append(&mut tx, ctx.audit, &Actor::anonymous(), ctx.meta, &refuse(reason), ctx.now).await?;
        tx.commit().await?;
        return Err(e);
    }
    let sent_today = match &row {
        Some((_, day, n)) if *day == today => n + 1,
        _ => 1,
    };
    let mut digits = [0u8; 4];
    zhengwu_crypto::random_bytes(&mut digits);
    let code = format!("{:06}", u32::from_be_bytes(digits) % 1_000_000);
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO sms_codes (phone_index, code_mac, attempts, sent_today, day, sent_at, expires_at) \
         VALUES ($1, $2, 0, $3, $4, $5, $6) \
         ON CONFLICT (phone_index) DO UPDATE SET code_mac = excluded.code_mac, attempts = 0, \
         sent_today = excluded.sent_today, day = excluded.day, sent_at = excluded.sent_at, expires_at = excluded.expires_at")
        .bind(&index).bind(keys.code_mac(&index, &code)).bind(sent_today).bind(&today).bind(ctx.now)
        .bind(ctx.now + CODE_TTL).execute(conn).await.map(|_| ()))?;
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO sms_requests (phone_index, requester, day, count, last_at) VALUES ($1, $2, $3, 1, $4) \
         ON CONFLICT (phone_index, requester, day) DO UPDATE SET count = sms_requests.count + 1, last_at = excluded.last_at")
        .bind(&index).bind(&requester).bind(&today).bind(ctx.now).execute(conn).await.map(|_| ()))?;
    // Yesterday's counters are of no use any more.
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM sms_requests WHERE day < $1")
        .bind(&today).execute(conn).await.map(|_| ()))?;
    let mut e = AuditEvent::new("citizen.code_request", "citizen", "")
        .with_detail(json!({ "phone": &index[..16], "today": sent_today, "challenge": need_challenge }));
    e.object_id = None;
    audit::append(&mut tx, ctx.audit, &Actor::anonymous(), ctx.meta, &e, ctx.now).await?;
    sms.send_code(&phone, &code).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks the code and signs the citizen in, creating the account at the first sign-in.
pub async fn sign_in(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    phone_raw: &str,
    code: &str,
    previous: Option<&str>,
) -> Result<CitizenSession, CitizenError> {
    let phone = normalise_phone(phone_raw)?;
    let index = keys.index(Field::Phone, &phone);
    let mut tx = ctx.db.begin_write().await?;
    let row: Option<(String, i32, DateTime<Utc>)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT code_mac, attempts, expires_at FROM sms_codes WHERE phone_index = $1")
        .bind(&index).fetch_optional(conn).await)?;
    let existing: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM citizens WHERE phone_index = $1").bind(&index).fetch_optional(conn).await)?;
    let actor = match existing {
        Some(id) => citizen_actor(id),
        None => Actor::anonymous(),
    };
    let fail = |reason: &'static str| {
        let mut e = AuditEvent::new("auth.sign_in", "citizen", existing.unwrap_or_default())
            .failed()
            .with_detail(json!({ "method": "sms", "reason": reason }));
        if existing.is_none() {
            e.object_id = None;
        }
        e
    };
    let code = code.trim();
    let Some((mac, attempts, expires_at)) = row.filter(|r| !r.0.is_empty()) else {
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail("no_code"), ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::CodeGone);
    };
    if expires_at <= ctx.now || attempts >= CODE_ATTEMPTS {
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail("expired"), ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::CodeGone);
    }
    if !zhengwu_crypto::constant_time_eq(keys.code_mac(&index, code).as_bytes(), mac.as_bytes()) {
        with_tx!(&mut tx, conn => sqlx::query("UPDATE sms_codes SET attempts = attempts + 1 WHERE phone_index = $1")
            .bind(&index).execute(conn).await.map(|_| ()))?;
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail("bad_code"), ctx.now).await?;
        tx.commit().await?;
        // The last try used up: say so, so the right code is not typed in vain.
        return Err(if attempts + 1 >= CODE_ATTEMPTS { CitizenError::CodeGone } else { CitizenError::BadCode });
    }
    // Used once: the code goes, the day's count stays (kept in the row until tomorrow's first code).
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE sms_codes SET code_mac = '', expires_at = $2 WHERE phone_index = $1")
        .bind(&index).bind(ctx.now).execute(conn).await.map(|_| ()))?;
    let (id, created) = match existing {
        Some(id) => (id, false),
        None => {
            // The phone is sealed bound to the row: insert, then seal with the new id.
            let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
                "INSERT INTO citizens (phone_sealed, phone_index, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id")
                .bind(Vec::<u8>::new()).bind(&index).bind(ctx.now).fetch_one(conn).await)?;
            with_tx!(&mut tx, conn => sqlx::query("UPDATE citizens SET phone_sealed = $1 WHERE id = $2")
                .bind(keys.seal(Field::Phone, id, &phone)).bind(id).execute(conn).await.map(|_| ()))?;
            audit::append(
                &mut tx,
                ctx.audit,
                &citizen_actor(id),
                ctx.meta,
                &AuditEvent::new("citizen.register", "citizen", id),
                ctx.now,
            )
            .await?;
            (id, true)
        }
    };
    if let Some(old) = previous {
        with_tx!(&mut tx, conn => sqlx::query("DELETE FROM citizen_sessions WHERE id_digest = $1")
            .bind(digest(old)).execute(conn).await.map(|_| ()))?;
    }
    let token = random_hex(32);
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO citizen_sessions (id_digest, citizen_id, csrf_secret, created_at, last_seen_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)")
        .bind(digest(&token)).bind(id).bind(random_hex(24)).bind(ctx.now).bind(ctx.now + Duration::hours(12))
        .execute(conn).await.map(|_| ()))?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE citizens SET last_login_at = $1 WHERE id = $2")
        .bind(ctx.now).bind(id).execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("auth.sign_in", "citizen", id).with_detail(json!({ "method": "sms" }));
    audit::append(&mut tx, ctx.audit, &citizen_actor(id), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(CitizenSession { token, citizen_id: id, created_account: created })
}
