//! 三员分立 holds against one administrator acting alone, on SQLite and PostgreSQL: the built-in
//! duty roles are fixed, what could take over or blind another administrator waits for a second
//! one, a reset never gives the one who asked a usable secret (the code reaches the owner), and
//! the auditor sees every such event.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use zhengwu_core::{
    audit::{AuditKey, RequestMeta},
    demo,
    identity::{
        self as id, AccountAction, AccountOutcome, Approved, AssignOutcome, Attempt, AuthPolicy, Ctx, Delivery,
        IdentityError, RequestKind, ResetDelivered, ResetError, RoleForm, SessionStore, StaffActor, StaffKeys,
    },
    sms::SmsSender,
    testing::{Backend, TestDb},
    with_db,
};
use zhengwu_crypto::keys::MasterKey;

zhengwu_core::on_both!(
    the_built_in_duty_roles_cannot_be_changed,
    an_administrators_credentials_are_reset_only_with_a_second_administrator_and_reach_the_owner,
    disabling_or_stripping_an_administrator_needs_a_second_one_and_never_the_last,
    a_business_reset_goes_to_the_owners_phone_or_to_the_second_administrator,
    the_auditor_sees_every_administrator_event_at_the_next_sign_in,
    what_is_approved_is_what_was_asked,
);

const NEW_PASSWORD: &str = "Qingshan-2026!";

struct World {
    t: TestDb,
    key: AuditKey,
    staff_keys: StaffKeys,
    sessions: SessionStore,
    meta: RequestMeta,
    /// What the fake SMS gateway was asked to send: (phone, code, template).
    sent: Arc<Mutex<Vec<serde_json::Value>>>,
    sms: SmsSender,
}

impl World {
    async fn new(b: Backend, name: &str) -> Option<World> {
        let t = TestDb::new(b, name).await?;
        demo::seed(&t.db).await.unwrap();
        let master = MasterKey::from_bytes([4; 32]);
        let key = AuditKey::from_master(&master);
        id::bootstrap(&t.db, &key, true, "青山县人民政府", Utc::now()).await.unwrap();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let url = gateway(sent.clone()).await;
        Some(World {
            t,
            key,
            staff_keys: StaffKeys::from_master(&master),
            sessions: SessionStore::Database,
            meta: RequestMeta { ip: Some("192.0.2.10".into()), ..Default::default() },
            sent,
            sms: SmsSender::http(url, None),
        })
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx { db: &self.t.db, audit: &self.key, meta: &self.meta, now: Utc::now(), sessions: &self.sessions }
    }

    fn delivery(&self, sms: bool) -> Delivery<'_> {
        Delivery { sms: sms.then_some(&self.sms), keys: &self.staff_keys }
    }

    async fn staff(&self, username: &str) -> StaffActor {
        zhengwu_core::testing::signed_in_staff(&self.ctx(), &self.staff_keys, username, NEW_PASSWORD).await
    }

    async fn id_of(&self, username: &str) -> i64 {
        with_db!(&self.t.db, pool => sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
            .bind(username).fetch_one(pool).await)
        .unwrap()
    }

    fn last_code(&self) -> String {
        self.sent.lock().unwrap().last().expect("an SMS was sent")["code"].as_str().unwrap().to_string()
    }

    /// The owner registers a phone (password, then the code sent to it).
    async fn register_phone(&self, who: &StaffActor, phone: &str) {
        let masked = id::start_phone(&self.ctx(), who, &self.delivery(true), phone, NEW_PASSWORD).await.unwrap();
        assert!(masked.contains("****"));
        id::confirm_phone(&self.ctx(), who, &self.staff_keys, &self.last_code()).await.unwrap();
    }

    async fn password_works(&self, username: &str, password: &str) -> bool {
        let policy = AuthPolicy { require_totp_for_admins: false, ..AuthPolicy::default() };
        let a = Attempt { username, password, totp: "", previous: None, device: None };
        id::sign_in(&self.ctx(), &policy, &self.staff_keys, &a).await.is_ok()
    }

    async fn actions(&self) -> Vec<(String, String)> {
        with_db!(&self.t.db, pool => sqlx::query_as("SELECT action, detail FROM audit_log ORDER BY seq")
            .fetch_all(pool).await)
        .unwrap()
    }
}

/// A stand-in SMS gateway on 127.0.0.1 that records what it is asked to send.
async fn gateway(sent: Arc<Mutex<Vec<serde_json::Value>>>) -> String {
    let app = axum::Router::new().route(
        "/send",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let sent = sent.clone();
            async move {
                sent.lock().unwrap().push(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/send")
}

async fn the_built_in_duty_roles_cannot_be_changed(b: Backend) {
    let Some(w) = World::new(b, "tp_roles").await else { return };
    let sec = w.staff("secadmin").await;
    let ctx = w.ctx();
    let roles = id::list_roles(&ctx, &sec).await.unwrap();
    let auditor_role = roles.iter().find(|r| r.code == "auditor").unwrap();
    let stripped = RoleForm {
        name: "安全审计员".into(),
        data_scope: "all".into(),
        permissions: vec!["audit:verify".into()],
        ..RoleForm::default()
    };
    let e = id::update_role(&ctx, &sec, auditor_role.id, &stripped).await.unwrap_err();
    assert!(matches!(e, IdentityError::SeparationOfDuties(_)), "{e:?}");
    let after = id::list_roles(&ctx, &sec).await.unwrap();
    let auditor_role = after.iter().find(|r| r.code == "auditor").unwrap();
    assert!(auditor_role.permissions.contains(&id::Permission::AuditRead), "audit:read is still there");
    w.t.finish().await;
}

async fn an_administrators_credentials_are_reset_only_with_a_second_administrator_and_reach_the_owner(b: Backend) {
    let Some(w) = World::new(b, "tp_reset").await else { return };
    let sec = w.staff("secadmin").await;
    let sys = w.staff("sysadmin").await;
    let aud = w.staff("auditor").await;
    w.register_phone(&aud, "13811112222").await;
    let ctx = w.ctx();
    // The security administrator asks; nothing changes yet and no secret is shown.
    let AccountOutcome::Requested(req) =
        id::act_on_account(&ctx, &sec, aud.id, AccountAction::ResetPassword, "审计员忘记密码", &w.delivery(true))
            .await
            .unwrap()
    else {
        panic!("a request")
    };
    assert!(w.password_works("auditor", NEW_PASSWORD).await, "nothing changed before approval");
    let e = id::act_on_account(&ctx, &sec, aud.id, AccountAction::ResetPassword, "再来一次", &w.delivery(true)).await;
    assert!(matches!(e, Err(IdentityError::Invalid { .. })), "one pending request per account and kind");
    // Not by the one who asked, not by the account concerned.
    let e = id::approve(&ctx, &sec, req, &w.delivery(true)).await.unwrap_err();
    assert!(matches!(e, IdentityError::Invalid { .. }), "{e:?}");
    let e = id::approve(&ctx, &aud, req, &w.delivery(true)).await.unwrap_err();
    assert!(matches!(e, IdentityError::Invalid { .. }), "{e:?}");
    let clerk = w.staff("zhangwei").await;
    assert!(matches!(id::approve(&ctx, &clerk, req, &w.delivery(true)).await, Err(IdentityError::Forbidden)));
    // The system administrator approves: the old password is gone, the code goes to the owner's phone.
    let sms_before = w.sent.lock().unwrap().len();
    let done = id::approve(&ctx, &sys, req, &w.delivery(true)).await.unwrap();
    assert_eq!(done, Approved::Reset(ResetDelivered::Sms { phone: "138****2222".into() }));
    assert_eq!(w.sent.lock().unwrap().len(), sms_before + 1);
    let sms = w.sent.lock().unwrap().last().unwrap().clone();
    assert_eq!((sms["phone"].as_str(), sms["template"].as_str()), (Some("13811112222"), Some("staff_reset")));
    assert!(!w.password_works("auditor", NEW_PASSWORD).await, "the old password no longer works");
    assert!(
        matches!(id::approve(&ctx, &sys, req, &w.delivery(true)).await, Err(IdentityError::Invalid { .. })),
        "decided once"
    );
    // Only the owner, with the code, sets a new password.
    let policy = AuthPolicy::default();
    let e =
        id::complete_reset(&ctx, &policy, &w.staff_keys, "auditor", "00000000", "Audit-2027!x", "Audit-2027!x").await;
    assert!(matches!(e, Err(ResetError::BadCode)));
    id::complete_reset(&ctx, &policy, &w.staff_keys, "auditor", &w.last_code(), "Audit-2027!x", "Audit-2027!x")
        .await
        .unwrap();
    assert!(w.password_works("auditor", "Audit-2027!x").await);
    assert!(
        id::complete_reset(&ctx, &policy, &w.staff_keys, "auditor", &w.last_code(), "Audit-2028!x", "Audit-2028!x")
            .await
            .is_err(),
        "the code works once"
    );
    // The second factor was removed with the password: it must be set up again.
    let has_totp: bool =
        with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT totp_sealed IS NOT NULL FROM staff WHERE id = $1")
        .bind(aud.id).fetch_one(pool).await)
        .unwrap();
    assert!(!has_totp);
    // Without a phone the code comes from the operator on the server, never from the console.
    let req = match id::act_on_account(
        &ctx,
        &sec,
        sys.id,
        AccountAction::ResetPassword,
        "系统管理员手机丢失",
        &w.delivery(true),
    )
    .await
    .unwrap()
    {
        AccountOutcome::Requested(r) => r,
        o => panic!("{o:?}"),
    };
    let aud2 = zhengwu_core::testing::signed_in_staff(&w.ctx(), &w.staff_keys, "auditor", "Audit-2027!x").await;
    assert_eq!(
        id::approve(&ctx, &aud2, req, &w.delivery(true)).await.unwrap(),
        Approved::Reset(ResetDelivered::Operator)
    );
    let code = id::operator_reset(&w.t.db, &w.key, &w.staff_keys, "sysadmin").await.unwrap();
    assert_eq!(code.len(), 14, "a code to read out: {code}");
    id::complete_reset(
        &ctx,
        &policy,
        &w.staff_keys,
        "sysadmin",
        &code.to_lowercase(),
        "System-2027!x",
        "System-2027!x",
    )
    .await
    .unwrap();
    assert!(w.password_works("sysadmin", "System-2027!x").await);
    // No code or password ever went into the audit trail.
    let log = w.actions().await;
    assert!(log.iter().all(|(_, d)| !d.contains(&code) && !d.contains("Audit-2027")));
    assert!(log.iter().any(|(a, d)| a == "staff.reset_credentials" && d.contains("\"delivered\":\"sms\"")));
    assert!(log.iter().any(|(a, d)| a == "staff.reset_credentials" && d.contains("\"delivered\":\"approver\"")));
    w.t.finish().await;
}

async fn disabling_or_stripping_an_administrator_needs_a_second_one_and_never_the_last(b: Backend) {
    let Some(w) = World::new(b, "tp_strip").await else { return };
    let sec = w.staff("secadmin").await;
    let sys = w.staff("sysadmin").await;
    let auditor = w.id_of("auditor").await;
    let ctx = w.ctx();
    // The only auditor: cannot be disabled or stripped of the duty, not even with approval.
    let e = id::act_on_account(&ctx, &sec, auditor, AccountAction::Disable, "停用审计员账号", &w.delivery(false)).await;
    assert!(matches!(e, Err(IdentityError::SeparationOfDuties(_))), "{e:?}");
    let e = id::assign_roles(&ctx, &sec, auditor, &[], "移除审计员的全部角色").await;
    assert!(matches!(e, Err(IdentityError::SeparationOfDuties(_))), "{e:?}");
    // A second auditor is appointed — itself a two-person matter.
    let (new_id, _) = id::create_staff(
        &ctx,
        &sys,
        &id::NewStaff {
            username: "auditor2".into(),
            display_name: "第二审计员".into(),
            department_id: Some(sys.department_id),
        },
    )
    .await
    .unwrap();
    let roles = id::list_roles(&ctx, &sec).await.unwrap();
    let auditor_role = roles.iter().find(|r| r.code == "auditor").unwrap().id;
    let AssignOutcome::Requested(req) =
        id::assign_roles(&ctx, &sec, new_id, &[auditor_role], "增设一名安全审计员").await.unwrap()
    else {
        panic!("a request")
    };
    let pending: Vec<_> = id::list_requests(&ctx, &sys).await.unwrap();
    assert!(pending.iter().any(|r| r.id == req && r.kind == RequestKind::AssignRoles && r.roles == ["auditor"]));
    assert_eq!(
        id::approve(&ctx, &sys, req, &w.delivery(false)).await.unwrap(),
        Approved::Done(RequestKind::AssignRoles)
    );
    // Now the first auditor can be disabled — still only with a second administrator.
    let AccountOutcome::Requested(req) =
        id::act_on_account(&ctx, &sec, auditor, AccountAction::Disable, "人员调离", &w.delivery(false)).await.unwrap()
    else {
        panic!("a request")
    };
    let status: String = with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT status FROM staff WHERE id = $1")
        .bind(auditor).fetch_one(pool).await)
    .unwrap();
    assert_eq!(status, "active", "not before approval");
    id::close_request(&ctx, &sys, req, false).await.unwrap();
    assert!(id::approve(&ctx, &sys, req, &w.delivery(false)).await.is_err(), "refused stays refused");
    // The one who asked may cancel; others may not.
    let AccountOutcome::Requested(req) =
        id::act_on_account(&ctx, &sec, auditor, AccountAction::ResetTotp, "手机丢失", &w.delivery(false))
            .await
            .unwrap()
    else {
        panic!("a request")
    };
    assert!(matches!(id::close_request(&ctx, &sys, req, true).await, Err(IdentityError::Forbidden)));
    id::close_request(&ctx, &sec, req, true).await.unwrap();
    // An expired request cannot be approved.
    let AccountOutcome::Requested(req) =
        id::act_on_account(&ctx, &sec, auditor, AccountAction::ResetTotp, "手机丢失", &w.delivery(false))
            .await
            .unwrap()
    else {
        panic!("a request")
    };
    let later = Ctx { now: Utc::now() + Duration::hours(73), ..w.ctx() };
    assert!(matches!(id::approve(&later, &sys, req, &w.delivery(false)).await, Err(IdentityError::Invalid { .. })));
    w.t.finish().await;
}

async fn a_business_reset_goes_to_the_owners_phone_or_to_the_second_administrator(b: Backend) {
    let Some(w) = World::new(b, "tp_business").await else { return };
    let sys = w.staff("sysadmin").await;
    let sec = w.staff("secadmin").await;
    let lina = w.staff("lina").await;
    w.register_phone(&lina, "13922223333").await;
    let ctx = w.ctx();
    // With a registered phone: at once, and the code goes to the phone; the administrator sees none.
    let out = id::act_on_account(&ctx, &sys, lina.id, AccountAction::ResetPassword, "本人来电申请", &w.delivery(true))
        .await
        .unwrap();
    assert_eq!(out, AccountOutcome::ResetSent("139****3333".into()));
    assert_eq!(w.sent.lock().unwrap().last().unwrap()["phone"], "13922223333");
    assert!(!w.password_works("lina", NEW_PASSWORD).await);
    // Without one: a second administrator approves, and the code is shown to *them* only.
    let chenjing = w.staff("chenjing").await;
    let out =
        id::act_on_account(&ctx, &sys, chenjing.id, AccountAction::ResetPassword, "本人到场申请", &w.delivery(true))
            .await
            .unwrap();
    let AccountOutcome::Requested(req) = out else { panic!("{out:?}") };
    let Approved::Reset(ResetDelivered::Shown(code)) = id::approve(&ctx, &sec, req, &w.delivery(true)).await.unwrap()
    else {
        panic!("shown to the approver")
    };
    let policy = AuthPolicy::default();
    id::complete_reset(&ctx, &policy, &w.staff_keys, "chenjing", &code, "Qingshan-2027!x", "Qingshan-2027!x")
        .await
        .unwrap();
    assert!(w.password_works("chenjing", "Qingshan-2027!x").await);
    // Unknown users and accounts not being reset get the same answer as a wrong code.
    for user in ["nobody", "zhangwei"] {
        let e = id::complete_reset(&ctx, &policy, &w.staff_keys, user, &code, "Zhang-2027!x", "Zhang-2027!x").await;
        assert!(matches!(e, Err(ResetError::BadCode)), "{user}: {e:?}");
    }
    w.t.finish().await;
}

async fn the_auditor_sees_every_administrator_event_at_the_next_sign_in(b: Backend) {
    let Some(w) = World::new(b, "tp_events").await else { return };
    let sec = w.staff("secadmin").await;
    let sys = w.staff("sysadmin").await;
    let aud = w.staff("auditor").await;
    let ctx = w.ctx();
    let (seen_before, _) = id::security_events(&ctx, &aud).await.unwrap();
    let last = seen_before.last().map(|r| r.seq).unwrap_or(0);
    id::mark_security_events_seen(&ctx, &aud, last).await.unwrap();
    assert_eq!(id::security_events(&ctx, &aud).await.unwrap().1, 0, "all read");
    let AccountOutcome::Requested(req) =
        id::act_on_account(&ctx, &sec, sys.id, AccountAction::ResetTotp, "系统管理员手机丢失", &w.delivery(false))
            .await
            .unwrap()
    else {
        panic!("a request")
    };
    id::approve(&ctx, &aud, req, &w.delivery(false)).await.unwrap();
    let (events, total) = id::security_events(&ctx, &aud).await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(total, 3, "{actions:?}");
    assert_eq!(actions, ["admin_request.create", "admin_request.approve", "staff.reset_totp"]);
    assert!(matches!(id::security_events(&ctx, &sec).await, Err(IdentityError::Forbidden)), "the auditor's alone");
    w.t.finish().await;
}

/// A role named in a pending request cannot change until the request is decided, and the
/// approver sees what each role grants (the outside tester's second round: a pending request
/// for a harmless custom role, the role then widened to `role:assign`, and approved unseen).
async fn what_is_approved_is_what_was_asked(b: Backend) {
    let Some(w) = World::new(b, "tp_grants").await else { return };
    let sec = w.staff("secadmin").await;
    let sys = w.staff("sysadmin").await;
    let ctx = w.ctx();
    let narrow = RoleForm {
        code: "policy_reader".into(),
        name: "安全策略员".into(),
        duty: "security".into(),
        data_scope: "self".into(),
        permissions: vec!["policy:manage".into()],
        ..RoleForm::default()
    };
    let role = id::create_role(&ctx, &sec, &narrow).await.unwrap();
    let clerk = w.id_of("liuyang").await;
    // liuyang holds business roles; take them away first (business roles: no approval needed).
    assert!(matches!(id::assign_roles(&ctx, &sec, clerk, &[], "调整岗位").await, Ok(AssignOutcome::Done)));
    let AssignOutcome::Requested(req) = id::assign_roles(&ctx, &sec, clerk, &[role], "担任安全策略员").await.unwrap()
    else {
        panic!("an administrator duty waits for approval")
    };
    // The approver reads what the role grants, not just its code.
    let listed = id::list_requests(&ctx, &sys).await.unwrap().into_iter().find(|r| r.id == req).unwrap();
    assert_eq!(listed.grants, ["安全策略员［policy_reader］（安全管理员；数据范围：仅本人；权限：管理安全策略）"]);
    // While it is pending, the role cannot be widened …
    let wide = RoleForm {
        data_scope: "all".into(),
        permissions: vec!["policy:manage".into(), "role:assign".into(), "role:manage".into()],
        ..narrow.clone()
    };
    let e = id::update_role(&ctx, &sec, role, &wide).await.unwrap_err();
    assert!(matches!(e, IdentityError::SeparationOfDuties(_)), "{e:?}");
    // … and if it changed anyway (here behind the service's back), the approval is refused.
    with_db!(&w.t.db, pool => sqlx::query("INSERT INTO role_permissions (role_id, permission) VALUES ($1, 'role:assign')")
        .bind(role).execute(pool).await.map(|_| ()))
    .unwrap();
    let e = id::approve(&ctx, &sys, req, &w.delivery(false)).await.unwrap_err();
    assert!(matches!(&e, IdentityError::Invalid { message, .. } if message.contains("已被修改")), "{e:?}");
    let holds: i64 =
        with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM staff_roles WHERE staff_id = $1")
        .bind(clerk).fetch_one(pool).await)
        .unwrap();
    assert_eq!(holds, 0, "nothing granted");
    // Once decided, the role may be edited again.
    id::close_request(&ctx, &sys, req, false).await.unwrap();
    id::update_role(&ctx, &sec, role, &narrow).await.unwrap();
    // No custom role passes for a built-in one.
    let fake = RoleForm { code: "fake_auditor".into(), name: "安全审计员".into(), ..narrow.clone() };
    let e = id::create_role(&ctx, &sec, &fake).await.unwrap_err();
    assert!(matches!(e, IdentityError::Invalid { field: "name", .. }), "{e:?}");
    w.t.finish().await;
}
