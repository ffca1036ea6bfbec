//! What citizens read of their own cases (and the shared detail staff see): the list, one case
//! with its answers, files and timeline, and a file of it.

use chrono::{DateTime, Utc};
use zhengwu_types::services::{Answer, CaseDetail, CaseStatus, CaseSummary, DayKind, FieldKind};

use super::{case_by_id, files_of, CaseError, CaseRow};
use crate::{
    citizen::{CitizenActor, PersonalKeys},
    db::Db,
    identity::Ctx,
    services, with_db,
};

#[derive(sqlx::FromRow)]
pub(super) struct SummaryRow {
    pub total: i64,
    id: i64,
    tracking_no: Option<String>,
    service_code: String,
    service_name: String,
    department: String,
    status: CaseStatus,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
}

impl SummaryRow {
    pub(super) fn into_summary(self) -> CaseSummary {
        CaseSummary {
            id: self.id,
            tracking_no: self.tracking_no,
            service_code: self.service_code,
            service_name: self.service_name,
            department: self.department,
            status: self.status,
            updated_at: crate::time::local_minute(self.updated_at),
            submitted_at: self.submitted_at.map(crate::time::local_minute),
        }
    }
}

pub(super) const SUMMARY: &str = "SELECT c.id, c.tracking_no, i.code AS service_code, i.name AS service_name, \
     d.name AS department, c.status, c.updated_at, c.submitted_at, COUNT(*) OVER () AS total \
     FROM cases c JOIN service_items i ON i.id = c.item_id JOIN departments d ON d.id = c.department_id";

/// The citizen's own cases, drafts included, newest first.
pub async fn my_cases(ctx: &Ctx<'_>, actor: &CitizenActor) -> Result<Vec<CaseSummary>, CaseError> {
    let sql = format!("{SUMMARY} WHERE c.citizen_id = $1 ORDER BY c.updated_at DESC, c.id DESC LIMIT 200");
    let rows: Vec<SummaryRow> = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(SummaryRow::into_summary).collect())
}

pub(super) async fn summary_of(db: &Db, id: i64) -> Result<CaseSummary, CaseError> {
    let sql = format!("{SUMMARY} WHERE c.id = $1");
    let row: Option<SummaryRow> = with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    Ok(row.ok_or(CaseError::NotFound)?.into_summary())
}

pub(super) async fn detail_of(db: &Db, keys: &PersonalKeys, c: CaseRow, staff: bool) -> Result<CaseDetail, CaseError> {
    let form = services::form_at(db, c.item_id, c.form_version).await?.ok_or(CaseError::NotFound)?;
    let values = c.answers(keys)?;
    let answers = form
        .fields()
        .filter(|f| f.kind != FieldKind::Attachment)
        .map(|f| Answer {
            name: f.name.clone(),
            label: f.label.clone(),
            value: values.get(&f.name).map(|v| v.join("、")).unwrap_or_default(),
            kind: f.kind,
        })
        .collect();
    let (promised_days, day_kind): (i32, DayKind) = with_db!(db, pool => sqlx::query_as(
        "SELECT promised_days, day_kind FROM service_items WHERE id = $1").bind(c.item_id).fetch_one(pool).await)?;
    let attachment_fields =
        form.fields().filter(|f| f.kind == FieldKind::Attachment).map(|f| (f.name.clone(), f.label.clone())).collect();
    Ok(CaseDetail {
        client_key: if staff { String::new() } else { c.client_key.clone() },
        summary: summary_of(db, c.id).await?,
        form_version: c.form_version,
        answers,
        attachment_fields,
        files: files_of(db, c.id).await?,
        timeline: crate::timeline::read(db, c.id, !staff, staff).await?,
        supplement_note: c.supplement_note.clone(),
        supplement_fields: c.supplement_fields()?,
        promised_days,
        day_kind,
        delivery: c.delivery(keys)?,
        channel: c.channel,
    })
}

/// One of the citizen's own cases with everything in it (the receipt and the tracking page).
pub async fn my_case(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
    id: i64,
) -> Result<CaseDetail, CaseError> {
    let c = case_by_id(ctx.db, id).await?.filter(|c| c.citizen_id == actor.id).ok_or(CaseError::NotFound)?;
    detail_of(ctx.db, keys, c, false).await
}

/// Where a file can be read from: its store key, type and display name.
#[derive(Debug, Clone)]
pub struct FileRef {
    pub blob_key: String,
    pub media_type: String,
    pub name: String,
    /// The SM3 digest taken at upload; the file read back must match it.
    pub sm3: String,
}

pub(super) async fn file_row(db: &Db, id: i64) -> Result<Option<(i64, FileRef)>, sqlx::Error> {
    let row: Option<(i64, String, String, String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT case_id, blob_key, media_type, display_name, sm3 FROM case_files WHERE id = $1 AND removed_at IS NULL")
        .bind(id).fetch_optional(pool).await)?;
    Ok(row.map(|(case_id, blob_key, media_type, name, sm3)| (case_id, FileRef { blob_key, media_type, name, sm3 })))
}

/// A file of the citizen's own case.
pub async fn my_file(ctx: &Ctx<'_>, actor: &CitizenActor, file_id: i64) -> Result<FileRef, CaseError> {
    let (case_id, f) = file_row(ctx.db, file_id).await?.ok_or(CaseError::NotFound)?;
    let owner: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT citizen_id FROM cases WHERE id = $1")
        .bind(case_id).fetch_optional(pool).await)?;
    if owner != Some(actor.id) {
        return Err(CaseError::NotFound);
    }
    Ok(f)
}
