//! Staff looking at a citizen: masked always; one field in full only with `personal:unmask`,
//! for a citizen with a case in the staff member's data scope (or with `personal:unmask_all`,
//! held by few), for a reason chosen from a list and explained, within a rate limit — and
//! recorded before it is shown. Whoever unmasks unusually many in a day is flagged to the
//! auditor (`personal.unmask_alert`, one of the security events shown at sign-in).

use chrono::Duration;
use serde_json::json;

use super::{count_actions_in, invalid, masked, today_start, CitizenError, Field, MaskedProfile, PersonalKeys};
use crate::{
    audit::{self, AuditEvent},
    identity::{Ctx, Permission, StaffActor},
    with_db, with_tx,
};

/// Unmaskings one staff member may do per hour and per day.
pub const UNMASK_PER_HOUR: i64 = 10;
pub const UNMASK_PER_DAY: i64 = 30;
/// From this many in a day the auditor is told.
pub const UNMASK_ALERT_PER_DAY: i64 = 10;

zhengwu_types::code_enum! {
    /// Why a field is shown in full (the list staff choose from, with words of their own).
    pub enum UnmaskReason {
        /// 窗口核验申请人身份
        IdentityCheck = "identity_check",
        /// 联系申请人
        Contact = "contact",
        /// 审核办件材料
        CaseReview = "case_review",
        /// 依法协助调查
        LegalRequest = "legal_request",
        /// 其他
        Other = "other",
    }
}

impl UnmaskReason {
    pub fn name_zh(self) -> &'static str {
        match self {
            UnmaskReason::IdentityCheck => "窗口核验申请人身份",
            UnmaskReason::Contact => "联系申请人",
            UnmaskReason::CaseReview => "审核办件材料",
            UnmaskReason::LegalRequest => "依法协助调查（须有书面依据）",
            UnmaskReason::Other => "其他",
        }
    }
}

/// Whether the citizen has a case (not a draft) in a department of the staff member's scope.
async fn in_scope(ctx: &Ctx<'_>, staff: &StaffActor, citizen: i64) -> Result<bool, CitizenError> {
    if staff.can(Permission::PersonalUnmaskAll) {
        return Ok(true);
    }
    let scope = crate::services::scope_clause(staff, "department_id");
    let sql = format!("SELECT COUNT(*) FROM cases WHERE citizen_id = $1 AND status <> $2 {scope}");
    let n: i64 = with_db!(ctx.db, pool => sqlx::query_scalar(&sql).bind(citizen).bind(zhengwu_types::services::CaseStatus::Draft).fetch_one(pool).await)?;
    Ok(n > 0)
}

/// A citizen's profile for staff, masked: for those who may unmask, when the citizen is theirs
/// to see (out of scope answers "not found", as a missing one does).
pub async fn citizen_for_staff(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    staff: &StaffActor,
    id: i64,
) -> Result<MaskedProfile, CitizenError> {
    if !staff.can(Permission::PersonalUnmask) && !staff.can(Permission::PersonalUnmaskAll) {
        return Err(CitizenError::Forbidden);
    }
    if !in_scope(ctx, staff, id).await? {
        return Err(CitizenError::NotFound);
    }
    masked(ctx, keys, id).await
}

/// One field in full; recorded in the audit trail first (if the record cannot be written,
/// nothing is shown).
pub async fn unmask(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    staff: &StaffActor,
    id: i64,
    field: Field,
    reason: Option<UnmaskReason>,
    explanation: &str,
) -> Result<String, CitizenError> {
    if !staff.can(Permission::PersonalUnmask) && !staff.can(Permission::PersonalUnmaskAll) {
        return Err(CitizenError::Forbidden);
    }
    if !in_scope(ctx, staff, id).await? {
        return Err(CitizenError::NotFound);
    }
    let Some(reason) = reason else { return Err(invalid("reason_code", "请选择查看事由")) };
    let explanation = explanation.trim();
    if explanation.chars().count() < 2 || explanation.chars().count() > 200 {
        return Err(invalid("reason", "请说明具体情况（2–200 字），如办件编号、来电人"));
    }
    let actor = staff.audit_actor();
    let column = match field {
        Field::Phone => "phone_sealed",
        Field::RealName => "real_name_sealed",
        Field::IdNumber => "id_number_sealed",
    };
    let mut tx = ctx.db.begin_write().await?;
    // One unmasking at a time per staff member, so the count and the new record are one step
    // (parallel requests cannot all pass a count taken before any of them is recorded). SQLite
    // writers are serial anyway; on PostgreSQL this row lock does it.
    with_tx!(&mut tx, conn => sqlx::query("UPDATE staff SET id = id WHERE id = $1")
        .bind(staff.id).execute(conn).await.map(|_| ()))?;
    let hour = count_actions_in(&mut tx, &actor, "personal.unmask", ctx.now - Duration::hours(1)).await?;
    let day = count_actions_in(&mut tx, &actor, "personal.unmask", today_start(ctx.now)).await?;
    if hour >= UNMASK_PER_HOUR || day >= UNMASK_PER_DAY {
        let e =
            AuditEvent::new("personal.unmask", "citizen", id).failed().with_detail(json!({ "reason": "rate_limited" }));
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::TooMany("查看完整信息的次数已达上限（每小时 10 次、每天 30 次），请稍后再试"));
    }
    let sql = format!("SELECT {column} FROM citizens WHERE id = $1");
    let sealed: Option<Option<Vec<u8>>> =
        with_tx!(&mut tx, conn => sqlx::query_scalar(&sql).bind(id).fetch_optional(conn).await)?;
    let sealed = sealed.ok_or(CitizenError::NotFound)?.ok_or(CitizenError::NotFound)?;
    let clear = keys.open(field, id, &sealed).ok_or(CitizenError::NotFound)?;
    let e = AuditEvent::new("personal.unmask", "citizen", id).with_detail(json!({
        "field": column.trim_end_matches("_sealed"), "reason": reason.code(), "explanation": explanation,
    }));
    audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
    // Counted under the lock above, so the day's tenth is seen exactly once.
    if day + 1 == UNMASK_ALERT_PER_DAY {
        let alert = AuditEvent::new("personal.unmask_alert", "staff", staff.id)
            .with_detail(json!({ "username": staff.username, "today": day + 1 }));
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &alert, ctx.now).await?;
        tracing::warn!(staff = staff.id, today = day + 1, "unusually many unmaskings by one staff member today");
    }
    tx.commit().await?;
    Ok(clear)
}
