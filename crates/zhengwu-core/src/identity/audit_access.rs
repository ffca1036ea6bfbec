//! The auditor's access to the audit trail: search, export and verification, each allowed
//! only with its permission and each itself recorded.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{IdentityError, Permission, StaffActor};
use crate::{
    audit::{self, AuditEvent, AuditRecord, Tamper, VerifyReport},
    with_db, with_tx,
};

use super::Ctx;

/// Search criteria; all optional. `action` matches a prefix (`staff.` finds every staff action).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
}

pub const AUDIT_PAGE: i64 = 50;
/// The most records one export holds.
pub const EXPORT_LIMIT: i64 = 50_000;

async fn query(
    ctx: &Ctx<'_>,
    f: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditRecord>, i64), IdentityError> {
    // Fixed SQL: every criterion is a bound parameter that is either NULL (ignored) or applied.
    let sql = "SELECT seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, object_id, outcome, \
               ip, user_agent, request_id, detail, mac FROM audit_log \
               WHERE ($1 IS NULL OR occurred_at >= $1) AND ($2 IS NULL OR occurred_at < $2) \
               AND ($3 IS NULL OR actor_name = $3) AND ($4 IS NULL OR action LIKE $4) \
               AND ($5 IS NULL OR object_type = $5) AND ($6 IS NULL OR object_id = $6) \
               ORDER BY seq DESC LIMIT $7 OFFSET $8";
    let count_sql = "SELECT COUNT(*) FROM audit_log \
               WHERE ($1 IS NULL OR occurred_at >= $1) AND ($2 IS NULL OR occurred_at < $2) \
               AND ($3 IS NULL OR actor_name = $3) AND ($4 IS NULL OR action LIKE $4) \
               AND ($5 IS NULL OR object_type = $5) AND ($6 IS NULL OR object_id = $6)";
    let action = f.action.as_ref().map(|a| format!("{}%", a.replace(['%', '_'], "")));
    let rows: Vec<AuditRecord> = with_db!(ctx.db, pool => sqlx::query_as(sql)
        .bind(f.from).bind(f.until).bind(&f.actor).bind(&action).bind(&f.object_type).bind(&f.object_id)
        .bind(limit).bind(offset).fetch_all(pool).await)?;
    let total: i64 = with_db!(ctx.db, pool => sqlx::query_scalar(count_sql)
        .bind(f.from).bind(f.until).bind(&f.actor).bind(&action).bind(&f.object_type).bind(&f.object_id)
        .fetch_one(pool).await)?;
    Ok((rows, total))
}

fn filter_detail(filter: &AuditFilter) -> serde_json::Value {
    json!({ "actor": filter.actor, "action": filter.action, "object_type": filter.object_type,
            "object_id": filter.object_id, "from": filter.from.map(|t| t.to_rfc3339()),
            "until": filter.until.map(|t| t.to_rfc3339()) })
}

/// One page (newest first) of matching records, and how many match. The search itself is
/// recorded (who looked for what is part of the trail too).
pub async fn audit_search(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    filter: &AuditFilter,
    page: u32,
) -> Result<(Vec<AuditRecord>, i64), IdentityError> {
    actor.require(Permission::AuditRead)?;
    let found = query(ctx, filter, i64::from(page.saturating_sub(1)) * AUDIT_PAGE, AUDIT_PAGE).await?;
    let mut tx = ctx.db.begin_write().await?;
    let e = AuditEvent::new("audit.search", "audit_log", "search")
        .with_detail(json!({ "filter": filter_detail(filter), "page": page, "matching": found.1 }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(found)
}

/// What the auditor is shown at the next sign-in: every change to administrator accounts and
/// credentials, the two-person requests and their decisions, locks, unusual unmasking.
pub const SECURITY_ACTIONS: &[&str] = &[
    "admin_request.create",
    "admin_request.approve",
    "admin_request.refuse",
    "admin_request.cancel",
    "staff.reset_credentials",
    "staff.reset_password",
    "staff.reset_totp",
    "staff.reset_complete",
    "staff.disable",
    "staff.enable",
    "staff.assign_roles",
    "staff.unlock",
    "staff.lock",
    "staff.reauth_lockout",
    "staff.totp_enroll",
    "staff.phone_set",
    "role.create",
    "role.update",
    "personal.unmask_alert",
];

/// Security events the auditor has not yet marked as read (oldest first, at most 200), and
/// how many there are in all.
pub async fn security_events(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<(Vec<AuditRecord>, i64), IdentityError> {
    actor.require(Permission::AuditRead)?;
    let seen: i64 = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT security_seen_seq FROM staff WHERE id = $1")
        .bind(actor.id).fetch_one(pool).await)?;
    let list = SECURITY_ACTIONS.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, object_id, outcome, \
         ip, user_agent, request_id, detail, mac FROM audit_log WHERE seq > $1 AND action IN ({list}) \
         ORDER BY seq LIMIT 200"
    );
    let count_sql = format!("SELECT COUNT(*) FROM audit_log WHERE seq > $1 AND action IN ({list})");
    let rows: Vec<AuditRecord> = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(seen).fetch_all(pool).await)?;
    let total: i64 = with_db!(ctx.db, pool => sqlx::query_scalar(&count_sql).bind(seen).fetch_one(pool).await)?;
    Ok((rows, total))
}

/// The auditor has read the security events up to `seq` (recorded).
pub async fn mark_security_events_seen(ctx: &Ctx<'_>, actor: &StaffActor, seq: i64) -> Result<(), IdentityError> {
    actor.require(Permission::AuditRead)?;
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE staff SET security_seen_seq = $1 WHERE id = $2 AND security_seen_seq < $1")
        .bind(seq).bind(actor.id).execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("audit.security_events_read", "audit_log", seq);
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// Matching records for a CSV export (at most [`EXPORT_LIMIT`]); the export is recorded.
pub async fn audit_export(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    filter: &AuditFilter,
) -> Result<Vec<AuditRecord>, IdentityError> {
    actor.require(Permission::AuditRead)?;
    let (rows, total) = query(ctx, filter, 0, EXPORT_LIMIT).await?;
    let mut tx = ctx.db.begin_write().await?;
    let e = AuditEvent::new("audit.export", "audit_log", "csv")
        .with_detail(json!({ "records": rows.len(), "matching": total, "filter": filter_detail(filter) }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Verifies the whole chain and records that (and what) was found.
pub async fn audit_verify(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<Result<VerifyReport, Tamper>, IdentityError> {
    actor.require(Permission::AuditVerify)?;
    let result = audit::verify(ctx.db, ctx.audit).await?;
    let mut e = AuditEvent::new("audit.verify", "audit_log", "chain");
    match &result {
        Ok(r) => e = e.with_detail(json!({ "intact": true, "records": r.records })),
        Err(t) => e = e.failed().with_detail(json!({ "intact": false, "finding": t.to_string() })),
    }
    // A damaged head refuses new records; the finding is still returned to the auditor.
    let mut tx = ctx.db.begin_write().await?;
    match audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await {
        Ok(_) => tx.commit().await?,
        Err(err) => tracing::warn!(error = %err, "the verification could not be recorded"),
    }
    Ok(result)
}

/// RFC 4180 CSV of audit records, with a UTF-8 byte-order mark so spreadsheet programs used in
/// government offices open the Chinese text correctly. Cells that a spreadsheet would run as a
/// formula are prefixed with `'`.
pub fn audit_csv(rows: &[AuditRecord]) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = String::from("\u{feff}序号,时间,操作者类型,操作者,动作,对象类型,对象,结果,IP,请求ID,详情,MAC\r\n");
    for r in rows {
        let time = r.occurred_at.with_timezone(&crate::time::shanghai()).format("%Y-%m-%d %H:%M:%S").to_string();
        let fields = [
            r.seq.to_string(),
            time,
            r.actor_kind.clone(),
            r.actor_name.clone(),
            r.action.clone(),
            r.object_type.clone(),
            r.object_id.clone().unwrap_or_default(),
            r.outcome.clone(),
            r.ip.clone().unwrap_or_default(),
            r.request_id.clone().unwrap_or_default(),
            r.detail.clone(),
            r.mac.clone(),
        ];
        out.push_str(&fields.iter().map(|f| cell(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let r = AuditRecord {
            seq: 1,
            occurred_at: "2026-11-29T02:00:00Z".parse().unwrap(),
            actor_kind: "staff".into(),
            actor_id: Some(1),
            actor_name: "=cmd|' /C calc'!A0".into(),
            action: "staff.update".into(),
            object_type: "staff".into(),
            object_id: Some("3".into()),
            outcome: "success".into(),
            ip: None,
            user_agent: None,
            request_id: None,
            detail: r#"{"a":"b,c"}"#.into(),
            mac: "ab".into(),
        };
        let csv = audit_csv(&[r]);
        let line = csv.lines().nth(1).unwrap();
        assert!(line.starts_with("1,2026-11-29 10:00:00,staff,'=cmd|' /C calc'!A0,"), "{line}");
        assert!(line.contains(r#""{""a"":""b,c""}""#), "{line}");
    }
}
