//! Consent (个人信息保护法 第十四条、第二十九条): the versions of the user agreement, the privacy
//! policy and the sensitive-information rules, and what each citizen accepted. The first
//! versions ship with the program (loaded once, racing instances insert once); operators publish
//! new ones, and a citizen who has not accepted the current version is asked again before
//! anything else under 我的. Accepting is audited under the citizen's account id.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use zhengwu_types::consent::{PolicyKind, PolicyText};

use super::{invalid, CitizenActor, CitizenError};
use crate::{
    audit::{self, Actor, AuditEvent, AuditKey, RequestMeta},
    db::Db,
    identity::Ctx,
    with_db, with_tx,
};

const SHIPPED: &str = include_str!("policies.toml");

#[derive(Deserialize)]
struct Shipped {
    policy: Vec<ShippedPolicy>,
}

#[derive(Deserialize)]
struct ShippedPolicy {
    kind: PolicyKind,
    title: String,
    body: String,
}

/// Inserts version 1 of each document that has none yet. Returns how many were added.
pub async fn ensure_policies(db: &Db, now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let shipped: Shipped = toml::from_str(SHIPPED).expect("the shipped policies parse (a unit test checks it)");
    let mut added = 0;
    for p in shipped.policy {
        let n: u64 = with_db!(db, pool => sqlx::query(
            "INSERT INTO policy_versions (kind, version, title, body, published_at, published_by) \
             VALUES ($1, 1, $2, $3, $4, 'shipped') ON CONFLICT (kind, version) DO NOTHING")
            .bind(p.kind).bind(&p.title).bind(p.body.trim()).bind(now)
            .execute(pool).await.map(|r| r.rows_affected()))?;
        added += n as usize;
    }
    Ok(added)
}

#[derive(sqlx::FromRow)]
struct Row {
    kind: PolicyKind,
    version: i32,
    title: String,
    body: String,
    published_at: DateTime<Utc>,
}

impl Row {
    fn text(self) -> PolicyText {
        PolicyText {
            kind: self.kind,
            version: self.version,
            title: self.title,
            body: self.body,
            published_on: crate::time::shanghai_date(self.published_at).format("%Y-%m-%d").to_string(),
        }
    }
}

/// The current version of a document.
pub async fn current_policy(db: &Db, kind: PolicyKind) -> Result<PolicyText, CitizenError> {
    let row: Option<Row> = with_db!(db, pool => sqlx::query_as(
        "SELECT kind, version, title, body, published_at FROM policy_versions WHERE kind = $1 \
         ORDER BY version DESC LIMIT 1")
        .bind(kind).fetch_optional(pool).await)?;
    row.map(Row::text).ok_or(CitizenError::NotFound)
}

/// The documents of `kinds` whose current version the citizen has not accepted.
pub async fn pending_consents(db: &Db, citizen_id: i64, kinds: &[PolicyKind]) -> Result<Vec<PolicyText>, CitizenError> {
    let mut out = vec![];
    for &kind in kinds {
        let p = current_policy(db, kind).await?;
        let accepted: Option<i32> = with_db!(db, pool => sqlx::query_scalar(
            "SELECT version FROM citizen_consents WHERE citizen_id = $1 AND kind = $2 AND version = $3")
            .bind(citizen_id).bind(kind).bind(p.version).fetch_optional(pool).await)?;
        if accepted.is_none() {
            out.push(p);
        }
    }
    Ok(out)
}

/// Records that the citizen accepted these versions. A version that is no longer the current
/// one (a new one was published while the page was open) is refused: the new text is shown.
pub async fn accept_policies(
    ctx: &Ctx<'_>,
    actor: &CitizenActor,
    accepted: &[(PolicyKind, i32)],
) -> Result<(), CitizenError> {
    let mut current = vec![];
    for &(kind, version) in accepted {
        let p = current_policy(ctx.db, kind).await?;
        if p.version != version {
            return Err(invalid("agree", format!("《{}》已更新，请阅读新版本后再确认", p.title)));
        }
        current.push(p);
    }
    let mut tx = ctx.db.begin_write().await?;
    for p in &current {
        with_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO citizen_consents (citizen_id, kind, version, accepted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (citizen_id, kind, version) DO NOTHING")
            .bind(actor.id).bind(p.kind).bind(p.version).bind(ctx.now).execute(conn).await.map(|_| ()))?;
    }
    let detail: Vec<_> = current.iter().map(|p| json!({ "kind": p.kind.code(), "version": p.version })).collect();
    let ev = AuditEvent::new("citizen.consent", "citizen", actor.id).with_detail(json!({ "accepted": detail }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a citizen accepted: (kind, version, accepted at, Shanghai time), for their own data.
pub async fn my_consents(db: &Db, citizen_id: i64) -> Result<Vec<(PolicyKind, i32, String)>, CitizenError> {
    let rows: Vec<(PolicyKind, i32, DateTime<Utc>)> = with_db!(db, pool => sqlx::query_as(
        "SELECT kind, version, accepted_at FROM citizen_consents WHERE citizen_id = $1 ORDER BY accepted_at, kind")
        .bind(citizen_id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(k, v, at)| (k, v, crate::time::local_minute(at))).collect())
}

/// Publishes a new version of a document (the operator's command): every citizen is asked
/// again. Audited under `by` (the operator's name on the server).
pub async fn publish_policy(
    db: &Db,
    key: &AuditKey,
    by: &Actor,
    now: DateTime<Utc>,
    kind: PolicyKind,
    title: &str,
    body: &str,
) -> Result<i32, CitizenError> {
    let (title, body) = (title.trim(), body.trim());
    if !(2..=100).contains(&title.chars().count()) {
        return Err(invalid("title", "标题须为 2–100 个字"));
    }
    if body.chars().count() < 20 {
        return Err(invalid("body", "正文太短"));
    }
    let mut tx = db.begin_write().await?;
    let version: i32 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM policy_versions WHERE kind = $1").bind(kind).fetch_one(conn).await)?;
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO policy_versions (kind, version, title, body, published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(kind).bind(version).bind(title).bind(body).bind(now).bind(&by.name)
        .execute(conn).await.map(|_| ()))?;
    let ev = AuditEvent::new("policy.publish", "policy", kind.code()).with_detail(json!({ "version": version }));
    audit::append(&mut tx, key, by, &RequestMeta::default(), &ev, now).await?;
    tx.commit().await?;
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_documents_parse_and_cover_every_kind() {
        let s: Shipped = toml::from_str(SHIPPED).unwrap();
        for kind in PolicyKind::ALL {
            let p = s.policy.iter().find(|p| p.kind == kind).unwrap_or_else(|| panic!("{kind} ships"));
            assert!(p.body.contains("一、") && p.title.chars().count() >= 2);
        }
    }
}
