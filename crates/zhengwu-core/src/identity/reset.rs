//! Credentials reset so that no administrator ever sees a usable secret of someone else's:
//! the reset makes the old password unusable (and, for administrators, removes the second
//! factor), ends every session, and a one-time code reaches the owner — by SMS to the phone the
//! owner registered, or from the operator's `zhengwu staff reset NAME` on the server, or, for a
//! business account without a phone, shown once to the *second* administrator who approved the
//! reset. The owner then chooses a new password at `/login/reset` and, where required, sets up
//! a new second factor at the next sign-in.
//!
//! Also here: the owner registering that phone (password and a code sent to it), and the
//! operator's unlock.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use zeroize::Zeroizing;
use zhengwu_crypto::{
    hmac_sm3,
    keys::{MasterKey, Purpose},
    sm4gcm::{self, Sm4Key},
    to_hex,
};
use zhengwu_types::personal::{mask_mobile, validate_mobile};
use zhengwu_types::Failure;

use super::{accounts::StaffSummary, password, AuthPolicy, Ctx, IdentityError, StaffActor};
use crate::{
    audit::{self, Actor, ActorKind, AuditEvent, AuditKey, RequestMeta},
    db::{Db, WriteTx},
    sms::SmsSender,
    with_db, with_tx,
};

/// The password hash of an account being reset: no PHC string, so nothing verifies against it.
pub const RESET_HASH: &str = "!reset";
/// How long a code sent by SMS lasts, and one handed over by a person.
const SMS_CODE_TTL: Duration = Duration::hours(2);
const HANDED_CODE_TTL: Duration = Duration::hours(24);
/// Wrong tries a code allows. A reset code may be tried by anyone who knows the user name
/// (at `/login/reset`, 10 a minute per address), so a handful would let a stranger void it and
/// force a new approval; 50 still leaves a guess at an 8-digit code one chance in two million
/// (the 12-character handed code: one in 10^16). The phone confirmation is tried only inside
/// the owner's session.
fn code_attempts(purpose: &str) -> i32 {
    if purpose == "reset" {
        50
    } else {
        5
    }
}
const PHONE_CODE_TTL: Duration = Duration::minutes(10);
const RESEND_INTERVAL: Duration = Duration::seconds(60);

/// Keys for staff secrets other than the password: the TOTP secret, the registered phone, and
/// the MAC of one-time codes. Derived from the master key.
#[derive(Clone)]
pub struct StaffKeys {
    pub totp: Sm4Key,
    phone: Sm4Key,
    codes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for StaffKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaffKeys(…)")
    }
}

impl StaffKeys {
    pub fn from_master(master: &MasterKey) -> Self {
        StaffKeys {
            totp: master.sm4_key(Purpose::Totp),
            phone: master.sm4_key(Purpose::PersonalData),
            codes: master.mac_key(Purpose::BlindIndex),
        }
    }

    fn phone_aad(staff_id: i64) -> Vec<u8> {
        format!("staff.phone\0{staff_id}").into_bytes()
    }

    fn seal_phone(&self, staff_id: i64, phone: &str) -> Vec<u8> {
        sm4gcm::seal(&self.phone, phone.as_bytes(), &Self::phone_aad(staff_id))
    }

    fn open_phone(&self, staff_id: i64, sealed: &[u8]) -> Option<String> {
        let clear = sm4gcm::open(&self.phone, sealed, &Self::phone_aad(staff_id)).ok()?;
        String::from_utf8(clear.to_vec()).ok()
    }

    /// The MAC of a device cookie's body ([`super::signin`]).
    pub(super) fn device_mac(&self, body: &str) -> String {
        to_hex(&hmac_sm3(self.codes.as_ref(), &[b"staff-device\0", body.as_bytes()]))[..32].to_string()
    }

    /// A keyed digest of a user name typed at a failed sign-in: the auditor can match a name
    /// they suspect, nobody can read a password typed into the wrong field.
    pub(super) fn tried_digest(&self, name: &str) -> String {
        to_hex(&hmac_sm3(self.codes.as_ref(), &[b"tried-username\0", name.as_bytes()]))[..16].to_string()
    }

    fn code_mac(&self, purpose: &str, staff_id: i64, code: &str) -> String {
        let id = staff_id.to_string();
        to_hex(&hmac_sm3(
            self.codes.as_ref(),
            &[b"staff-code\0", purpose.as_bytes(), b"\0", id.as_bytes(), b"\0", code.as_bytes()],
        ))
    }
}

/// How a reset's one-time code reaches the owner.
pub struct Delivery<'a> {
    pub sms: Option<&'a SmsSender>,
    pub keys: &'a StaffKeys,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetDelivered {
    /// Sent to the owner's registered phone (shown masked).
    Sms { phone: String },
    /// For the approving administrator to hand over in person; shown once.
    Shown(String),
    /// No phone: the operator runs `zhengwu staff reset NAME` on the server.
    Operator,
}

fn digits(n: usize) -> String {
    let mut b = vec![0u8; n];
    zhengwu_crypto::random_bytes(&mut b);
    b.iter().map(|x| char::from(b'0' + x % 10)).collect()
}

/// A code for a person to read out or type: 12 characters without look-alikes, in groups.
fn handed_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut b = [0u8; 12];
    zhengwu_crypto::random_bytes(&mut b);
    let s: String = b.iter().map(|x| ALPHABET[usize::from(*x) % ALPHABET.len()] as char).collect();
    format!("{}-{}-{}", &s[..4], &s[4..8], &s[8..])
}

/// A code as typed: no spaces or dashes, upper case.
fn normalise_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase()
}

/// A one-time code to keep (as a MAC) for one account and purpose.
struct NewCode<'a> {
    purpose: &'a str,
    staff_id: i64,
    code: &'a str,
    payload: Option<Vec<u8>>,
    ttl: Duration,
}

async fn store_code(tx: &mut WriteTx, keys: &StaffKeys, c: NewCode<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let mac = keys.code_mac(c.purpose, c.staff_id, &normalise_code(c.code));
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO staff_codes (staff_id, purpose, code_mac, payload_sealed, attempts, sent_at, expires_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6) ON CONFLICT (staff_id, purpose) DO UPDATE SET code_mac = excluded.code_mac, \
         payload_sealed = excluded.payload_sealed, attempts = 0, sent_at = excluded.sent_at, expires_at = excluded.expires_at")
        .bind(c.staff_id).bind(c.purpose).bind(mac).bind(c.payload).bind(now).bind(now + c.ttl).execute(conn).await.map(|_| ()))
}

/// A stored code: its MAC, payload, wrong tries so far and expiry.
type CodeRow = (String, Option<Vec<u8>>, i32, DateTime<Utc>);

/// Checks a code inside the caller's transaction: one answer for wrong, expired, used up and
/// unknown; a wrong one counts. Returns the stored payload when right (the code is used up).
async fn take_code(
    tx: &mut WriteTx,
    keys: &StaffKeys,
    purpose: &str,
    staff_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<Option<Vec<u8>>>, sqlx::Error> {
    let row: Option<CodeRow> = with_tx!(tx, conn => sqlx::query_as(
        "SELECT code_mac, payload_sealed, attempts, expires_at FROM staff_codes WHERE staff_id = $1 AND purpose = $2")
        .bind(staff_id).bind(purpose).fetch_optional(conn).await)?;
    let Some((mac, payload, attempts, expires)) = row else { return Ok(None) };
    if expires <= now || attempts >= code_attempts(purpose) {
        return Ok(None);
    }
    let given = keys.code_mac(purpose, staff_id, &normalise_code(code));
    if !zhengwu_crypto::constant_time_eq(given.as_bytes(), mac.as_bytes()) {
        with_tx!(tx, conn => sqlx::query("UPDATE staff_codes SET attempts = attempts + 1 WHERE staff_id = $1 AND purpose = $2")
            .bind(staff_id).bind(purpose).execute(conn).await.map(|_| ()))?;
        return Ok(None);
    }
    with_tx!(tx, conn => sqlx::query("DELETE FROM staff_codes WHERE staff_id = $1 AND purpose = $2")
        .bind(staff_id).bind(purpose).execute(conn).await.map(|_| ()))?;
    Ok(Some(payload))
}

async fn registered_phone_in(tx: &mut WriteTx, keys: &StaffKeys, staff_id: i64) -> Result<Option<String>, sqlx::Error> {
    let sealed: Option<Option<Vec<u8>>> = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT phone_sealed FROM staff WHERE id = $1").bind(staff_id).fetch_optional(conn).await)?;
    Ok(sealed.flatten().and_then(|s| keys.open_phone(staff_id, &s)))
}

/// The owner's registered phone, masked (for their own account page and the administrators').
pub async fn registered_phone(db: &Db, keys: &StaffKeys, staff_id: i64) -> Result<Option<String>, sqlx::Error> {
    let sealed: Option<Option<Vec<u8>>> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT phone_sealed FROM staff WHERE id = $1").bind(staff_id).fetch_optional(pool).await)?;
    Ok(sealed.flatten().and_then(|s| keys.open_phone(staff_id, &s)).map(|p| mask_mobile(&p)))
}

/// Resets an account inside the caller's transaction (see the module's description) and
/// delivers the code. `show_to_approver`: without a phone, return the code for the approving
/// administrator; otherwise leave it to the operator.
pub(super) async fn reset_in(
    tx: &mut WriteTx,
    ctx: &Ctx<'_>,
    actor: &Actor,
    target: &StaffSummary,
    with_totp: bool,
    show_to_approver: bool,
    delivery: &Delivery<'_>,
) -> Result<ResetDelivered, IdentityError> {
    let sql = if with_totp {
        "UPDATE staff SET password_hash = $1, must_change_password = TRUE, failed_logins = 0, locked_until = NULL, \
         lock_count = 0, totp_sealed = NULL, totp_last_step = NULL, totp_pending_sealed = NULL, \
         device_generation = device_generation + 1, updated_at = $2 WHERE id = $3"
    } else {
        "UPDATE staff SET password_hash = $1, must_change_password = TRUE, failed_logins = 0, locked_until = NULL, \
         lock_count = 0, device_generation = device_generation + 1, updated_at = $2 WHERE id = $3"
    };
    with_tx!(tx, conn => sqlx::query(sql).bind(RESET_HASH).bind(ctx.now).bind(target.id).execute(conn).await.map(|_| ()))?;
    with_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(target.id).execute(conn).await.map(|_| ()))?;
    with_tx!(tx, conn => sqlx::query("DELETE FROM login_throttle WHERE staff_id = $1").bind(target.id).execute(conn).await.map(|_| ()))?;
    let phone = registered_phone_in(tx, delivery.keys, target.id).await?;
    let (delivered, how) = match (phone, delivery.sms) {
        (Some(phone), Some(sms)) => {
            let code = digits(8);
            store_code(
                tx,
                delivery.keys,
                NewCode { purpose: "reset", staff_id: target.id, code: &code, payload: None, ttl: SMS_CODE_TTL },
                ctx.now,
            )
            .await?;
            sms.send(&phone, &code, "staff_reset").await.map_err(|e| IdentityError::Delivery(e.to_string()))?;
            (ResetDelivered::Sms { phone: mask_mobile(&phone) }, "sms")
        }
        _ if show_to_approver => {
            let code = handed_code();
            store_code(
                tx,
                delivery.keys,
                NewCode { purpose: "reset", staff_id: target.id, code: &code, payload: None, ttl: HANDED_CODE_TTL },
                ctx.now,
            )
            .await?;
            (ResetDelivered::Shown(code), "approver")
        }
        _ => {
            with_tx!(tx, conn => sqlx::query("DELETE FROM staff_codes WHERE staff_id = $1 AND purpose = 'reset'")
                .bind(target.id).execute(conn).await.map(|_| ()))?;
            (ResetDelivered::Operator, "operator")
        }
    };
    let action = if with_totp { "staff.reset_credentials" } else { "staff.reset_password" };
    let e = AuditEvent::new(action, "staff", target.id)
        .with_detail(json!({ "username": target.username, "delivered": how, "totp_removed": with_totp }));
    audit::append(tx, ctx.audit, actor, ctx.meta, &e, ctx.now).await?;
    Ok(delivered)
}

/// Why completing a reset was refused.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Unknown user, no reset under way, wrong, expired or used-up code: one answer.
    #[error("用户名或重置码不正确，或重置码已过期")]
    BadCode,
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

impl Failure for ResetError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        match self {
            ResetError::BadCode | ResetError::Invalid { .. } => zhengwu_types::ErrorCode::BadRequest,
            ResetError::Identity(e) => e.code(),
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            ResetError::Invalid { field, .. } => Some(field),
            ResetError::Identity(e) => e.field(),
            ResetError::BadCode => Some("code"),
        }
    }
}

impl From<sqlx::Error> for ResetError {
    fn from(e: sqlx::Error) -> Self {
        ResetError::Identity(e.into())
    }
}

impl From<crate::audit::AuditError> for ResetError {
    fn from(e: crate::audit::AuditError) -> Self {
        ResetError::Identity(e.into())
    }
}

/// The owner completes a reset: user name, the one-time code, and a new password (checked by
/// the policy). Afterwards they sign in; an administrator sets up a new second factor then.
pub async fn complete_reset(
    ctx: &Ctx<'_>,
    policy: &AuthPolicy,
    keys: &StaffKeys,
    username: &str,
    code: &str,
    new: &str,
    confirm: &str,
) -> Result<(), ResetError> {
    let invalid = |field: &'static str, m: &str| ResetError::Invalid { field, message: m.to_string() };
    let username = username.trim();
    if new != confirm {
        return Err(invalid("confirm_password", "两次输入的新密码不一致"));
    }
    policy.password.check(new, username).map_err(|p| invalid("new_password", &p.to_string()))?;
    let row: Option<(i64, String)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT id, password_hash FROM staff WHERE username = $1 AND status = 'active'")
        .bind(username).fetch_optional(pool).await)?;
    let hash = password::hash_password(new.to_string()).await.map_err(IdentityError::from)?;
    let Some((id, _)) = row.filter(|(_, h)| h == RESET_HASH) else {
        return Err(ResetError::BadCode);
    };
    let mut tx = ctx.db.begin_write().await?;
    let ok = take_code(&mut tx, keys, "reset", id, code, ctx.now).await?.is_some();
    let actor = Actor::staff(id, username);
    if !ok {
        let e =
            AuditEvent::new("staff.reset_complete", "staff", id).failed().with_detail(json!({ "reason": "bad_code" }));
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
        tx.commit().await?;
        return Err(ResetError::BadCode);
    }
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE staff SET password_hash = $1, must_change_password = FALSE, password_changed_at = $2, updated_at = $2 \
         WHERE id = $3")
        .bind(&hash).bind(ctx.now).bind(id).execute(conn).await.map(|_| ()))?;
    audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &AuditEvent::new("staff.reset_complete", "staff", id), ctx.now)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends a fresh reset code to the registered phone of an account whose reset is under way
/// (the first one expired or was mistyped too often). Silent for anything else, so it tells
/// nobody which accounts exist or are being reset.
pub async fn resend_reset_code(ctx: &Ctx<'_>, delivery: &Delivery<'_>, username: &str) -> Result<(), IdentityError> {
    let Some(sms) = delivery.sms else { return Ok(()) };
    let row: Option<(i64, String)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT id, password_hash FROM staff WHERE username = $1 AND status = 'active'")
        .bind(username.trim()).fetch_optional(pool).await)?;
    let Some((id, _)) = row.filter(|(_, h)| h == RESET_HASH) else { return Ok(()) };
    let mut tx = ctx.db.begin_write().await?;
    let last: Option<DateTime<Utc>> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT sent_at FROM staff_codes WHERE staff_id = $1 AND purpose = 'reset'").bind(id).fetch_optional(conn).await)?;
    if last.is_some_and(|t| t + RESEND_INTERVAL > ctx.now) {
        return Ok(());
    }
    let Some(phone) = registered_phone_in(&mut tx, delivery.keys, id).await? else { return Ok(()) };
    let code = digits(8);
    store_code(
        &mut tx,
        delivery.keys,
        NewCode { purpose: "reset", staff_id: id, code: &code, payload: None, ttl: SMS_CODE_TTL },
        ctx.now,
    )
    .await?;
    sms.send(&phone, &code, "staff_reset").await.map_err(|e| IdentityError::Delivery(e.to_string()))?;
    let e = AuditEvent::new("staff.reset_code_resent", "staff", id);
    audit::append(&mut tx, ctx.audit, &Actor::anonymous(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// The operator on the server (`zhengwu staff reset NAME`): resets the account's password and
/// second factor and returns a one-time code for the owner. Recorded as the command line.
pub async fn operator_reset(
    db: &Db,
    audit_key: &AuditKey,
    keys: &StaffKeys,
    username: &str,
) -> Result<String, IdentityError> {
    let target = super::accounts::find_by_username(db, username).await?.ok_or(IdentityError::NotFound)?;
    let sessions = super::SessionStore::Database;
    let meta = RequestMeta::default();
    let ctx = Ctx { db, audit: audit_key, meta: &meta, now: Utc::now(), sessions: &sessions };
    let delivery = Delivery { sms: None, keys };
    let mut tx = db.begin_write().await?;
    let delivered = reset_in(&mut tx, &ctx, &operator(), &target, true, true, &delivery).await?;
    tx.commit().await?;
    match delivered {
        ResetDelivered::Shown(code) => Ok(code),
        _ => Err(IdentityError::Delivery("no code was made".into())),
    }
}

/// The operator on the server (`zhengwu staff unlock NAME`): clears every sign-in lock of the
/// account. Recorded as the command line.
pub async fn operator_unlock(db: &Db, audit_key: &AuditKey, username: &str) -> Result<(), IdentityError> {
    let target = super::accounts::find_by_username(db, username).await?.ok_or(IdentityError::NotFound)?;
    let mut tx = db.begin_write().await?;
    super::accounts::unlock_in(&mut tx, target.id).await?;
    let e = AuditEvent::new("staff.unlock", "staff", target.id)
        .with_detail(json!({ "username": target.username, "by": "command line" }));
    audit::append(&mut tx, audit_key, &operator(), &RequestMeta::default(), &e, Utc::now()).await?;
    tx.commit().await?;
    Ok(())
}

fn operator() -> Actor {
    Actor { kind: ActorKind::System, id: None, name: "operator (command line)".into() }
}

/// The owner registers (or replaces) the phone that resets reach: their password, then a code
/// sent to the new number. Returns the number masked.
pub async fn start_phone(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    delivery: &Delivery<'_>,
    phone_raw: &str,
    current_password: &str,
) -> Result<String, IdentityError> {
    let invalid = |field: &'static str, m: &str| IdentityError::Invalid { field, message: m.to_string() };
    let Some(sms) = delivery.sms else {
        return Err(invalid("phone", "短信服务尚未配置，暂时不能登记手机号码"));
    };
    let phone = validate_mobile(phone_raw).ok_or_else(|| invalid("phone", "请输入 11 位手机号码"))?;
    super::reauth::current_password(ctx, actor, current_password, "current_password").await?;
    let mut tx = ctx.db.begin_write().await?;
    let last: Option<DateTime<Utc>> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT sent_at FROM staff_codes WHERE staff_id = $1 AND purpose = 'phone'").bind(actor.id).fetch_optional(conn).await)?;
    if let Some(t) = last.filter(|t| *t + RESEND_INTERVAL > ctx.now) {
        let wait = (t + RESEND_INTERVAL - ctx.now).num_seconds().max(1);
        return Err(invalid("phone", &format!("验证码发送过于频繁，请 {wait} 秒后再试")));
    }
    let code = digits(6);
    let pending = delivery.keys.seal_phone(actor.id, &phone);
    store_code(
        &mut tx,
        delivery.keys,
        NewCode { purpose: "phone", staff_id: actor.id, code: &code, payload: Some(pending), ttl: PHONE_CODE_TTL },
        ctx.now,
    )
    .await?;
    sms.send(&phone, &code, "staff_phone").await.map_err(|e| IdentityError::Delivery(e.to_string()))?;
    let e = AuditEvent::new("staff.phone_code", "staff", actor.id);
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(mask_mobile(&phone))
}

/// The code sent by [`start_phone`] typed back: the number becomes the account's.
pub async fn confirm_phone(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    keys: &StaffKeys,
    code: &str,
) -> Result<(), IdentityError> {
    let mut tx = ctx.db.begin_write().await?;
    let taken = take_code(&mut tx, keys, "phone", actor.id, code, ctx.now).await?;
    let Some(Some(pending)) = taken else {
        tx.commit().await?;
        return Err(IdentityError::Invalid {
            field: "code", message: "验证码不正确或已过期，请重新获取".into()
        });
    };
    let phone = keys.open_phone(actor.id, &pending).ok_or(IdentityError::NotFound)?;
    let had: Option<Option<Vec<u8>>> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT phone_sealed FROM staff WHERE id = $1").bind(actor.id).fetch_optional(conn).await)?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE staff SET phone_sealed = $1, updated_at = $2 WHERE id = $3")
        .bind(keys.seal_phone(actor.id, &phone)).bind(ctx.now).bind(actor.id).execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("staff.phone_set", "staff", actor.id)
        .with_detail(json!({ "replaced": had.flatten().is_some() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed_forgivingly_and_bound_to_account_and_purpose() {
        let k = StaffKeys::from_master(&MasterKey::from_bytes([1; 32]));
        let c = handed_code();
        assert_eq!(c.len(), 14);
        assert_eq!(
            k.code_mac("reset", 3, &normalise_code(&c)),
            k.code_mac("reset", 3, &normalise_code(&c.to_lowercase().replace('-', " ")))
        );
        assert_ne!(k.code_mac("reset", 3, "1"), k.code_mac("reset", 4, "1"));
        assert_ne!(k.code_mac("reset", 3, "1"), k.code_mac("phone", 3, "1"));
        let sealed = k.seal_phone(3, "13800000000");
        assert_eq!(k.open_phone(3, &sealed).as_deref(), Some("13800000000"));
        assert_eq!(k.open_phone(4, &sealed), None, "a phone moved to another account does not open");
        assert_eq!(digits(8).len(), 8);
    }
}
