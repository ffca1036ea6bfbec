//! The staff side of cases: the list of incoming cases in the data scope, one case in full
//! (reading it is audited), its files, and the supplement request through the workflow.

use chrono::{DateTime, Utc};
use serde_json::json;
use zhengwu_types::{
    services::{CaseDetail, CaseStatus, CaseSummary},
    workflow::TaskStatus,
    Page, PageRequest,
};

use super::{case_by_id, read, CaseError, FileRef};
use crate::{
    audit::{self, AuditEvent},
    citizen::PersonalKeys,
    identity::{Ctx, Permission, StaffActor},
    services, with_db, workflow,
};

/// Filters of the staff case list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub service: Option<String>,
    pub status: Option<CaseStatus>,
    /// Only concluded cases (办结: approved, refused or terminated), whatever `status` says.
    pub concluded: bool,
    pub department: Option<String>,
    /// Submitted on or after / before the end of (Asia/Shanghai dates).
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

fn day_start(d: chrono::NaiveDate) -> DateTime<Utc> {
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    DateTime::<Utc>::from_naive_utc_and_offset(local - chrono::Duration::hours(8), Utc)
}

fn staff_covers(actor: &StaffActor, department_id: i64) -> bool {
    actor.scope.covers(department_id, None, actor.id)
}

/// Incoming cases (never drafts) in the staff member's data scope.
pub async fn list_for_staff(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    f: &CaseFilter,
    page: PageRequest,
) -> Result<Page<CaseSummary>, CaseError> {
    actor.require(Permission::CaseRead).map_err(|_| CaseError::Forbidden)?;
    let scope = services::scope_clause(actor, "c.department_id");
    let sql = format!(
        "{summary} WHERE c.status <> '{draft}' {scope} \
         AND ($1 IS NULL OR i.code = $1) AND ($2 IS NULL OR c.status = $2) AND ($3 IS NULL OR d.code = $3) \
         AND ($4 IS NULL OR c.submitted_at >= $4) AND ($5 IS NULL OR c.submitted_at < $5) \
         AND ($8 = FALSE OR c.status IN ('{approved}', '{rejected}', '{terminated}')) \
         ORDER BY c.submitted_at DESC, c.id DESC LIMIT $6 OFFSET $7",
        summary = read::SUMMARY,
        draft = CaseStatus::Draft,
        approved = CaseStatus::Approved,
        rejected = CaseStatus::Rejected,
        terminated = CaseStatus::Terminated,
    );
    let from = f.from.map(day_start);
    let to = f.to.map(|d| day_start(d + chrono::Duration::days(1)));
    let rows: Vec<read::SummaryRow> = with_db!(ctx.db, pool => sqlx::query_as(&sql)
        .bind(f.service.as_deref()).bind(f.status).bind(f.department.as_deref())
        .bind(from).bind(to).bind(page.limit()).bind(page.offset()).bind(f.concluded)
        .fetch_all(pool).await)?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    Ok(Page::new(rows.into_iter().map(read::SummaryRow::into_summary).collect(), page, total))
}

/// A case for staff, in full (they process it); reading it is recorded in the audit trail.
pub async fn case_for_staff(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &StaffActor,
    id: i64,
) -> Result<CaseDetail, CaseError> {
    actor.require(Permission::CaseRead).map_err(|_| CaseError::Forbidden)?;
    let c = case_by_id(ctx.db, id)
        .await?
        .filter(|c| c.status != CaseStatus::Draft && staff_covers(actor, c.department_id))
        .ok_or(CaseError::NotFound)?;
    let mut tx = ctx.db.begin_write().await?;
    audit::append(
        &mut tx,
        ctx.audit,
        &actor.audit_actor(),
        ctx.meta,
        &AuditEvent::new("case.view", "case", id),
        ctx.now,
    )
    .await?;
    tx.commit().await?;
    read::detail_of(ctx.db, keys, c, true).await
}

/// A file of a case the staff member may see.
pub async fn staff_file(ctx: &Ctx<'_>, actor: &StaffActor, file_id: i64) -> Result<FileRef, CaseError> {
    actor.require(Permission::CaseRead).map_err(|_| CaseError::Forbidden)?;
    let (case_id, f) = read::file_row(ctx.db, file_id).await?.ok_or(CaseError::NotFound)?;
    let c = case_by_id(ctx.db, case_id).await?.ok_or(CaseError::NotFound)?;
    if c.status == CaseStatus::Draft || !staff_covers(actor, c.department_id) {
        return Err(CaseError::NotFound);
    }
    let mut tx = ctx.db.begin_write().await?;
    let ev = AuditEvent::new("case.file_download", "case", case_id).with_detail(json!({ "file": file_id }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(f)
}

/// Asks the applicant for missing or corrected materials (补正): the message, and the fields
/// to change. Done through the staff member's open task on the case (the workflow decides
/// whether the step allows it); the clock stops until the applicant resubmits.
pub async fn request_supplement(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    id: i64,
    message: &str,
    fields: &[String],
) -> Result<(), CaseError> {
    actor.require(Permission::CaseApprove).map_err(|_| CaseError::Forbidden)?;
    let c = case_by_id(ctx.db, id)
        .await?
        .filter(|c| c.status != CaseStatus::Draft && staff_covers(actor, c.department_id))
        .ok_or(CaseError::NotFound)?;
    let task: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT id FROM case_tasks WHERE case_id = $1 AND assignee_id = $2 AND status = $3 ORDER BY id LIMIT 1")
        .bind(c.id).bind(actor.id).bind(TaskStatus::Open).fetch_optional(pool).await)?;
    let Some(task) = task else {
        return Err(CaseError::BadRequest {
            field: "message", message: "您没有该办件的待办任务，不能要求补正".into()
        });
    };
    let act = workflow::Act::Supplement { message: message.to_string(), fields: fields.to_vec() };
    match workflow::act(ctx, actor, task, act, workflow::ClockPolicy::default()).await {
        Ok(_) => Ok(()),
        Err(workflow::WorkflowError::Invalid { field, message }) => Err(CaseError::BadRequest { field, message }),
        Err(e) => Err(e.into()),
    }
}
