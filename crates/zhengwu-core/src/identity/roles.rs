//! Managing roles (security administrator) and departments (system administrator).

use std::collections::BTreeSet;

use serde_json::json;

use super::{scope::DataScope, Ctx, Duty, IdentityError, Permission, StaffActor};
use crate::{
    audit::{self, AuditEvent},
    db::WriteTx,
    with_db, with_tx,
};

/// A role as submitted from the form.
#[derive(Debug, Clone, Default)]
pub struct RoleForm {
    pub code: String,
    pub name: String,
    pub duty: String,
    pub data_scope: String,
    pub permissions: Vec<String>,
    pub departments: Vec<i64>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> IdentityError {
    IdentityError::Invalid { field, message: message.into() }
}

struct CheckedRole {
    name: String,
    duty: Duty,
    scope: DataScope,
    permissions: BTreeSet<Permission>,
    departments: BTreeSet<i64>,
}

/// `own`: the role being edited (absent when creating one).
async fn check(
    ctx: &Ctx<'_>,
    f: &RoleForm,
    own: Option<i64>,
    duty_override: Option<Duty>,
) -> Result<CheckedRole, IdentityError> {
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(invalid("name", "请填写角色名称（最多 30 字）"));
    }
    // One name per role, so no custom role passes for a built-in one (系统管理员, 安全审计员 …).
    let same: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT id FROM roles WHERE name = $1 AND id <> $2")
        .bind(&name).bind(own.unwrap_or(0)).fetch_optional(pool).await)?;
    if same.is_some() {
        return Err(invalid("name", "已有同名角色，请换一个名称"));
    }
    let duty = match duty_override {
        Some(d) => d,
        None => Duty::parse(&f.duty).ok_or_else(|| invalid("duty", "请选择职责"))?,
    };
    let scope = DataScope::parse(&f.data_scope).ok_or_else(|| invalid("data_scope", "请选择数据范围"))?;
    let mut permissions = BTreeSet::new();
    for p in &f.permissions {
        let p = Permission::parse(p).ok_or_else(|| invalid("permissions", format!("未知权限 {p}")))?;
        if p.duty() != duty {
            return Err(IdentityError::SeparationOfDuties(format!(
                "“{}”属于{}，不能授予{}角色",
                p.name_zh(),
                p.duty().name_zh(),
                duty.name_zh()
            )));
        }
        permissions.insert(p);
    }
    if permissions.is_empty() {
        return Err(invalid("permissions", "请至少选择一项权限"));
    }
    let departments: BTreeSet<i64> = f.departments.iter().copied().collect();
    if scope == DataScope::Custom && departments.is_empty() {
        return Err(invalid("departments", "自定义数据范围须至少选择一个部门"));
    }
    if scope != DataScope::Custom && !departments.is_empty() {
        return Err(invalid("departments", "只有“自定义部门”数据范围才选择部门"));
    }
    for d in &departments {
        let found: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT id FROM departments WHERE id = $1")
            .bind(d).fetch_optional(pool).await)?;
        if found.is_none() {
            return Err(invalid("departments", "所选部门不存在"));
        }
    }
    Ok(CheckedRole { name, duty, scope, permissions, departments })
}

async fn write_grants(tx: &mut WriteTx, id: i64, r: &CheckedRole) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query("DELETE FROM role_permissions WHERE role_id = $1").bind(id).execute(conn).await.map(|_| ()))?;
    with_tx!(tx, conn => sqlx::query("DELETE FROM role_departments WHERE role_id = $1").bind(id).execute(conn).await.map(|_| ()))?;
    for p in &r.permissions {
        with_tx!(tx, conn => sqlx::query("INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2)")
            .bind(id).bind(p.code()).execute(conn).await.map(|_| ()))?;
    }
    for d in &r.departments {
        with_tx!(tx, conn => sqlx::query("INSERT INTO role_departments (role_id, department_id) VALUES ($1, $2)")
            .bind(id).bind(d).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

fn snapshot(r: &CheckedRole) -> serde_json::Value {
    json!({
        "name": r.name, "duty": r.duty.code(), "data_scope": r.scope.code(),
        "permissions": r.permissions.iter().map(|p| p.code()).collect::<Vec<_>>(),
        "departments": r.departments,
    })
}

/// Creates a role. Its permissions must all belong to its duty.
pub async fn create_role(ctx: &Ctx<'_>, actor: &StaffActor, f: &RoleForm) -> Result<i64, IdentityError> {
    actor.require(Permission::RoleManage)?;
    let code = f.code.trim().to_string();
    let valid_code = code.len() >= 3
        && code.len() <= 32
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_code {
        return Err(invalid("code", "代码为 3–32 位小写字母、数字或下划线，以字母开头"));
    }
    let r = check(ctx, f, None, None).await?;
    let mut tx = ctx.db.begin_write().await?;
    let taken: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT id FROM roles WHERE code = $1")
        .bind(&code).fetch_optional(conn).await)?;
    if taken.is_some() {
        return Err(invalid("code", "该代码已被使用"));
    }
    let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO roles (code, name, duty, data_scope, builtin, created_at, updated_at) VALUES ($1, $2, $3, $4, FALSE, $5, $5) RETURNING id")
        .bind(&code).bind(&r.name).bind(r.duty.code()).bind(r.scope.code()).bind(ctx.now).fetch_one(conn).await)?;
    write_grants(&mut tx, id, &r).await?;
    let e = AuditEvent::new("role.create", "role", id).with_detail(json!({ "code": code, "after": snapshot(&r) }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a role's name, scope and permissions. Its duty never changes: accounts were given
/// the role under the separation-of-duties check for that duty.
pub async fn update_role(ctx: &Ctx<'_>, actor: &StaffActor, id: i64, f: &RoleForm) -> Result<(), IdentityError> {
    actor.require(Permission::RoleManage)?;
    let before = super::accounts::list_roles(ctx, actor)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(IdentityError::NotFound)?;
    // The built-in duty roles (三员) and their permissions are fixed: nobody can take the
    // auditor's `audit:read` away, or give the security administrator more.
    if before.builtin {
        return Err(IdentityError::SeparationOfDuties(format!("内置的{}角色及其权限不能修改", before.duty.name_zh())));
    }
    // Nor, alone, an administrator duty's role someone holds: that would change another
    // administrator's powers without a second administrator (create a new role instead).
    if before.duty != Duty::Business {
        let holders: i64 = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM staff_roles WHERE role_id = $1")
            .bind(id).fetch_one(pool).await)?;
        if holders > 0 {
            return Err(IdentityError::SeparationOfDuties(format!(
                "已有账号担任的{}角色不能修改；如需调整，请新建角色后经双人复核分配",
                before.duty.name_zh()
            )));
        }
    }
    // Nor one an administrator has asked to assign: the approver approves what it grants now.
    if super::requests::roles_in_pending_requests(ctx).await?.contains(&before.code) {
        return Err(IdentityError::SeparationOfDuties(
            "该角色在待审批的申请中，审批完成（或撤销申请）前不能修改".to_string(),
        ));
    }
    let r = check(ctx, f, Some(id), Some(before.duty)).await?;
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE roles SET name = $1, data_scope = $2, updated_at = $3 WHERE id = $4")
        .bind(&r.name).bind(r.scope.code()).bind(ctx.now).bind(id).execute(conn).await.map(|_| ()))?;
    write_grants(&mut tx, id, &r).await?;
    let e = AuditEvent::new("role.update", "role", id).with_detail(json!({
        "code": before.code,
        "before": {
            "name": before.name, "duty": before.duty.code(), "data_scope": before.data_scope.code(),
            "permissions": before.permissions.iter().map(|p| p.code()).collect::<Vec<_>>(),
            "departments": before.departments,
        },
        "after": snapshot(&r),
    }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// A department as submitted from the form.
#[derive(Debug, Clone, Default)]
pub struct DepartmentForm {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub parent_id: Option<i64>,
    pub level: String,
}

const LEVELS: [&str; 5] = ["province", "city", "county", "department", "township"];

/// Adds a department under an existing one (system administrator).
pub async fn create_department(ctx: &Ctx<'_>, actor: &StaffActor, f: &DepartmentForm) -> Result<i64, IdentityError> {
    actor.require(Permission::DeptManage)?;
    let code = f.code.trim().to_ascii_uppercase();
    if code.len() < 2 || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(invalid("code", "代码为 2–32 位字母、数字或连字符，如 QS-MZJ"));
    }
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(invalid("name", "请填写部门名称（最多 60 字）"));
    }
    let name_en = f.name_en.trim().to_string();
    if name_en.chars().count() > 120 {
        return Err(invalid("name_en", "英文名称最多 120 个字符"));
    }
    if !LEVELS.contains(&f.level.as_str()) {
        return Err(invalid("level", "请选择层级"));
    }
    let Some(parent) = f.parent_id else { return Err(invalid("parent_id", "请选择上级部门")) };
    let mut tx = ctx.db.begin_write().await?;
    let exists: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT id FROM departments WHERE id = $1")
        .bind(parent).fetch_optional(conn).await)?;
    if exists.is_none() {
        return Err(invalid("parent_id", "上级部门不存在"));
    }
    let taken: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT id FROM departments WHERE code = $1")
        .bind(&code).fetch_optional(conn).await)?;
    if taken.is_some() {
        return Err(invalid("code", "该代码已被使用"));
    }
    let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO departments (code, name, name_en, parent_id, level, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(&code).bind(&name).bind(if name_en.is_empty() { &name } else { &name_en }).bind(parent).bind(&f.level)
        .bind(ctx.now).fetch_one(conn).await)?;
    let e = AuditEvent::new("department.create", "department", id)
        .with_detail(json!({ "after": { "code": code, "name": name, "parent_id": parent, "level": f.level } }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Departments with their dispatcher (分办员), and who may be one: (department id, department
/// name, dispatcher's name) and (staff id, name, department id) of active staff with `case:read`.
#[allow(clippy::type_complexity)]
pub async fn dispatchers(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
) -> Result<(Vec<(i64, String, Option<String>)>, Vec<(i64, String, i64)>), IdentityError> {
    actor.require(Permission::DeptManage)?;
    let depts = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT d.id, d.name, s.display_name FROM departments d LEFT JOIN staff s ON s.id = d.dispatcher_id ORDER BY d.id")
        .fetch_all(pool).await)?;
    let staff = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT DISTINCT s.id, s.display_name, s.department_id FROM staff s JOIN staff_roles sr ON sr.staff_id = s.id \
         JOIN role_permissions rp ON rp.role_id = sr.role_id \
         WHERE rp.permission = $1 AND s.status = 'active' ORDER BY s.id")
        .bind(Permission::CaseRead.code()).fetch_all(pool).await)?;
    Ok((depts, staff))
}

/// Names a department's dispatcher (分办员), who receives the workflow tasks no rule matches;
/// `None` removes it. The person must be active, in that department, and able to read cases.
/// System administrator (`dept:manage`); audited.
pub async fn set_dispatcher(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    department: i64,
    staff: Option<i64>,
) -> Result<(), IdentityError> {
    actor.require(Permission::DeptManage)?;
    let (_, candidates) = dispatchers(ctx, actor).await?;
    if let Some(s) = staff {
        if !candidates.iter().any(|(id, _, dept)| *id == s && *dept == department) {
            return Err(invalid("dispatcher", "分办员须是本部门能办理办件的在职人员"));
        }
    }
    let mut tx = ctx.db.begin_write().await?;
    let before: Option<Option<i64>> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT dispatcher_id FROM departments WHERE id = $1").bind(department).fetch_optional(conn).await)?;
    let Some(before) = before else { return Err(invalid("department", "部门不存在")) };
    with_tx!(&mut tx, conn => sqlx::query("UPDATE departments SET dispatcher_id = $1 WHERE id = $2")
        .bind(staff).bind(department).execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("department.dispatcher", "department", department)
        .with_detail(json!({ "before": before, "after": staff }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
