//! Accounts, sign-in, sessions, roles and scopes on SQLite and PostgreSQL.

use chrono::{DateTime, Duration, Utc};
use zhengwu_core::{
    audit::{self, AuditKey, RequestMeta},
    demo,
    identity::{
        self as id, AccountAction, AccountOutcome, AssignOutcome, Attempt, AuthPolicy, Bootstrap, Ctx, Delivery,
        DepartmentForm, IdentityError, NewSession, NewStaff, Permission, RoleForm, SessionStore, StaffActor, StaffKeys,
    },
    testing::{Backend, TestDb},
    with_db, Db,
};
use zhengwu_crypto::keys::MasterKey;

zhengwu_core::on_both!(
    bootstrap_creates_the_three_administrators_once,
    wrong_password_and_unknown_user_get_the_same_answer_and_are_audited,
    failures_lock_the_source_for_growing_periods_and_the_owners_browser_still_gets_in,
    sessions_end_when_idle_when_signed_out_and_at_sign_in,
    nothing_is_allowed_before_the_initial_password_is_changed,
    the_three_duties_cannot_do_each_others_jobs,
    staff_see_only_accounts_in_their_data_scope,
    disabling_an_account_ends_its_sessions,
    roles_keep_to_their_duty_and_a_custom_scope_takes_effect,
    only_the_system_administrator_adds_departments,
    administrators_must_set_up_and_then_use_a_second_factor,
    sessions_in_redis_end_the_same_ways,
);

const NEW_PASSWORD: &str = "Qingshan-2026!";

fn key() -> AuditKey {
    AuditKey::from_master(&MasterKey::from_bytes([3; 32]))
}

struct World {
    keys: StaffKeys,
    sessions: SessionStore,
    t: TestDb,
    key: AuditKey,
    meta: RequestMeta,
    policy: AuthPolicy,
}

impl World {
    async fn new(b: Backend, name: &str) -> Option<World> {
        let t = TestDb::new(b, name).await?;
        demo::seed(&t.db).await.unwrap();
        let key = key();
        let created = id::bootstrap(&t.db, &key, true, "青山县人民政府", Utc::now()).await.unwrap();
        assert!(matches!(created, Bootstrap::Created(ref a) if a.len() == 12), "{created:?}");
        Some(World {
            keys: StaffKeys::from_master(&MasterKey::from_bytes([3; 32])),
            sessions: SessionStore::Database,
            t,
            key,
            meta: RequestMeta { ip: Some("192.0.2.1".into()), ..Default::default() },
            // The second factor has its own test; elsewhere administrators sign in with a password.
            policy: AuthPolicy { require_totp_for_admins: false, ..AuthPolicy::default() },
        })
    }

    fn db(&self) -> &Db {
        &self.t.db
    }

    fn at(&self, now: DateTime<Utc>) -> Ctx<'_> {
        Ctx { db: &self.t.db, audit: &self.key, meta: &self.meta, now, sessions: &self.sessions }
    }

    fn ctx(&self) -> Ctx<'_> {
        self.at(Utc::now())
    }

    /// A sign-in attempt with a password only (no second factor, no device cookie).
    async fn attempt(&self, ctx: &Ctx<'_>, username: &str, password: &str) -> Result<NewSession, IdentityError> {
        let a = Attempt { username, password, totp: "", previous: None, device: None };
        id::sign_in(ctx, &self.policy, &self.keys, &a).await
    }

    /// An administrator's action with a reason, codes delivered nowhere (no SMS here).
    async fn act(
        &self,
        ctx: &Ctx<'_>,
        actor: &StaffActor,
        target: i64,
        action: AccountAction,
    ) -> Result<AccountOutcome, IdentityError> {
        let delivery = Delivery { sms: None, keys: &self.keys };
        id::act_on_account(ctx, actor, target, action, "测试：按申请办理", &delivery).await
    }

    /// Signs in with the demo password, changing it first time; returns the session and actor.
    async fn sign_in(&self, username: &str) -> (String, StaffActor) {
        let ctx = self.ctx();
        let s = match self.attempt(&ctx, username, id::DEMO_PASSWORD).await {
            Ok(s) => s,
            Err(_) => self.attempt(&ctx, username, NEW_PASSWORD).await.expect("sign in"),
        };
        let actor = id::session_actor(&ctx, &self.policy, &s.token).await.unwrap().expect("session");
        if actor.must_change_password {
            id::change_password(&ctx, &self.policy, &actor, &s.token, id::DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
                .await
                .unwrap();
        }
        let actor = id::session_actor(&ctx, &self.policy, &s.token).await.unwrap().expect("session");
        (s.token, actor)
    }

    async fn staff_id(&self, username: &str) -> i64 {
        with_db!(self.db(), pool => sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
            .bind(username).fetch_one(pool).await)
        .unwrap()
    }

    async fn audit_actions(&self) -> Vec<(String, String, String)> {
        with_db!(self.db(), pool => sqlx::query_as("SELECT action, outcome, detail FROM audit_log ORDER BY seq")
            .fetch_all(pool).await)
        .unwrap()
    }

    async fn intact(&self) {
        audit::verify(self.db(), &self.key).await.unwrap().expect("audit chain intact");
    }

    async fn finish(self) {
        self.t.finish().await;
    }
}

async fn bootstrap_creates_the_three_administrators_once(b: Backend) {
    let Some(w) = World::new(b, "id_boot").await else { return };
    let again = id::bootstrap(w.db(), &w.key, true, "x", Utc::now()).await.unwrap();
    assert!(matches!(again, Bootstrap::Existing));
    let admins: Vec<(String, bool)> = with_db!(w.db(), pool => sqlx::query_as(
        "SELECT username, must_change_password FROM staff WHERE username IN ('sysadmin', 'secadmin', 'auditor') ORDER BY username")
        .fetch_all(pool).await)
    .unwrap();
    assert_eq!(admins.len(), 3);
    assert!(admins.iter().all(|(_, must)| *must), "no default password survives first sign-in");
    w.intact().await;
    w.finish().await;
}

async fn wrong_password_and_unknown_user_get_the_same_answer_and_are_audited(b: Backend) {
    let Some(w) = World::new(b, "id_same").await else { return };
    let ctx = w.ctx();
    let wrong = w.attempt(&ctx, "zhangwei", "Wrong-2026").await.unwrap_err();
    let unknown = w.attempt(&ctx, "nobody", "Wrong-2026").await.unwrap_err();
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert!(matches!(wrong, IdentityError::InvalidCredentials) && matches!(unknown, IdentityError::InvalidCredentials));
    let log = w.audit_actions().await;
    let failures: Vec<_> = log.iter().filter(|(a, o, _)| a == "auth.sign_in" && o == "failure").collect();
    assert_eq!(failures.len(), 2);
    assert!(failures[0].2.contains("bad_password") && failures[1].2.contains("unknown_user"));
    assert!(log.iter().all(|(_, _, d)| !d.contains("Wrong-2026")), "no password in the audit trail");
    w.intact().await;
    w.finish().await;
}

async fn failures_lock_the_source_for_growing_periods_and_the_owners_browser_still_gets_in(b: Backend) {
    let Some(w) = World::new(b, "id_lock").await else { return };
    let t0 = Utc::now();
    // The owner signed in once from their own browser: it holds a device cookie for lina.
    let owner = w.attempt(&w.at(t0), "lina", id::DEMO_PASSWORD).await.unwrap();
    assert_eq!(id::device_owner(&w.keys, &owner.device_cookie).map(|d| d.staff_id), Some(owner.staff_id));
    // A stranger from one address: five failures lock that address out of lina, first for a minute...
    for _ in 0..5 {
        assert!(w.attempt(&w.at(t0), "lina", "Wrong-2026").await.is_err());
    }
    let locked = w.attempt(&w.at(t0 + Duration::seconds(30)), "lina", id::DEMO_PASSWORD).await;
    assert!(matches!(locked, Err(IdentityError::InvalidCredentials)), "the right password does not help while locked");
    // ...while the owner's browser, with its device cookie, still gets in (a stranger cannot keep them out).
    let mine = Attempt {
        username: "lina",
        password: id::DEMO_PASSWORD,
        totp: "",
        previous: None,
        device: Some(&owner.device_cookie),
    };
    id::sign_in(&w.at(t0 + Duration::seconds(30)), &w.policy, &w.keys, &mine).await.expect("the owner's browser");
    // A forged or another account's device cookie does not exempt anyone.
    let forged = format!("{}0", owner.device_cookie);
    let theirs = Attempt { device: Some(&forged), ..mine };
    assert!(id::sign_in(&w.at(t0 + Duration::seconds(30)), &w.policy, &w.keys, &theirs).await.is_err());
    // After the minute the address may try again; five more failures lock it for two minutes.
    let t1 = t0 + Duration::seconds(61);
    for _ in 0..5 {
        assert!(w.attempt(&w.at(t1), "lina", "Wrong-2026").await.is_err());
    }
    assert!(w.attempt(&w.at(t1 + Duration::seconds(90)), "lina", id::DEMO_PASSWORD).await.is_err(), "2 minutes now");
    w.attempt(&w.at(t1 + Duration::seconds(121)), "lina", id::DEMO_PASSWORD).await.expect("over");
    let log = w.audit_actions().await;
    let locks: Vec<_> = log.iter().filter(|(a, _, _)| a == "staff.lock").collect();
    assert_eq!(locks.len(), 2);
    assert!(locks[0].2.contains("\"lock\":1") && locks[1].2.contains("\"lock\":2"), "{locks:?}");
    assert!(log.iter().any(|(a, o, d)| a == "auth.sign_in" && o == "failure" && d.contains("\"locked\"")));
    assert!(log.iter().any(|(a, o, d)| a == "auth.sign_in" && o == "success" && d.contains("device")));
    // Guessing spread over many addresses locks untrusted browsers out of the account as a whole;
    // the owner's browser is still let in.
    let mut metas = vec![];
    for i in 0..(5 * id::UNTRUSTED_FACTOR) {
        metas.push(RequestMeta { ip: Some(format!("198.51.100.{i}")), ..Default::default() });
    }
    let t2 = t1 + Duration::minutes(5);
    for m in &metas {
        let ctx = Ctx { db: w.db(), audit: &w.key, meta: m, now: t2, sessions: &w.sessions };
        assert!(w.attempt(&ctx, "lina", "Wrong-2026").await.is_err());
    }
    let fresh = RequestMeta { ip: Some("203.0.113.9".into()), ..Default::default() };
    let ctx = Ctx { db: w.db(), audit: &w.key, meta: &fresh, now: t2, sessions: &w.sessions };
    assert!(w.attempt(&ctx, "lina", id::DEMO_PASSWORD).await.is_err(), "untrusted browsers are locked out of lina");
    id::sign_in(&ctx, &w.policy, &w.keys, &mine).await.expect("the owner's browser again");
    // An administrator (or the operator's `zhengwu staff unlock`) clears every lock at once.
    let (_, sys) = w.sign_in("sysadmin").await;
    let lina = w.staff_id("lina").await;
    w.act(&w.at(t2), &sys, lina, AccountAction::Unlock).await.unwrap();
    assert!(w.attempt(&ctx, "lina", id::DEMO_PASSWORD).await.is_ok());
    for _ in 0..5 {
        let _ = w.attempt(&w.at(t2), "chenjing", "Wrong-2026").await;
    }
    id::operator_unlock(w.db(), &w.key, "chenjing").await.unwrap();
    assert!(w.attempt(&w.at(t2), "chenjing", id::DEMO_PASSWORD).await.is_ok());
    let log = w.audit_actions().await;
    assert!(log.iter().any(|(a, _, d)| a == "staff.unlock" && d.contains("command line")));
    w.intact().await;
    w.finish().await;
}

async fn sessions_end_when_idle_when_signed_out_and_at_sign_in(b: Backend) {
    let Some(w) = World::new(b, "id_sess").await else { return };
    sessions_end(w).await;
}

/// The same session rules with sessions kept in Redis (several instances share them).
async fn sessions_in_redis_end_the_same_ways(b: Backend) {
    let Some(mut w) = World::new(b, "id_redis").await else { return };
    let Some((store, _, prefix)) = zhengwu_core::testing::test_redis("id_redis").await else {
        w.finish().await;
        return;
    };
    w.sessions = store;
    let (token, _) = w.sign_in("zhangwei").await;
    let in_db: i64 =
        with_db!(w.db(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(pool).await).unwrap();
    assert_eq!(in_db, 0, "nothing in the database");
    assert!(id::session_actor(&w.ctx(), &w.policy, &token).await.unwrap().is_some());
    assert!(prefix.starts_with("zw_test_"));
    // Disabling an account ends its sessions in Redis too.
    let (clerk_token, clerk) = w.sign_in("liuyang").await;
    let (_, sys) = w.sign_in("sysadmin").await;
    w.act(&w.ctx(), &sys, clerk.id, AccountAction::Disable).await.unwrap();
    assert!(id::session_actor(&w.ctx(), &w.policy, &clerk_token).await.unwrap().is_none());
    sessions_end(w).await;
}

async fn sessions_end(w: World) {
    let (token, actor) = w.sign_in("zhangwei").await;
    let t0 = Utc::now();
    // Used within 30 minutes, it lives on (and the idle clock restarts).
    assert!(id::session_actor(&w.at(t0 + Duration::minutes(20)), &w.policy, &token).await.unwrap().is_some());
    assert!(id::session_actor(&w.at(t0 + Duration::minutes(45)), &w.policy, &token).await.unwrap().is_some());
    // Idle for more than 30 minutes: gone, for good.
    assert!(id::session_actor(&w.at(t0 + Duration::minutes(80)), &w.policy, &token).await.unwrap().is_none());
    assert!(id::session_actor(&w.at(t0 + Duration::minutes(46)), &w.policy, &token).await.unwrap().is_none());

    // Signing in again with an old session ends the old one (a fresh id at sign-in).
    let first = w.attempt(&w.ctx(), "zhangwei", NEW_PASSWORD).await.unwrap();
    let again =
        Attempt { username: "zhangwei", password: NEW_PASSWORD, totp: "", previous: Some(&first.token), device: None };
    let second = id::sign_in(&w.ctx(), &w.policy, &w.keys, &again).await.unwrap();
    assert_ne!(first.token, second.token);
    assert!(id::session_actor(&w.ctx(), &w.policy, &first.token).await.unwrap().is_none());
    // Signing out ends it everywhere.
    id::sign_out(&w.ctx(), &actor, &second.token).await.unwrap();
    assert!(id::session_actor(&w.ctx(), &w.policy, &second.token).await.unwrap().is_none());
    // The absolute limit holds even for a session in constant use.
    let start = Utc::now();
    let s = w.attempt(&w.at(start), "zhangwei", NEW_PASSWORD).await.unwrap();
    let mut now = start;
    loop {
        now += Duration::minutes(25);
        let alive = id::session_actor(&w.at(now), &w.policy, &s.token).await.unwrap().is_some();
        if now - start < Duration::hours(12) {
            assert!(alive, "in use and within 12 hours: {}", now - start);
        } else {
            assert!(!alive, "past 12 hours: {}", now - start);
            break;
        }
    }
    w.intact().await;
    w.finish().await;
}

async fn nothing_is_allowed_before_the_initial_password_is_changed(b: Backend) {
    let Some(w) = World::new(b, "id_must").await else { return };
    let ctx = w.ctx();
    let s = w.attempt(&ctx, "sysadmin", id::DEMO_PASSWORD).await.unwrap();
    let actor = id::session_actor(&ctx, &w.policy, &s.token).await.unwrap().unwrap();
    assert!(actor.must_change_password && !actor.can(Permission::UserManage));
    assert!(matches!(id::list_staff(&ctx, &actor).await, Err(IdentityError::Forbidden)));
    // The policy applies to the new password, with messages for the form.
    for (new, confirm, field) in [
        ("short1A", "short1A", "new_password"),
        ("alllowercase1", "alllowercase1", "new_password"),
        ("Sysadmin-2026", "Sysadmin-2026", "new_password"),
        ("Qingshan-2026!", "Qingshan-2026?", "confirm_password"),
    ] {
        let e =
            id::change_password(&ctx, &w.policy, &actor, &s.token, id::DEMO_PASSWORD, new, confirm).await.unwrap_err();
        assert!(matches!(e, IdentityError::Invalid { field: f, .. } if f == field), "{new}: {e:?}");
    }
    let e =
        id::change_password(&ctx, &w.policy, &actor, &s.token, "wrong", NEW_PASSWORD, NEW_PASSWORD).await.unwrap_err();
    assert!(matches!(e, IdentityError::Invalid { field: "current_password", .. }));
    id::change_password(&ctx, &w.policy, &actor, &s.token, id::DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
        .await
        .unwrap();
    let actor = id::session_actor(&ctx, &w.policy, &s.token).await.unwrap().unwrap();
    assert!(actor.can(Permission::UserManage));
    assert!(w.attempt(&ctx, "sysadmin", id::DEMO_PASSWORD).await.is_err(), "old password gone");
    w.intact().await;
    w.finish().await;
}

async fn the_three_duties_cannot_do_each_others_jobs(b: Backend) {
    let Some(w) = World::new(b, "id_duties").await else { return };
    let (_, sys) = w.sign_in("sysadmin").await;
    let (_, sec) = w.sign_in("secadmin").await;
    let (_, aud) = w.sign_in("auditor").await;
    let ctx = w.ctx();
    let dept = sys.department_id;
    let new = NewStaff { username: "sunli".into(), display_name: "孙丽".into(), department_id: Some(dept) };
    // Only the system administrator creates accounts...
    assert!(matches!(id::create_staff(&ctx, &sec, &new).await, Err(IdentityError::Forbidden)));
    assert!(matches!(id::create_staff(&ctx, &aud, &new).await, Err(IdentityError::Forbidden)));
    let (sunli, initial) = id::create_staff(&ctx, &sys, &new).await.unwrap();
    assert!(initial.len() >= 8);
    // ...only the security administrator grants roles, and never two duties at once.
    let roles = id::list_roles(&ctx, &sec).await.unwrap();
    let role = |code: &str| roles.iter().find(|r| r.code == code).unwrap().id;
    assert!(matches!(
        id::assign_roles(&ctx, &sys, sunli, &[role("window_clerk")], "测试：按申请分配").await,
        Err(IdentityError::Forbidden)
    ));
    assert!(matches!(
        id::assign_roles(&ctx, &sec, sunli, &[role("auditor"), role("window_clerk")], "测试：按申请分配").await,
        Err(IdentityError::SeparationOfDuties(_))
    ));
    assert!(matches!(
        id::assign_roles(&ctx, &sec, sunli, &[role("sysadmin"), role("auditor")], "测试：按申请分配").await,
        Err(IdentityError::SeparationOfDuties(_))
    ));
    assert!(matches!(
        id::assign_roles(&ctx, &sec, sec.id, &[role("auditor")], "测试：按申请分配").await,
        Err(IdentityError::Invalid { .. })
    ));
    assert_eq!(
        id::assign_roles(&ctx, &sec, sunli, &[role("window_clerk")], "测试：按申请分配").await.unwrap(),
        AssignOutcome::Done,
        "business roles need no second administrator"
    );
    // The system administrator cannot take over the auditor's account; the security administrator
    // can only ask (a second administrator approves; see tests/two_person.rs).
    let auditor = w.staff_id("auditor").await;
    assert!(matches!(w.act(&ctx, &sys, auditor, AccountAction::ResetPassword).await, Err(IdentityError::Forbidden)));
    assert!(matches!(w.act(&ctx, &sec, auditor, AccountAction::ResetPassword).await, Ok(AccountOutcome::Requested(_))));
    // The auditor can do none of it, and nobody reads audit records but the auditor.
    assert!(matches!(id::list_staff(&ctx, &aud).await, Err(IdentityError::Forbidden)));
    assert!(aud.can(Permission::AuditRead) && !sys.can(Permission::AuditRead) && !sec.can(Permission::AuditRead));
    assert!(!sys.can(Permission::CaseRead) && !sec.can(Permission::CaseRead), "administrators see no business data");
    let log = w.audit_actions().await;
    assert!(log.iter().any(|(a, _, d)| a == "staff.assign_roles" && d.contains("window_clerk")));
    assert!(log.iter().all(|(_, _, d)| !d.contains(&initial)), "initial passwords are never recorded");
    w.intact().await;
    w.finish().await;
}

async fn staff_see_only_accounts_in_their_data_scope(b: Backend) {
    let Some(w) = World::new(b, "id_scope").await else { return };
    let (_, clerk) = w.sign_in("zhangwei").await; // 政务服务中心, department scope
    let (_, leader) = w.sign_in("wangfang").await; // all
    let (_, editor) = w.sign_in("zhaolei").await; // self only, no staff:read
    let ctx = w.ctx();
    let seen: Vec<String> = id::list_staff(&ctx, &clerk).await.unwrap().into_iter().map(|s| s.username).collect();
    assert_eq!(seen, ["liuyang", "zhangwei", "zhoumin"], "the service centre's staff");
    let lina = w.staff_id("lina").await;
    assert!(
        matches!(id::get_staff(&ctx, &clerk, lina).await, Err(IdentityError::NotFound)),
        "guessing ids shows nothing"
    );
    assert!(matches!(id::get_staff(&ctx, &clerk, 999_999).await, Err(IdentityError::NotFound)));
    assert_eq!(id::get_staff(&ctx, &leader, lina).await.unwrap().summary.username, "lina");
    assert!(id::list_staff(&ctx, &leader).await.unwrap().len() >= 9);
    assert!(matches!(id::list_staff(&ctx, &editor).await, Err(IdentityError::Forbidden)));
    assert_eq!(
        id::get_staff(&ctx, &editor, editor.id).await.unwrap().summary.username,
        "zhaolei",
        "everyone sees themselves"
    );
    w.finish().await;
}

async fn disabling_an_account_ends_its_sessions(b: Backend) {
    let Some(w) = World::new(b, "id_disable").await else { return };
    let (token, clerk) = w.sign_in("liuyang").await;
    let (_, sys) = w.sign_in("sysadmin").await;
    let ctx = w.ctx();
    w.act(&ctx, &sys, clerk.id, AccountAction::Disable).await.unwrap();
    assert!(id::session_actor(&ctx, &w.policy, &token).await.unwrap().is_none());
    assert!(w.attempt(&ctx, "liuyang", NEW_PASSWORD).await.is_err());
    assert!(matches!(w.act(&ctx, &sys, sys.id, AccountAction::Disable).await, Err(IdentityError::Invalid { .. })));
    w.act(&ctx, &sys, clerk.id, AccountAction::Enable).await.unwrap();
    assert!(w.attempt(&ctx, "liuyang", NEW_PASSWORD).await.is_ok());
    let log = w.audit_actions().await;
    assert!(log.iter().any(|(a, _, d)| a == "staff.disable" && d.contains("\"before\":{\"status\":\"active\"}")));
    w.intact().await;
    w.finish().await;
}

async fn roles_keep_to_their_duty_and_a_custom_scope_takes_effect(b: Backend) {
    let Some(w) = World::new(b, "id_roles").await else { return };
    let (_, sec) = w.sign_in("secadmin").await;
    let (_, sys) = w.sign_in("sysadmin").await;
    let ctx = w.ctx();
    let rsj: i64 = with_db!(w.db(), pool => sqlx::query_scalar("SELECT id FROM departments WHERE code = 'QS-RSJ'")
        .fetch_one(pool).await)
    .unwrap();
    let form = |perms: &[&str], scope: &str, depts: Vec<i64>| RoleForm {
        code: "social_security_viewer".into(),
        name: "社保查询".into(),
        duty: "business".into(),
        data_scope: scope.into(),
        permissions: perms.iter().map(|p| p.to_string()).collect(),
        departments: depts,
    };
    assert!(matches!(
        id::create_role(&ctx, &sys, &form(&["staff:read"], "custom", vec![rsj])).await,
        Err(IdentityError::Forbidden)
    ));
    assert!(matches!(
        id::create_role(&ctx, &sec, &form(&["staff:read", "audit:read"], "custom", vec![rsj])).await,
        Err(IdentityError::SeparationOfDuties(_))
    ));
    assert!(matches!(
        id::create_role(&ctx, &sec, &form(&["staff:read"], "custom", vec![])).await,
        Err(IdentityError::Invalid { field: "departments", .. })
    ));
    let role = id::create_role(&ctx, &sec, &form(&["staff:read"], "custom", vec![rsj])).await.unwrap();
    // zhaolei (self scope, no staff:read) gets the new role: now sees 人社局's staff, and only them.
    let zhaolei = w.staff_id("zhaolei").await;
    let editor = id::list_roles(&ctx, &sec).await.unwrap().into_iter().find(|r| r.code == "content_editor").unwrap().id;
    id::assign_roles(&ctx, &sec, zhaolei, &[editor, role], "测试：按申请分配").await.unwrap();
    let (_, z) = w.sign_in("zhaolei").await;
    let seen: Vec<String> = id::list_staff(&ctx, &z).await.unwrap().into_iter().map(|s| s.username).collect();
    assert_eq!(seen, ["chenjing", "hewei", "xuqing", "zhaolei"], "the custom department plus themselves");
    // Widen the role to all departments: effective at the next request.
    id::update_role(&ctx, &sec, role, &form(&["staff:read"], "all", vec![])).await.unwrap();
    let z = id::session_actor(&ctx, &w.policy, &w.sign_in("zhaolei").await.0).await.unwrap().unwrap();
    assert!(id::list_staff(&ctx, &z).await.unwrap().len() >= 9);
    // A role's duty never changes, whatever the form says.
    let mut sneaky = form(&["audit:read"], "all", vec![]);
    sneaky.duty = "audit".into();
    assert!(matches!(id::update_role(&ctx, &sec, role, &sneaky).await, Err(IdentityError::SeparationOfDuties(_))));
    let log = w.audit_actions().await;
    assert!(log.iter().any(|(a, _, d)| a == "role.update"
        && d.contains("\"before\"")
        && d.contains("custom")
        && d.contains("\"all\"")));
    w.intact().await;
    w.finish().await;
}

async fn only_the_system_administrator_adds_departments(b: Backend) {
    let Some(w) = World::new(b, "id_depts").await else { return };
    let (_, sys) = w.sign_in("sysadmin").await;
    let (_, sec) = w.sign_in("secadmin").await;
    let ctx = w.ctx();
    let county: i64 = with_db!(w.db(), pool => sqlx::query_scalar("SELECT id FROM departments WHERE code = 'JN-LC-QS'")
        .fetch_one(pool).await)
    .unwrap();
    let form = DepartmentForm {
        code: "qs-tjj".into(),
        name: "青山县统计局".into(),
        name_en: "Qingshan County Statistics Bureau".into(),
        parent_id: Some(county),
        level: "department".into(),
    };
    assert!(matches!(id::create_department(&ctx, &sec, &form).await, Err(IdentityError::Forbidden)));
    let bad = DepartmentForm { parent_id: Some(999_999), ..form.clone() };
    assert!(matches!(
        id::create_department(&ctx, &sys, &bad).await,
        Err(IdentityError::Invalid { field: "parent_id", .. })
    ));
    let new = id::create_department(&ctx, &sys, &form).await.unwrap();
    assert!(matches!(
        id::create_department(&ctx, &sys, &form).await,
        Err(IdentityError::Invalid { field: "code", .. })
    ));
    let listing = id::department_listing(w.db()).await.unwrap();
    let row = listing.iter().find(|d| d.0 == new).unwrap();
    assert_eq!((row.1.as_str(), row.3), ("QS-TJJ", 3), "upper-cased code, under the county");
    w.intact().await;
    w.finish().await;
}

async fn administrators_must_set_up_and_then_use_a_second_factor(b: Backend) {
    use zhengwu_crypto::totp;
    let Some(mut w) = World::new(b, "id_totp").await else { return };
    w.policy.require_totp_for_admins = true;
    let t0 = Utc::now();
    let ctx = w.at(t0);
    let s = w.attempt(&ctx, "auditor", id::DEMO_PASSWORD).await.unwrap();
    let a = id::session_actor(&ctx, &w.policy, &s.token).await.unwrap().unwrap();
    id::change_password(&ctx, &w.policy, &a, &s.token, id::DEMO_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await.unwrap();
    let a = id::session_actor(&ctx, &w.policy, &s.token).await.unwrap().unwrap();
    assert!(a.needs_totp && !a.can(Permission::AuditRead), "nothing before the second factor");
    let (_, clerk) = w.sign_in("zhangwei").await;
    assert!(!clerk.needs_totp && clerk.can(Permission::StaffRead), "business staff are not required to");

    // The server chooses the secret, and shows the same one however often the page is reloaded.
    let setup = id::pending_totp(&ctx, &a, &w.keys, "青山县人民政府").await.unwrap();
    assert_eq!(id::pending_totp(&ctx, &a, &w.keys, "青山县人民政府").await.unwrap(), setup, "stable until confirmed");
    assert!(setup.uri.contains(&format!("secret={}", setup.secret)));
    assert!(setup.qr_svg.starts_with("<svg"), "a QR code drawn on the server");
    let secret = data_encoding::BASE32_NOPAD.decode(setup.secret.as_bytes()).unwrap();
    let code = totp::code_at(&secret, t0.timestamp() as u64);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let enrol = |code: &'static str| id::Enrolment { code, current_password: "", current_code: "" };
    let e = id::enroll_totp(&ctx, &a, &w.keys, &enrol(wrong)).await;
    assert!(matches!(e, Err(IdentityError::Invalid { field: "code", .. })), "{e:?}");
    let code: &'static str = Box::leak(code.into_boxed_str());
    id::enroll_totp(&ctx, &a, &w.keys, &enrol(code)).await.unwrap();
    let a = id::session_actor(&ctx, &w.policy, &s.token).await.unwrap().unwrap();
    assert!(!a.needs_totp && a.can(Permission::AuditRead));

    // From now on the password alone is not enough, and a code works once.
    let t1 = t0 + Duration::seconds(90);
    let at = w.at(t1);
    let with = |totp: &'static str| Attempt {
        username: "auditor",
        password: NEW_PASSWORD,
        totp,
        previous: None,
        device: None,
    };
    assert!(matches!(w.attempt(&at, "auditor", NEW_PASSWORD).await, Err(IdentityError::InvalidCredentials)));
    let good: &'static str = Box::leak(totp::code_at(&secret, t1.timestamp() as u64).into_boxed_str());
    let bad: &'static str = if good == "123456" { "654321" } else { "123456" };
    assert!(id::sign_in(&at, &w.policy, &w.keys, &with(bad)).await.is_err());
    id::sign_in(&at, &w.policy, &w.keys, &with(good)).await.unwrap();
    assert!(id::sign_in(&at, &w.policy, &w.keys, &with(good)).await.is_err(), "used once");
    // Replacing the factor needs the password and a current code; a session alone cannot.
    let new = id::pending_totp(&at, &a, &w.keys, "青山县人民政府").await.unwrap();
    assert_ne!(new.secret, setup.secret);
    let new_secret = data_encoding::BASE32_NOPAD.decode(new.secret.as_bytes()).unwrap();
    let new_code: &'static str = Box::leak(totp::code_at(&new_secret, t1.timestamp() as u64).into_boxed_str());
    let e = id::enroll_totp(&at, &a, &w.keys, &enrol(new_code)).await;
    assert!(matches!(e, Err(IdentityError::Invalid { field: "current_password", .. })), "{e:?}");
    let e = id::enroll_totp(
        &at,
        &a,
        &w.keys,
        &id::Enrolment { code: new_code, current_password: NEW_PASSWORD, current_code: bad },
    )
    .await;
    assert!(matches!(e, Err(IdentityError::Invalid { field: "current_code", .. })), "{e:?}");
    let t2 = t1 + Duration::seconds(30);
    let now_code: &'static str = Box::leak(totp::code_at(&secret, t2.timestamp() as u64).into_boxed_str());
    let next_code: &'static str = Box::leak(totp::code_at(&new_secret, t2.timestamp() as u64).into_boxed_str());
    id::enroll_totp(
        &w.at(t2),
        &a,
        &w.keys,
        &id::Enrolment { code: next_code, current_password: NEW_PASSWORD, current_code: now_code },
    )
    .await
    .unwrap();
    let log = w.audit_actions().await;
    assert!(log.iter().any(|(a, _, d)| a == "staff.totp_enroll" && d.contains("\"replaced\":true")));
    assert!(log.iter().any(|(a, o, d)| a == "auth.sign_in" && o == "failure" && d.contains("bad_totp")));
    // The stored secret is bound to the account: copied to another account's row it opens nothing.
    let sealed: Vec<u8> = with_db!(w.db(), pool => sqlx::query_scalar("SELECT totp_sealed FROM staff WHERE id = $1")
        .bind(a.id).fetch_one(pool).await)
    .unwrap();
    let sec_id = w.staff_id("secadmin").await;
    with_db!(w.db(), pool => sqlx::query("UPDATE staff SET totp_sealed = $1 WHERE id = $2").bind(&sealed).bind(sec_id)
        .execute(pool).await.map(|_| ()))
    .unwrap();
    let t3 = t2 + Duration::seconds(60);
    let sec_code: &'static str = Box::leak(totp::code_at(&new_secret, t3.timestamp() as u64).into_boxed_str());
    let as_sec =
        Attempt { username: "secadmin", password: id::DEMO_PASSWORD, totp: sec_code, previous: None, device: None };
    assert!(id::sign_in(&w.at(t3), &w.policy, &w.keys, &as_sec).await.is_err(), "a swapped secret does not open");
    w.intact().await;
    w.finish().await;
}
