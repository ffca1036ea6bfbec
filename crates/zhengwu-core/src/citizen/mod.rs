//! Citizens: sign-in by mobile number and a one-time code (the account is created at the first
//! sign-in; [`signin`]), real-name data (name and resident identity number; [`realname`]), and
//! staff access to it ([`staff`]).
//!
//! Personal data is sealed with SM4-GCM (bound to its table, column and row) and found by
//! HMAC-SM3 blind index ([`keys`]); it is shown masked, and showing it in full needs
//! `personal:unmask`, a case of the citizen in the staff member's data scope, a reason, and
//! leaves an audit record. Audit records name the citizen by account id, never by phone or ID
//! number.

pub mod challenge;
mod consent;
mod favourites;
pub mod keys;
mod realname;
mod signin;
mod staff;

use chrono::{DateTime, Duration, Utc};
use zhengwu_crypto::{sm3, to_hex};
use zhengwu_types::personal::{mask_id_number, mask_mobile, mask_name};
use zhengwu_types::Failure;

pub use crate::sms::{SmsError, SmsSender};
use crate::{
    audit::{self, Actor, ActorKind, AuditError, AuditEvent},
    identity::Ctx,
    with_db,
};
pub use consent::{accept_policies, current_policy, ensure_policies, my_consents, pending_consents, publish_policy};
pub use favourites::{add_favourite, favourites, is_favourite, remove_favourite, Favourite, MAX_FAVOURITES};
pub use keys::{Field, PersonalKeys};
pub use realname::{decide_dispute, dispute_real_name, list_disputes, set_real_name, Dispute, REAL_NAME_TRIES_PER_DAY};
pub use signin::{
    challenge_required, request_code, sign_in, CodeRequest, CHALLENGE_AFTER, CODES_PER_ADDRESS, CODES_PER_DAY,
    CODES_PER_REQUESTER, CODE_ATTEMPTS, CODE_INTERVAL, CODE_TTL,
};
pub use staff::{citizen_for_staff, unmask, UnmaskReason, UNMASK_ALERT_PER_DAY, UNMASK_PER_DAY, UNMASK_PER_HOUR};

#[derive(Debug, thiserror::Error)]
pub enum CitizenError {
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    /// A wrong code (the code stays valid for the tries left).
    #[error("验证码不正确，请核对短信后重新输入")]
    BadCode,
    /// Expired, used up by wrong tries, or none sent: a new one must be requested.
    #[error("验证码已失效（已过期或输错次数过多），请重新获取验证码")]
    CodeGone,
    #[error("验证码发送过于频繁，请 {0} 秒后再试")]
    TooSoon(i64),
    #[error("该手机号今日获取验证码次数已达上限，请明天再试")]
    DailyLimit,
    /// The identity number is registered to another account; its owner may dispute that.
    #[error(
        "该身份证号码已在另一账号实名登记。如果这是您本人的身份证号码，可以提出申诉，工作人员核实后将其转到您的账号。"
    )]
    IdTaken,
    /// This address has asked for a few codes: the image challenge first.
    #[error("请输入图形验证码")]
    ChallengeNeeded,
    #[error("短信发送失败，请稍后再试")]
    Sms(#[from] SmsError),
    /// Too many attempts of something limited per person (real-name registration, unmasking).
    #[error("{0}")]
    TooMany(&'static str),
    #[error("没有权限")]
    Forbidden,
    #[error("不存在")]
    NotFound,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
}

impl Failure for CitizenError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        use zhengwu_types::ErrorCode::*;
        match self {
            CitizenError::Forbidden => Forbidden,
            CitizenError::NotFound => NotFound,
            CitizenError::Invalid { .. }
            | CitizenError::BadCode
            | CitizenError::CodeGone
            | CitizenError::ChallengeNeeded
            | CitizenError::IdTaken => BadRequest,
            CitizenError::TooSoon(_) | CitizenError::DailyLimit | CitizenError::TooMany(_) => TooMany,
            CitizenError::Sms(_) => Unavailable,
            CitizenError::Db(_) | CitizenError::Audit(_) => Internal,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            CitizenError::Invalid { field, .. } => Some(field),
            CitizenError::BadCode | CitizenError::CodeGone => Some("code"),
            CitizenError::ChallengeNeeded => Some("challenge_answer"),
            CitizenError::IdTaken => Some("id_number"),
            _ => None,
        }
    }
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
        citizen_actor(self.id)
    }
}

fn citizen_actor(id: i64) -> Actor {
    Actor { kind: ActorKind::Citizen, id: Some(id), name: format!("citizen:{id}") }
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    zhengwu_crypto::random_bytes(&mut b);
    to_hex(&b)
}

fn digest(token: &str) -> String {
    to_hex(&sm3(token.as_bytes()))
}

/// A session just created for a citizen; `token` goes into the cookie only.
#[derive(Debug)]
pub struct CitizenSession {
    pub token: String,
    pub citizen_id: i64,
    pub created_account: bool,
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
    crate::with_tx!(&mut tx, conn => sqlx::query("DELETE FROM citizen_sessions WHERE id_digest = $1")
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
    let open = |f: Field, v: &[u8]| keys.open(f, id, v).unwrap_or_else(|| "（无法解密）".to_string());
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
            phone: keys.open(Field::Phone, id, &phone)?,
            real_name: name.and_then(|n| keys.open(Field::RealName, id, &n)),
            id_number: idn.and_then(|n| keys.open(Field::IdNumber, id, &n)),
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

/// Counts the actor's audit records of `action` since `since` (for limits kept per person).
async fn count_actions(ctx: &Ctx<'_>, actor: &Actor, action: &str, since: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE actor_kind = $1 AND actor_id = $2 AND action = $3 AND occurred_at >= $4")
        .bind(actor.kind).bind(actor.id).bind(action).bind(since).fetch_one(pool).await)
}

/// [`count_actions`] inside a write transaction (to count and record as one step).
async fn count_actions_in(
    tx: &mut crate::db::WriteTx,
    actor: &Actor,
    action: &str,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    crate::with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE actor_kind = $1 AND actor_id = $2 AND action = $3 AND occurred_at >= $4")
        .bind(actor.kind).bind(actor.id).bind(action).bind(since).fetch_one(conn).await)
}

/// The start of today in Asia/Shanghai.
fn today_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let d = crate::time::shanghai_date(now);
    DateTime::<Utc>::from_naive_utc_and_offset(d.and_hms_opt(0, 0, 0).unwrap_or_default() - Duration::hours(8), Utc)
}
