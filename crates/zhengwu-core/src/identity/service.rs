use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use zhengwu_crypto::{sm3, to_hex};
use zhengwu_types::Failure;

use super::{
    password::{self, PasswordPolicy, PasswordProblem},
    scope::{DataScope, DepartmentTree, RoleScope, Scope},
    sessions::{SessionRecord, SessionStore, StoreError},
    Duty, Permission,
};
use crate::{
    audit::{self, Actor, AuditError, AuditEvent, AuditKey, RequestMeta},
    db::{Db, WriteTx},
    with_db, with_tx,
};

/// Sign-in and session rules (等保 2.0 defaults; configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthPolicy {
    pub password: PasswordPolicy,
    /// Failures from one source before that source is locked for the account (see
    /// [`super::signin`]); locks then grow from one minute up to `lock_for`.
    pub max_failures: u32,
    pub lock_for: Duration,
    /// A session unused this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in whatever happens.
    pub absolute_timeout: Duration,
    /// Accounts holding an administrator duty must use a TOTP second factor.
    pub require_totp_for_admins: bool,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        AuthPolicy {
            password: PasswordPolicy::default(),
            max_failures: 5,
            lock_for: Duration::minutes(30),
            idle_timeout: Duration::minutes(30),
            absolute_timeout: Duration::hours(12),
            require_totp_for_admins: true,
        }
    }
}

/// What every identity operation needs: the database, the audit key, where the request came
/// from, and the time (passed in, so tests can move it).
pub struct Ctx<'a> {
    pub db: &'a Db,
    pub audit: &'a AuditKey,
    pub meta: &'a RequestMeta,
    pub now: DateTime<Utc>,
    /// Where staff sessions live.
    pub sessions: &'a SessionStore,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Unknown user, wrong password, locked or disabled account: deliberately one answer.
    #[error("用户名或密码错误")]
    InvalidCredentials,
    #[error("没有权限")]
    Forbidden,
    /// Missing, or outside the caller's data scope: the same answer, so ids cannot be probed.
    #[error("不存在")]
    NotFound,
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("三员分立：{0}")]
    SeparationOfDuties(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
    #[error("{0}")]
    Sessions(#[from] StoreError),
    /// Too many passwords are being checked at once; nothing was counted against anyone.
    #[error("系统繁忙，请稍后再试")]
    Busy,
    /// A one-time code could not be sent (the SMS gateway refused or is down).
    #[error("短信发送失败，请稍后再试")]
    Delivery(String),
}

impl Failure for IdentityError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        use zhengwu_types::ErrorCode::*;
        match self {
            IdentityError::InvalidCredentials => Unauthorized,
            IdentityError::Forbidden => Forbidden,
            IdentityError::NotFound => NotFound,
            IdentityError::Invalid { .. } | IdentityError::SeparationOfDuties(_) => BadRequest,
            IdentityError::Busy | IdentityError::Delivery(_) => Unavailable,
            IdentityError::Db(_) | IdentityError::Audit(_) | IdentityError::Sessions(_) => Internal,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            IdentityError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<password::Busy> for IdentityError {
    fn from(_: password::Busy) -> Self {
        IdentityError::Busy
    }
}

impl IdentityError {
    fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        IdentityError::Invalid { field, message: message.into() }
    }
}

impl From<PasswordProblem> for IdentityError {
    fn from(p: PasswordProblem) -> Self {
        IdentityError::invalid("new_password", p.to_string())
    }
}

/// The signed-in staff member, as loaded for each request.
#[derive(Debug, Clone)]
pub struct StaffActor {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub department_id: i64,
    pub department_name: String,
    pub must_change_password: bool,
    /// An administrator without a second factor while the policy requires one: nothing is
    /// allowed until one is set up.
    pub needs_totp: bool,
    pub has_totp: bool,
    pub roles: Vec<RoleRef>,
    pub permissions: BTreeSet<Permission>,
    pub scope: Scope,
    /// The anti-forgery token of this session; every state-changing form carries it.
    pub csrf_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRef {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub duty: Duty,
}

impl StaffActor {
    /// Allowed only with `p` — and never while the initial password is still unchanged.
    pub fn require(&self, p: Permission) -> Result<(), IdentityError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(IdentityError::Forbidden)
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        !self.must_change_password && !self.needs_totp && self.permissions.contains(&p)
    }

    pub fn audit_actor(&self) -> Actor {
        Actor::staff(self.id, &self.username)
    }

    pub fn duties(&self) -> BTreeSet<Duty> {
        self.roles.iter().map(|r| r.duty).collect()
    }
}

pub(super) fn digest(token: &str) -> String {
    to_hex(&sm3(token.as_bytes()))
}

pub(super) fn random_hex(len: usize) -> String {
    let mut b = vec![0u8; len];
    zhengwu_crypto::random_bytes(&mut b);
    to_hex(&b)
}

pub(super) async fn audit_alone(ctx: &Ctx<'_>, actor: &Actor, event: AuditEvent) -> Result<(), IdentityError> {
    let mut tx = ctx.db.begin_write().await?;
    audit::append(&mut tx, ctx.audit, actor, ctx.meta, &event, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn end_session_in(tx: &mut WriteTx, token: &str) -> Result<(), sqlx::Error> {
    with_tx!(tx, conn => sqlx::query("DELETE FROM sessions WHERE id_digest = $1")
        .bind(digest(token)).execute(conn).await.map(|_| ()))
}

/// Ends the session everywhere it is used (it lives on the server; the cookie alone is
/// worthless afterwards).
pub async fn sign_out(ctx: &Ctx<'_>, actor: &StaffActor, token: &str) -> Result<(), IdentityError> {
    ctx.sessions.remove(&digest(token), actor.id).await?;
    let mut tx = ctx.db.begin_write().await?;
    end_session_in(&mut tx, token).await?;
    audit::append(
        &mut tx,
        ctx.audit,
        &actor.audit_actor(),
        ctx.meta,
        &AuditEvent::new("auth.sign_out", "staff", actor.id),
        ctx.now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a session needs of the account, loaded with every request.
#[derive(sqlx::FromRow)]
struct StaffRow {
    username: String,
    display_name: String,
    department_id: i64,
    department_name: String,
    must_change_password: bool,
    status: String,
    has_totp: bool,
}

const STAFF_FOR_SESSION_COLUMNS: &str = "u.username, u.display_name, u.department_id, d.name AS department_name, \
     u.must_change_password, u.status, (u.totp_sealed IS NOT NULL) AS has_totp";
const STAFF_FOR_SESSION: &str = "SELECT u.username, u.display_name, u.department_id, d.name AS department_name, \
     u.must_change_password, u.status, (u.totp_sealed IS NOT NULL) AS has_totp \
     FROM staff u JOIN departments d ON d.id = u.department_id";

#[derive(sqlx::FromRow)]
struct SessionRow {
    staff_id: i64,
    csrf_secret: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    #[sqlx(flatten)]
    staff: StaffRow,
}

/// The staff member behind a session token, or `None` when the session is unknown, idle too
/// long, past its absolute limit, or the account is disabled. Refreshes the idle clock.
pub async fn session_actor(
    ctx: &Ctx<'_>,
    policy: &AuthPolicy,
    token: &str,
) -> Result<Option<StaffActor>, IdentityError> {
    if token.len() != 64 {
        return Ok(None);
    }
    let d = digest(token);
    let found: Option<(SessionRecord, StaffRow)> = if ctx.sessions.is_redis() {
        match ctx.sessions.get(&d).await? {
            None => None,
            Some(rec) => {
                let sql = format!("{STAFF_FOR_SESSION} WHERE u.id = $1");
                let staff: Option<StaffRow> =
                    with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(rec.staff_id).fetch_optional(pool).await)?;
                staff.map(|st| (rec, st))
            }
        }
    } else {
        let sql = format!(
            "SELECT s.staff_id, s.csrf_secret, s.created_at, s.last_seen_at, s.expires_at, {STAFF_FOR_SESSION_COLUMNS} \
             FROM sessions s JOIN staff u ON u.id = s.staff_id JOIN departments d ON d.id = u.department_id \
             WHERE s.id_digest = $1"
        );
        let row: Option<SessionRow> =
            with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(&d).fetch_optional(pool).await)?;
        row.map(|r| {
            (
                SessionRecord {
                    staff_id: r.staff_id,
                    csrf_secret: r.csrf_secret,
                    created_at: r.created_at,
                    last_seen_at: r.last_seen_at,
                    expires_at: r.expires_at,
                },
                r.staff,
            )
        })
    };
    let Some((rec, staff)) = found else { return Ok(None) };
    if staff.status != "active" || rec.expires_at <= ctx.now || rec.last_seen_at + policy.idle_timeout <= ctx.now {
        ctx.sessions.remove(&d, rec.staff_id).await?;
        with_db!(ctx.db, pool => sqlx::query("DELETE FROM sessions WHERE id_digest = $1")
            .bind(&d).execute(pool).await.map(|_| ()))?;
        return Ok(None);
    }
    // One write a minute at most per session, not one per request.
    if ctx.now - rec.last_seen_at > Duration::seconds(60) {
        if ctx.sessions.is_redis() {
            let touched = SessionRecord { last_seen_at: ctx.now, ..rec.clone() };
            ctx.sessions.put(&d, &touched, policy.idle_timeout, ctx.now).await?;
        } else {
            with_db!(ctx.db, pool => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_digest = $2")
                .bind(ctx.now).bind(&d).execute(pool).await.map(|_| ()))?;
        }
    }
    let (roles, permissions, scope) = load_grants(ctx.db, rec.staff_id, staff.department_id).await?;
    let admin = roles.iter().any(|r| r.duty != Duty::Business);
    Ok(Some(StaffActor {
        needs_totp: policy.require_totp_for_admins && admin && !staff.has_totp,
        has_totp: staff.has_totp,
        id: rec.staff_id,
        username: staff.username,
        display_name: staff.display_name,
        department_id: staff.department_id,
        department_name: staff.department_name,
        must_change_password: staff.must_change_password,
        roles,
        permissions,
        scope,
        csrf_token: rec.csrf_secret,
    }))
}

async fn department_tree(db: &Db) -> Result<DepartmentTree, sqlx::Error> {
    let links: Vec<(i64, Option<i64>)> =
        with_db!(db, pool => sqlx::query_as("SELECT id, parent_id FROM departments").fetch_all(pool).await)?;
    Ok(DepartmentTree::new(links))
}

async fn load_grants(
    db: &Db,
    staff_id: i64,
    home: i64,
) -> Result<(Vec<RoleRef>, BTreeSet<Permission>, Scope), IdentityError> {
    let roles: Vec<(i64, String, String, String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT r.id, r.code, r.name, r.duty, r.data_scope FROM staff_roles sr JOIN roles r ON r.id = sr.role_id \
         WHERE sr.staff_id = $1 ORDER BY r.id")
        .bind(staff_id).fetch_all(pool).await)?;
    let perms: Vec<String> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT DISTINCT rp.permission FROM staff_roles sr JOIN role_permissions rp ON rp.role_id = sr.role_id \
         WHERE sr.staff_id = $1")
        .bind(staff_id).fetch_all(pool).await)?;
    let custom: Vec<(i64, i64)> = with_db!(db, pool => sqlx::query_as(
        "SELECT rd.role_id, rd.department_id FROM staff_roles sr JOIN role_departments rd ON rd.role_id = sr.role_id \
         WHERE sr.staff_id = $1")
        .bind(staff_id).fetch_all(pool).await)?;
    // The whole department tree only when a role reaches "department and below".
    let tree = if roles.iter().any(|r| r.4 == DataScope::DepartmentTree.code()) {
        department_tree(db).await?
    } else {
        DepartmentTree::default()
    };
    let customs: Vec<Vec<i64>> =
        roles.iter().map(|r| custom.iter().filter(|(role, _)| *role == r.0).map(|(_, d)| *d).collect()).collect();
    let scopes: Vec<RoleScope<'_>> = roles
        .iter()
        .zip(&customs)
        .filter_map(|(r, c)| DataScope::parse(&r.4).map(|scope| RoleScope { scope, custom: c }))
        .collect();
    let scope = Scope::union(&scopes, home, &tree);
    let role_refs = roles
        .into_iter()
        .filter_map(|(id, code, name, duty, _)| Duty::parse(&duty).map(|duty| RoleRef { id, code, name, duty }))
        .collect();
    Ok((role_refs, perms.iter().filter_map(|p| Permission::parse(p)).collect(), scope))
}

/// Changes the signed-in staff member's own password. Ends their other sessions.
pub async fn change_password(
    ctx: &Ctx<'_>,
    policy: &AuthPolicy,
    actor: &StaffActor,
    session_token: &str,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<(), IdentityError> {
    super::reauth::current_password(ctx, actor, current, "current_password").await?;
    policy.password.check(new, &actor.username)?;
    if new == current {
        return Err(IdentityError::invalid("new_password", "新密码不能与当前密码相同"));
    }
    if new != confirm {
        return Err(IdentityError::invalid("confirm_password", "两次输入的新密码不一致"));
    }
    let new_hash = password::hash_password(new.to_string()).await?;
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE staff SET password_hash = $1, must_change_password = FALSE, password_changed_at = $2, updated_at = $2 \
         WHERE id = $3")
        .bind(&new_hash).bind(ctx.now).bind(actor.id).execute(conn).await.map(|_| ()))?;
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM sessions WHERE staff_id = $1 AND id_digest <> $2")
        .bind(actor.id).bind(digest(session_token)).execute(conn).await.map(|_| ()))?;
    audit::append(
        &mut tx,
        ctx.audit,
        &actor.audit_actor(),
        ctx.meta,
        &AuditEvent::new("staff.change_password", "staff", actor.id),
        ctx.now,
    )
    .await?;
    tx.commit().await?;
    ctx.sessions.remove_all(actor.id, Some(&digest(session_token))).await?;
    Ok(())
}
