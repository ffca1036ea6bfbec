//! Citizens on SQLite and PostgreSQL: SMS sign-in with its limits, real-name data sealed so
//! that no known number is found in the database, and audited unmasking by staff.

use chrono::{Duration, Utc};
use zhengwu_core::{
    audit::{AuditKey, RequestMeta},
    citizen::{self, CitizenError, Field, PersonalKeys, SmsSender},
    demo,
    identity::{self, AuthPolicy, Ctx, SessionStore},
    testing::{Backend, TestDb},
    with_db,
};
use zhengwu_crypto::keys::MasterKey;

zhengwu_core::on_both!(
    a_code_signs_in_once_and_creates_the_account,
    codes_are_limited_in_time_rate_and_attempts,
    real_name_data_is_validated_sealed_and_unique,
    unmasking_needs_the_permission_and_is_audited,
);

const PHONE: &str = "13800138000";
const ID: &str = "11010519491231002X";

struct World {
    sessions: SessionStore,
    t: TestDb,
    audit: AuditKey,
    keys: PersonalKeys,
    meta: RequestMeta,
}

impl World {
    async fn new(b: Backend, name: &str) -> Option<World> {
        let t = TestDb::new(b, name).await?;
        let master = MasterKey::from_bytes([5; 32]);
        Some(World {
            sessions: SessionStore::Database,
            t,
            audit: AuditKey::from_master(&master),
            keys: PersonalKeys::from_master(&master),
            meta: RequestMeta::default(),
        })
    }

    fn at(&self, now: chrono::DateTime<Utc>) -> Ctx<'_> {
        Ctx { db: &self.t.db, audit: &self.audit, meta: &self.meta, now, sessions: &self.sessions }
    }

    /// The code the SMS would carry: read back by brute force over the MAC (tests only —
    /// a real attacker gets five tries, not a million).
    async fn code_for(&self, phone: &str) -> String {
        let index = self.keys.index(Field::Phone, phone);
        let mac: String =
            with_db!(&self.t.db, pool => sqlx::query_scalar("SELECT code_mac FROM sms_codes WHERE phone_index = $1")
            .bind(&index).fetch_one(pool).await)
            .unwrap();
        (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|c| self.keys.code_mac(&index, c) == mac)
            .expect("a code was stored")
    }

    async fn signed_in(&self, phone: &str) -> (String, citizen::CitizenActor) {
        let now = Utc::now();
        citizen::request_code(&self.at(now), &self.keys, &SmsSender::Log, phone).await.unwrap();
        let code = self.code_for(phone).await;
        let s = citizen::sign_in(&self.at(now), &self.keys, phone, &code, None).await.unwrap();
        let a = citizen::session_actor(&self.at(now), Duration::minutes(30), &s.token).await.unwrap().unwrap();
        (s.token, a)
    }
}

async fn a_code_signs_in_once_and_creates_the_account(b: Backend) {
    let Some(w) = World::new(b, "cz_signin").await else { return };
    let now = Utc::now();
    citizen::request_code(&w.at(now), &w.keys, &SmsSender::Log, "+86 138-0013-8000").await.unwrap();
    let code = w.code_for(PHONE).await;
    let first = citizen::sign_in(&w.at(now), &w.keys, PHONE, &code, None).await.unwrap();
    assert!(first.created_account);
    assert!(
        matches!(citizen::sign_in(&w.at(now), &w.keys, PHONE, &code, None).await, Err(CitizenError::BadCode)),
        "used once"
    );
    // The same number later: the same account.
    let later = now + Duration::minutes(2);
    citizen::request_code(&w.at(later), &w.keys, &SmsSender::Log, PHONE).await.unwrap();
    let code = w.code_for(PHONE).await;
    let second = citizen::sign_in(&w.at(later), &w.keys, PHONE, &code, Some(&first.token)).await.unwrap();
    assert_eq!((second.citizen_id, second.created_account), (first.citizen_id, false));
    assert!(
        citizen::session_actor(&w.at(later), Duration::minutes(30), &first.token).await.unwrap().is_none(),
        "rotated"
    );
    let me = citizen::session_actor(&w.at(later), Duration::minutes(30), &second.token).await.unwrap().unwrap();
    assert_eq!(citizen::own_profile(&w.at(later), &w.keys, &me).await.unwrap().phone, "138****8000");
    citizen::sign_out(&w.at(later), &me, &second.token).await.unwrap();
    assert!(citizen::session_actor(&w.at(later), Duration::minutes(30), &second.token).await.unwrap().is_none());
    zhengwu_core::audit::verify(&w.t.db, &w.audit).await.unwrap().unwrap();
    w.t.finish().await;
}

async fn codes_are_limited_in_time_rate_and_attempts(b: Backend) {
    let Some(w) = World::new(b, "cz_limits").await else { return };
    let t0 = Utc::now();
    assert!(matches!(
        citizen::request_code(&w.at(t0), &w.keys, &SmsSender::Log, "12345").await,
        Err(CitizenError::Invalid { field: "phone", .. })
    ));
    citizen::request_code(&w.at(t0), &w.keys, &SmsSender::Log, PHONE).await.unwrap();
    assert!(matches!(
        citizen::request_code(&w.at(t0 + Duration::seconds(30)), &w.keys, &SmsSender::Log, PHONE).await,
        Err(CitizenError::TooSoon(_))
    ));
    // Expired after five minutes.
    let code = w.code_for(PHONE).await;
    assert!(matches!(
        citizen::sign_in(&w.at(t0 + Duration::minutes(6)), &w.keys, PHONE, &code, None).await,
        Err(CitizenError::BadCode)
    ));
    // Five wrong tries use the code up, even the right one fails after.
    let t1 = t0 + Duration::minutes(7);
    citizen::request_code(&w.at(t1), &w.keys, &SmsSender::Log, PHONE).await.unwrap();
    let code = w.code_for(PHONE).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        assert!(citizen::sign_in(&w.at(t1), &w.keys, PHONE, wrong, None).await.is_err());
    }
    assert!(matches!(citizen::sign_in(&w.at(t1), &w.keys, PHONE, &code, None).await, Err(CitizenError::BadCode)));
    // Ten codes a day per number.
    let mut t = t1;
    let mut refused = None;
    for i in 0..12 {
        t += Duration::minutes(2);
        if let Err(e) = citizen::request_code(&w.at(t), &w.keys, &SmsSender::Log, PHONE).await {
            refused = Some((i, e));
            break;
        }
    }
    let (i, e) = refused.expect("the daily limit applies");
    assert!(matches!(e, CitizenError::DailyLimit), "{e:?}");
    assert_eq!(i + 2, 10, "ten sent that day before the refusal");
    w.t.finish().await;
}

async fn real_name_data_is_validated_sealed_and_unique(b: Backend) {
    let Some(w) = World::new(b, "cz_realname").await else { return };
    let (_, me) = w.signed_in(PHONE).await;
    let ctx = w.at(Utc::now());
    for (name, id, field) in [
        ("张", ID, "real_name"),
        ("张三", "110105194912310028", "id_number"),
        ("张三", "11010519490230002X", "id_number"),
        ("张三", "11010519491231002", "id_number"),
    ] {
        let e = citizen::set_real_name(&ctx, &w.keys, &me, name, id).await.unwrap_err();
        assert!(matches!(e, CitizenError::Invalid { field: f, .. } if f == field), "{name} {id}: {e:?}");
    }
    citizen::set_real_name(&ctx, &w.keys, &me, "张三", ID).await.unwrap();
    let p = citizen::own_profile(&ctx, &w.keys, &me).await.unwrap();
    assert_eq!(p.id_number.as_deref(), Some("110105********002X"));
    assert_eq!(p.real_name.as_deref(), Some("张*"));
    assert!(p.verified);
    // Another account cannot register the same person.
    let (_, other) = w.signed_in("13900139000").await;
    let e = citizen::set_real_name(&ctx, &w.keys, &other, "张三", ID).await.unwrap_err();
    assert!(matches!(e, CitizenError::Invalid { field: "id_number", .. }));
    // Nowhere in the database, in clear: not the ID number, not the phone, not the name.
    let dump = w.t.dump_all_text().await;
    for secret in [ID, PHONE, "13900139000", "张三", "19491231002X"] {
        assert!(!dump.contains(secret), "{secret} found in the database");
    }
    w.t.finish().await;
}

async fn unmasking_needs_the_permission_and_is_audited(b: Backend) {
    let Some(w) = World::new(b, "cz_unmask").await else { return };
    demo::seed(&w.t.db).await.unwrap();
    identity::bootstrap(&w.t.db, &w.audit, true, "青山县人民政府", Utc::now()).await.unwrap();
    let (_, me) = w.signed_in(PHONE).await;
    let ctx = w.at(Utc::now());
    citizen::set_real_name(&ctx, &w.keys, &me, "张三", ID).await.unwrap();
    let policy = AuthPolicy::default();
    let staff = |username: &'static str| {
        let ctx = w.at(Utc::now());
        async move {
            let s = identity::sign_in(&ctx, &policy, username, identity::DEMO_PASSWORD, None, None).await.unwrap();
            let a = identity::session_actor(&ctx, &policy, &s.token).await.unwrap().unwrap();
            identity::change_password(
                &ctx,
                &policy,
                &a,
                &s.token,
                identity::DEMO_PASSWORD,
                "Qingshan-2026!",
                "Qingshan-2026!",
            )
            .await
            .unwrap();
            identity::session_actor(&ctx, &policy, &s.token).await.unwrap().unwrap()
        }
    };
    let clerk = staff("zhangwei").await; // 窗口受理人员: personal:unmask
    let sysadmin = staff("sysadmin").await;
    assert!(matches!(citizen::citizen_for_staff(&ctx, &w.keys, &sysadmin, me.id).await, Err(CitizenError::Forbidden)));
    assert!(matches!(
        citizen::unmask(&ctx, &w.keys, &sysadmin, me.id, Field::IdNumber, "核验身份").await,
        Err(CitizenError::Forbidden)
    ));
    assert_eq!(
        citizen::citizen_for_staff(&ctx, &w.keys, &clerk, me.id).await.unwrap().id_number.as_deref(),
        Some("110105********002X")
    );
    assert!(matches!(
        citizen::unmask(&ctx, &w.keys, &clerk, me.id, Field::IdNumber, "").await,
        Err(CitizenError::Invalid { field: "reason", .. })
    ));
    assert_eq!(citizen::unmask(&ctx, &w.keys, &clerk, me.id, Field::IdNumber, "窗口核验申请人身份").await.unwrap(), ID);
    let records: Vec<(String, Option<i64>, String)> = with_db!(&w.t.db, pool => sqlx::query_as(
        "SELECT action, actor_id, detail FROM audit_log WHERE action = 'personal.unmask'").fetch_all(pool).await)
    .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].1, Some(clerk.id));
    assert!(records[0].2.contains("id_number") && records[0].2.contains("窗口核验申请人身份"));
    assert!(!records[0].2.contains(ID));
    zhengwu_core::audit::verify(&w.t.db, &w.audit).await.unwrap().unwrap();
    w.t.finish().await;
}
