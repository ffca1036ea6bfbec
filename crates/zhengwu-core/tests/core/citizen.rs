//! Citizens on SQLite and PostgreSQL: SMS sign-in with its limits, real-name data sealed so
//! that no known number is found in the database, and audited unmasking by staff.

use chrono::{Duration, Utc};
use zhengwu_core::{
    audit::{AuditKey, RequestMeta},
    citizen::{self, CitizenError, Field, PersonalKeys, SmsSender},
    demo,
    identity::{self, Ctx, SessionStore},
    testing::{Backend, TestDb},
    with_db,
};
use zhengwu_crypto::keys::MasterKey;

zhengwu_core::on_both!(
    a_code_signs_in_once_and_creates_the_account,
    codes_are_limited_in_time_rate_and_attempts,
    strangers_cannot_use_up_the_owners_codes_and_frequent_askers_meet_the_challenge,
    real_name_data_is_validated_sealed_and_unique,
    a_claimed_id_number_is_disputed_and_staff_move_it_to_its_owner,
    unmasking_needs_a_case_in_scope_a_reason_and_stays_within_limits,
    sealed_values_are_bound_to_their_row_and_old_ones_are_sealed_again_once,
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
        zhengwu_core::testing::sms_code_for(&self.t.db, &self.keys, phone).await
    }

    /// Asks for a code as `requester` (an address), with the image challenge solved.
    async fn ask(&self, now: chrono::DateTime<Utc>, phone: &str, requester: &str) -> Result<(), CitizenError> {
        let r = citizen::CodeRequest {
            phone,
            requester,
            challenge_solved: true,
            challenge_after: citizen::CHALLENGE_AFTER,
        };
        citizen::request_code(&self.at(now), &self.keys, &SmsSender::Log, &r).await
    }

    async fn signed_in(&self, phone: &str) -> (String, citizen::CitizenActor) {
        let now = Utc::now();
        self.ask(now, phone, "192.0.2.98").await.unwrap();
        let code = self.code_for(phone).await;
        let s = citizen::sign_in(&self.at(now), &self.keys, phone, &code, None).await.unwrap();
        let a = citizen::session_actor(&self.at(now), Duration::minutes(30), &s.token).await.unwrap().unwrap();
        (s.token, a)
    }
}

async fn a_code_signs_in_once_and_creates_the_account(b: Backend) {
    let Some(w) = World::new(b, "cz_signin").await else { return };
    let now = Utc::now();
    w.ask(now, "+86 138-0013-8000", "192.0.2.1").await.unwrap();
    let code = w.code_for(PHONE).await;
    let first = citizen::sign_in(&w.at(now), &w.keys, PHONE, &code, None).await.unwrap();
    assert!(first.created_account);
    assert!(
        matches!(citizen::sign_in(&w.at(now), &w.keys, PHONE, &code, None).await, Err(CitizenError::CodeGone)),
        "used once"
    );
    // The same number later: the same account.
    let later = now + Duration::minutes(2);
    w.ask(later, PHONE, "192.0.2.1").await.unwrap();
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
    assert!(matches!(w.ask(t0, "12345", "192.0.2.1").await, Err(CitizenError::Invalid { field: "phone", .. })));
    w.ask(t0, PHONE, "192.0.2.1").await.unwrap();
    assert!(matches!(w.ask(t0 + Duration::seconds(30), PHONE, "192.0.2.1").await, Err(CitizenError::TooSoon(_))));
    // Expired after five minutes: the answer says to ask for a new one.
    let code = w.code_for(PHONE).await;
    assert!(matches!(
        citizen::sign_in(&w.at(t0 + Duration::minutes(6)), &w.keys, PHONE, &code, None).await,
        Err(CitizenError::CodeGone)
    ));
    // Wrong tries say "wrong" while the code lives; the fifth uses it up and says so, and the
    // right code after that gets the same advice: ask for a new one.
    let t1 = t0 + Duration::minutes(7);
    w.ask(t1, PHONE, "192.0.2.1").await.unwrap();
    let code = w.code_for(PHONE).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for i in 0..5 {
        let e = citizen::sign_in(&w.at(t1), &w.keys, PHONE, wrong, None).await.unwrap_err();
        if i < 4 {
            assert!(matches!(e, CitizenError::BadCode), "try {i}: {e:?}");
        } else {
            assert!(matches!(e, CitizenError::CodeGone), "the last try: {e:?}");
        }
    }
    assert!(matches!(citizen::sign_in(&w.at(t1), &w.keys, PHONE, &code, None).await, Err(CitizenError::CodeGone)));
    assert!(CitizenError::CodeGone.to_string().contains("重新获取"));
    // Five codes a day per number and requester.
    let mut t = t1;
    let mut refused = None;
    for i in 0..8 {
        t += Duration::minutes(2);
        if let Err(e) = w.ask(t, PHONE, "192.0.2.1").await {
            refused = Some((i, e));
            break;
        }
    }
    let (i, e) = refused.expect("the daily limit applies");
    assert!(matches!(e, CitizenError::DailyLimit), "{e:?}");
    assert_eq!(i + 2, citizen::CODES_PER_REQUESTER as usize, "sent that day from this address before the refusal");
    w.t.finish().await;
}

async fn strangers_cannot_use_up_the_owners_codes_and_frequent_askers_meet_the_challenge(b: Backend) {
    let Some(w) = World::new(b, "cz_strangers").await else { return };
    let t0 = Utc::now();
    // A stranger asks for the owner's number as often as allowed...
    let mut t = t0;
    for _ in 0..citizen::CODES_PER_REQUESTER {
        t += Duration::minutes(2);
        w.ask(t, PHONE, "198.51.100.7").await.unwrap();
    }
    t += Duration::minutes(2);
    assert!(matches!(w.ask(t, PHONE, "198.51.100.7").await, Err(CitizenError::DailyLimit)));
    // ...and the owner, from their own address, still gets a code and signs in.
    t += Duration::minutes(2);
    w.ask(t, PHONE, "203.0.113.5").await.unwrap();
    let code = w.code_for(PHONE).await;
    citizen::sign_in(&w.at(t), &w.keys, PHONE, &code, None).await.unwrap();
    // An address that has asked twice today must solve the image challenge first.
    let unsolved = |phone: &'static str| citizen::CodeRequest {
        phone,
        requester: "198.51.100.8",
        challenge_solved: false,
        challenge_after: citizen::CHALLENGE_AFTER,
    };
    let ask = |r: citizen::CodeRequest<'static>, at| {
        let w = &w;
        async move { citizen::request_code(&w.at(at), &w.keys, &SmsSender::Log, &r).await }
    };
    ask(unsolved("13900000001"), t).await.unwrap();
    ask(unsolved("13900000002"), t).await.unwrap();
    assert!(matches!(ask(unsolved("13900000003"), t).await, Err(CitizenError::ChallengeNeeded)));
    let solved = citizen::CodeRequest {
        phone: "13900000003",
        requester: "198.51.100.8",
        challenge_solved: true,
        challenge_after: citizen::CHALLENGE_AFTER,
    };
    ask(solved, t).await.unwrap();
    // Challenge or not, one address gets CODES_PER_ADDRESS a day across all numbers (what
    // bounds SMS pumping by a program that reads the challenge): the day's count so far
    // stands for the earlier ones.
    let today = zhengwu_core::time::shanghai_date(t).to_string();
    with_db!(&w.t.db, pool => sqlx::query(
        "INSERT INTO sms_requests (phone_index, requester, day, count, last_at) VALUES ('earlier', '198.51.100.9', $1, $2, $3)")
        .bind(&today).bind(citizen::CODES_PER_ADDRESS as i32 - 1).bind(t).execute(pool).await.map(|_| ()))
    .unwrap();
    w.ask(t, "13900000004", "198.51.100.9").await.unwrap();
    assert!(matches!(w.ask(t, "13900000005", "198.51.100.9").await, Err(CitizenError::DailyLimit)));
    w.ask(t, "13900000005", "198.51.100.10").await.unwrap();
    // Every request is recorded, the number never in clear.
    let log: Vec<(String, String)> = with_db!(&w.t.db, pool => sqlx::query_as(
        "SELECT outcome, detail FROM audit_log WHERE action = 'citizen.code_request'").fetch_all(pool).await)
    .unwrap();
    assert!(log.len() >= 10);
    assert!(log.iter().any(|(o, d)| o == "failure" && d.contains("challenge")));
    assert!(log.iter().all(|(_, d)| !d.contains(PHONE) && !d.contains("13900000003")));
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
    // Another account cannot register the same person (and is told how to dispute it).
    let (_, other) = w.signed_in("13900139000").await;
    let e = citizen::set_real_name(&ctx, &w.keys, &other, "张三", ID).await.unwrap_err();
    assert!(matches!(e, CitizenError::IdTaken), "{e:?}");
    // Registration is not an oracle: a few tries a day per account.
    let mut last = None;
    for _ in 0..citizen::REAL_NAME_TRIES_PER_DAY {
        last = Some(citizen::set_real_name(&ctx, &w.keys, &other, "张三", ID).await.unwrap_err());
    }
    assert!(matches!(last, Some(CitizenError::TooMany(_))), "{last:?}");
    // Nowhere in the database, in clear: not the ID number, not the phone, not the name.
    let dump = w.t.dump_all_text().await;
    for secret in [ID, PHONE, "13900139000", "张三", "19491231002X"] {
        assert!(!dump.contains(secret), "{secret} found in the database");
    }
    w.t.finish().await;
}

/// A staff member of the demo, signed in with the demo password changed.
async fn staff(w: &World, username: &'static str) -> identity::StaffActor {
    let keys = identity::StaffKeys::from_master(&MasterKey::from_bytes([5; 32]));
    zhengwu_core::testing::signed_in_staff(&w.at(Utc::now()), &keys, username, "Qingshan-2026!").await
}

/// A submitted case of `citizen` in the department with `dept_code` (the rows the scope looks at).
async fn case_in(w: &World, citizen: i64, dept_code: &str) {
    let now = Utc::now();
    with_db!(&w.t.db, pool => sqlx::query(
        "INSERT INTO cases (item_id, form_version, citizen_id, department_id, status, client_key, data_sealed, created_at, updated_at) \
         SELECT i.id, 1, $1, d.id, 'submitted', $2, $3, $4, $4 FROM service_items i, departments d WHERE d.code = $5 ORDER BY i.id LIMIT 1")
        .bind(citizen).bind(format!("key-{citizen}-{dept_code}-0000000000")).bind(Vec::<u8>::new()).bind(now).bind(dept_code)
        .execute(pool).await.map(|_| ()))
    .unwrap();
}

async fn a_claimed_id_number_is_disputed_and_staff_move_it_to_its_owner(b: Backend) {
    let Some(w) = World::new(b, "cz_dispute").await else { return };
    demo::seed(&w.t.db).await.unwrap();
    identity::bootstrap(&w.t.db, &w.audit, true, "青山县人民政府", Utc::now()).await.unwrap();
    let ctx = w.at(Utc::now());
    let (_, squatter) = w.signed_in("13900139000").await;
    citizen::set_real_name(&ctx, &w.keys, &squatter, "李四", ID).await.unwrap();
    let (_, owner) = w.signed_in(PHONE).await;
    assert!(matches!(citizen::set_real_name(&ctx, &w.keys, &owner, "张三", ID).await, Err(CitizenError::IdTaken)));
    let d = citizen::dispute_real_name(&ctx, &w.keys, &owner, "张三", ID).await.unwrap();
    assert_eq!(citizen::dispute_real_name(&ctx, &w.keys, &owner, "张三", ID).await.unwrap(), d, "one pending dispute");
    // Window staff (who verify identities) see it masked and decide after checking the card.
    let clerk = staff(&w, "zhangwei").await;
    let editor = staff(&w, "zhaolei").await;
    assert!(matches!(citizen::list_disputes(&ctx, &w.keys, &editor).await, Err(CitizenError::Forbidden)));
    let list = citizen::list_disputes(&ctx, &w.keys, &clerk).await.unwrap();
    assert_eq!((list[0].id, list[0].id_number.as_str(), list[0].real_name.as_str()), (d, "110105********002X", "张*"));
    assert!(matches!(
        citizen::decide_dispute(&ctx, &w.keys, &clerk, d, true, "").await,
        Err(CitizenError::Invalid { field: "note", .. })
    ));
    citizen::decide_dispute(&ctx, &w.keys, &clerk, d, true, "已核验身份证原件，本人到场").await.unwrap();
    let mine = citizen::own_profile(&ctx, &w.keys, &owner).await.unwrap();
    assert!(mine.verified && mine.id_number.as_deref() == Some("110105********002X"));
    assert!(!citizen::own_profile(&ctx, &w.keys, &squatter).await.unwrap().verified, "the squatter lost it");
    assert!(citizen::decide_dispute(&ctx, &w.keys, &clerk, d, false, "再次处理").await.is_err(), "decided once");
    // Disputes are decided on the registrations as they are then, not as they were when filed
    // (the outside tester's second round: an outdated dispute wiped the holder's new number).
    // The squatter disputes it back, and so does a third account; the owner then registers
    // another, own number.
    let back = citizen::dispute_real_name(&ctx, &w.keys, &squatter, "李四", ID).await.unwrap();
    let (_, third) = w.signed_in("13700137000").await;
    let stale = citizen::dispute_real_name(&ctx, &w.keys, &third, "王五", ID).await.unwrap();
    citizen::set_real_name(&ctx, &w.keys, &owner, "张三", "11010519700101002X").await.unwrap();
    // Upheld: the number was free, so it moves; the owner keeps the new one.
    citizen::decide_dispute(&ctx, &w.keys, &clerk, back, true, "已核验身份证原件").await.unwrap();
    assert!(citizen::own_profile(&ctx, &w.keys, &squatter).await.unwrap().verified);
    let (db, keys) = (&w.t.db, &w.keys);
    let number = |id| async move { citizen::clear_profile(db, keys, id).await.unwrap().and_then(|p| p.id_number) };
    assert_eq!(number(owner.id).await.as_deref(), Some("11010519700101002X"), "not wiped");
    assert_eq!(number(squatter.id).await.as_deref(), Some(ID));
    // The other names a holder who no longer has it: refused, nobody loses anything.
    let e = citizen::decide_dispute(&ctx, &w.keys, &clerk, stale, true, "已核验身份证原件").await.unwrap_err();
    assert!(matches!(&e, CitizenError::Invalid { message, .. } if message.contains("与申诉时不同")), "{e:?}");
    assert!(citizen::own_profile(&ctx, &w.keys, &squatter).await.unwrap().verified);
    assert!(!citizen::own_profile(&ctx, &w.keys, &third).await.unwrap().verified);
    citizen::decide_dispute(&ctx, &w.keys, &clerk, stale, false, "号码已由本人登记").await.unwrap();
    let actions: Vec<String> = with_db!(&w.t.db, pool => sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'citizen.real_name%' ORDER BY seq").fetch_all(pool).await)
    .unwrap();
    assert!(actions.contains(&"citizen.real_name_dispute".to_string()));
    assert!(actions.contains(&"citizen.real_name_revoked".to_string()));
    assert!(actions.contains(&"citizen.real_name_dispute_decided".to_string()));
    let dump = w.t.dump_all_text().await;
    assert!(!dump.contains(ID) && !dump.contains("张三"), "the dispute's data is sealed too");
    zhengwu_core::audit::verify(&w.t.db, &w.audit).await.unwrap().unwrap();
    w.t.finish().await;
}

async fn unmasking_needs_a_case_in_scope_a_reason_and_stays_within_limits(b: Backend) {
    use citizen::UnmaskReason::IdentityCheck;
    let Some(w) = World::new(b, "cz_unmask").await else { return };
    demo::seed(&w.t.db).await.unwrap();
    demo::seed_services(&w.t.db, Utc::now()).await.unwrap();
    identity::bootstrap(&w.t.db, &w.audit, true, "青山县人民政府", Utc::now()).await.unwrap();
    let (_, me) = w.signed_in(PHONE).await;
    let (_, stranger) = w.signed_in("13900139000").await;
    let ctx = w.at(Utc::now());
    citizen::set_real_name(&ctx, &w.keys, &me, "张三", ID).await.unwrap();
    case_in(&w, me.id, "QS-ZWFW").await; // the service centre: zhangwei's department
    case_in(&w, stranger.id, "QS-MZJ").await; // 民政局: not his
    let clerk = staff(&w, "zhangwei").await; // 窗口受理人员: personal:unmask, department scope
    let sysadmin = staff(&w, "sysadmin").await;
    assert!(matches!(citizen::citizen_for_staff(&ctx, &w.keys, &sysadmin, me.id).await, Err(CitizenError::Forbidden)));
    assert!(matches!(
        citizen::unmask(&ctx, &w.keys, &sysadmin, me.id, Field::IdNumber, Some(IdentityCheck), "核验身份").await,
        Err(CitizenError::Forbidden)
    ));
    // Out of scope, or no case at all: the same "not found" as a missing id.
    for id in [stranger.id, 999_999] {
        assert!(matches!(citizen::citizen_for_staff(&ctx, &w.keys, &clerk, id).await, Err(CitizenError::NotFound)));
        assert!(matches!(
            citizen::unmask(&ctx, &w.keys, &clerk, id, Field::Phone, Some(IdentityCheck), "核验身份").await,
            Err(CitizenError::NotFound)
        ));
    }
    assert_eq!(
        citizen::citizen_for_staff(&ctx, &w.keys, &clerk, me.id).await.unwrap().id_number.as_deref(),
        Some("110105********002X")
    );
    assert!(matches!(
        citizen::unmask(&ctx, &w.keys, &clerk, me.id, Field::IdNumber, None, "窗口核验").await,
        Err(CitizenError::Invalid { field: "reason_code", .. })
    ));
    assert!(matches!(
        citizen::unmask(&ctx, &w.keys, &clerk, me.id, Field::IdNumber, Some(IdentityCheck), "").await,
        Err(CitizenError::Invalid { field: "reason", .. })
    ));
    // Ten an hour, also when 25 arrive at once (counted and recorded as one step): the tenth
    // is flagged to the auditor, the rest refused.
    let burst = (0..25)
        .map(|_| citizen::unmask(&ctx, &w.keys, &clerk, me.id, Field::IdNumber, Some(IdentityCheck), "办件 QS-1 核验"));
    let results = zhengwu_core::testing::join_all(burst).await;
    let shown: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(shown.len(), citizen::UNMASK_PER_HOUR as usize, "{results:?}");
    assert!(shown.iter().all(|v| *v == ID));
    assert!(results.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(CitizenError::TooMany(_)))));
    assert!(matches!(
        citizen::unmask(&ctx, &w.keys, &clerk, me.id, Field::IdNumber, Some(IdentityCheck), "再查一次").await,
        Err(CitizenError::TooMany(_))
    ));
    let records: Vec<(String, String, Option<i64>, String)> = with_db!(&w.t.db, pool => sqlx::query_as(
        "SELECT action, outcome, actor_id, detail FROM audit_log WHERE action LIKE 'personal.unmask%' ORDER BY seq")
        .fetch_all(pool).await)
    .unwrap();
    let shown: Vec<_> = records.iter().filter(|r| r.0 == "personal.unmask" && r.1 == "success").collect();
    assert_eq!(shown.len(), citizen::UNMASK_PER_HOUR as usize);
    assert!(shown.iter().all(|r| r.2 == Some(clerk.id) && r.3.contains("identity_check") && !r.3.contains(ID)));
    assert_eq!(records.iter().filter(|r| r.0 == "personal.unmask_alert").count(), 1);
    assert!(records.iter().any(|r| r.0 == "personal.unmask" && r.1 == "failure" && r.3.contains("rate_limited")));
    zhengwu_core::audit::verify(&w.t.db, &w.audit).await.unwrap().unwrap();
    w.t.finish().await;
}

async fn sealed_values_are_bound_to_their_row_and_old_ones_are_sealed_again_once(b: Backend) {
    let Some(w) = World::new(b, "cz_bound").await else { return };
    let (_, a) = w.signed_in(PHONE).await;
    let (_, other) = w.signed_in("13900139000").await;
    let ctx = w.at(Utc::now());
    citizen::set_real_name(&ctx, &w.keys, &a, "张三", ID).await.unwrap();
    // An attacker with write access to the database copies A's sealed ID number into B's row.
    with_db!(&w.t.db, pool => sqlx::query(
        "UPDATE citizens SET id_number_sealed = (SELECT id_number_sealed FROM citizens WHERE id = $1), verified_at = $3 WHERE id = $2")
        .bind(a.id).bind(other.id).bind(Utc::now()).execute(pool).await.map(|_| ()))
    .unwrap();
    let copied: Vec<u8> =
        with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT id_number_sealed FROM citizens WHERE id = $1")
        .bind(other.id).fetch_one(pool).await)
        .unwrap();
    assert_eq!(w.keys.open(Field::IdNumber, a.id, &copied).as_deref(), Some(ID), "it is A's value");
    assert_eq!(w.keys.open(Field::IdNumber, other.id, &copied), None, "bound to A's row: it opens nowhere else");
    let p = citizen::own_profile(&ctx, &w.keys, &other).await.unwrap();
    assert_ne!(p.id_number.as_deref(), Some("110105********002X"), "B's page does not show A's number");
    // Values sealed before rows were bound (column only) are sealed again at start, once.
    let master = MasterKey::from_bytes([5; 32]);
    let key = master.sm4_key(zhengwu_crypto::keys::Purpose::PersonalData);
    let legacy = zhengwu_crypto::sm4gcm::seal(&key, b"13700137000", b"citizens.phone");
    with_db!(&w.t.db, pool => sqlx::query("UPDATE citizens SET phone_sealed = $1 WHERE id = $2")
        .bind(&legacy).bind(other.id).execute(pool).await.map(|_| ()))
    .unwrap();
    with_db!(&w.t.db, pool => sqlx::query("DELETE FROM maintenance").execute(pool).await.map(|_| ())).unwrap();
    let totp = master.sm4_key(zhengwu_crypto::keys::Purpose::Totp);
    let r = zhengwu_core::maintenance::reseal_row_bound(&w.t.db, &w.keys, &totp, Utc::now()).await.unwrap();
    assert!(r.ran && r.values >= 1, "{r:?}");
    assert_eq!(citizen::own_profile(&ctx, &w.keys, &other).await.unwrap().phone, "137****7000");
    let again = zhengwu_core::maintenance::reseal_row_bound(&w.t.db, &w.keys, &totp, Utc::now()).await.unwrap();
    assert!(!again.ran, "once per database");
    w.t.finish().await;
}
