//! Re-authentication inside a session: the current password (and, for a second factor, the
//! current code) asked before changing the password, the second factor or the registered phone.
//!
//! Someone holding a stolen session must not be able to guess the password there without
//! limit: wrong answers are counted per account (`login_throttle`, source `reauth`), each is
//! audited, and the [`REAUTH_FAILURES`]th ends every session of the account — the owner signs
//! in again, a thief is out. A right answer clears the count.

use serde_json::json;

use super::{password, Ctx, IdentityError, StaffActor};
use crate::{
    audit::{self, AuditEvent},
    with_db, with_tx,
};

/// Wrong answers in a row before the account's sessions end.
pub const REAUTH_FAILURES: i32 = 5;
const SOURCE: &str = "reauth";

/// Checks the signed-in staff member's current password.
pub(super) async fn current_password(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    given: &str,
    field: &'static str,
) -> Result<(), IdentityError> {
    let hash: String = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT password_hash FROM staff WHERE id = $1")
        .bind(actor.id).fetch_one(pool).await)?;
    if password::verify_password(given.to_string(), hash).await? {
        passed(ctx, actor).await
    } else {
        Err(failed(ctx, actor, field, "当前密码不正确", "password").await?)
    }
}

/// Clears the count after a right answer.
pub(super) async fn passed(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<(), IdentityError> {
    with_db!(ctx.db, pool => sqlx::query("DELETE FROM login_throttle WHERE staff_id = $1 AND source = $2")
        .bind(actor.id).bind(SOURCE).execute(pool).await.map(|_| ()))?;
    Ok(())
}

/// Counts a wrong answer (`what`: "password" or "totp") and returns the error to show; at the
/// limit, the account's sessions are ended and the message says so.
pub(super) async fn failed(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    field: &'static str,
    message: &str,
    what: &str,
) -> Result<IdentityError, IdentityError> {
    let mut tx = ctx.db.begin_write().await?;
    let failures: i32 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO login_throttle (staff_id, source, failures, lock_count, locked_until, updated_at) \
         VALUES ($1, $2, 1, 0, NULL, $3) ON CONFLICT (staff_id, source) DO UPDATE \
         SET failures = login_throttle.failures + 1, updated_at = excluded.updated_at RETURNING failures")
        .bind(actor.id).bind(SOURCE).bind(ctx.now).fetch_one(conn).await)?;
    let ended = failures >= REAUTH_FAILURES;
    let e = AuditEvent::new("staff.reauth_failed", "staff", actor.id)
        .failed()
        .with_detail(json!({ "what": what, "in_a_row": failures, "sessions_ended": ended }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    if ended {
        with_tx!(&mut tx, conn => sqlx::query("DELETE FROM login_throttle WHERE staff_id = $1 AND source = $2")
            .bind(actor.id).bind(SOURCE).execute(conn).await.map(|_| ()))?;
        with_tx!(&mut tx, conn => sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(actor.id).execute(conn).await.map(|_| ()))?;
        // Among the security events the auditor sees at sign-in.
        let e = AuditEvent::new("staff.reauth_lockout", "staff", actor.id).with_detail(json!({ "failures": failures }));
        audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    }
    tx.commit().await?;
    if ended {
        // Sessions kept in Redis (the database's went with the transaction).
        ctx.sessions.remove_all(actor.id, None).await?;
        return Ok(IdentityError::Invalid {
            field,
            message: format!("连续 {REAUTH_FAILURES} 次验证失败，已退出全部登录；请重新登录"),
        });
    }
    Ok(IdentityError::Invalid { field, message: message.to_string() })
}
