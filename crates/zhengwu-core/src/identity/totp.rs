//! Setting up the second factor (TOTP, RFC 6238): the server chooses the secret, keeps it
//! (sealed) as the account's *pending* secret so the set-up page shows the same one however
//! often it is reloaded, and makes it the account's factor only when a code from it is typed
//! back. Replacing a factor already set up needs the password and a current code from the old
//! one, so a session left open is not enough to move someone's second factor to another phone.

use serde_json::json;
use zhengwu_crypto::{sm4gcm, totp};

use super::{password, reauth, reset::StaffKeys, Ctx, IdentityError, StaffActor};
use crate::{
    audit::{self, AuditEvent},
    with_db, with_tx,
};

/// The associated data of an account's TOTP secret: bound to the account's row.
pub fn totp_aad(staff_id: i64) -> Vec<u8> {
    format!("staff.totp\0{staff_id}").into_bytes()
}

fn pending_aad(staff_id: i64) -> Vec<u8> {
    format!("staff.totp_pending\0{staff_id}").into_bytes()
}

/// What the set-up page shows: the secret in base32 (grouped for typing), the `otpauth://`
/// URI, and that URI as a QR code (SVG, drawn on the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpSetup {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

/// The pending secret of the signed-in staff member, created on first use and kept until a
/// code from it is confirmed.
pub async fn pending_totp(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    keys: &StaffKeys,
    issuer: &str,
) -> Result<TotpSetup, IdentityError> {
    let sealed: Option<Option<Vec<u8>>> = with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT totp_pending_sealed FROM staff WHERE id = $1").bind(actor.id).fetch_optional(pool).await)?;
    let existing = sealed.flatten().and_then(|s| sm4gcm::open(&keys.totp, &s, &pending_aad(actor.id)).ok());
    let secret = match existing {
        Some(s) => s.to_vec(),
        None => {
            let s = totp::generate_secret();
            let mut tx = ctx.db.begin_write().await?;
            // Another tab may have made one a moment ago: keep the first.
            with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE staff SET totp_pending_sealed = $1 WHERE id = $2 AND totp_pending_sealed IS NULL")
                .bind(sm4gcm::seal(&keys.totp, &s, &pending_aad(actor.id))).bind(actor.id).execute(conn).await.map(|_| ()))?;
            let kept: Option<Vec<u8>> = with_tx!(&mut tx, conn => sqlx::query_scalar(
                "SELECT totp_pending_sealed FROM staff WHERE id = $1").bind(actor.id).fetch_one(conn).await)?;
            tx.commit().await?;
            kept.and_then(|k| sm4gcm::open(&keys.totp, &k, &pending_aad(actor.id)).ok())
                .map(|k| k.to_vec())
                .ok_or(IdentityError::NotFound)?
        }
    };
    let uri = totp::provisioning_uri(&secret, issuer, &actor.username);
    Ok(TotpSetup { secret: totp::secret_base32(&secret), qr_svg: qr_svg(&uri), uri })
}

/// The URI as an SVG QR code (error correction M, dark modules on white, with a quiet zone).
pub fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build()
            // Only the <svg> element: the XML declaration does not belong inside HTML.
            .split_once("<svg")
            .map(|(_, rest)| format!("<svg role=\"img\" aria-label=\"身份验证器扫描用的二维码\"{rest}"))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// What the set-up form posted.
pub struct Enrolment<'a> {
    /// The code shown by the authenticator for the new (pending) secret.
    pub code: &'a str,
    /// Only when replacing a factor already set up: the password and a code from the old one.
    pub current_password: &'a str,
    pub current_code: &'a str,
}

/// The password hash, the enrolled factor, its last used step and a pending one.
type FactorRow = (String, Option<Vec<u8>>, Option<i64>, Option<Vec<u8>>);

/// Makes the pending secret the account's second factor once a code from it is typed back.
/// Stored sealed and bound to the account; the code's step is remembered so it works once.
pub async fn enroll_totp(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    keys: &StaffKeys,
    e: &Enrolment<'_>,
) -> Result<(), IdentityError> {
    let invalid = |field: &'static str, m: &str| IdentityError::Invalid { field, message: m.to_string() };
    let row: Option<FactorRow> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT password_hash, totp_sealed, totp_last_step, totp_pending_sealed FROM staff WHERE id = $1")
        .bind(actor.id).fetch_optional(pool).await)?;
    let (hash, current, last_step, pending) = row.ok_or(IdentityError::NotFound)?;
    let now = u64::try_from(ctx.now.timestamp()).unwrap_or(0);
    if let Some(current) = &current {
        // Replacing: the password and the old factor, both.
        // Wrong answers count towards ending the sessions (see `reauth`).
        if !password::verify_password(e.current_password.to_string(), hash).await? {
            return Err(reauth::failed(ctx, actor, "current_password", "当前密码不正确", "password").await?);
        }
        let old = sm4gcm::open(&keys.totp, current, &totp_aad(actor.id)).ok();
        let ok = old.is_some_and(|k| {
            totp::verify(&k, e.current_code, now, last_step.and_then(|s| u64::try_from(s).ok())).is_some()
        });
        if !ok {
            return Err(reauth::failed(ctx, actor, "current_code", "原动态口令不正确", "totp").await?);
        }
        reauth::passed(ctx, actor).await?;
    }
    let secret = pending
        .and_then(|p| sm4gcm::open(&keys.totp, &p, &pending_aad(actor.id)).ok())
        .ok_or_else(|| invalid("code", "绑定已过期，请刷新页面后重新扫描二维码"))?;
    let step = totp::verify(&secret, e.code, now, None)
        .ok_or_else(|| invalid("code", "动态口令不正确，请核对手机时间后重试"))?;
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE staff SET totp_sealed = $1, totp_last_step = $2, totp_pending_sealed = NULL, updated_at = $3 WHERE id = $4")
        .bind(sm4gcm::seal(&keys.totp, &secret, &totp_aad(actor.id))).bind(i64::try_from(step).unwrap_or(0))
        .bind(ctx.now).bind(actor.id).execute(conn).await.map(|_| ()))?;
    let ev =
        AuditEvent::new("staff.totp_enroll", "staff", actor.id).with_detail(json!({ "replaced": current.is_some() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_element_for_html() {
        let svg = qr_svg("otpauth://totp/%E9%9D%92%E5%B1%B1:auditor?secret=JBSWY3DPEHPK3PXP&issuer=%E9%9D%92%E5%B1%B1");
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..40]);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains("<path") || svg.contains("<rect"));
    }
}
