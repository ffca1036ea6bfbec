//! Staff sign-in: password (argon2id), the second factor, and how failures are limited so that
//! guessing is slow (等保 2.0: 限制非法登录次数) while a stranger without the password cannot keep
//! the owner out (OWASP's device-cookie pattern).
//!
//! - Failures are counted per account **and source**: the browser's device cookie when it
//!   carries a valid one for this account (issued at the owner's earlier successful sign-in,
//!   at most [`DEVICE_DAYS`] ago, and since the account's last reset, disable or removed factor),
//!   otherwise the client's address. After `max_failures` failures a source is locked for this
//!   account, for growing periods: 1, 2, 4, 8, 16 minutes … up to `lock_for`.
//! - Failures from sources without a device cookie also count for the account as a whole;
//!   after [`UNTRUSTED_FACTOR`] × `max_failures` of them, sign-in from *untrusted* browsers is
//!   locked (growing the same way), which stops guessing spread over many addresses. The owner's
//!   own browser, with its device cookie, still gets in.
//! - Every answer to a failure is the same ([`IdentityError::InvalidCredentials`]); the reason
//!   goes to the audit trail. An unknown user name is recorded as a keyed digest only (people
//!   type passwords into the user-name field).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use zhengwu_crypto::{sm3, sm4gcm, to_hex, totp};

use super::{
    password,
    reset::StaffKeys,
    service::{audit_alone, digest, random_hex},
    sessions::SessionRecord,
    totp::totp_aad,
    AuthPolicy, Ctx, IdentityError,
};
use crate::{
    audit::{self, Actor, AuditEvent},
    with_db, with_tx,
};

/// How many times `max_failures` untrusted failures lock untrusted sign-in for the account.
pub const UNTRUSTED_FACTOR: i32 = 4;
/// How long a device cookie is honoured.
pub const DEVICE_DAYS: i64 = 180;

/// What the sign-in form posted.
pub struct Attempt<'a> {
    pub username: &'a str,
    pub password: &'a str,
    /// The 6-digit code typed (empty when left blank).
    pub totp: &'a str,
    /// The caller's old session token, ended at success.
    pub previous: Option<&'a str>,
    /// The browser's device cookie, if it sent one.
    pub device: Option<&'a str>,
}

/// A session just created; `token` goes into the session cookie and nowhere else.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub staff_id: i64,
    pub must_change_password: bool,
    /// The device cookie to set (for this account, on this browser).
    pub device_cookie: String,
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: i64,
    username: String,
    password_hash: String,
    status: String,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
    lock_count: i32,
    must_change_password: bool,
    totp_sealed: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
    device_generation: i32,
}

/// The device cookie for `staff_id`: its id, when it was issued, the account's device
/// generation then, and a random part, with a MAC under the codes key.
pub fn device_token(keys: &StaffKeys, staff_id: i64, generation: i32, now: DateTime<Utc>) -> String {
    let mut r = [0u8; 16];
    zhengwu_crypto::random_bytes(&mut r);
    let body = format!("{staff_id:x}-{:x}-{generation:x}-{}", now.timestamp().max(0), to_hex(&r));
    format!("{body}.{}", keys.device_mac(&body))
}

/// What a genuine device cookie says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub staff_id: i64,
    pub issued: DateTime<Utc>,
    pub generation: i32,
}

impl Device {
    /// Whether it still vouches for `staff_id`'s browser: issued within [`DEVICE_DAYS`], in the
    /// account's current generation (a reset, disable or removed factor ends older ones).
    pub fn vouches_for(&self, staff_id: i64, generation: i32, now: DateTime<Utc>) -> bool {
        self.staff_id == staff_id
            && self.generation == generation
            && self.issued <= now
            && now < self.issued + Duration::days(DEVICE_DAYS)
    }
}

/// What a device cookie says, when its MAC holds.
pub fn device_owner(keys: &StaffKeys, token: &str) -> Option<Device> {
    let (body, mac) = token.split_once('.')?;
    if token.len() > 160 || !zhengwu_crypto::constant_time_eq(keys.device_mac(body).as_bytes(), mac.as_bytes()) {
        return None;
    }
    let mut parts = body.split('-');
    let staff_id = i64::from_str_radix(parts.next()?, 16).ok()?;
    let issued = DateTime::from_timestamp(i64::from_str_radix(parts.next()?, 16).ok()?, 0)?;
    let generation = i32::from_str_radix(parts.next()?, 16).ok()?;
    Some(Device { staff_id, issued, generation })
}

/// The lock after the `n`-th lock-out in a row: 1, 2, 4, 8 … minutes, at most `cap`.
pub fn lock_period(n: i32, cap: Duration) -> Duration {
    let minutes = 1i64 << n.clamp(1, 16).saturating_sub(1);
    Duration::minutes(minutes).min(cap)
}

/// Signs a staff member in and starts a new session (a new id every time: a session id known
/// before sign-in is worthless after it). Failures count as described in the module and are
/// audited with the reason; the caller only learns [`IdentityError::InvalidCredentials`] (or
/// [`IdentityError::Busy`] when too many sign-ins are being checked at once).
pub async fn sign_in(
    ctx: &Ctx<'_>,
    policy: &AuthPolicy,
    keys: &StaffKeys,
    a: &Attempt<'_>,
) -> Result<NewSession, IdentityError> {
    let username = a.username.trim();
    let row: Option<LoginRow> = if username.is_empty() || username.len() > 64 {
        None
    } else {
        with_db!(ctx.db, pool => sqlx::query_as(
            "SELECT id, username, password_hash, status, failed_logins, locked_until, lock_count, must_change_password, \
             totp_sealed, totp_last_step, device_generation FROM staff WHERE username = $1")
            .bind(username).fetch_optional(pool).await)?
    };
    let hash = row.as_ref().map(|r| r.password_hash.clone()).unwrap_or_else(|| password::dummy_hash().to_string());
    // Always pay for one verification, so timing does not tell which case this is.
    let matches = password::verify_password(a.password.to_string(), hash).await?;
    let fail = |reason: &'static str, id: Option<i64>, source: &str| {
        let mut e = AuditEvent::new("auth.sign_in", "staff", id.map(|i| i.to_string()).unwrap_or_default())
            .failed()
            .with_detail(json!({ "reason": reason, "source": source }));
        if id.is_none() {
            e.object_id = None;
            e.detail =
                json!({ "reason": reason, "tried": keys.tried_digest(username), "length": username.chars().count() });
        }
        e
    };
    let Some(row) = row else {
        audit_alone(ctx, &Actor::anonymous(), fail("unknown_user", None, "")).await?;
        return Err(IdentityError::InvalidCredentials);
    };
    let actor = Actor::staff(row.id, &row.username);
    let trusted = a
        .device
        .and_then(|d| device_owner(keys, d))
        .is_some_and(|d| d.vouches_for(row.id, row.device_generation, ctx.now));
    let source = match (trusted, a.device) {
        (true, Some(d)) => format!("device:{}", &to_hex(&sm3(d.as_bytes()))[..16]),
        _ => format!("ip:{}", ctx.meta.ip.as_deref().unwrap_or("-")),
    };
    let source_kind = if trusted { "device" } else { "address" };
    if row.status != "active" {
        audit_alone(ctx, &actor, fail("disabled", Some(row.id), source_kind)).await?;
        return Err(IdentityError::InvalidCredentials);
    }
    let bucket: Option<(i32, i32, Option<DateTime<Utc>>)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT failures, lock_count, locked_until FROM login_throttle WHERE staff_id = $1 AND source = $2")
        .bind(row.id).bind(&source).fetch_optional(pool).await)?;
    let (failures, locks, until) = bucket.unwrap_or((0, 0, None));
    if until.is_some_and(|u| u > ctx.now) {
        audit_alone(ctx, &actor, fail("locked", Some(row.id), source_kind)).await?;
        return Err(IdentityError::InvalidCredentials);
    }
    if !trusted && row.locked_until.is_some_and(|u| u > ctx.now) {
        audit_alone(ctx, &actor, fail("locked_untrusted", Some(row.id), source_kind)).await?;
        return Err(IdentityError::InvalidCredentials);
    }
    // With a second factor on the account, the password alone is not enough.
    let mut totp_step = None;
    let mut reason = "bad_password";
    let matches = matches
        && match &row.totp_sealed {
            None => true,
            Some(sealed) => {
                reason = "bad_totp";
                let secret = sm4gcm::open(&keys.totp, sealed, &totp_aad(row.id)).ok();
                totp_step = secret.and_then(|k| {
                    let now = u64::try_from(ctx.now.timestamp()).unwrap_or(0);
                    totp::verify(&k, a.totp, now, row.totp_last_step.and_then(|s| u64::try_from(s).ok()))
                });
                totp_step.is_some()
            }
        };
    let mut tx = ctx.db.begin_write().await?;
    if !matches {
        let max = policy.max_failures as i32;
        let (mut f, mut l, mut lu) = (failures + 1, locks, None);
        if f >= max {
            l += 1;
            lu = Some(ctx.now + lock_period(l, policy.lock_for));
            f = 0;
        }
        with_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO login_throttle (staff_id, source, failures, lock_count, locked_until, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (staff_id, source) DO UPDATE SET failures = excluded.failures, \
             lock_count = excluded.lock_count, locked_until = excluded.locked_until, updated_at = excluded.updated_at")
            .bind(row.id).bind(&source).bind(f).bind(l).bind(lu).bind(ctx.now).execute(conn).await.map(|_| ()))?;
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail(reason, Some(row.id), source_kind), ctx.now).await?;
        if let Some(u) = lu {
            let e = AuditEvent::new("staff.lock", "staff", row.id)
                .with_detail(json!({ "scope": source_kind, "lock": l, "until": u.to_rfc3339() }));
            audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
        }
        if !trusted {
            let (mut af, mut al, mut alu) = (row.failed_logins + 1, row.lock_count, None);
            if af >= max * UNTRUSTED_FACTOR {
                al += 1;
                alu = Some(ctx.now + lock_period(al, policy.lock_for));
                af = 0;
            }
            with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE staff SET failed_logins = $1, lock_count = $2, locked_until = COALESCE($3, locked_until) WHERE id = $4")
                .bind(af).bind(al).bind(alu).bind(row.id).execute(conn).await.map(|_| ()))?;
            if let Some(u) = alu {
                let e = AuditEvent::new("staff.lock", "staff", row.id)
                    .with_detail(json!({ "scope": "untrusted", "lock": al, "until": u.to_rfc3339() }));
                audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
            }
        }
        tx.commit().await?;
        return Err(IdentityError::InvalidCredentials);
    }
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM login_throttle WHERE staff_id = $1 AND source = $2")
        .bind(row.id).bind(&source).execute(conn).await.map(|_| ()))?;
    // A success from an untrusted browser proves the password: the account-wide count starts
    // again. A success with the device cookie leaves it (a stranger may still be guessing).
    let reset_untrusted = if trusted { "" } else { ", failed_logins = 0, locked_until = NULL, lock_count = 0" };
    let sql = format!(
        "UPDATE staff SET last_login_at = $1, totp_last_step = COALESCE($3, totp_last_step){reset_untrusted} WHERE id = $2"
    );
    with_tx!(&mut tx, conn => sqlx::query(&sql)
        .bind(ctx.now).bind(row.id).bind(totp_step.and_then(|s| i64::try_from(s).ok())).execute(conn).await.map(|_| ()))?;
    let token = random_hex(32);
    let record = SessionRecord {
        staff_id: row.id,
        csrf_secret: random_hex(24),
        created_at: ctx.now,
        last_seen_at: ctx.now,
        expires_at: ctx.now + policy.absolute_timeout,
    };
    if !ctx.sessions.is_redis() {
        if let Some(old) = a.previous {
            super::service::end_session_in(&mut tx, old).await?;
        }
        with_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO sessions (id_digest, staff_id, csrf_secret, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)")
            .bind(digest(&token)).bind(row.id).bind(&record.csrf_secret).bind(ctx.now)
            .bind(record.expires_at).execute(conn).await.map(|_| ()))?;
    }
    let e = AuditEvent::new("auth.sign_in", "staff", row.id).with_detail(json!({ "source": source_kind }));
    audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    if ctx.sessions.is_redis() {
        if let Some(old) = a.previous.map(digest) {
            if let Some(rec) = ctx.sessions.get(&old).await? {
                ctx.sessions.remove(&old, rec.staff_id).await?;
            }
        }
        ctx.sessions.put(&digest(&token), &record, policy.idle_timeout, ctx.now).await?;
    }
    Ok(NewSession {
        token,
        staff_id: row.id,
        must_change_password: row.must_change_password,
        device_cookie: device_token(keys, row.id, row.device_generation, ctx.now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhengwu_crypto::keys::MasterKey;

    #[test]
    fn locks_grow_and_stop_at_the_cap() {
        let cap = Duration::minutes(30);
        let got: Vec<i64> = (1..=8).map(|n| lock_period(n, cap).num_minutes()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(lock_period(0, cap).num_minutes(), 1);
        assert_eq!(lock_period(i32::MAX, cap).num_minutes(), 30);
    }

    #[test]
    fn device_cookies_name_their_account_and_cannot_be_forged() {
        let k = StaffKeys::from_master(&MasterKey::from_bytes([2; 32]));
        let now = Utc::now();
        let t = device_token(&k, 42, 3, now);
        let d = device_owner(&k, &t).unwrap();
        assert_eq!((d.staff_id, d.generation, d.issued.timestamp()), (42, 3, now.timestamp()));
        assert!(d.vouches_for(42, 3, now));
        assert_ne!(device_token(&k, 42, 3, now), t, "random part");
        let (body, mac) = t.split_once('.').unwrap();
        let other = format!("{}{}", "2b", &body[2..]);
        assert_eq!(device_owner(&k, &format!("{other}.{mac}")), None, "another account's id with the old MAC");
        assert_eq!(device_owner(&k, "2a-00.00"), None);
        assert_eq!(device_owner(&StaffKeys::from_master(&MasterKey::from_bytes([3; 32])), &t), None);
        // A genuine cookie stops vouching: for another account, in a later generation (after a
        // reset), or once it is older than DEVICE_DAYS.
        assert!(!d.vouches_for(43, 3, now));
        assert!(!d.vouches_for(42, 4, now), "the account was reset since");
        assert!(!d.vouches_for(42, 3, now + Duration::days(DEVICE_DAYS)), "expired on the server too");
        assert!(!d.vouches_for(42, 3, now - Duration::hours(1)), "not issued in the future");
    }
}
