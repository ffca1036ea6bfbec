use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use zhengwu_crypto::{
    sm3,
    sm4gcm::{self, Sm4Key},
    to_hex, totp,
};

/// Associated data of sealed TOTP secrets.
const TOTP_AAD: &[u8] = b"staff.totp";

use super::{
    password::{self, PasswordPolicy, PasswordProblem},
    permission::{Duty, Permission},
    scope::{DataScope, DepartmentTree, RoleScope, Scope},
    sessions::{SessionRecord, SessionStore, StoreError},
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
    /// Consecutive failures that lock an account.
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

/// A session just created; `token` goes into the cookie and nowhere else.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub staff_id: i64,
    pub must_change_password: bool,
}

fn digest(token: &str) -> String {
    to_hex(&sm3(token.as_bytes()))
}

fn random_hex(len: usize) -> String {
    let mut b = vec![0u8; len];
    zhengwu_crypto::random_bytes(&mut b);
    to_hex(&b)
}

async fn audit_alone(ctx: &Ctx<'_>, actor: &Actor, event: AuditEvent) -> Result<(), IdentityError> {
    let mut tx = ctx.db.begin_write().await?;
    audit::append(&mut tx, ctx.audit, actor, ctx.meta, &event, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LoginRow {
    id: i64,
    username: String,
    password_hash: String,
    status: String,
    failed_logins: i32,
    locked_until: Option<DateTime<Utc>>,
    must_change_password: bool,
    totp_sealed: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
}

/// The second factor given at sign-in: the key that opens stored TOTP secrets, and the code
/// typed (empty when the form field was left blank).
#[derive(Clone, Copy)]
pub struct SecondFactor<'a> {
    pub key: &'a Sm4Key,
    pub code: &'a str,
}

/// Signs a staff member in and starts a new session (a new id every time: a session id known
/// before sign-in is worthless after it). `previous` is the caller's old session token, ended
/// here. Failures count towards the lock and are audited with the reason; the caller only
/// ever learns [`IdentityError::InvalidCredentials`].
pub async fn sign_in(
    ctx: &Ctx<'_>,
    policy: &AuthPolicy,
    username: &str,
    password: &str,
    second: Option<SecondFactor<'_>>,
    previous: Option<&str>,
) -> Result<NewSession, IdentityError> {
    let username = username.trim();
    let row: Option<LoginRow> = if username.is_empty() || username.len() > 64 {
        None
    } else {
        with_db!(ctx.db, pool => sqlx::query_as(
            "SELECT id, username, password_hash, status, failed_logins, locked_until, must_change_password, \
             totp_sealed, totp_last_step FROM staff WHERE username = $1")
            .bind(username).fetch_optional(pool).await)?
    };
    let hash = row.as_ref().map(|r| r.password_hash.clone()).unwrap_or_else(|| password::dummy_hash().to_string());
    // Always pay for one verification, so timing does not tell which case this is.
    let matches = password::verify_password(password.to_string(), hash).await;
    let fail = |reason: &'static str, id: Option<i64>| {
        let mut e = AuditEvent::new("auth.sign_in", "staff", id.map(|i| i.to_string()).unwrap_or_default())
            .failed()
            .with_detail(json!({ "reason": reason }));
        if id.is_none() {
            e.object_id = None;
        }
        e
    };
    let Some(row) = row else {
        audit_alone(ctx, &Actor::anonymous(), fail("unknown_user", None)).await?;
        return Err(IdentityError::InvalidCredentials);
    };
    let actor = Actor::staff(row.id, &row.username);
    if row.status != "active" {
        audit_alone(ctx, &actor, fail("disabled", Some(row.id))).await?;
        return Err(IdentityError::InvalidCredentials);
    }
    if row.locked_until.is_some_and(|until| until > ctx.now) {
        audit_alone(ctx, &actor, fail("locked", Some(row.id))).await?;
        return Err(IdentityError::InvalidCredentials);
    }
    // With a second factor on the account, the password alone is not enough.
    let mut totp_step = None;
    let mut reason = "bad_password";
    let matches = matches
        && match &row.totp_sealed {
            None => true,
            Some(sealed) => {
                reason = "bad_totp";
                let secret = second.and_then(|s| sm4gcm::open(s.key, sealed, TOTP_AAD).ok().map(|k| (k, s.code)));
                totp_step = secret.and_then(|(k, code)| {
                    let now = u64::try_from(ctx.now.timestamp()).unwrap_or(0);
                    totp::verify(&k, code, now, row.totp_last_step.and_then(|s| u64::try_from(s).ok()))
                });
                totp_step.is_some()
            }
        };
    let mut tx = ctx.db.begin_write().await?;
    if !matches {
        let failures = row.failed_logins + 1;
        let locks = failures >= policy.max_failures as i32;
        let (count, until) = if locks { (0, Some(ctx.now + policy.lock_for)) } else { (failures, None) };
        with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE staff SET failed_logins = $1, locked_until = COALESCE($2, locked_until) WHERE id = $3")
            .bind(count).bind(until).bind(row.id).execute(conn).await.map(|_| ()))?;
        audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &fail(reason, Some(row.id)), ctx.now).await?;
        if locks {
            let e = AuditEvent::new("staff.lock", "staff", row.id)
                .with_detail(json!({ "failures": failures, "until": until.map(|u| u.to_rfc3339()) }));
            audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &e, ctx.now).await?;
        }
        tx.commit().await?;
        return Err(IdentityError::InvalidCredentials);
    }
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE staff SET failed_logins = 0, locked_until = NULL, last_login_at = $1, \
         totp_last_step = COALESCE($3, totp_last_step) WHERE id = $2")
        .bind(ctx.now).bind(row.id).bind(totp_step.and_then(|s| i64::try_from(s).ok())).execute(conn).await.map(|_| ()))?;
    let token = random_hex(32);
    let record = SessionRecord {
        staff_id: row.id,
        csrf_secret: random_hex(24),
        created_at: ctx.now,
        last_seen_at: ctx.now,
        expires_at: ctx.now + policy.absolute_timeout,
    };
    if !ctx.sessions.is_redis() {
        if let Some(old) = previous {
            end_session_in(&mut tx, old).await?;
        }
        with_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO sessions (id_digest, staff_id, csrf_secret, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $4, $5)")
            .bind(digest(&token)).bind(row.id).bind(&record.csrf_secret).bind(ctx.now)
            .bind(record.expires_at).execute(conn).await.map(|_| ()))?;
    }
    audit::append(&mut tx, ctx.audit, &actor, ctx.meta, &AuditEvent::new("auth.sign_in", "staff", row.id), ctx.now)
        .await?;
    tx.commit().await?;
    if ctx.sessions.is_redis() {
        if let Some(old) = previous.map(digest) {
            if let Some(rec) = ctx.sessions.get(&old).await? {
                ctx.sessions.remove(&old, rec.staff_id).await?;
            }
        }
        ctx.sessions.put(&digest(&token), &record, policy.idle_timeout, ctx.now).await?;
    }
    Ok(NewSession { token, staff_id: row.id, must_change_password: row.must_change_password })
}

async fn end_session_in(tx: &mut WriteTx, token: &str) -> Result<(), sqlx::Error> {
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
    let hash: String = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT password_hash FROM staff WHERE id = $1")
        .bind(actor.id).fetch_one(pool).await)?;
    if !password::verify_password(current.to_string(), hash).await {
        return Err(IdentityError::invalid("current_password", "当前密码不正确"));
    }
    policy.password.check(new, &actor.username)?;
    if new == current {
        return Err(IdentityError::invalid("new_password", "新密码不能与当前密码相同"));
    }
    if new != confirm {
        return Err(IdentityError::invalid("confirm_password", "两次输入的新密码不一致"));
    }
    let new_hash = password::hash_password(new.to_string()).await;
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

/// A secret for enrolment (shown to the user once, as base32 and an `otpauth://` URI).
pub fn new_totp_secret(issuer: &str, username: &str) -> (String, String) {
    let secret = totp::generate_secret();
    (totp::secret_base32(&secret), totp::provisioning_uri(&secret, issuer, username))
}

/// Sets up the signed-in staff member's second factor: the code typed must match the secret
/// shown. Stored sealed; the code's step is remembered so it cannot be used again.
pub async fn enroll_totp(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    key: &Sm4Key,
    secret_base32: &str,
    code: &str,
) -> Result<(), IdentityError> {
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_base32.trim().as_bytes())
        .ok()
        .filter(|s| s.len() >= 16)
        .ok_or_else(|| IdentityError::invalid("code", "密钥无效，请刷新页面重新绑定"))?;
    let now = u64::try_from(ctx.now.timestamp()).unwrap_or(0);
    let step = totp::verify(&secret, code, now, None)
        .ok_or_else(|| IdentityError::invalid("code", "动态口令不正确，请核对手机时间后重试"))?;
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE staff SET totp_sealed = $1, totp_last_step = $2, updated_at = $3 WHERE id = $4")
        .bind(sm4gcm::seal(key, &secret, TOTP_AAD)).bind(i64::try_from(step).unwrap_or(0)).bind(ctx.now).bind(actor.id)
        .execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("staff.totp_enroll", "staff", actor.id).with_detail(json!({ "replaced": actor.has_totp }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Staff management

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

/// Who may see staff accounts: account administrators see all; business staff with
/// `staff:read` see those in their data scope (and themselves).
fn staff_visible(actor: &StaffActor, s: &StaffSummary) -> bool {
    actor.can(Permission::UserManage)
        || (actor.can(Permission::StaffRead) && actor.scope.covers(s.department_id, Some(s.id), actor.id))
        || s.id == actor.id
}

/// The staff accounts the actor may see, by department then name.
pub async fn list_staff(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<Vec<StaffSummary>, IdentityError> {
    if !actor.can(Permission::UserManage) && !actor.can(Permission::StaffRead) {
        return Err(IdentityError::Forbidden);
    }
    let sql = format!("{STAFF_SELECT} ORDER BY d.code, u.username");
    let all: Vec<StaffSummary> = with_db!(ctx.db, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
    Ok(all.into_iter().filter(|s| staff_visible(actor, s)).collect())
}

/// One account with its roles; [`IdentityError::NotFound`] when missing or out of scope.
pub async fn get_staff(ctx: &Ctx<'_>, actor: &StaffActor, id: i64) -> Result<StaffDetail, IdentityError> {
    if !actor.can(Permission::UserManage) && !actor.can(Permission::StaffRead) && actor.id != id {
        return Err(IdentityError::Forbidden);
    }
    let summary = find_staff(ctx.db, id).await?.filter(|s| staff_visible(actor, s)).ok_or(IdentityError::NotFound)?;
    let roles = roles_of(ctx.db, id).await?;
    Ok(StaffDetail { summary, roles })
}

async fn find_staff(db: &Db, id: i64) -> Result<Option<StaffSummary>, sqlx::Error> {
    let sql = format!("{STAFF_SELECT} WHERE u.id = $1");
    with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

async fn roles_of(db: &Db, staff_id: i64) -> Result<Vec<RoleRef>, sqlx::Error> {
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
/// Returns the new id and that password (shown once to the administrator, stored only hashed).
pub async fn create_staff(ctx: &Ctx<'_>, actor: &StaffActor, new: &NewStaff) -> Result<(i64, String), IdentityError> {
    actor.require(Permission::UserManage)?;
    let username = new.username.trim().to_string();
    let display_name = new.display_name.trim().to_string();
    if !valid_username(&username) {
        return Err(IdentityError::invalid("username", "用户名为 3–32 位小写字母、数字或 . _ -，以字母开头"));
    }
    if display_name.is_empty() || display_name.chars().count() > 50 {
        return Err(IdentityError::invalid("display_name", "请填写姓名（最多 50 字）"));
    }
    let Some(department_id) = new.department_id else {
        return Err(IdentityError::invalid("department_id", "请选择所属部门"));
    };
    let exists: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT id FROM departments WHERE id = $1")
        .bind(department_id).fetch_optional(pool).await)?;
    if exists.is_none() {
        return Err(IdentityError::invalid("department_id", "所选部门不存在"));
    }
    let initial = password::generate_initial_password();
    let hash = password::hash_password(initial.clone()).await;
    let mut tx = ctx.db.begin_write().await?;
    let taken: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
        .bind(&username).fetch_optional(conn).await)?;
    if taken.is_some() {
        return Err(IdentityError::invalid("username", "该用户名已被使用"));
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

/// An administrative action on someone else's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Disable,
    Enable,
    Unlock,
    /// Returns a new initial password.
    ResetPassword,
    /// Removes the second factor (a lost phone); the account sets up a new one at sign-in.
    ResetTotp,
}

impl AccountAction {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "disable" => AccountAction::Disable,
            "enable" => AccountAction::Enable,
            "unlock" => AccountAction::Unlock,
            "reset_password" => AccountAction::ResetPassword,
            "reset_totp" => AccountAction::ResetTotp,
            _ => return None,
        })
    }

    fn audit_action(self) -> &'static str {
        match self {
            AccountAction::Disable => "staff.disable",
            AccountAction::Enable => "staff.enable",
            AccountAction::Unlock => "staff.unlock",
            AccountAction::ResetPassword => "staff.reset_password",
            AccountAction::ResetTotp => "staff.reset_totp",
        }
    }
}

/// Disables, enables, unlocks or resets an account. Accounts of business staff are the system
/// administrator's (`user:manage`); accounts holding an administrator duty are the security
/// administrator's (`role:assign`), so the system administrator cannot take over the auditor.
/// Nobody acts on their own account this way. Returns the new password for a reset.
pub async fn act_on_account(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    id: i64,
    action: AccountAction,
) -> Result<Option<String>, IdentityError> {
    if id == actor.id {
        return Err(IdentityError::invalid("action", "不能对自己的账号执行此操作"));
    }
    let target = find_staff(ctx.db, id).await?.ok_or(IdentityError::NotFound)?;
    let target_roles = roles_of(ctx.db, id).await?;
    let admin_target = target_roles.iter().any(|r| r.duty != Duty::Business);
    let needed = if admin_target { Permission::RoleAssign } else { Permission::UserManage };
    if !actor.can(needed) {
        // Out of reach: indistinguishable from missing for those who cannot see accounts.
        return Err(if staff_visible(actor, &target) { IdentityError::Forbidden } else { IdentityError::NotFound });
    }
    let new_password = match action {
        AccountAction::ResetPassword => Some(password::generate_initial_password()),
        _ => None,
    };
    let new_hash = match &new_password {
        Some(p) => Some(password::hash_password(p.clone()).await),
        None => None,
    };
    let mut tx = ctx.db.begin_write().await?;
    let (sql, end_sessions) = match action {
        AccountAction::Disable => ("UPDATE staff SET status = 'disabled', updated_at = $1 WHERE id = $2", true),
        AccountAction::Enable => ("UPDATE staff SET status = 'active', updated_at = $1 WHERE id = $2", false),
        AccountAction::Unlock => {
            ("UPDATE staff SET failed_logins = 0, locked_until = NULL, updated_at = $1 WHERE id = $2", false)
        }
        AccountAction::ResetPassword => (
            "UPDATE staff SET password_hash = $3, must_change_password = TRUE, failed_logins = 0, locked_until = NULL, \
             updated_at = $1 WHERE id = $2",
            true,
        ),
        AccountAction::ResetTotp => (
            "UPDATE staff SET totp_sealed = NULL, totp_last_step = NULL, updated_at = $1 WHERE id = $2",
            true,
        ),
    };
    with_tx!(&mut tx, conn => {
        let q = sqlx::query(sql).bind(ctx.now).bind(id);
        let q = match &new_hash { Some(h) => q.bind(h), None => q };
        q.execute(conn).await.map(|_| ())
    })?;
    if end_sessions {
        with_tx!(&mut tx, conn => sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(id).execute(conn).await.map(|_| ()))?;
    }
    let detail = match action {
        AccountAction::Disable | AccountAction::Enable => json!({
            "before": { "status": target.status },
            "after": { "status": if action == AccountAction::Disable { "disabled" } else { "active" } },
        }),
        AccountAction::Unlock => json!({ "before": { "locked_until": target.locked_until.map(|t| t.to_rfc3339()) } }),
        AccountAction::ResetPassword => json!({ "after": { "must_change_password": true } }),
        AccountAction::ResetTotp => json!({ "after": { "totp": false } }),
    };
    let e = AuditEvent::new(action.audit_action(), "staff", id).with_detail(detail);
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    if end_sessions {
        ctx.sessions.remove_all(id, None).await?;
    }
    Ok(new_password)
}

// ---------------------------------------------------------------------------------------------
// Roles

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

async fn all_roles(db: &Db) -> Result<Vec<RoleInfo>, IdentityError> {
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

/// Replaces an account's roles (security administrator). Nobody grants roles to themselves.
pub async fn assign_roles(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    staff_id: i64,
    role_ids: &[i64],
) -> Result<(), IdentityError> {
    actor.require(Permission::RoleAssign)?;
    let target = find_staff(ctx.db, staff_id).await?.ok_or(IdentityError::NotFound)?;
    if staff_id == actor.id {
        return Err(IdentityError::invalid("roles", "不能给自己分配角色"));
    }
    let roles = all_roles(ctx.db).await?;
    let chosen: Vec<&RoleInfo> = roles.iter().filter(|r| role_ids.contains(&r.id)).collect();
    if chosen.len() != role_ids.iter().collect::<BTreeSet<_>>().len() {
        return Err(IdentityError::invalid("roles", "所选角色不存在"));
    }
    check_separation(&chosen.iter().map(|r| r.duty).collect())?;
    let before: Vec<String> = roles_of(ctx.db, staff_id).await?.into_iter().map(|r| r.code).collect();
    let after: Vec<String> = chosen.iter().map(|r| r.code.clone()).collect();
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query("DELETE FROM staff_roles WHERE staff_id = $1")
        .bind(staff_id).execute(conn).await.map(|_| ()))?;
    for r in &chosen {
        with_tx!(&mut tx, conn => sqlx::query("INSERT INTO staff_roles (staff_id, role_id) VALUES ($1, $2)")
            .bind(staff_id).bind(r.id).execute(conn).await.map(|_| ()))?;
    }
    let e = AuditEvent::new("staff.assign_roles", "staff", staff_id)
        .with_detail(json!({ "username": target.username, "before": before, "after": after }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
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
