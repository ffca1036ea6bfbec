//! What a stranger can do with a stolen session, a copied device cookie or a user name, on
//! SQLite and PostgreSQL: guessing the password inside a session ends it, device cookies stop
//! vouching after a reset, and wrong reset codes from strangers do not void the owner's.

use chrono::Utc;
use zhengwu_core::{
    audit::{AuditKey, RequestMeta},
    demo,
    identity::{
        self as id, AccountAction, AccountOutcome, Approved, Attempt, AuthPolicy, Ctx, Delivery, IdentityError,
        ResetDelivered, ResetError, SessionStore, StaffActor, StaffKeys, REAUTH_FAILURES,
    },
    testing::{Backend, TestDb},
    with_db,
};
use zhengwu_crypto::keys::MasterKey;

zhengwu_core::on_both!(
    guessing_the_password_inside_a_session_ends_it,
    a_reset_ends_the_trust_in_old_device_cookies,
    strangers_cannot_void_a_reset_code_by_guessing,
);

const NEW_PASSWORD: &str = "Qingshan-2026!";

struct World {
    t: TestDb,
    key: AuditKey,
    staff_keys: StaffKeys,
    sessions: SessionStore,
    meta: RequestMeta,
}

impl World {
    async fn new(b: Backend, name: &str) -> Option<World> {
        let t = TestDb::new(b, name).await?;
        demo::seed(&t.db).await.unwrap();
        let master = MasterKey::from_bytes([6; 32]);
        let key = AuditKey::from_master(&master);
        id::bootstrap(&t.db, &key, true, "青山县人民政府", Utc::now()).await.unwrap();
        let meta = RequestMeta { ip: Some("192.0.2.20".into()), ..Default::default() };
        Some(World { t, key, staff_keys: StaffKeys::from_master(&master), sessions: SessionStore::Database, meta })
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx { db: &self.t.db, audit: &self.key, meta: &self.meta, now: Utc::now(), sessions: &self.sessions }
    }

    fn delivery(&self) -> Delivery<'_> {
        Delivery { sms: None, keys: &self.staff_keys }
    }

    async fn staff(&self, username: &str) -> StaffActor {
        zhengwu_core::testing::signed_in_staff(&self.ctx(), &self.staff_keys, username, NEW_PASSWORD).await
    }

    async fn sessions_of(&self, staff_id: i64) -> i64 {
        with_db!(&self.t.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE staff_id = $1")
            .bind(staff_id).fetch_one(pool).await)
        .unwrap()
    }
}

async fn guessing_the_password_inside_a_session_ends_it(b: Backend) {
    let Some(w) = World::new(b, "ra_guess").await else { return };
    let lina = w.staff("lina").await;
    let ctx = w.ctx();
    let policy = AuthPolicy::default();
    assert!(w.sessions_of(lina.id).await >= 1);
    // A right answer in between clears the count …
    for _ in 0..REAUTH_FAILURES - 1 {
        let e = id::change_password(&ctx, &policy, &lina, "t", "guess-1", "Qing-2027!xy", "Qing-2027!xy").await;
        assert!(matches!(&e, Err(IdentityError::Invalid { message, .. }) if message == "当前密码不正确"), "{e:?}");
    }
    id::change_password(&ctx, &policy, &lina, "t", NEW_PASSWORD, "Qing-2027!xy", "Qing-2027!xy").await.unwrap();
    // … five wrong ones in a row end every session of the account, and the auditor is told.
    let lina = zhengwu_core::testing::signed_in_staff(&w.ctx(), &w.staff_keys, "lina", "Qing-2027!xy").await;
    for i in 1..=REAUTH_FAILURES {
        let e = id::change_password(&ctx, &policy, &lina, "t", "guess-2", "Qing-2028!xy", "Qing-2028!xy").await;
        let Err(IdentityError::Invalid { message, .. }) = e else { panic!("{e:?}") };
        assert_eq!(message.contains("已退出全部登录"), i == REAUTH_FAILURES, "{i}: {message}");
    }
    assert_eq!(w.sessions_of(lina.id).await, 0, "signed out everywhere");
    let actions: Vec<String> =
        with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
        .fetch_all(pool).await)
        .unwrap();
    assert_eq!(actions.iter().filter(|a| *a == "staff.reauth_failed").count() as i32, 2 * REAUTH_FAILURES - 1);
    assert!(actions.iter().any(|a| a == "staff.reauth_lockout"));
    assert!(id::SECURITY_ACTIONS.contains(&"staff.reauth_lockout"));
    // The password itself is unchanged: the owner signs in again with it.
    let a = Attempt { username: "lina", password: "Qing-2027!xy", totp: "", previous: None, device: None };
    assert!(id::sign_in(&ctx, &policy, &w.staff_keys, &a).await.is_ok());
    w.t.finish().await;
}

async fn a_reset_ends_the_trust_in_old_device_cookies(b: Backend) {
    let Some(w) = World::new(b, "ra_device").await else { return };
    let sys = w.staff("sysadmin").await;
    let sec = w.staff("secadmin").await;
    w.staff("chenjing").await;
    let ctx = w.ctx();
    let policy = AuthPolicy { require_totp_for_admins: false, ..AuthPolicy::default() };
    let ok = Attempt { username: "chenjing", password: NEW_PASSWORD, totp: "", previous: None, device: None };
    let device = id::sign_in(&ctx, &policy, &w.staff_keys, &ok).await.unwrap().device_cookie;
    let before = generation(&w, "chenjing").await;
    let d = id::device_owner(&w.staff_keys, &device).unwrap();
    assert!(d.vouches_for(d.staff_id, before, Utc::now()), "the owner's browser, now");
    // The account is reset (two administrators): the copied cookie no longer vouches.
    let chenjing = d.staff_id;
    let AccountOutcome::Requested(req) =
        id::act_on_account(&ctx, &sys, chenjing, AccountAction::ResetPassword, "本人到场申请", &w.delivery())
            .await
            .unwrap()
    else {
        panic!("no phone: a second administrator")
    };
    let Approved::Reset(ResetDelivered::Shown(_)) = id::approve(&ctx, &sec, req, &w.delivery()).await.unwrap() else {
        panic!("shown to the approver")
    };
    let after = generation(&w, "chenjing").await;
    assert_eq!(after, before + 1);
    assert!(!d.vouches_for(chenjing, after, Utc::now()));
    w.t.finish().await;
}

async fn generation(w: &World, username: &str) -> i32 {
    with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT device_generation FROM staff WHERE username = $1")
        .bind(username).fetch_one(pool).await)
    .unwrap()
}

async fn strangers_cannot_void_a_reset_code_by_guessing(b: Backend) {
    let Some(w) = World::new(b, "ra_voidcode").await else { return };
    let sys = w.staff("sysadmin").await;
    let sec = w.staff("secadmin").await;
    let xuqing = w.staff("xuqing").await;
    let ctx = w.ctx();
    let AccountOutcome::Requested(req) =
        id::act_on_account(&ctx, &sys, xuqing.id, AccountAction::ResetPassword, "本人到场申请", &w.delivery())
            .await
            .unwrap()
    else {
        panic!("a request")
    };
    let Approved::Reset(ResetDelivered::Shown(code)) = id::approve(&ctx, &sec, req, &w.delivery()).await.unwrap()
    else {
        panic!("shown to the approver")
    };
    // Twenty wrong codes (more than the five that used to void it) …
    let policy = AuthPolicy::default();
    for i in 0..20 {
        let wrong = format!("AAAA-BBBB-C{i:03}");
        let e = id::complete_reset(&ctx, &policy, &w.staff_keys, "xuqing", &wrong, "Xu-2027!xx", "Xu-2027!xx").await;
        assert!(matches!(e, Err(ResetError::BadCode)));
    }
    // … and the owner's code still works.
    id::complete_reset(&ctx, &policy, &w.staff_keys, "xuqing", &code, "Xu-2027!xx", "Xu-2027!xx").await.unwrap();
    w.t.finish().await;
}
