//! Citizens: sign-in by mobile number and a one-time code (the account is created at the first
//! sign-in), real-name data (name and resident identity number), and staff access to it.
//!
//! Personal data is sealed with SM4-GCM and found by HMAC-SM3 blind index ([`keys`]); it is
//! shown masked, and showing it in full needs `personal:unmask` and leaves an audit record.
//! Audit records name the citizen by account id, never by phone or ID number.

pub mod keys;
pub mod sms;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use zhengwu_crypto::{sm3, to_hex};
use zhengwu_types::personal::{self, mask_id_number, mask_mobile, mask_name, IdNumberProblem};

use crate::{
    audit::{self, Actor, ActorKind, AuditError, AuditEvent},
    db::WriteTx,
    identity::{Ctx, Permission, StaffActor},
    with_db, with_tx,
};
pub use keys::{Field, PersonalKeys};
pub use sms::{SmsError, SmsSender};

/// How long a code is valid, how often one may be sent, how many tries it allows.
pub const CODE_TTL: Duration = Duration::minutes(5);
pub const CODE_INTERVAL: Duration = Duration::seconds(60);
pub const CODES_PER_DAY: i32 = 10;
pub const CODE_ATTEMPTS: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum CitizenError {
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// Wrong, expired or used-up code: one answer.
    #[error("验证码不正确或已过期")]
    BadCode,
    #[error("验证码发送过于频繁，请 {0} 秒后再试")]
    TooSoon(i64),
    #[error("该手机号今日获取验证码次数已达上限，请明天再试")]
    DailyLimit,
    #[error("短信发送失败，请稍后再试")]
    Sms(#[from] SmsError),
    #[error("没有权限")]
    Forbidden,
    #[error("不存在")]
    NotFound,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CitizenError {
    CitizenError::Invalid { field, message: message.into() }
}

/// The signed-in citizen.
#[derive(Debug, Clone)]
pub struct CitizenActor {
    pub id: i64,
    pub csrf_token: String,
    pub verified: bool,
}

impl CitizenActor {
    pub fn audit_actor(&self) -> Actor {
        Actor { kind: ActorKind::Citizen, id: Some(self.id), name: format!("citizen:{}", self.id) }
    }
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    zhengwu_crypto::random_bytes(&mut b);
    to_hex(&b)
}

fn digest(token: &str) -> String {
    to_hex(&sm3(token.as_bytes()))
}

fn normalise_phone(raw: &str) -> Result<String, CitizenError> {
    personal::validate_mobile(raw).ok_or_else(|| invalid("phone", "请输入 11 位手机号码"))
}

/// Sends a sign-in code to `phone_raw`. At most one a minute and ten a day per number; the
/// code is kept only as a MAC and is stored only if the message went out.
pub async fn request_code(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    sms: &SmsSender,
    phone_raw: &str,
) -> Result<(), CitizenError> {
    let phone = normalise_phone(phone_raw)?;
    let index = keys.index(Field::Phone, &phone);
    let today = crate::time::shanghai_date(ctx.now).to_string();
    let mut tx = ctx.db.begin_write().await?;
    let row: Option<(DateTime<Utc>, String, i32)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT sent_at, day, sent_today FROM sms_codes WHERE phone_index = $1")
        .bind(&index).fetch_optional(conn).await)?;
    let sent_today = match &row {
        Some((sent_at, _, _)) if *sent_at + CODE_INTERVAL > ctx.now => {
            return Err(CitizenError::TooSoon((*sent_at + CODE_INTERVAL - ctx.now).num_seconds().max(1)))
        }
        Some((_, day, n)) if *day == today && *n >= CODES_PER_DAY => return Err(CitizenError::DailyLimit),
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
    sms.send_code(&phone, &code).await?;
    tx.commit().await?;
    Ok(())
}

/// A session just created for a citizen; `token` goes into the cookie only.
#[derive(Debug)]
pub struct CitizenSession {
    pub token: String,
    pub citizen_id: i64,
    pub created_account: bool,
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
        Some(id) => Actor { kind: ActorKind::Citizen, id: Some(id), name: format!("citizen:{id}") },
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
    let Some((mac, attempts, expires_at)) = row else {
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail("no_code"), ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::BadCode);
    };
    if expires_at <= ctx.now || attempts >= CODE_ATTEMPTS {
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail("expired"), ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::BadCode);
    }
    if !zhengwu_crypto::constant_time_eq(keys.code_mac(&index, code).as_bytes(), mac.as_bytes()) {
        with_tx!(&mut tx, conn => sqlx::query("UPDATE sms_codes SET attempts = attempts + 1 WHERE phone_index = $1")
            .bind(&index).execute(conn).await.map(|_| ()))?;
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail("bad_code"), ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::BadCode);
    }
    // Used once: the code goes, the day's count stays (kept in the row until tomorrow's first code).
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE sms_codes SET code_mac = '', expires_at = $2 WHERE phone_index = $1")
        .bind(&index).bind(ctx.now).execute(conn).await.map(|_| ()))?;
    let (id, created) = match existing {
        Some(id) => (id, false),
        None => {
            let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
                "INSERT INTO citizens (phone_sealed, phone_index, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id")
                .bind(keys.seal(Field::Phone, &phone)).bind(&index).bind(ctx.now).fetch_one(conn).await)?;
            let actor = Actor { kind: ActorKind::Citizen, id: Some(id), name: format!("citizen:{id}") };
            audit::append(
                &mut tx,
                ctx.audit,
                &actor,
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
    let actor = Actor { kind: ActorKind::Citizen, id: Some(id), name: format!("citizen:{id}") };
    let e = AuditEvent::new("auth.sign_in", "citizen", id).with_detail(json!({ "method": "sms" }));
    audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(CitizenSession { token, citizen_id: id, created_account: created })
}

/// citizen id, CSRF secret, last seen, expires, account status, verified at
type SessionRow = (i64, String, DateTime<Utc>, DateTime<Utc>, String, Option<DateTime<Utc>>);
/// phone, real name, ID number (all sealed), verified at
type SealedRow = (Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>, Option<DateTime<Utc>>);

/// The citizen behind a session token (idle 30 minutes or 12 hours after sign-in: ended).
pub async fn session_actor(ctx: &Ctx<'_>, idle: Duration, token: &str) -> Result<Option<CitizenActor>, CitizenError> {
    if token.len() != 64 {
        return Ok(None);
    }
    let d = digest(token);
    let row: Option<SessionRow> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT s.citizen_id, s.csrf_secret, s.last_seen_at, s.expires_at, c.status, c.verified_at \
         FROM citizen_sessions s JOIN citizens c ON c.id = s.citizen_id WHERE s.id_digest = $1")
        .bind(&d).fetch_optional(pool).await)?;
    let Some((id, csrf, last_seen, expires, status, verified)) = row else { return Ok(None) };
    if status != "active" || expires <= ctx.now || last_seen + idle <= ctx.now {
        with_db!(ctx.db, pool => sqlx::query("DELETE FROM citizen_sessions WHERE id_digest = $1")
            .bind(&d).execute(pool).await.map(|_| ()))?;
        return Ok(None);
    }
    if ctx.now - last_seen > Duration::seconds(60) {
        with_db!(ctx.db, pool => sqlx::query("UPDATE citizen_sessions SET last_seen_at = $1 WHERE id_digest = $2")
            .bind(ctx.now).bind(&d).execute(pool).await.map(|_| ()))?;
    }
    Ok(Some(CitizenActor { id, csrf_token: csrf, verified: verified.is_some() }))
}

pub async fn sign_out(ctx: &Ctx<'_>, actor: &CitizenActor, token: &str) -> Result<(), CitizenError> {
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM citizen_sessions WHERE id_digest = $1")
        .bind(digest(token)).execute(conn).await.map(|_| ()))?;
    audit::append(
        &mut tx,
        ctx.audit,
        &actor.audit_actor(),
        ctx.meta,
        &AuditEvent::new("auth.sign_out", "citizen", actor.id),
        ctx.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub use zhengwu_types::personal::MaskedProfile;

async fn masked(ctx: &Ctx<'_>, keys: &PersonalKeys, id: i64) -> Result<MaskedProfile, CitizenError> {
    let row: Option<SealedRow> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT phone_sealed, real_name_sealed, id_number_sealed, verified_at FROM citizens WHERE id = $1")
        .bind(id).fetch_optional(pool).await)?;
    let (phone, name, idn, verified) = row.ok_or(CitizenError::NotFound)?;
    let open = |f: Field, v: &[u8]| keys.open(f, v).unwrap_or_else(|| "（无法解密）".to_string());
    Ok(MaskedProfile {
        id,
        phone: mask_mobile(&open(Field::Phone, &phone)),
        real_name: name.map(|n| mask_name(&open(Field::RealName, &n))),
        id_number: idn.map(|n| mask_id_number(&open(Field::IdNumber, &n))),
        verified: verified.is_some(),
    })
}

/// A citizen's data in clear, for filling in their own forms and binding the case look-up.
/// Never leaves the server except into the citizen's own form.
#[derive(Debug, Clone)]
pub struct ClearProfile {
    pub phone: String,
    pub real_name: Option<String>,
    pub id_number: Option<String>,
}

pub async fn clear_profile(
    db: &crate::db::Db,
    keys: &PersonalKeys,
    id: i64,
) -> Result<Option<ClearProfile>, sqlx::Error> {
    let row: Option<SealedRow> = with_db!(db, pool => sqlx::query_as(
        "SELECT phone_sealed, real_name_sealed, id_number_sealed, verified_at FROM citizens WHERE id = $1")
        .bind(id).fetch_optional(pool).await)?;
    Ok(row.and_then(|(phone, name, idn, _)| {
        Some(ClearProfile {
            phone: keys.open(Field::Phone, &phone)?,
            real_name: name.and_then(|n| keys.open(Field::RealName, &n)),
            id_number: idn.and_then(|n| keys.open(Field::IdNumber, &n)),
        })
    }))
}

/// The signed-in citizen's own profile, masked.
pub async fn own_profile(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
) -> Result<MaskedProfile, CitizenError> {
    masked(ctx, keys, actor.id).await
}

fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (2..=30).contains(&n)
        && name.chars().all(|c| c.is_alphabetic() || c == '·' || c == '•' || c == ' ')
        && !name.starts_with(' ')
}

/// Records the citizen's real name and identity number (validated per GB 11643), sealed.
/// One identity number belongs to one account.
pub async fn set_real_name(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
    name: &str,
    id_number: &str,
) -> Result<(), CitizenError> {
    let name = name.trim();
    if !valid_name(name) {
        return Err(invalid("real_name", "请填写与身份证一致的姓名（2–30 个字）"));
    }
    let today = crate::time::shanghai_date(ctx.now);
    use chrono::Datelike;
    let idn = personal::validate_id_number(id_number, (today.year(), today.month(), today.day()))
        .map_err(|p: IdNumberProblem| invalid("id_number", p.message_zh()))?;
    let index = keys.index(Field::IdNumber, &idn);
    let mut tx: WriteTx = ctx.db.begin_write().await?;
    let holder: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM citizens WHERE id_number_index = $1").bind(&index).fetch_optional(conn).await)?;
    if holder.is_some_and(|h| h != actor.id) {
        return Err(invalid("id_number", "该身份证号码已被其他账号实名登记。如有疑问请拨打 12345。"));
    }
    let had: Option<(Option<Vec<u8>>,)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT id_number_sealed FROM citizens WHERE id = $1").bind(actor.id).fetch_optional(conn).await)?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE citizens SET real_name_sealed = $1, id_number_sealed = $2, id_number_index = $3, verified_at = $4, \
         updated_at = $4 WHERE id = $5")
        .bind(keys.seal(Field::RealName, name)).bind(keys.seal(Field::IdNumber, &idn)).bind(&index).bind(ctx.now)
        .bind(actor.id).execute(conn).await.map(|_| ()))?;
    // Which fields changed, never their values.
    let e = AuditEvent::new("citizen.real_name", "citizen", actor.id).with_detail(json!({
        "changed": ["real_name", "id_number"],
        "had_real_name": had.and_then(|h| h.0).is_some(),
    }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// A citizen's profile for staff, masked. Needs `personal:unmask` (those who verify identities).
pub async fn citizen_for_staff(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    staff: &StaffActor,
    id: i64,
) -> Result<MaskedProfile, CitizenError> {
    if !staff.can(Permission::PersonalUnmask) {
        return Err(CitizenError::Forbidden);
    }
    masked(ctx, keys, id).await
}

/// One field in full, for staff with `personal:unmask`; recorded in the audit trail first (if
/// the record cannot be written, nothing is shown).
pub async fn unmask(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    staff: &StaffActor,
    id: i64,
    field: Field,
    reason: &str,
) -> Result<String, CitizenError> {
    if !staff.can(Permission::PersonalUnmask) {
        return Err(CitizenError::Forbidden);
    }
    let reason = reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 200 {
        return Err(invalid("reason", "请填写查看完整信息的事由（2–200 字）"));
    }
    let column = match field {
        Field::Phone => "phone_sealed",
        Field::RealName => "real_name_sealed",
        Field::IdNumber => "id_number_sealed",
    };
    let sql = format!("SELECT {column} FROM citizens WHERE id = $1");
    let sealed: Option<Option<Vec<u8>>> =
        with_db!(ctx.db, pool => sqlx::query_scalar(&sql).bind(id).fetch_optional(pool).await)?;
    let sealed = sealed.ok_or(CitizenError::NotFound)?.ok_or(CitizenError::NotFound)?;
    let clear = keys.open(field, &sealed).ok_or(CitizenError::NotFound)?;
    let mut tx = ctx.db.begin_write().await?;
    let e = AuditEvent::new("personal.unmask", "citizen", id)
        .with_detail(json!({ "field": column.trim_end_matches("_sealed"), "reason": reason }));
    audit::append(&mut tx, ctx.audit, &staff.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(clear)
}
