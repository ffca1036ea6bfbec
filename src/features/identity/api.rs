//! Server functions of the staff console. Each one finds the signed-in staff member and calls
//! one identity service, which checks the permission and the data scope.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub department: String,
    pub status: String,
    pub locked: bool,
    pub must_change_password: bool,
    pub last_login: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub id: i64,
    pub name: String,
    pub duty: String,
    pub assigned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPage {
    pub staff: StaffRow,
    pub roles: Vec<String>,
    /// Present when the viewer may assign roles.
    pub role_choices: Option<Vec<RoleChoice>>,
    /// Present when the viewer may disable, unlock or reset this account.
    pub can_manage: bool,
    /// The account holds an administrator duty: actions on it wait for a second administrator.
    pub admin_target: bool,
    /// The owner registered a phone for reset codes (masked).
    pub phone: Option<String>,
    /// Requests about this account awaiting a second administrator.
    pub pending: Vec<RequestRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub duty: String,
    pub scope: String,
    pub builtin: bool,
    pub permissions: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub outcome: String,
    pub ip: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: i64,
    pub page: u32,
    pub total_pages: u32,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use zhengwu_core::identity::StaffActor;

    use crate::web::auth::CurrentStaff;

    pub(super) use crate::web::sfn::staff_context;

    pub(super) use zhengwu_core::time::local_minute as local_time;

    pub(super) fn row(s: zhengwu_core::identity::StaffSummary, now: chrono::DateTime<chrono::Utc>) -> StaffRow {
        StaffRow {
            id: s.id,
            username: s.username,
            display_name: s.display_name,
            department: s.department_name,
            status: s.status,
            locked: s.locked_until.is_some_and(|t| t > now),
            must_change_password: s.must_change_password,
            last_login: s.last_login_at.map(local_time),
        }
    }

    pub(super) fn actor(staff: &CurrentStaff) -> &StaffActor {
        staff.actor()
    }
}

#[server(prefix = "/sfn", endpoint = "admin/staff")]
pub async fn staff_list() -> Result<Vec<StaffRow>, ApiError> {
    let (state, staff, meta) = server::staff_context()?;
    let now = chrono::Utc::now();
    let list = zhengwu_core::identity::list_staff(&state.ctx(&meta), server::actor(&staff)).await?;
    Ok(list.into_iter().map(|s| server::row(s, now)).collect())
}

#[server(prefix = "/sfn", endpoint = "admin/staff_one")]
pub async fn load_staff_page(id: String) -> Result<StaffPage, ApiError> {
    use zhengwu_core::identity::{self, Duty, IdentityError, Permission};
    let (state, staff, meta) = server::staff_context()?;
    let ctx = state.ctx(&meta);
    let id: i64 = id.parse().map_err(|_| ApiError::new(zhengwu_types::ErrorCode::NotFound, "not found"))?;
    let actor = server::actor(&staff);
    let detail = identity::get_staff(&ctx, actor, id).await?;
    let admin_target = detail.roles.iter().any(|r| r.duty != Duty::Business);
    let can_manage = id != actor.id
        && if admin_target { actor.can(Permission::RoleAssign) } else { actor.can(Permission::UserManage) };
    let role_choices = if actor.can(Permission::RoleAssign) && id != actor.id {
        let all = identity::list_roles(&ctx, actor).await?;
        Some(
            all.into_iter()
                .map(|r| RoleChoice {
                    assigned: detail.roles.iter().any(|x| x.id == r.id),
                    id: r.id,
                    name: r.name,
                    duty: r.duty.name_zh().to_string(),
                })
                .collect(),
        )
    } else {
        None
    };
    let phone = identity::registered_phone(&state.db, &state.keys.staff, id).await.map_err(IdentityError::from)?;
    let pending =
        identity::requests_for(&ctx, actor, id).await?.into_iter().map(|r| request_row(r, actor.id)).collect();
    Ok(StaffPage {
        roles: detail.roles.iter().map(|r| r.name.clone()).collect(),
        staff: server::row(detail.summary, ctx.now),
        role_choices,
        can_manage,
        admin_target,
        phone: phone.filter(|_| can_manage || id == actor.id),
        pending,
    })
}

/// Departments for the new-account form: (id, name, depth). Account administrators only.
#[server(prefix = "/sfn", endpoint = "admin/departments")]
pub async fn department_choices() -> Result<Vec<(i64, String, usize)>, ApiError> {
    let (state, staff, _) = server::staff_context()?;
    if !staff.actor().can(zhengwu_core::identity::Permission::UserManage) {
        return Err(ApiError::new(zhengwu_types::ErrorCode::Forbidden, "not allowed"));
    }
    zhengwu_core::identity::department_options(&state.db).await.map_err(crate::web::sfn::internal)
}

#[server(prefix = "/sfn", endpoint = "admin/roles")]
pub async fn role_list() -> Result<Vec<RoleRow>, ApiError> {
    let (state, staff, meta) = server::staff_context()?;
    let roles = zhengwu_core::identity::list_roles(&state.ctx(&meta), server::actor(&staff)).await?;
    Ok(roles
        .into_iter()
        .map(|r| RoleRow {
            id: r.id,
            code: r.code,
            name: r.name,
            duty: r.duty.name_zh().to_string(),
            scope: r.data_scope.name_zh().to_string(),
            builtin: r.builtin,
            permissions: r.permissions.iter().map(|p| (p.code().to_string(), p.name_zh().to_string())).collect(),
        })
        .collect())
}

/// The auditor's search; the query values are the raw form fields, validated here.
#[server(prefix = "/sfn", endpoint = "admin/audit")]
pub async fn load_audit_page(
    from: Option<String>,
    until: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    page: Option<String>,
) -> Result<AuditPage, ApiError> {
    let (state, staff, meta) = server::staff_context()?;
    let filter = crate::features::identity::posts::audit_filter(from, until, actor, action, object)?;
    let page = page.and_then(|p| p.parse::<u32>().ok()).filter(|p| (1..=10_000).contains(p)).unwrap_or(1);
    let (rows, total) =
        zhengwu_core::identity::audit_search(&state.ctx(&meta), server::actor(&staff), &filter, page).await?;
    let per = zhengwu_core::identity::AUDIT_PAGE;
    Ok(AuditPage {
        rows: rows
            .into_iter()
            .map(|r| AuditRow {
                seq: r.seq,
                time: r
                    .occurred_at
                    .with_timezone(&zhengwu_core::time::shanghai())
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string(),
                actor: r.actor_name,
                action: r.action,
                object: format!("{} {}", r.object_type, r.object_id.unwrap_or_default()),
                outcome: r.outcome,
                ip: r.ip.unwrap_or_default(),
                detail: r.detail,
            })
            .collect(),
        total,
        page,
        total_pages: u32::try_from((total + per - 1) / per).unwrap_or(u32::MAX),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionChoice {
    pub code: String,
    pub name: String,
    pub duty: String,
    pub duty_name: String,
    pub checked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleEditor {
    /// `None` for a new role.
    pub id: Option<i64>,
    pub code: String,
    pub name: String,
    pub duty: String,
    pub data_scope: String,
    pub builtin: bool,
    pub permissions: Vec<PermissionChoice>,
    /// (id, name, depth, checked)
    pub departments: Vec<(i64, String, usize, bool)>,
    pub duties: Vec<(String, String)>,
    pub scopes: Vec<(String, String)>,
}

/// The form to create (`id` empty or "new") or edit a role. Security administrators only.
#[server(prefix = "/sfn", endpoint = "admin/role_editor")]
pub async fn load_role_editor(id: String) -> Result<RoleEditor, ApiError> {
    use zhengwu_core::identity::{self, DataScope, Duty, Permission};
    let (state, staff, meta) = server::staff_context()?;
    let actor = server::actor(&staff);
    if !actor.can(Permission::RoleManage) {
        return Err(ApiError::new(zhengwu_types::ErrorCode::Forbidden, "not allowed"));
    }
    let ctx = state.ctx(&meta);
    let role = if id.is_empty() || id == "new" {
        None
    } else {
        let id: i64 = id.parse().map_err(|_| ApiError::new(zhengwu_types::ErrorCode::NotFound, "not found"))?;
        Some(
            identity::list_roles(&ctx, actor)
                .await?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or_else(|| ApiError::new(zhengwu_types::ErrorCode::NotFound, "not found"))?,
        )
    };
    let depts = identity::department_options(&state.db).await.map_err(crate::web::sfn::internal)?;
    Ok(RoleEditor {
        id: role.as_ref().map(|r| r.id),
        code: role.as_ref().map(|r| r.code.clone()).unwrap_or_default(),
        name: role.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
        duty: role.as_ref().map(|r| r.duty.code().to_string()).unwrap_or_else(|| "business".into()),
        data_scope: role.as_ref().map(|r| r.data_scope.code().to_string()).unwrap_or_else(|| "department".into()),
        builtin: role.as_ref().is_some_and(|r| r.builtin),
        permissions: Permission::ALL
            .iter()
            .map(|p| PermissionChoice {
                code: p.code().into(),
                name: p.name_zh().into(),
                duty: p.duty().code().into(),
                duty_name: p.duty().name_zh().into(),
                checked: role.as_ref().is_some_and(|r| r.permissions.contains(p)),
            })
            .collect(),
        departments: depts
            .into_iter()
            .map(|(id, name, depth)| (id, name, depth, role.as_ref().is_some_and(|r| r.departments.contains(&id))))
            .collect(),
        duties: Duty::ALL.iter().map(|d| (d.code().into(), d.name_zh().into())).collect(),
        scopes: DataScope::ALL.iter().map(|s| (s.code().into(), s.name_zh().into())).collect(),
    })
}

/// The department tree for the organisation page: (id, code, name, depth).
#[server(prefix = "/sfn", endpoint = "admin/department_tree")]
pub async fn department_tree() -> Result<Vec<(i64, String, String, usize)>, ApiError> {
    use zhengwu_core::identity::Permission;
    let (state, staff, _) = server::staff_context()?;
    let actor = server::actor(&staff);
    if !actor.can(Permission::DeptManage) && !actor.can(Permission::UserManage) {
        return Err(ApiError::new(zhengwu_types::ErrorCode::Forbidden, "not allowed"));
    }
    zhengwu_core::identity::department_listing(&state.db).await.map_err(crate::web::sfn::internal)
}

/// Departments' dispatchers (分办员) for the system administrator: (department id, name,
/// dispatcher) and the staff who may be one: (staff id, name, department id).
#[server(prefix = "/sfn", endpoint = "admin/dispatchers")]
#[allow(clippy::type_complexity)]
pub async fn department_dispatchers() -> Result<(Vec<(i64, String, Option<String>)>, Vec<(i64, String, i64)>), ApiError>
{
    let (state, staff, meta) = server::staff_context()?;
    Ok(zhengwu_core::identity::dispatchers(&state.ctx(&meta), server::actor(&staff)).await?)
}

/// What the second-factor set-up page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetupView {
    /// Base32, for typing into an authenticator.
    pub secret: String,
    /// The `otpauth://` URI (a link, for a phone).
    pub uri: String,
    /// The URI as a QR code (an `<svg>` drawn on the server).
    pub qr_svg: String,
    /// A factor is set up already: replacing it needs the password and a current code.
    pub replacing: bool,
}

/// The signed-in staff member's pending secret (the same one until a code from it is confirmed).
#[server(prefix = "/sfn", endpoint = "account/totp_secret")]
pub async fn totp_setup() -> Result<TotpSetupView, ApiError> {
    let (state, staff, meta) = server::staff_context()?;
    let actor = staff.actor();
    let s = zhengwu_core::identity::pending_totp(&state.ctx(&meta), actor, &state.keys.staff, &state.site.name).await?;
    Ok(TotpSetupView { secret: s.secret, uri: s.uri, qr_svg: s.qr_svg, replacing: actor.has_totp })
}

/// A request awaiting (or past) a second administrator's decision, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRow {
    pub id: i64,
    pub kind: String,
    pub target_id: i64,
    pub target: String,
    pub requested_by: String,
    pub reason: String,
    pub roles: Vec<String>,
    pub status: String,
    pub pending: bool,
    pub decided_by: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    /// The viewer may approve or refuse it (not theirs, not about them).
    pub can_decide: bool,
    /// The viewer asked for it (and may cancel it).
    pub mine: bool,
}

#[cfg(feature = "ssr")]
fn request_row(r: zhengwu_core::identity::AdminRequest, viewer: i64) -> RequestRow {
    use zhengwu_core::identity::RequestStatus;
    let pending = r.status == RequestStatus::Pending;
    RequestRow {
        id: r.id,
        kind: r.kind.name_zh().into(),
        target_id: r.target_id,
        target: format!("{}（{}）", r.target_name, r.target_username),
        requested_by: r.requester_username.clone(),
        reason: r.reason,
        // What each role grants, as it was when asked (older requests: the codes).
        roles: if r.grants.is_empty() { r.roles } else { r.grants },
        status: r.status.name_zh().into(),
        pending,
        decided_by: r.decided_by,
        created_at: server::local_time(r.created_at),
        expires_at: server::local_time(r.expires_at),
        can_decide: pending && r.requested_by != viewer && r.target_id != viewer,
        mine: pending && r.requested_by == viewer,
    }
}

/// The two-person requests (待审批) for administrators.
#[server(prefix = "/sfn", endpoint = "admin/approvals")]
pub async fn approval_list() -> Result<Vec<RequestRow>, ApiError> {
    let (state, staff, meta) = server::staff_context()?;
    let actor = staff.actor();
    let list = zhengwu_core::identity::list_requests(&state.ctx(&meta), actor).await?;
    Ok(list.into_iter().map(|r| request_row(r, actor.id)).collect())
}

/// A security event for the auditor's sign-in panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityEvent {
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
}

/// The security events the auditor has not marked as read, and how many there are.
#[server(prefix = "/sfn", endpoint = "admin/security_events")]
pub async fn security_events() -> Result<(Vec<SecurityEvent>, i64), ApiError> {
    let (state, staff, meta) = server::staff_context()?;
    let (rows, total) = zhengwu_core::identity::security_events(&state.ctx(&meta), staff.actor()).await?;
    Ok((
        rows.into_iter()
            .map(|r| SecurityEvent {
                seq: r.seq,
                time: server::local_time(r.occurred_at),
                actor: r.actor_name,
                action: r.action,
                object: format!("{} {}", r.object_type, r.object_id.unwrap_or_default()),
                detail: r.detail,
            })
            .collect(),
        total,
    ))
}

/// Counts for the console's navigation: requests the viewer could decide, unread security events.
#[server(prefix = "/sfn", endpoint = "admin/badges")]
pub async fn console_badges() -> Result<(i64, i64), ApiError> {
    use zhengwu_core::identity::{self, Permission};
    let (state, staff, meta) = server::staff_context()?;
    let ctx = state.ctx(&meta);
    let actor = staff.actor();
    let approvals = identity::awaiting_me(&ctx, actor).await?;
    let events = if actor.can(Permission::AuditRead) { identity::security_events(&ctx, actor).await?.1 } else { 0 };
    Ok((approvals, events))
}
