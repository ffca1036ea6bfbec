//! Limits on what a citizen may store, checked at every save (drafts too): the number of files
//! per form field, the bytes per case ([`CASE_QUOTA`]) and per citizen ([`CITIZEN_QUOTA`]).
//! Also the deletion of a draft.

use std::collections::BTreeMap;

use serde_json::json;
use zhengwu_types::services::{FieldKind, FormDef};

use super::{CaseError, NewFile};
use crate::{
    audit::{self, AuditEvent},
    blobs::size_text,
    citizen::CitizenActor,
    db::{Db, WriteTx},
    identity::Ctx,
    with_db, with_tx,
};

/// Bytes of attachments one case may hold.
pub const CASE_QUOTA: u64 = 100 * 1024 * 1024;
/// Bytes of attachments one citizen may hold across all their cases.
pub const CITIZEN_QUOTA: u64 = 500 * 1024 * 1024;

/// What a post may still add.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowance {
    /// Per attachment field: how many more files (after the removals asked for).
    pub files_left: BTreeMap<String, u32>,
    pub case_bytes_left: u64,
    pub citizen_bytes_left: u64,
}

impl Allowance {
    pub fn bytes_left(&self) -> u64 {
        self.case_bytes_left.min(self.citizen_bytes_left)
    }
}

/// The allowance of the case a post with `client_key` is for (a new case has all of it),
/// counting the files the post removes as gone.
pub async fn upload_allowance(
    db: &Db,
    actor: &CitizenActor,
    form: &FormDef,
    client_key: &str,
    removing: &[i64],
) -> Result<Allowance, sqlx::Error> {
    let case: Option<i64> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT id FROM cases WHERE citizen_id = $1 AND client_key = $2")
        .bind(actor.id).bind(client_key).fetch_optional(pool).await)?;
    let files: Vec<(i64, String, i64)> = match case {
        Some(c) => with_db!(db, pool => sqlx::query_as(
            "SELECT id, field, size_bytes FROM case_files WHERE case_id = $1 AND removed_at IS NULL")
            .bind(c).fetch_all(pool).await)?,
        None => vec![],
    };
    let kept: Vec<&(i64, String, i64)> = files.iter().filter(|f| !removing.contains(&f.0)).collect();
    let mine: i64 = with_db!(db, pool => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(f.size_bytes), 0) AS BIGINT) FROM case_files f JOIN cases c ON c.id = f.case_id \
         WHERE c.citizen_id = $1 AND f.removed_at IS NULL AND f.blob_deleted_at IS NULL")
        .bind(actor.id).fetch_one(pool).await)?;
    let removed_bytes: i64 = files.iter().filter(|f| removing.contains(&f.0)).map(|f| f.2).sum();
    let case_bytes: i64 = kept.iter().map(|f| f.2).sum();
    let files_left = form
        .fields()
        .filter(|d| d.kind == FieldKind::Attachment)
        .map(|d| {
            let have = kept.iter().filter(|f| f.1 == d.name).count() as u32;
            (d.name.clone(), d.max_files().saturating_sub(have))
        })
        .collect();
    Ok(Allowance {
        files_left,
        case_bytes_left: CASE_QUOTA.saturating_sub(case_bytes.max(0) as u64),
        citizen_bytes_left: CITIZEN_QUOTA.saturating_sub((mine - removed_bytes).max(0) as u64),
    })
}

/// The message for a file refused because its field is full.
pub fn too_many_files_message(label: &str, max: u32) -> String {
    format!("{label}：最多上传 {max} 个文件，请先删除不需要的文件再上传")
}

/// The message for a file refused by a quota.
pub fn quota_message(label: &str) -> String {
    format!(
        "{label}：附件总大小已达上限（每件 {}，每人 {}），请删除不需要的文件后再上传",
        size_text(CASE_QUOTA),
        size_text(CITIZEN_QUOTA)
    )
}

pub(super) async fn check_upload_limits(
    db: &Db,
    actor: &CitizenActor,
    client_key: &str,
    form: &FormDef,
    new_files: &[NewFile],
    removing: &[i64],
) -> Result<(), CaseError> {
    if new_files.is_empty() {
        return Ok(());
    }
    let a = upload_allowance(db, actor, form, client_key, removing).await?;
    for (field, left) in &a.files_left {
        let adding = new_files.iter().filter(|f| &f.field == field).count() as u32;
        if adding > *left {
            let def = form.field(field);
            let label = def.map(|d| d.label.clone()).unwrap_or_default();
            let max = def.map(|d| d.max_files()).unwrap_or(0);
            return Err(CaseError::BadRequest { field: "file", message: too_many_files_message(&label, max) });
        }
    }
    let bytes: u64 = new_files.iter().map(|f| f.blob.size).sum();
    if bytes > a.bytes_left() {
        return Err(CaseError::BadRequest { field: "file", message: quota_message("附件") });
    }
    Ok(())
}

/// The limits again, on what the transaction has stored (this post's files included): a post
/// racing another passes the first check on the same allowance, and is refused here.
pub(super) async fn check_stored(
    tx: &mut WriteTx,
    actor: &CitizenActor,
    case_id: i64,
    form: &FormDef,
    new_files: &[NewFile],
    counts: &BTreeMap<String, usize>,
) -> Result<(), CaseError> {
    for f in new_files {
        if let Some(def) = form.field(&f.field) {
            if counts.get(&f.field).copied().unwrap_or(0) > def.max_files() as usize {
                return Err(CaseError::BadRequest {
                    field: "file",
                    message: too_many_files_message(&def.label, def.max_files()),
                });
            }
        }
    }
    let (case_bytes, mine): (i64, i64) = with_tx!(tx, conn => sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN f.case_id = $1 THEN f.size_bytes ELSE 0 END), 0) AS BIGINT), \
                CAST(COALESCE(SUM(f.size_bytes), 0) AS BIGINT) \
         FROM case_files f JOIN cases c ON c.id = f.case_id \
         WHERE c.citizen_id = $2 AND f.removed_at IS NULL AND f.blob_deleted_at IS NULL")
        .bind(case_id).bind(actor.id).fetch_one(conn).await)?;
    if case_bytes.max(0) as u64 > CASE_QUOTA || mine.max(0) as u64 > CITIZEN_QUOTA {
        return Err(CaseError::BadRequest { field: "file", message: quota_message("附件") });
    }
    Ok(())
}

/// Deletes one of the citizen's own drafts (never submitted): its answers, timeline and file
/// records go; the stored files are swept from the blob store after the grace period.
pub async fn delete_draft(ctx: &Ctx<'_>, actor: &CitizenActor, case_id: i64) -> Result<(), CaseError> {
    let mut tx = ctx.db.begin_write().await?;
    let row: Option<(String, Option<String>)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT status, tracking_no FROM cases WHERE id = $1 AND citizen_id = $2")
        .bind(case_id).bind(actor.id).fetch_optional(conn).await)?;
    let Some((status, tracking)) = row else { return Err(CaseError::NotFound) };
    if status != "draft" || tracking.is_some() {
        return Err(CaseError::NotEditable { case_id });
    }
    let files: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT COUNT(*) FROM case_files WHERE case_id = $1")
        .bind(case_id).fetch_one(conn).await)?;
    for table in ["case_files", "case_events", "case_tasks"] {
        let sql = format!("DELETE FROM {table} WHERE case_id = $1");
        with_tx!(&mut tx, conn => sqlx::query(&sql).bind(case_id).execute(conn).await.map(|_| ()))?;
    }
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM cases WHERE id = $1").bind(case_id).execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("case.draft_delete", "case", case_id).with_detail(json!({ "files": files }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
