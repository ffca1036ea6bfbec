//! The audit trail on SQLite and PostgreSQL: appends chain, verification finds every kind of
//! tampering done behind the program's back, purging keeps the rest verifiable, and a failed
//! audit write takes the change down with it.

use chrono::{Duration, Utc};
use zhengwu_core::{
    audit::{self, Actor, AuditEvent, AuditKey, RequestMeta, Tamper},
    testing::{Backend, TestDb},
    with_tx, Db,
};
use zhengwu_crypto::keys::MasterKey;

zhengwu_core::on_both!(
    an_intact_chain_verifies,
    an_altered_record_is_named,
    a_deleted_record_is_named,
    an_inserted_record_is_named,
    a_cut_off_tail_is_detected,
    an_altered_head_is_detected_and_stops_further_changes,
    purging_keeps_the_rest_verifiable_and_respects_the_minimum,
    a_failed_audit_write_undoes_the_change,
    concurrent_writers_keep_one_chain,
);

fn key() -> AuditKey {
    AuditKey::from_master(&MasterKey::from_bytes([42; 32]))
}

fn meta() -> RequestMeta {
    RequestMeta { ip: Some("192.0.2.7".into()), user_agent: Some("test".into()), request_id: Some("r-1".into()) }
}

async fn write(db: &Db, n: usize, at: chrono::DateTime<Utc>) {
    for i in 0..n {
        let mut tx = db.begin_write().await.unwrap();
        let event =
            AuditEvent::new("staff.update", "staff", i).with_detail(serde_json::json!({"field": "name", "i": i}));
        audit::append(&mut tx, &key(), &Actor::staff(1, "admin"), &meta(), &event, at).await.unwrap();
        tx.commit().await.unwrap();
    }
}

async fn verify(db: &Db) -> Result<audit::VerifyReport, Tamper> {
    audit::verify(db, &key()).await.expect("database answers")
}

async fn with_records(b: Backend, name: &str, n: usize) -> Option<TestDb> {
    let t = TestDb::new(b, name).await?;
    write(&t.db, n, Utc::now()).await;
    Some(t)
}

async fn an_intact_chain_verifies(b: Backend) {
    let Some(t) = TestDb::new(b, "audit_ok").await else { return };
    assert_eq!(verify(&t.db).await.unwrap().records, 0, "an empty trail is intact");
    write(&t.db, 5, Utc::now()).await;
    let report = verify(&t.db).await.unwrap();
    assert_eq!(report.records, 5);
    assert_eq!(report.range, Some((1, 5)));
    // Another key cannot vouch for it.
    let other = AuditKey::from_master(&MasterKey::from_bytes([7; 32]));
    assert_eq!(audit::verify(&t.db, &other).await.unwrap(), Err(Tamper::HeadAltered));
    t.finish().await;
}

async fn an_altered_record_is_named(b: Backend) {
    let Some(t) = with_records(b, "audit_alter", 6).await else { return };
    t.db.execute_unprepared("UPDATE audit_log SET actor_name = 'someone' WHERE seq = 3").await.unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::Altered { seq: 3 }));
    t.finish().await;
}

async fn a_deleted_record_is_named(b: Backend) {
    let Some(t) = with_records(b, "audit_delete", 6).await else { return };
    t.db.execute_unprepared("DELETE FROM audit_log WHERE seq = 4").await.unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::Deleted { seq: 4 }));
    t.finish().await;
}

async fn an_inserted_record_is_named(b: Backend) {
    let Some(t) = with_records(b, "audit_insert", 4).await else { return };
    // A forged record after the end, copying a genuine record's MAC.
    t.db.execute_unprepared(
        "INSERT INTO audit_log (seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, object_id, \
         outcome, ip, user_agent, request_id, detail, mac) \
         SELECT 5, occurred_at, actor_kind, actor_id, actor_name, action, object_type, object_id, outcome, ip, \
         user_agent, request_id, detail, mac FROM audit_log WHERE seq = 4",
    )
    .await
    .unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::Inserted { seq: 5 }));
    // A record slipped in where one was removed is "altered": its MAC cannot be right.
    t.db.execute_unprepared("DELETE FROM audit_log WHERE seq = 5").await.unwrap();
    t.db.execute_unprepared("UPDATE audit_log SET seq = 10 WHERE seq = 2").await.unwrap();
    t.db.execute_unprepared(
        "INSERT INTO audit_log (seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, object_id, \
         outcome, ip, user_agent, request_id, detail, mac) \
         SELECT 2, occurred_at, actor_kind, actor_id, 'forger', action, object_type, object_id, outcome, ip, \
         user_agent, request_id, detail, mac FROM audit_log WHERE seq = 10",
    )
    .await
    .unwrap();
    t.db.execute_unprepared("DELETE FROM audit_log WHERE seq = 10").await.unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::Altered { seq: 2 }));
    t.finish().await;
}

async fn a_cut_off_tail_is_detected(b: Backend) {
    let Some(t) = with_records(b, "audit_tail", 5).await else { return };
    t.db.execute_unprepared("DELETE FROM audit_log WHERE seq >= 4").await.unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::TailDeleted { last_kept: 3, expected_last: 5 }));
    t.finish().await;
}

async fn an_altered_head_is_detected_and_stops_further_changes(b: Backend) {
    let Some(t) = with_records(b, "audit_head", 5).await else { return };
    // Rolling the head back to hide the last two records.
    t.db.execute_unprepared("UPDATE audit_head SET last_seq = 3, last_mac = (SELECT mac FROM audit_log WHERE seq = 3)")
        .await
        .unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::HeadAltered));
    let mut tx = t.db.begin_write().await.unwrap();
    let r = audit::append(&mut tx, &key(), &Actor::system(), &meta(), &AuditEvent::new("x", "y", 1), Utc::now()).await;
    assert!(matches!(r, Err(audit::AuditError::Damaged(Tamper::HeadAltered))), "{r:?}");
    drop(tx);
    t.db.execute_unprepared("DELETE FROM audit_head").await.unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::HeadMissing { records: 5 }));
    t.finish().await;
}

async fn purging_keeps_the_rest_verifiable_and_respects_the_minimum(b: Backend) {
    let Some(t) = TestDb::new(b, "audit_purge").await else { return };
    let now = Utc::now();
    write(&t.db, 3, now - Duration::days(400)).await;
    write(&t.db, 2, now - Duration::days(10)).await;
    let too_short = audit::purge_before(&t.db, &key(), &Actor::system(), &meta(), 30, now).await;
    assert!(matches!(too_short, Err(audit::AuditError::RetentionTooShort(30))));
    let removed = audit::purge_before(&t.db, &key(), &Actor::system(), &meta(), 365, now).await.unwrap();
    assert_eq!(removed, 3);
    let report = verify(&t.db).await.unwrap();
    assert_eq!(report.range, Some((4, 6)), "two kept records and the purge's own record");
    assert_eq!(report.records, 3);
    // Deleting the first kept record after a purge is still caught.
    t.db.execute_unprepared("DELETE FROM audit_log WHERE seq = 4").await.unwrap();
    assert_eq!(verify(&t.db).await, Err(Tamper::Deleted { seq: 4 }));
    t.finish().await;
}

async fn a_failed_audit_write_undoes_the_change(b: Backend) {
    let Some(t) = with_records(b, "audit_atomic", 1).await else { return };
    t.db.execute_unprepared("UPDATE audit_head SET head_mac = 'x'").await.unwrap();
    let mut tx = t.db.begin_write().await.unwrap();
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO departments (code, name, name_en, level, created_at) VALUES ('ZZ', '测试局', 'Test', 'department', $1)")
        .bind(Utc::now()).execute(conn).await.map(|_| ()))
    .unwrap();
    let r = audit::append(
        &mut tx,
        &key(),
        &Actor::system(),
        &meta(),
        &AuditEvent::new("dept.create", "department", "ZZ"),
        Utc::now(),
    )
    .await;
    assert!(r.is_err());
    drop(tx); // the caller's `?` would drop it the same way: rolled back
    let n: i64 =
        zhengwu_core::with_db!(&t.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM departments WHERE code = 'ZZ'")
        .fetch_one(pool).await)
        .unwrap();
    assert_eq!(n, 0, "the change went with its audit record");
    t.finish().await;
}

async fn concurrent_writers_keep_one_chain(b: Backend) {
    let Some(t) = TestDb::new(b, "audit_concurrent").await else { return };
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let db = t.db.clone();
            tokio::spawn(async move { write(&db, 25, Utc::now()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let report = verify(&t.db).await.unwrap();
    assert_eq!((report.records, report.range), (100, Some((1, 100))));
    t.finish().await;
}
