//! First start: the built-in roles and the three administrator accounts (三员), each with an
//! initial password that must be changed at first sign-in. With demo data, also a few business
//! staff in the demo county's departments.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{accounts::insert_staff, password, scope::DataScope, Duty, Permission};
use crate::{
    audit::{self, Actor, AuditEvent, AuditKey, RequestMeta},
    db::{Db, WriteTx},
    with_tx,
};

/// The demo accounts' initial password (documented in the README; changed at first sign-in).
pub const DEMO_PASSWORD: &str = "Demo@2026";

struct RoleSeed {
    code: &'static str,
    name: &'static str,
    duty: Duty,
    scope: DataScope,
    permissions: &'static [Permission],
}

const BUILTIN_ROLES: &[RoleSeed] = &[
    RoleSeed {
        code: "sysadmin",
        name: "系统管理员",
        duty: Duty::System,
        scope: DataScope::All,
        permissions: &[Permission::UserManage, Permission::DeptManage, Permission::ConfigManage],
    },
    RoleSeed {
        code: "secadmin",
        name: "安全管理员",
        duty: Duty::Security,
        scope: DataScope::All,
        permissions: &[Permission::RoleManage, Permission::RoleAssign, Permission::PolicyManage],
    },
    RoleSeed {
        code: "auditor",
        name: "安全审计员",
        duty: Duty::Audit,
        scope: DataScope::All,
        permissions: &[Permission::AuditRead, Permission::AuditVerify],
    },
];

const DEMO_ROLES: &[RoleSeed] = &[
    RoleSeed {
        code: "window_clerk",
        name: "窗口受理人员",
        duty: Duty::Business,
        scope: DataScope::Department,
        permissions: &[Permission::CaseRead, Permission::StaffRead, Permission::PersonalUnmask],
    },
    RoleSeed {
        code: "bureau_reviewer",
        name: "科室审核人员",
        duty: Duty::Business,
        scope: DataScope::Department,
        permissions: &[Permission::CaseRead, Permission::CaseApprove, Permission::StaffRead],
    },
    RoleSeed {
        code: "county_leader",
        name: "县政府领导",
        duty: Duty::Business,
        scope: DataScope::All,
        permissions: &[
            Permission::CaseRead,
            Permission::StaffRead,
            Permission::NoticePublish,
            Permission::CaseSupervise,
        ],
    },
    RoleSeed {
        code: "service_admin",
        name: "事项管理员",
        duty: Duty::Business,
        scope: DataScope::All,
        permissions: &[Permission::ServiceManage, Permission::CaseRead],
    },
    RoleSeed {
        code: "content_editor",
        name: "信息发布员",
        duty: Duty::Business,
        scope: DataScope::SelfOnly,
        permissions: &[Permission::NoticePublish],
    },
];

/// (username, name, department code, role code)
const ADMINS: &[(&str, &str, &str)] = &[
    ("sysadmin", "系统管理员", "sysadmin"),
    ("secadmin", "安全管理员", "secadmin"),
    ("auditor", "安全审计员", "auditor"),
];

const DEMO_STAFF: &[(&str, &str, &str, &str)] = &[
    ("zhangwei", "张伟", "QS-ZWFW", "window_clerk"),
    ("liuyang", "刘洋", "QS-ZWFW", "window_clerk"),
    ("lina", "李娜", "QS-MZJ", "bureau_reviewer"),
    ("chenjing", "陈静", "QS-RSJ", "bureau_reviewer"),
    ("wangfang", "王芳", "QS-ZFB", "county_leader"),
    ("zhaolei", "赵磊", "QS-ZFB", "content_editor"),
    ("zhoumin", "周敏", "QS-ZWFW", "service_admin"),
    ("hewei", "何伟", "QS-RSJ", "bureau_reviewer"),
    ("xuqing", "徐青", "QS-RSJ", "bureau_reviewer"),
];

/// What the first start created.
#[derive(Debug)]
pub enum Bootstrap {
    /// Accounts existed already.
    Existing,
    /// The accounts created, with their initial passwords (to hand over once, never log).
    Created(Vec<(String, String)>),
}

/// Creates roles and accounts when there are none. `demo`: use [`DEMO_PASSWORD`] and add the
/// demo business staff; otherwise each administrator gets a random initial password.
pub async fn bootstrap(
    db: &Db,
    key: &AuditKey,
    demo: bool,
    site_name: &str,
    now: DateTime<Utc>,
) -> Result<Bootstrap, super::IdentityError> {
    let mut tx = db.begin_write().await?;
    // Checked inside the write transaction: instances starting together bootstrap once.
    let existing: i64 =
        with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT COUNT(*) FROM staff").fetch_one(conn).await)?;
    if existing > 0 {
        return Ok(Bootstrap::Existing);
    }
    let system = Actor::system();
    let meta = RequestMeta::default();
    let root = root_department(&mut tx, site_name, now).await?;
    let mut role_ids = std::collections::HashMap::new();
    let roles: Vec<&RoleSeed> = BUILTIN_ROLES.iter().chain(if demo { DEMO_ROLES } else { &[] }).collect();
    for r in roles {
        let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
            "INSERT INTO roles (code, name, duty, data_scope, builtin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (code) DO UPDATE SET updated_at = excluded.updated_at \
             RETURNING id")
            .bind(r.code).bind(r.name).bind(r.duty.code()).bind(r.scope.code()).bind(BUILTIN_ROLES.iter().any(|b| b.code == r.code))
            .bind(now).fetch_one(conn).await)?;
        for p in r.permissions {
            with_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id).bind(p.code()).execute(conn).await.map(|_| ()))?;
        }
        let e = AuditEvent::new("role.create", "role", id).with_detail(json!({
            "after": { "code": r.code, "duty": r.duty.code(), "data_scope": r.scope.code(),
                       "permissions": r.permissions.iter().map(|p| p.code()).collect::<Vec<_>>() }
        }));
        audit::append(&mut tx, key, &system, &meta, &e, now).await?;
        role_ids.insert(r.code, id);
    }
    let mut accounts: Vec<(&str, &str, i64, &str)> = ADMINS.iter().map(|(u, n, r)| (*u, *n, root, *r)).collect();
    if demo {
        for (u, n, dept, r) in DEMO_STAFF {
            let id: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT id FROM departments WHERE code = $1")
                .bind(*dept).fetch_optional(conn).await)?;
            if let Some(id) = id {
                accounts.push((u, n, id, r));
            }
        }
    }
    let mut created = Vec::new();
    for (username, name, dept, role) in accounts {
        let initial = if demo { DEMO_PASSWORD.to_string() } else { password::generate_initial_password() };
        let hash = password::hash_password(initial.clone()).await?;
        let id = insert_staff(&mut tx, username, name, dept, &hash, now).await?;
        if let Some(role_id) = role_ids.get(role) {
            with_tx!(&mut tx, conn => sqlx::query("INSERT INTO staff_roles (staff_id, role_id) VALUES ($1, $2)")
                .bind(id).bind(*role_id).execute(conn).await.map(|_| ()))?;
        }
        let e = AuditEvent::new("staff.create", "staff", id).with_detail(json!({
            "after": { "username": username, "display_name": name, "department_id": dept, "roles": [role] }
        }));
        audit::append(&mut tx, key, &system, &meta, &e, now).await?;
        created.push((username.to_string(), initial));
    }
    if demo {
        // The departments' dispatchers (分办员): they receive the tasks no workflow rule matches.
        for (dept, user) in [("QS-RSJ", "chenjing"), ("QS-MZJ", "lina")] {
            with_tx!(&mut tx, conn => sqlx::query(
                "UPDATE departments SET dispatcher_id = (SELECT id FROM staff WHERE username = $1) WHERE code = $2")
                .bind(user).bind(dept).execute(conn).await.map(|_| ()))?;
        }
    }
    tx.commit().await?;
    Ok(Bootstrap::Created(created))
}

/// The top department (the demo's province, or one made from the site's name).
async fn root_department(tx: &mut WriteTx, site_name: &str, now: DateTime<Utc>) -> Result<i64, sqlx::Error> {
    // In the demo, administrators sit in the county government's own department.
    let county: Option<i64> = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM departments WHERE level = 'county' ORDER BY id LIMIT 1").fetch_optional(conn).await)?;
    if let Some(id) = county {
        return Ok(id);
    }
    let top: Option<i64> = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT id FROM departments WHERE parent_id IS NULL ORDER BY id LIMIT 1").fetch_optional(conn).await)?;
    if let Some(id) = top {
        return Ok(id);
    }
    with_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO departments (code, name, name_en, parent_id, level, created_at) \
         VALUES ('ROOT', $1, $1, NULL, 'county', $2) RETURNING id")
        .bind(site_name).bind(now).fetch_one(conn).await)
}
