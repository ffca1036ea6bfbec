//! The two-person rule (双人复核) for what could let one administrator take over or blind
//! another: resetting an administrator's credentials or second factor, disabling or enabling an
//! administrator account, changing the roles of an account that holds (or would hold) an
//! administrator duty, and resetting a business account whose owner has no registered phone.
//!
//! One administrator asks (with a reason); a second administrator — neither the one who asked
//! nor the account concerned — approves or refuses; the one who asked may cancel. A request expires after [`REQUEST_TTL_HOURS`]. The change itself happens
//! at approval, in the approval's transaction, after its rules are checked again (separation of
//! duties, the last holder of a duty). Every step is audited, and the auditor is shown each of
//! them at the next sign-in (`identity::security_events`).

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::{
    accounts::{self, find_staff, roles_of},
    reset::{self, Delivery, ResetDelivered},
    Ctx, Duty, IdentityError, StaffActor,
};
use crate::{
    audit::{self, AuditEvent},
    with_db, with_tx,
};

pub const REQUEST_TTL_HOURS: i64 = 72;

zhengwu_types::code_enum! {
    /// What is asked for.
    pub enum RequestKind {
        /// An administrator's password and second factor: both are replaced by the owner.
        ResetCredentials = "reset_credentials",
        /// A business account's password, when its owner has no registered phone.
        ResetPassword = "reset_password",
        /// An administrator's second factor (a lost phone).
        ResetTotp = "reset_totp",
        Disable = "disable",
        Enable = "enable",
        /// New roles for an account holding or receiving an administrator duty.
        AssignRoles = "assign_roles",
    }
}

impl RequestKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            RequestKind::ResetCredentials => "重置密码和动态口令",
            RequestKind::ResetPassword => "重置密码",
            RequestKind::ResetTotp => "解除动态口令",
            RequestKind::Disable => "停用账号",
            RequestKind::Enable => "启用账号",
            RequestKind::AssignRoles => "变更角色",
        }
    }
}

zhengwu_types::code_enum! {
    /// The state of a request.
    pub enum RequestStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

impl RequestStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            RequestStatus::Pending => "待审批",
            RequestStatus::Approved => "已批准",
            RequestStatus::Refused => "已拒绝",
            RequestStatus::Cancelled => "已撤销",
            RequestStatus::Expired => "已过期",
        }
    }
}

/// A request as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRequest {
    pub id: i64,
    pub kind: RequestKind,
    pub target_id: i64,
    pub target_username: String,
    pub target_name: String,
    pub requested_by: i64,
    pub requester_username: String,
    pub reason: String,
    /// For [`RequestKind::AssignRoles`]: the role codes asked for.
    pub roles: Vec<String>,
    /// …and what each of them granted when asked (name, duty, scope, permissions): what the
    /// approver approves. An approval is refused if a role has changed since.
    pub grants: Vec<String>,
    pub status: RequestStatus,
    pub decided_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Who may approve: any administrator (system, security or audit duty), signed in fully
/// (password changed, second factor set up). With the three administrators of 三员分立 there is
/// always one who is neither the one asking nor the one concerned; the auditor's approval is a
/// review (复核), and is itself among the events the auditor's colleagues can read.
pub fn can_approve(actor: &StaffActor) -> bool {
    !actor.must_change_password && !actor.needs_totp && actor.roles.iter().any(|r| r.duty != Duty::Business)
}

fn invalid(field: &'static str, message: impl Into<String>) -> IdentityError {
    IdentityError::Invalid { field, message: message.into() }
}

fn check_reason(reason: &str) -> Result<String, IdentityError> {
    let r = reason.trim();
    let n = r.chars().count();
    if !(4..=200).contains(&n) {
        return Err(invalid("reason", "请填写申请事由（4–200 字），审批人和审计员会看到"));
    }
    Ok(r.to_string())
}

/// Files a request (the caller checked that the actor may ask for this on this account).
/// One pending request per account and kind.
pub(super) async fn file(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    kind: RequestKind,
    target_id: i64,
    reason: &str,
    roles: &[String],
) -> Result<i64, IdentityError> {
    let reason = check_reason(reason)?;
    let grants = grants_of(ctx.db, roles).await?;
    let mut tx = ctx.db.begin_write().await?;
    let open: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM admin_requests WHERE target_id = $1 AND kind = $2 AND status = $4 AND expires_at > $3")
        .bind(target_id).bind(kind).bind(ctx.now).bind(RequestStatus::Pending).fetch_optional(conn).await)?;
    if open.is_some() {
        return Err(invalid("action", "该账号已有同类待审批的申请，请等待审批或先撤销"));
    }
    // An expired pending row would block the unique index: close it first.
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE admin_requests SET status = $3 WHERE target_id = $1 AND kind = $2 AND status = $4")
        .bind(target_id).bind(kind).bind(RequestStatus::Expired).bind(RequestStatus::Pending).execute(conn).await.map(|_| ()))?;
    let payload = json!({ "roles": roles, "grants": grants }).to_string();
    let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO admin_requests (kind, target_id, requested_by, payload, reason, status, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $8, $6, $7) RETURNING id")
        .bind(kind).bind(target_id).bind(actor.id).bind(&payload).bind(&reason).bind(ctx.now)
        .bind(ctx.now + Duration::hours(REQUEST_TTL_HOURS)).bind(RequestStatus::Pending).fetch_one(conn).await)?;
    let e = AuditEvent::new("admin_request.create", "staff", target_id)
        .with_detail(json!({ "request": id, "kind": kind.code(), "reason": reason, "roles": roles }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(id)
}

type Row = (
    i64,
    RequestKind,
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    RequestStatus,
    Option<String>,
    DateTime<Utc>,
    DateTime<Utc>,
);

const SELECT: &str = "SELECT r.id, r.kind, r.target_id, t.username, t.display_name, r.requested_by, q.username, \
     r.reason, r.payload, r.status, d.username, r.created_at, r.expires_at \
     FROM admin_requests r JOIN staff t ON t.id = r.target_id JOIN staff q ON q.id = r.requested_by \
     LEFT JOIN staff d ON d.id = r.decided_by";

/// What each role grants, as the approver reads it: "名称（职责；数据范围：…；权限：…、…）".
pub(super) async fn grants_of(db: &crate::db::Db, codes: &[String]) -> Result<Vec<String>, IdentityError> {
    if codes.is_empty() {
        return Ok(vec![]);
    }
    let all = accounts::all_roles(db).await?;
    Ok(codes
        .iter()
        .map(|code| match all.iter().find(|r| &r.code == code) {
            Some(r) => {
                let perms: Vec<&str> = r.permissions.iter().map(|p| p.name_zh()).collect();
                let depts =
                    if r.departments.is_empty() { String::new() } else { format!("（部门 {:?}）", r.departments) };
                format!(
                    "{}［{}］（{}；数据范围：{}{}；权限：{}）",
                    r.name,
                    r.code,
                    r.duty.name_zh(),
                    r.data_scope.name_zh(),
                    depts,
                    perms.join("、")
                )
            }
            None => format!("［{code}］（已删除）"),
        })
        .collect())
}

/// The codes of roles named in pending role requests (such roles cannot be edited meanwhile).
pub(super) async fn roles_in_pending_requests(ctx: &Ctx<'_>) -> Result<Vec<String>, IdentityError> {
    let payloads: Vec<String> = with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT payload FROM admin_requests WHERE kind = $2 AND status = $3 AND expires_at > $1")
        .bind(ctx.now).bind(RequestKind::AssignRoles).bind(RequestStatus::Pending).fetch_all(pool).await)?;
    Ok(payloads.iter().flat_map(|p| string_list(p, "roles")).collect())
}

fn string_list(payload: &str, key: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(payload)
        .ok()
        .and_then(|v| v[key].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()))
        .unwrap_or_default()
}

fn from_row(r: Row, now: DateTime<Utc>) -> AdminRequest {
    let roles = string_list(&r.8, "roles");
    let grants = string_list(&r.8, "grants");
    let mut status = r.9;
    if status == RequestStatus::Pending && r.12 <= now {
        status = RequestStatus::Expired;
    }
    AdminRequest {
        id: r.0,
        kind: r.1,
        target_id: r.2,
        target_username: r.3,
        target_name: r.4,
        requested_by: r.5,
        requester_username: r.6,
        reason: r.7,
        roles,
        grants,
        status,
        decided_by: r.10,
        created_at: r.11,
        expires_at: r.12,
    }
}

/// Requests the actor should see: every recent one for approvers, their own for the others.
/// Newest first; at most 200.
pub async fn list_requests(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<Vec<AdminRequest>, IdentityError> {
    if !can_approve(actor) {
        return Err(IdentityError::Forbidden);
    }
    let sql = format!("{SELECT} ORDER BY (r.status = '{}') DESC, r.id DESC LIMIT 200", RequestStatus::Pending);
    let rows: Vec<Row> = with_db!(ctx.db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|r| from_row(r, ctx.now)).collect())
}

/// Pending requests concerning one account (shown on its page).
pub async fn requests_for(ctx: &Ctx<'_>, actor: &StaffActor, target: i64) -> Result<Vec<AdminRequest>, IdentityError> {
    if !can_approve(actor) {
        return Ok(vec![]);
    }
    let sql = format!("{SELECT} WHERE r.target_id = $1 AND r.status = $2 ORDER BY r.id DESC");
    let rows: Vec<Row> =
        with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(target).bind(RequestStatus::Pending).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|r| from_row(r, ctx.now)).filter(|r| r.status == RequestStatus::Pending).collect())
}

/// How many requests the actor could approve now (for the console's navigation).
pub async fn awaiting_me(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<i64, IdentityError> {
    if !can_approve(actor) {
        return Ok(0);
    }
    Ok(with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM admin_requests WHERE status = $3 AND expires_at > $1 \
         AND requested_by <> $2 AND target_id <> $2")
        .bind(ctx.now).bind(actor.id).bind(RequestStatus::Pending).fetch_one(pool).await)?)
}

async fn pending(ctx: &Ctx<'_>, id: i64) -> Result<AdminRequest, IdentityError> {
    let sql = format!("{SELECT} WHERE r.id = $1");
    let row: Option<Row> = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    let r = row.map(|r| from_row(r, ctx.now)).ok_or(IdentityError::NotFound)?;
    match r.status {
        RequestStatus::Pending => Ok(r),
        RequestStatus::Expired => Err(invalid("request", "该申请已过期，请重新申请")),
        _ => Err(invalid("request", "该申请已处理")),
    }
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approved {
    /// The change is made.
    Done(RequestKind),
    /// Credentials were reset; how the owner learns the one-time code.
    Reset(ResetDelivered),
}

/// Approves a pending request and makes its change, in one transaction. The approver is a
/// second administrator: not the one who asked, not the account concerned.
pub async fn approve(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    id: i64,
    delivery: &Delivery<'_>,
) -> Result<Approved, IdentityError> {
    if !can_approve(actor) {
        return Err(IdentityError::Forbidden);
    }
    let r = pending(ctx, id).await?;
    if r.requested_by == actor.id {
        return Err(invalid("request", "双人复核：申请人不能批准自己的申请，须由另一名管理员批准"));
    }
    if r.target_id == actor.id {
        return Err(invalid("request", "不能批准涉及自己账号的申请"));
    }
    let target = find_staff(ctx.db, r.target_id).await?.ok_or(IdentityError::NotFound)?;
    // Rules checked again now: things may have changed since the request.
    let role_ids = match r.kind {
        RequestKind::AssignRoles => Some(accounts::role_ids_for_codes(ctx.db, &r.roles).await?),
        _ => None,
    };
    match r.kind {
        RequestKind::Disable => accounts::keep_last_holders(ctx.db, r.target_id, &[]).await?,
        RequestKind::AssignRoles => {
            // What is approved is what was asked: a role edited since would grant something else.
            if grants_of(ctx.db, &r.roles).await? != r.grants {
                return Err(invalid("request", "申请提交后，所申请角色的权限或范围已被修改；请拒绝本申请并重新申请"));
            }
            let ids = role_ids.as_deref().unwrap_or_default();
            accounts::check_role_choice(ctx.db, ids).await?;
            accounts::keep_last_holders(ctx.db, r.target_id, ids).await?;
        }
        _ => {}
    }
    let mut tx = ctx.db.begin_write().await?;
    // Decided once: a second approver racing this one finds it no longer pending.
    let taken: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE admin_requests SET status = $4, decided_by = $1, decided_at = $2 \
         WHERE id = $3 AND status = $5 AND expires_at > $2")
        .bind(actor.id).bind(ctx.now).bind(id).bind(RequestStatus::Approved).bind(RequestStatus::Pending).execute(conn).await.map(|q| q.rows_affected()))?;
    if taken != 1 {
        return Err(invalid("request", "该申请已处理"));
    }
    let e = AuditEvent::new("admin_request.approve", "staff", r.target_id)
        .with_detail(json!({ "request": id, "kind": r.kind.code(), "requested_by": r.requester_username }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    let before_roles: Vec<String> = roles_of(ctx.db, r.target_id).await?.into_iter().map(|x| x.code).collect();
    let outcome = match r.kind {
        RequestKind::Disable | RequestKind::Enable => {
            let disable = r.kind == RequestKind::Disable;
            accounts::set_status_in(&mut tx, ctx, actor, &target, disable).await?;
            Approved::Done(r.kind)
        }
        RequestKind::ResetTotp => {
            accounts::remove_totp_in(&mut tx, ctx, actor, r.target_id).await?;
            Approved::Done(r.kind)
        }
        RequestKind::AssignRoles => {
            let ids = role_ids.unwrap_or_default();
            accounts::write_roles_in(&mut tx, ctx, actor, &target, &before_roles, &ids).await?;
            Approved::Done(r.kind)
        }
        RequestKind::ResetCredentials | RequestKind::ResetPassword => {
            let with_totp = r.kind == RequestKind::ResetCredentials;
            // To the owner's phone if there is one; otherwise an administrator account waits for
            // the operator's `zhengwu staff reset`, and a business account's code is shown to
            // this approver (never to the one who asked) to hand over in person.
            let show_to_approver = r.kind == RequestKind::ResetPassword;
            let delivered =
                reset::reset_in(&mut tx, ctx, &actor.audit_actor(), &target, with_totp, show_to_approver, delivery)
                    .await?;
            Approved::Reset(delivered)
        }
    };
    tx.commit().await?;
    if matches!(
        r.kind,
        RequestKind::Disable | RequestKind::ResetTotp | RequestKind::ResetCredentials | RequestKind::ResetPassword
    ) {
        ctx.sessions.remove_all(r.target_id, None).await?;
    }
    Ok(outcome)
}

/// Refuses (an approver) or cancels (the one who asked) a pending request.
pub async fn close(ctx: &Ctx<'_>, actor: &StaffActor, id: i64, cancel: bool) -> Result<(), IdentityError> {
    let r = pending(ctx, id).await?;
    if cancel && r.requested_by != actor.id {
        return Err(IdentityError::Forbidden);
    }
    if !cancel && (!can_approve(actor) || r.requested_by == actor.id || r.target_id == actor.id) {
        return Err(invalid("request", "只有另一名管理员可以拒绝该申请；申请人可以撤销"));
    }
    let status = if cancel { RequestStatus::Cancelled } else { RequestStatus::Refused };
    let mut tx = ctx.db.begin_write().await?;
    let n: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE admin_requests SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND status = $5")
        .bind(status).bind(actor.id).bind(ctx.now).bind(id).bind(RequestStatus::Pending).execute(conn).await.map(|q| q.rows_affected()))?;
    if n != 1 {
        return Err(invalid("request", "该申请已处理"));
    }
    let action = if cancel { "admin_request.cancel" } else { "admin_request.refuse" };
    let e = AuditEvent::new(action, "staff", r.target_id).with_detail(json!({ "request": id, "kind": r.kind.code() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether an account holds an administrator duty (its roles decide the rules that apply).
pub(super) fn is_admin(roles: &[super::RoleRef]) -> bool {
    roles.iter().any(|r| r.duty != Duty::Business)
}
