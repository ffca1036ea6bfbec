//! 收藏: the services a citizen keeps at hand (listed on 我的, marked on the guide). Only
//! published items can be added; a retired one stays listed, marked as such, until removed.
//! Adding and removing are audited under the citizen's account id.

use serde_json::json;
use zhengwu_types::services::ItemStatus;

use super::{CitizenActor, CitizenError};
use crate::{
    audit::{self, AuditEvent},
    identity::Ctx,
    services, with_db, with_tx,
};

/// At most this many favourites per citizen: a list, not a store.
pub const MAX_FAVOURITES: i64 = 100;

/// A saved service as 我的 lists it: (code, name, department, status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Favourite {
    pub code: String,
    pub name: String,
    pub department: String,
    pub status: ItemStatus,
}

/// Adds a published item to the citizen's favourites (again: nothing changes).
pub async fn add_favourite(ctx: &Ctx<'_>, actor: &CitizenActor, code: &str) -> Result<(), CitizenError> {
    let item = services::item_row(ctx.db, code)
        .await?
        .filter(|r| r.status == ItemStatus::Published)
        .ok_or(CitizenError::NotFound)?;
    let mut tx = ctx.db.begin_write().await?;
    let count: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM citizen_favourites WHERE citizen_id = $1").bind(actor.id).fetch_one(conn).await)?;
    if count >= MAX_FAVOURITES {
        return Err(CitizenError::TooMany("收藏已达 100 项，请先取消一些不常用的收藏"));
    }
    let added: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO citizen_favourites (citizen_id, item_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (citizen_id, item_id) DO NOTHING")
        .bind(actor.id).bind(item.id).bind(ctx.now).execute(conn).await.map(|r| r.rows_affected()))?;
    if added == 1 {
        let ev = AuditEvent::new("favourite.add", "service_item", &item.code).with_detail(json!({}));
        audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes an item from the citizen's favourites (not there: nothing changes).
pub async fn remove_favourite(ctx: &Ctx<'_>, actor: &CitizenActor, code: &str) -> Result<(), CitizenError> {
    let item = services::item_row(ctx.db, code).await?.ok_or(CitizenError::NotFound)?;
    let mut tx = ctx.db.begin_write().await?;
    let removed: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "DELETE FROM citizen_favourites WHERE citizen_id = $1 AND item_id = $2")
        .bind(actor.id).bind(item.id).execute(conn).await.map(|r| r.rows_affected()))?;
    if removed == 1 {
        let ev = AuditEvent::new("favourite.remove", "service_item", &item.code).with_detail(json!({}));
        audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the item is among the citizen's favourites.
pub async fn is_favourite(ctx: &Ctx<'_>, actor: &CitizenActor, code: &str) -> Result<bool, CitizenError> {
    let found: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT f.item_id FROM citizen_favourites f JOIN service_items i ON i.id = f.item_id \
         WHERE f.citizen_id = $1 AND i.code = $2")
        .bind(actor.id).bind(code).fetch_optional(pool).await)?;
    Ok(found.is_some())
}

/// The citizen's favourites, newest first.
pub async fn favourites(ctx: &Ctx<'_>, actor: &CitizenActor) -> Result<Vec<Favourite>, CitizenError> {
    let rows: Vec<(String, String, String, ItemStatus)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT i.code, i.name, d.name, i.status FROM citizen_favourites f \
         JOIN service_items i ON i.id = f.item_id JOIN departments d ON d.id = i.department_id \
         WHERE f.citizen_id = $1 ORDER BY f.created_at DESC, i.code")
        .bind(actor.id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(code, name, department, status)| Favourite { code, name, department, status }).collect())
}
