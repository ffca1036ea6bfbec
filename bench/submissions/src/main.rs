//! Submissions per second, measured against a baseline taken in the same run: the raw insert
//! rate of the same rows (case, attachment metadata, timeline entry, audit record) in one
//! transaction each, without the rules (validation, sealing, idempotency hold, tracking-number
//! counter, audit hash chain). Both at the same concurrency, on SQLite and on PostgreSQL.
//!
//!
//! Then workflow transitions per second under concurrent approvers: each case is accepted
//! (any-sign among three reviewers, the acceptor choosing themself) and approved (concluded),
//! two transitions, each one transaction that takes the case's row, checks the task, cancels
//! siblings, moves the case and its clock, creates the next tasks, writes the timeline and the
//! audit record. Baseline: the same row writes (task updates, case update, new task, timeline,
//! audit) as plain statements in one transaction each.
//!
//! usage: zhengwu-bench-submissions [submissions per run, default 400] [concurrency, default 4]

use std::{sync::Arc, time::Instant};

use chrono::Utc;
use zhengwu_core::{
    audit::{AuditKey, RequestMeta},
    blobs::StoredBlob,
    cases::{self, NewFile, Posted, Saved},
    citizen::{CitizenActor, Field, PersonalKeys},
    demo,
    identity::{self as id, Ctx, SessionStore, StaffActor},
    testing::{Backend, TestDb},
    with_db, with_tx,
    workflow::{self, Act, ClockPolicy, Outcome},
};
use zhengwu_crypto::keys::MasterKey;
use zhengwu_types::services::FileType;

const ITEM: &str = "QS-RS-0005";

/// Sequence numbers for the raw audit rows, far above the chain's own.
static RAW_SEQ: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1_000_000_000);

struct World {
    t: TestDb,
    audit: AuditKey,
    keys: PersonalKeys,
    sessions: SessionStore,
    meta: RequestMeta,
    actor: CitizenActor,
}

async fn world(b: Backend) -> Option<World> {
    let t = TestDb::new(b, "bench_submissions").await?;
    demo::seed(&t.db).await.expect("demo data");
    demo::seed_services(&t.db, Utc::now()).await.expect("catalogue");
    let master = MasterKey::from_bytes([11; 32]);
    let keys = PersonalKeys::from_master(&master);
    let now = Utc::now();
    let phone = "13800138000";
    let idn = "11010519491231002X";
    // Sealed values are bound to their row: insert, then seal with the id.
    let id: i64 = with_db!(&t.db, pool => sqlx::query_scalar(
        "INSERT INTO citizens (phone_sealed, phone_index, id_number_index, verified_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4, $4) RETURNING id")
        .bind(Vec::<u8>::new()).bind(keys.index(Field::Phone, phone)).bind(keys.index(Field::IdNumber, idn)).bind(now)
        .fetch_one(pool).await)
    .expect("citizen");
    with_db!(&t.db, pool => sqlx::query(
        "UPDATE citizens SET phone_sealed = $1, real_name_sealed = $2, id_number_sealed = $3 WHERE id = $4")
        .bind(keys.seal(Field::Phone, id, phone)).bind(keys.seal(Field::RealName, id, "王小明"))
        .bind(keys.seal(Field::IdNumber, id, idn)).bind(id).execute(pool).await.map(|_| ()))
    .expect("sealed citizen");
    Some(World {
        t,
        audit: AuditKey::from_master(&master),
        keys,
        sessions: SessionStore::Database,
        meta: RequestMeta::default(),
        actor: CitizenActor { id, csrf_token: String::new(), verified: true },
    })
}

fn answers() -> cases::Answers {
    let v = |s: &str| vec![s.to_string()];
    [
        ("applicant_name", v("王小明")),
        ("id_number", v("11010519491231002X")),
        ("mobile", v("13800138000")),
        ("last_employer", v("青山县某某机械厂")),
        ("leave_date", v("2026-11-01")),
        ("leave_reason", v("劳动合同期满")),
        ("wants_training", v("职业介绍")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn hex_key(run: &str, i: usize) -> String {
    let mut b = [0u8; 8];
    zhengwu_crypto::random_bytes(&mut b);
    format!("{}{:08x}{}", &zhengwu_crypto::to_hex(&b)[..16], i, &run[..8])
}

fn blob(i: usize) -> StoredBlob {
    StoredBlob { key: hex_key("00000000", i), size: 123_456, sm3: "0".repeat(64), file_type: FileType::Pdf }
}

/// Runs `n` jobs over `conc` tasks; returns jobs per second.
async fn rate<F, Fut>(n: usize, conc: usize, job: F) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = vec![];
    for _ in 0..conc {
        let (job, next) = (job.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                job(i).await;
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn submissions(w: &'static World, n: usize, conc: usize, run: &'static str) -> f64 {
    rate(n, conc, move |i| async move {
        let ctx = Ctx { db: &w.t.db, audit: &w.audit, meta: &w.meta, now: Utc::now(), sessions: &w.sessions };
        let posted = Posted {
            client_key: format!("{run}-{i:08}-bench-key"),
            answers: answers(),
            remove_files: vec![],
            submit: true,
            pledged: true,
            ..Default::default()
        };
        let file = NewFile { field: "termination_proof".into(), blob: blob(i), display_name: "证明.pdf".into() };
        match cases::save(&ctx, &w.keys, &w.actor, ITEM, &posted, &[file]).await {
            Ok(Saved::Submitted { .. }) => {}
            other => panic!("submission {i}: {other:?}"),
        }
    })
    .await
}

/// The same rows, inserted plainly: what the database alone costs.
async fn raw_inserts(w: &'static World, n: usize, conc: usize, run: &'static str) -> f64 {
    let (item_id, dept): (i64, i64) = with_db!(&w.t.db, pool => sqlx::query_as(
        "SELECT id, department_id FROM service_items WHERE code = $1").bind(ITEM).fetch_one(pool).await)
    .expect("item");
    rate(n, conc, move |i| {
        async move {
            let now = Utc::now();
            let mut tx = w.t.db.begin_write().await.expect("begin");
            let case_id: i64 = with_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO cases (tracking_no, item_id, form_version, citizen_id, department_id, status, client_key, \
                 data_sealed, lookup_phone_mac, created_at, updated_at, submitted_at) \
                 VALUES ($1, $2, 1, $3, $4, 'submitted', $5, $6, $7, $8, $8, $8) RETURNING id")
                .bind(format!("RAW-{run}-{i:08}")).bind(item_id).bind(w.actor.id).bind(dept)
                .bind(format!("{run}-{i:08}-raw-key")).bind(Vec::<u8>::new()).bind("0".repeat(64)).bind(now)
                .fetch_one(c).await).expect("case");
            // The answers sealed bound to the new row, as a submission does.
            let sealed = w.keys.seal_answers(case_id, r#"{"applicant_name":["王小明"]}"#);
            with_tx!(&mut tx, c => sqlx::query("UPDATE cases SET data_sealed = $1 WHERE id = $2")
                .bind(sealed).bind(case_id).execute(c).await.map(|_| ())).expect("sealed");
            let b = blob(i);
            with_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO case_files (case_id, field, blob_key, sm3, size_bytes, media_type, display_name, uploaded_at) \
                 VALUES ($1, 'termination_proof', $2, $3, 123456, 'application/pdf', '证明.pdf', $4)")
                .bind(case_id).bind(&b.key).bind(&b.sm3).bind(now).execute(c).await.map(|_| ())).expect("file");
            with_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO case_events (case_id, at, kind, actor_kind, actor_name, public, message) \
                 VALUES ($1, $2, 'submitted', 'citizen', '申请人', TRUE, '')")
                .bind(case_id).bind(now).execute(c).await.map(|_| ())).expect("event");
            // The first step's tasks (any-sign among the department's three reviewers).
            for _ in 0..3 {
                with_tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO case_tasks (case_id, step, step_name, round, mode, status, created_at) \
                     VALUES ($1, 'accept', '受理', 1, 'any', 'open', $2)")
                    .bind(case_id).bind(now).execute(c).await.map(|_| ())).expect("task");
            }
            with_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO audit_log (seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, \
                 object_id, outcome, detail, mac) VALUES ($1, $2, 'citizen', $3, 'x', 'case.submit', 'case', $4, \
                 'success', '{}', '')")
                .bind(RAW_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)).bind(now).bind(w.actor.id).bind(case_id.to_string())
                .execute(c).await.map(|_| ())).expect("audit");
            tx.commit().await.expect("commit");
        }
    })
    .await
}

async fn staff(w: &World, username: &str) -> StaffActor {
    let ctx = Ctx { db: &w.t.db, audit: &w.audit, meta: &w.meta, now: Utc::now(), sessions: &w.sessions };
    let keys = id::StaffKeys::from_master(&MasterKey::from_bytes([11; 32]));
    zhengwu_core::testing::signed_in_staff(&ctx, &keys, username, "Bench-Qingshan-2026!").await
}

/// Submits `n` cases (not timed) and returns their ids.
async fn submitted_cases(w: &'static World, n: usize, run: &'static str) -> Vec<i64> {
    let ids = Arc::new(std::sync::Mutex::new(vec![]));
    let out = ids.clone();
    rate(n, 4, move |i| {
        let ids = ids.clone();
        async move {
            let ctx = Ctx { db: &w.t.db, audit: &w.audit, meta: &w.meta, now: Utc::now(), sessions: &w.sessions };
            let posted = Posted {
                client_key: format!("{run}-{i:08}-flow-key"),
                answers: answers(),
                submit: true,
                pledged: true,
                ..Default::default()
            };
            let file = NewFile { field: "termination_proof".into(), blob: blob(i), display_name: "证明.pdf".into() };
            match cases::save(&ctx, &w.keys, &w.actor, ITEM, &posted, &[file]).await {
                Ok(Saved::Submitted { case_id, .. }) => ids.lock().expect("ids").push(case_id),
                other => panic!("submission {i}: {other:?}"),
            }
        }
    })
    .await;
    let v = out.lock().expect("ids").clone();
    v
}

async fn open_task(w: &World, case_id: i64, who: i64) -> i64 {
    with_db!(&w.t.db, pool => sqlx::query_scalar(
        "SELECT id FROM case_tasks WHERE case_id = $1 AND assignee_id = $2 AND status = 'open'")
        .bind(case_id).bind(who).fetch_one(pool).await)
    .expect("open task")
}

/// Accept and approve every case, `conc` approvers at a time: transitions per second.
async fn transitions(w: &'static World, approvers: &'static [StaffActor], cases: Vec<i64>, conc: usize) -> f64 {
    let cases = Arc::new(cases);
    let n = cases.len();
    let per_case = rate(n, conc, move |i| {
        let cases = cases.clone();
        async move {
            let me = &approvers[i % approvers.len()];
            let case_id = cases[i];
            for step in 0..2 {
                let task = open_task(w, case_id, me.id).await;
                let ctx = Ctx { db: &w.t.db, audit: &w.audit, meta: &w.meta, now: Utc::now(), sessions: &w.sessions };
                let act = Act::Approve { opinion: "同意。".into(), choose: Some(me.id) };
                match (step, workflow::act(&ctx, me, task, act, ClockPolicy::default()).await) {
                    (0, Ok(Outcome::Moved { .. })) | (1, Ok(Outcome::Concluded(_))) => {}
                    other => panic!("case {case_id} step {step}: {other:?}"),
                }
            }
        }
    })
    .await;
    per_case * 2.0
}

/// The same writes as the two transitions, as plain statements, one transaction each.
async fn raw_transitions(w: &'static World, approvers: &'static [StaffActor], cases: Vec<i64>, conc: usize) -> f64 {
    let cases = Arc::new(cases);
    let n = cases.len();
    let per_case = rate(n, conc, move |i| {
        let cases = cases.clone();
        async move {
            let me = &approvers[i % approvers.len()];
            let case_id = cases[i];
            for step in ["accept", "review"] {
                let now = Utc::now();
                let mut tx = w.t.db.begin_write().await.expect("begin");
                let task = with_tx!(&mut tx, c => sqlx::query_scalar::<_, i64>(
                    "SELECT id FROM case_tasks WHERE case_id = $1 AND assignee_id = $2 AND status = 'open'")
                    .bind(case_id).bind(me.id).fetch_one(c).await).expect("task");
                with_tx!(&mut tx, c => sqlx::query(
                    "UPDATE case_tasks SET status = 'done', decision = 'approve', decided_by = $1, decided_at = $2 WHERE id = $3")
                    .bind(me.id).bind(now).bind(task).execute(c).await.map(|_| ())).expect("done");
                with_tx!(&mut tx, c => sqlx::query(
                    "UPDATE case_tasks SET status = 'cancelled' WHERE case_id = $1 AND status = 'open'")
                    .bind(case_id).execute(c).await.map(|_| ())).expect("cancel");
                with_tx!(&mut tx, c => sqlx::query("UPDATE cases SET step = $1, updated_at = $2 WHERE id = $3")
                    .bind(step).bind(now).bind(case_id).execute(c).await.map(|_| ())).expect("case");
                if step == "accept" {
                    with_tx!(&mut tx, c => sqlx::query(
                        "INSERT INTO case_tasks (case_id, step, step_name, round, mode, assignee_id, status, created_at) \
                         VALUES ($1, 'review', '审查决定', 1, 'single', $2, 'open', $3)")
                        .bind(case_id).bind(me.id).bind(now).execute(c).await.map(|_| ())).expect("next task");
                }
                with_tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO case_events (case_id, at, kind, actor_kind, actor_name, public, message) \
                     VALUES ($1, $2, 'approved', 'staff', 'x', TRUE, '同意。')")
                    .bind(case_id).bind(now).execute(c).await.map(|_| ())).expect("event");
                with_tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO audit_log (seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, \
                     object_id, outcome, detail, mac) VALUES ($1, $2, 'staff', $3, 'x', 'case.approve', 'case', $4, \
                     'success', '{}', '')")
                    .bind(RAW_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)).bind(now).bind(me.id)
                    .bind(case_id.to_string()).execute(c).await.map(|_| ())).expect("audit");
                tx.commit().await.expect("commit");
            }
        }
    })
    .await;
    per_case * 2.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(400);
    let conc: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(4);
    let mut flows = vec![];
    println!("| database | raw inserts/s (baseline) | submissions/s | ratio to baseline |");
    println!("|---|---:|---:|---:|");
    for b in [Backend::Sqlite, Backend::Postgres] {
        let Some(w) = world(b).await else {
            println!("| {b:?} | skipped (no server) | | |");
            continue;
        };
        let w: &'static World = Box::leak(Box::new(w));
        // Warm-up, then alternate so neither side gets a warmer cache or a fuller table.
        raw_inserts(w, n / 10, conc, "warm").await;
        submissions(w, n / 10, conc, "warm").await;
        let r1 = raw_inserts(w, n / 2, conc, "raw1").await;
        let s1 = submissions(w, n / 2, conc, "sub1").await;
        let r2 = raw_inserts(w, n / 2, conc, "raw2").await;
        let s2 = submissions(w, n / 2, conc, "sub2").await;
        let (raw, sub) = ((r1 + r2) / 2.0, (s1 + s2) / 2.0);
        println!("| {} | {raw:.0} | {sub:.0} | {:.3} |", w.t.db.kind(), sub / raw);
        flows.push(w);
    }
    println!();
    println!("| database | raw transition writes/s (baseline) | workflow transitions/s | ratio to baseline |");
    println!("|---|---:|---:|---:|");
    for w in flows {
        id::bootstrap(&w.t.db, &w.audit, true, "青山县人民政府", Utc::now()).await.expect("accounts");
        let mut people = vec![];
        for u in ["xuqing", "hewei", "chenjing"] {
            people.push(staff(w, u).await);
        }
        let approvers: &'static [StaffActor] = Box::leak(people.into_boxed_slice());
        let m = n / 4;
        let c1 = submitted_cases(w, m, "flow1").await;
        let c2 = submitted_cases(w, m, "flow2").await;
        let c3 = submitted_cases(w, m, "flow3").await;
        let c4 = submitted_cases(w, m, "flow4").await;
        let r1 = raw_transitions(w, approvers, c1, conc).await;
        let t1 = transitions(w, approvers, c2, conc).await;
        let r2 = raw_transitions(w, approvers, c3, conc).await;
        let t2 = transitions(w, approvers, c4, conc).await;
        let (raw, t) = ((r1 + r2) / 2.0, (t1 + t2) / 2.0);
        println!("| {} | {raw:.0} | {t:.0} | {:.3} |", w.t.db.kind(), t / raw);
    }
}
