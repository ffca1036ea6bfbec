//! Staff accounts: listing, creating, the administrators' actions on someone else's account,
//! and role assignment.
//!
//! Who may act on an account: business staff accounts are the system administrator's
//! (`user:manage`); accounts holding an administrator duty are the security administrator's
//! (`role:assign`). Nobody acts on their own account. What could let one administrator take
//! over or blind another goes through the two-person rule ([`super::requests`]); a password
//! reset never shows a usable secret to the one who asked for it ([`super::reset`]).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    password,
    requests::{self, is_admin, RequestKind},
    reset::{self, Delivery, ResetDelivered},
    scope::DataScope,
    Ctx, Duty, IdentityError, Permission, RoleRef, StaffActor,
};
use crate::{
    audit::{self, AuditEvent},
    db::{Db, WriteTx},
    with_db, with_tx,
};

/// One row of the staff list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub department_id: i64,
    pub department_name: String,
    pub status: String,
    pub locked_until: Option<DateTime<Utc>>,
    pub must_change_password: bool,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct StaffDetail {
    pub summary: StaffSummary,
    pub roles: Vec<RoleRef>,
}

const STAFF_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.department_id, d.name AS department_name, \
     u.status, u.locked_until, u.must_change_password, u.last_login_at \
     FROM staff u JOIN departments d ON d.id = u.department_id";

fn invalid(field: &'static str, message: impl Into<String>) -> IdentityError {
    IdentityError::Invalid { field, message: message.into() }
}

/// Who may see staff accounts: account administrators see all; business staff with
/// `staff:read` see those in their data scope (and themselves).
fn staff_visible(actor: &StaffActor, s: &StaffSummary) -> bool {
    actor.can(Permission::UserManage)
        || actor.can(Permission::RoleAssign)
        || (actor.can(Permission::StaffRead) && actor.scope.covers(s.department_id, Some(s.id), actor.id))
        || s.id == actor.id
}

/// The staff accounts the actor may see, by department then name.
pub async fn list_staff(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<Vec<StaffSummary>, IdentityError> {
    if !actor.can(Permission::UserManage) && !actor.can(Permission::StaffRead) && !actor.can(Permission::RoleAssign) {
        return Err(IdentityError::Forbidden);
    }
    let sql = format!("{STAFF_SELECT} ORDER BY d.code, u.username");
    let all: Vec<StaffSummary> = with_db!(ctx.db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    Ok(all.into_iter().filter(|s| staff_visible(actor, s)).collect())
}

/// One account with its roles; [`IdentityError::NotFound`] when missing or out of scope.
pub async fn get_staff(ctx: &Ctx<'_>, actor: &StaffActor, id: i64) -> Result<StaffDetail, IdentityError> {
    if !actor.can(Permission::UserManage)
        && !actor.can(Permission::StaffRead)
        && !actor.can(Permission::RoleAssign)
        && actor.id != id
    {
        return Err(IdentityError::Forbidden);
    }
    let summary = find_staff(ctx.db, id).await?.filter(|s| staff_visible(actor, s)).ok_or(IdentityError::NotFound)?;
    let roles = roles_of(ctx.db, id).await?;
    Ok(StaffDetail { summary, roles })
}

pub(super) async fn find_staff(db: &Db, id: i64) -> Result<Option<StaffSummary>, sqlx::Error> {
    let sql = format!("{STAFF_SELECT} WHERE u.id = $1");
    with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

pub(super) async fn find_by_username(db: &Db, username: &str) -> Result<Option<StaffSummary>, sqlx::Error> {
    let sql = format!("{STAFF_SELECT} WHERE u.username = $1");
    with_db!(db, pool => sqlx::query_as(&sql).bind(username.trim()).fetch_optional(pool).await)
}

pub(super) async fn roles_of(db: &Db, staff_id: i64) -> Result<Vec<RoleRef>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT r.id, r.code, r.name, r.duty FROM staff_roles sr JOIN roles r ON r.id = sr.role_id \
         WHERE sr.staff_id = $1 ORDER BY r.id")
        .bind(staff_id).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, code, name, duty)| Duty::parse(&duty).map(|duty| RoleRef { id, code, name, duty }))
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub department_id: Option<i64>,
}

fn valid_username(u: &str) -> bool {
    let b = u.as_bytes();
    (3..=32).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'-'))
}

/// Creates an account with a random initial password, which must be changed at first sign-in.
/// Returns the new id and that password (shown once to the administrator, stored only hashed):
/// a new account holds no roles and no data until the security administrator assigns roles.
pub async fn create_staff(ctx: &Ctx<'_>, actor: &StaffActor, new: &NewStaff) -> Result<(i64, String), IdentityError> {
    actor.require(Permission::UserManage)?;
    let username = new.username.trim().to_string();
    let display_name = new.display_name.trim().to_string();
    if !valid_username(&username) {
        return Err(invalid("username", "用户名为 3–32 位小写字母、数字或 . _ -，以字母开头"));
    }
    if display_name.is_empty() || display_name.chars().count() > 50 {
        return Err(invalid("display_name", "请填写姓名（最多 50 字）"));
    }
    let Some(department_id) = new.department_id else {
        return Err(invalid("department_id", "请选择所属部门"));
    };
    let exists: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT id FROM departments WHERE id = $1")
        .bind(department_id).fetch_optional(pool).await)?;
    if exists.is_none() {
        return Err(invalid("department_id", "所选部门不存在"));
    }
    let initial = password::generate_initial_password();
    let hash = password::hash_password(initial.clone()).await?;
    let mut tx = ctx.db.begin_write().await?;
    let taken: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
        .bind(&username).fetch_optional(conn).await)?;
    if taken.is_some() {
        return Err(invalid("username", "该用户名已被使用"));
    }
    let id = insert_staff(&mut tx, &username, &display_name, department_id, &hash, ctx.now).await?;
    let e = AuditEvent::new("staff.create", "staff", id).with_detail(json!({
        "after": { "username": username, "display_name": display_name, "department_id": department_id }
    }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok((id, initial))
}

pub(super) async fn insert_staff(
    tx: &mut WriteTx,
    username: &str,
    display_name: &str,
    department_id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    with_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO staff (username, display_name, department_id, password_hash, must_change_password, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id")
        .bind(username).bind(display_name).bind(department_id).bind(hash).bind(now).fetch_one(conn).await)
}

zhengwu_types::code_enum! {
    /// An administrative action on someone else's account.
    pub enum AccountAction {
        Disable = "disable",
        Enable = "enable",
        Unlock = "unlock",
        /// A new password chosen by the owner with a one-time code ([`super::reset`]).
        ResetPassword = "reset_password",
        /// Removes the second factor (a lost phone); the account sets up a new one at sign-in.
        ResetTotp = "reset_totp",
    }
}

/// What an account action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountOutcome {
    Done,
    /// Waiting for a second administrator's approval (the request's id).
    Requested(i64),
    /// The reset is made; the code went to the owner's phone (masked).
    ResetSent(String),
}

/// Disables, enables, unlocks or resets someone else's account (see the module's rules).
/// Administrator accounts: everything but unlocking waits for a second administrator. Business
/// accounts: a reset sends the code to the owner's registered phone, or waits for a second
/// administrator where there is none; the rest happens at once.
pub async fn act_on_account(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    id: i64,
    action: AccountAction,
    reason: &str,
    delivery: &Delivery<'_>,
) -> Result<AccountOutcome, IdentityError> {
    if id == actor.id {
        return Err(invalid("action", "不能对自己的账号执行此操作"));
    }
    let target = find_staff(ctx.db, id).await?.ok_or(IdentityError::NotFound)?;
    let target_roles = roles_of(ctx.db, id).await?;
    let admin_target = is_admin(&target_roles);
    let needed = if admin_target { Permission::RoleAssign } else { Permission::UserManage };
    if !actor.can(needed) {
        // Out of reach: indistinguishable from missing for those who cannot see accounts.
        return Err(if staff_visible(actor, &target) { IdentityError::Forbidden } else { IdentityError::NotFound });
    }
    let request =
        |kind| async move { requests::file(ctx, actor, kind, id, reason, &[]).await.map(AccountOutcome::Requested) };
    match (action, admin_target) {
        (AccountAction::Unlock, _) => {
            let mut tx = ctx.db.begin_write().await?;
            unlock_in(&mut tx, id).await?;
            let e = AuditEvent::new("staff.unlock", "staff", id)
                .with_detail(json!({ "before": { "locked_until": target.locked_until.map(|t| t.to_rfc3339()) } }));
            audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
            tx.commit().await?;
            Ok(AccountOutcome::Done)
        }
        (AccountAction::Disable, true) => {
            keep_last_holders(ctx.db, id, &[]).await?;
            request(RequestKind::Disable).await
        }
        (AccountAction::Enable, true) => request(RequestKind::Enable).await,
        (AccountAction::ResetTotp, true) => request(RequestKind::ResetTotp).await,
        (AccountAction::ResetPassword, true) => request(RequestKind::ResetCredentials).await,
        (AccountAction::Disable | AccountAction::Enable, false) => {
            let mut tx = ctx.db.begin_write().await?;
            set_status_in(&mut tx, ctx, actor, &target, action == AccountAction::Disable).await?;
            tx.commit().await?;
            if action == AccountAction::Disable {
                ctx.sessions.remove_all(id, None).await?;
            }
            Ok(AccountOutcome::Done)
        }
        (AccountAction::ResetTotp, false) => {
            let mut tx = ctx.db.begin_write().await?;
            remove_totp_in(&mut tx, ctx, actor, id).await?;
            tx.commit().await?;
            ctx.sessions.remove_all(id, None).await?;
            Ok(AccountOutcome::Done)
        }
        (AccountAction::ResetPassword, false) => {
            let has_phone = reset::registered_phone(ctx.db, delivery.keys, id).await?.is_some();
            if !has_phone || delivery.sms.is_none() {
                return request(RequestKind::ResetPassword).await;
            }
            let mut tx = ctx.db.begin_write().await?;
            let delivered =
                reset::reset_in(&mut tx, ctx, &actor.audit_actor(), &target, false, false, delivery).await?;
            tx.commit().await?;
            ctx.sessions.remove_all(id, None).await?;
            match delivered {
                ResetDelivered::Sms { phone } => Ok(AccountOutcome::ResetSent(phone)),
                _ => Ok(AccountOutcome::Done),
            }
        }
    }
}

/// Clears every sign-in lock of an account (inside the caller's transaction).
pub(super) async fn unlock_in(tx: &mut WriteTx, id: i64) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE staff SET failed_logins = 0, locked_until = NULL, lock_count = 0 WHERE id = $1")
        .bind(id).execute(conn).await.map(|_| ()))?;
    with_tx!(tx, conn => sqlx::query("DELETE FROM login_throttle WHERE staff_id = $1").bind(id).execute(conn).await.map(|_| ()))
}

pub(super) async fn set_status_in(
    tx: &mut WriteTx,
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    target: &StaffSummary,
    disable: bool,
) -> Result<(), IdentityError> {
    let status = if disable { "disabled" } else { "active" };
    // Disabling also ends the trust in the account's device cookies (see `signin`).
    with_tx!(tx, conn => sqlx::query(
        "UPDATE staff SET status = $1, device_generation = device_generation + $2, updated_at = $3 WHERE id = $4")
        .bind(status).bind(i32::from(disable)).bind(ctx.now).bind(target.id).execute(conn).await.map(|_| ()))?;
    if disable {
        with_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(target.id).execute(conn).await.map(|_| ()))?;
    }
    let e = AuditEvent::new(if disable { "staff.disable" } else { "staff.enable" }, "staff", target.id)
        .with_detail(json!({ "before": { "status": target.status }, "after": { "status": status } }));
    audit::append(tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    Ok(())
}

pub(super) async fn remove_totp_in(
    tx: &mut WriteTx,
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    id: i64,
) -> Result<(), IdentityError> {
    with_tx!(tx, conn => sqlx::query(
        "UPDATE staff SET totp_sealed = NULL, totp_last_step = NULL, totp_pending_sealed = NULL, \
         device_generation = device_generation + 1, updated_at = $1 WHERE id = $2")
        .bind(ctx.now).bind(id).execute(conn).await.map(|_| ()))?;
    with_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id).execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("staff.reset_totp", "staff", id).with_detail(json!({ "after": { "totp": false } }));
    audit::append(tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Roles of an account

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub duty: Duty,
    pub data_scope: DataScope,
    pub builtin: bool,
    pub permissions: Vec<Permission>,
    pub departments: Vec<i64>,
}

/// Every role with its permissions (security administrators; system administrators see them
/// too, to know what exists).
pub async fn list_roles(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<Vec<RoleInfo>, IdentityError> {
    if !actor.can(Permission::RoleManage) && !actor.can(Permission::RoleAssign) {
        return Err(IdentityError::Forbidden);
    }
    all_roles(ctx.db).await
}

pub(super) async fn all_roles(db: &Db) -> Result<Vec<RoleInfo>, IdentityError> {
    let rows: Vec<(i64, String, String, String, String, bool)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, code, name, duty, data_scope, builtin FROM roles ORDER BY id").fetch_all(pool).await)?;
    let perms: Vec<(i64, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT role_id, permission FROM role_permissions ORDER BY permission").fetch_all(pool).await)?;
    let depts: Vec<(i64, i64)> = with_db!(db, pool => sqlx::query_as(
        "SELECT role_id, department_id FROM role_departments ORDER BY department_id").fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, code, name, duty, scope, builtin)| {
            Some(RoleInfo {
                id,
                code,
                name,
                duty: Duty::parse(&duty)?,
                data_scope: DataScope::parse(&scope)?,
                builtin,
                permissions: perms.iter().filter(|(r, _)| *r == id).filter_map(|(_, p)| Permission::parse(p)).collect(),
                departments: depts.iter().filter(|(r, _)| *r == id).map(|(_, d)| *d).collect(),
            })
        })
        .collect())
}

/// Checks that a set of roles may be held by one account: at most one administrator duty, and
/// an administrator duty never together with business roles.
pub fn check_separation(duties: &BTreeSet<Duty>) -> Result<(), IdentityError> {
    let admin: Vec<Duty> = duties.iter().copied().filter(|d| *d != Duty::Business).collect();
    if admin.len() > 1 {
        let names: Vec<_> = admin.iter().map(|d| d.name_zh()).collect();
        return Err(IdentityError::SeparationOfDuties(format!("同一账号不能同时担任{}", names.join("和"))));
    }
    if admin.len() == 1 && duties.contains(&Duty::Business) {
        return Err(IdentityError::SeparationOfDuties(format!("{}不能同时拥有业务角色", admin[0].name_zh())));
    }
    Ok(())
}

/// The roles chosen exist and may be held together.
pub(super) async fn check_role_choice(db: &Db, role_ids: &[i64]) -> Result<Vec<RoleInfo>, IdentityError> {
    let roles = all_roles(db).await?;
    let chosen: Vec<RoleInfo> = roles.into_iter().filter(|r| role_ids.contains(&r.id)).collect();
    if chosen.len() != role_ids.iter().collect::<BTreeSet<_>>().len() {
        return Err(invalid("roles", "所选角色不存在"));
    }
    check_separation(&chosen.iter().map(|r| r.duty).collect())?;
    Ok(chosen)
}

pub(super) async fn role_ids_for_codes(db: &Db, codes: &[String]) -> Result<Vec<i64>, IdentityError> {
    let roles = all_roles(db).await?;
    codes
        .iter()
        .map(|c| roles.iter().find(|r| &r.code == c).map(|r| r.id).ok_or_else(|| invalid("roles", "所选角色已不存在")))
        .collect()
}

/// Refuses a change that would leave an administrator duty with no active account holding
/// it: `staff_id` would keep only the roles `new_roles` (none: disabled or stripped). Nobody
/// can blind the auditor by removing the last one, nor lock every administrator out.
pub(super) async fn keep_last_holders(db: &Db, staff_id: i64, new_roles: &[i64]) -> Result<(), IdentityError> {
    let roles = all_roles(db).await?;
    let current = roles_of(db, staff_id).await?;
    for duty in [Duty::System, Duty::Security, Duty::Audit] {
        let loses = current.iter().any(|r| r.duty == duty)
            && !roles.iter().any(|r| r.duty == duty && new_roles.contains(&r.id));
        if !loses {
            continue;
        }
        let others: i64 = with_db!(db, pool => sqlx::query_scalar(
            "SELECT COUNT(DISTINCT s.id) FROM staff s JOIN staff_roles sr ON sr.staff_id = s.id \
             JOIN roles r ON r.id = sr.role_id WHERE r.duty = $1 AND s.status = 'active' AND s.id <> $2")
            .bind(duty.code()).bind(staff_id).fetch_one(pool).await)?;
        if others == 0 {
            return Err(IdentityError::SeparationOfDuties(format!(
                "这是唯一一名在职的{}，不能停用或移除其职责；请先为另一账号分配该职责",
                duty.name_zh()
            )));
        }
    }
    Ok(())
}

/// What a role assignment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOutcome {
    Done,
    /// An administrator duty is concerned: waiting for a second administrator (the request).
    Requested(i64),
}

/// Replaces an account's roles (security administrator). Nobody grants roles to themselves.
/// When the account holds or would hold an administrator duty, the change waits for a second
/// administrator's approval.
pub async fn assign_roles(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    staff_id: i64,
    role_ids: &[i64],
    reason: &str,
) -> Result<AssignOutcome, IdentityError> {
    actor.require(Permission::RoleAssign)?;
    let target = find_staff(ctx.db, staff_id).await?.ok_or(IdentityError::NotFound)?;
    if staff_id == actor.id {
        return Err(invalid("roles", "不能给自己分配角色"));
    }
    let chosen = check_role_choice(ctx.db, role_ids).await?;
    let before_refs = roles_of(ctx.db, staff_id).await?;
    let before: Vec<String> = before_refs.iter().map(|r| r.code.clone()).collect();
    if is_admin(&before_refs) || chosen.iter().any(|r| r.duty != Duty::Business) {
        keep_last_holders(ctx.db, staff_id, role_ids).await?;
        let codes: Vec<String> = chosen.iter().map(|r| r.code.clone()).collect();
        let id = requests::file(ctx, actor, RequestKind::AssignRoles, staff_id, reason, &codes).await?;
        return Ok(AssignOutcome::Requested(id));
    }
    let mut tx = ctx.db.begin_write().await?;
    write_roles_in(&mut tx, ctx, actor, &target, &before, role_ids).await?;
    tx.commit().await?;
    Ok(AssignOutcome::Done)
}

pub(super) async fn write_roles_in(
    tx: &mut WriteTx,
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    target: &StaffSummary,
    before: &[String],
    role_ids: &[i64],
) -> Result<(), IdentityError> {
    let roles = all_roles(ctx.db).await?;
    let after: Vec<String> = roles.iter().filter(|r| role_ids.contains(&r.id)).map(|r| r.code.clone()).collect();
    with_tx!(tx, conn => sqlx::query("DELETE FROM staff_roles WHERE staff_id = $1")
        .bind(target.id).execute(conn).await.map(|_| ()))?;
    for r in role_ids.iter().collect::<BTreeSet<_>>() {
        with_tx!(tx, conn => sqlx::query("INSERT INTO staff_roles (staff_id, role_id) VALUES ($1, $2)")
            .bind(target.id).bind(r).execute(conn).await.map(|_| ()))?;
    }
    let e = AuditEvent::new("staff.assign_roles", "staff", target.id)
        .with_detail(json!({ "username": target.username, "before": before, "after": after }));
    audit::append(tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    Ok(())
}

/// Departments for forms: (id, name, depth) in tree order.
pub async fn department_options(db: &Db) -> Result<Vec<(i64, String, usize)>, sqlx::Error> {
    Ok(department_listing(db).await?.into_iter().map(|(id, _, name, depth)| (id, name, depth)).collect())
}

/// Departments in tree order: (id, code, name, depth).
pub async fn department_listing(db: &Db) -> Result<Vec<(i64, String, String, usize)>, sqlx::Error> {
    type Row = (i64, Option<i64>, String, String);
    let rows: Vec<Row> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, parent_id, code, name FROM departments ORDER BY code").fetch_all(pool).await)?;
    fn walk(rows: &[Row], parent: Option<i64>, depth: usize, out: &mut Vec<(i64, String, String, usize)>) {
        // A tree deeper than this is a data error (a cycle); stop rather than recurse forever.
        if depth > 16 {
            return;
        }
        for r in rows.iter().filter(|r| r.1 == parent) {
            out.push((r.0, r.2.clone(), r.3.clone(), depth));
            walk(rows, Some(r.0), depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    walk(&rows, None, 0, &mut out);
    Ok(out)
}
