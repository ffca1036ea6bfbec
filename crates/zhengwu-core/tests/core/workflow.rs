//! The workflow engine and the statutory clock on SQLite and PostgreSQL: accept and approve to a
//! concluded case, countersign and any-sign, versions kept by running cases, every action,
//! the concurrent-approval race, suspension/extension arithmetic, the return-and-resubmit
//! regression, the dispatcher fallback, and the warning job's exactly-once run and catch-up.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use zhengwu_core::{
    audit::{self, AuditKey, RequestMeta},
    blobs::BlobStore,
    calendar::{Calendar, Counting},
    cases::{self, NewFile, Posted, Saved},
    citizen::{self, CitizenActor, PersonalKeys},
    demo,
    identity::{self as id, Ctx, SessionStore, StaffActor},
    jobs,
    testing::{Backend, TestDb},
    with_db,
    workflow::{self, warnings, Act, ClockPolicy, Outcome, Supervise, WorkflowError},
};
use zhengwu_crypto::keys::MasterKey;
use zhengwu_types::{
    services::{CaseStatus, FileType},
    workflow::{AssigneeRule, StepAction, StepDef, StepMode, Warning, WorkflowDef},
};

zhengwu_core::on_both!(
    accept_and_approve_conclude_the_case_for_the_citizen,
    countersign_needs_everyone_and_running_cases_keep_their_version,
    the_limit_survives_supplement_return_transfer_and_a_new_version,
    two_staff_acting_at_once_apply_exactly_once,
    transfer_delegate_withdraw_suspend_extend_terminate,
    nobody_matching_goes_to_the_dispatcher_with_an_alert,
    the_warning_job_runs_once_per_day_and_catches_up,
    definitions_are_checked_before_publishing,
);

const ITEM: &str = "QS-RS-0005"; // 失业保险金申领 (人社局): promised 3 working days
const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";
const NEW_PASSWORD: &str = "Qingshan-2026!";
const POLICY: ClockPolicy = ClockPolicy { yellow_percent: 20 };

struct World {
    master: MasterKey,
    sessions: SessionStore,
    t: TestDb,
    audit: AuditKey,
    keys: PersonalKeys,
    meta: RequestMeta,
    blobs: BlobStore,
    blob_dir: std::path::PathBuf,
}

/// An instant at 10:00 in Asia/Shanghai on `day`.
fn at10(day: &str) -> DateTime<Utc> {
    format!("{day}T02:00:00Z").parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

impl World {
    async fn new(b: Backend, name: &str) -> Option<World> {
        let t = TestDb::new(b, name).await?;
        demo::seed(&t.db).await.unwrap();
        demo::seed_services(&t.db, Utc::now()).await.unwrap();
        let master = MasterKey::from_bytes([7; 32]);
        let audit = AuditKey::from_master(&master);
        id::bootstrap(&t.db, &audit, true, "青山县人民政府", Utc::now()).await.unwrap();
        let blob_dir = zhengwu_core::testing::temp_dir(&format!("blobs-{name}"));
        Some(World {
            master: master.clone(),
            sessions: SessionStore::Database,
            t,
            audit,
            keys: PersonalKeys::from_master(&master),
            meta: RequestMeta::default(),
            blobs: BlobStore::local(&blob_dir, zhengwu_crypto::sm4gcm::Sm4Key::new([8; 16])),
            blob_dir,
        })
    }

    fn at(&self, now: DateTime<Utc>) -> Ctx<'_> {
        Ctx { db: &self.t.db, audit: &self.audit, meta: &self.meta, now, sessions: &self.sessions }
    }

    async fn staff(&self, username: &str) -> StaffActor {
        let keys = id::StaffKeys::from_master(&self.master);
        zhengwu_core::testing::signed_in_staff(&self.at(Utc::now()), &keys, username, NEW_PASSWORD).await
    }

    async fn citizen(&self, phone: &str) -> CitizenActor {
        let now = Utc::now();
        let (token, a) = zhengwu_core::testing::signed_in_citizen(&self.at(now), &self.keys, phone).await;
        citizen::set_real_name(&self.at(now), &self.keys, &a, "王小明", ID).await.unwrap();
        citizen::session_actor(&self.at(now), Duration::minutes(30), &token).await.unwrap().unwrap()
    }

    async fn file(&self) -> NewFile {
        let mut w = self.blobs.writer(5 << 20, &[FileType::Pdf]).await.unwrap();
        w.write(b"%PDF-1.7\n").await.unwrap();
        let blob = w.finish().await.unwrap();
        NewFile { field: "termination_proof".into(), display_name: "证明.pdf".into(), blob }
    }

    fn answers(now: DateTime<Utc>) -> BTreeMap<String, Vec<String>> {
        let v = |s: &str| vec![s.to_string()];
        let leave = zhengwu_core::time::shanghai_date(now) - Duration::days(10);
        [
            ("applicant_name", v("王小明")),
            ("id_number", v(ID)),
            ("mobile", v(PHONE)),
            ("last_employer", v("青山县某某机械厂")),
            ("leave_date", v(&leave.to_string())),
            ("leave_reason", v("劳动合同期满")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Submits a new application at `now`: (case id, client key).
    async fn submit(&self, me: &CitizenActor, k: u32, now: DateTime<Utc>) -> (i64, String) {
        let key = format!("{:032x}", 0xfeed_0000_u128 + u128::from(k));
        let posted =
            Posted { client_key: key.clone(), answers: Self::answers(now), submit: true, ..Default::default() };
        let f = self.file().await;
        match cases::save(&self.at(now), &self.keys, me, ITEM, &posted, &[f]).await.unwrap() {
            Saved::Submitted { case_id, .. } => (case_id, key),
            other => panic!("{other:?}"),
        }
    }

    async fn resubmit(&self, me: &CitizenActor, key: &str, now: DateTime<Utc>) {
        let posted = Posted {
            client_key: key.into(),
            answers: Self::answers(now),
            submit: true,
            use_saved: false,
            ..Default::default()
        };
        let saved = cases::save(&self.at(now), &self.keys, me, ITEM, &posted, &[]).await.unwrap();
        assert!(matches!(saved, Saved::Submitted { .. }), "{saved:?}");
    }

    /// The open task of `who` on the case.
    async fn task(&self, case_id: i64, who: &StaffActor) -> Option<i64> {
        with_db!(&self.t.db, pool => sqlx::query_scalar(
            "SELECT id FROM case_tasks WHERE case_id = $1 AND assignee_id = $2 AND status = 'open'")
            .bind(case_id).bind(who.id).fetch_optional(pool).await)
        .unwrap()
    }

    async fn open_tasks(&self, case_id: i64) -> Vec<(String, Option<i64>)> {
        with_db!(&self.t.db, pool => sqlx::query_as(
            "SELECT step, assignee_id FROM case_tasks WHERE case_id = $1 AND status = 'open' ORDER BY id")
            .bind(case_id).fetch_all(pool).await)
        .unwrap()
    }

    async fn case(&self, case_id: i64) -> (String, Option<String>, Option<String>, String) {
        with_db!(&self.t.db, pool => sqlx::query_as(
            "SELECT status, step, due_date, warning FROM cases WHERE id = $1").bind(case_id).fetch_one(pool).await)
        .unwrap()
    }

    async fn events(&self, case_id: i64, kind: &str) -> i64 {
        with_db!(&self.t.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND kind = $2")
            .bind(case_id).bind(kind).fetch_one(pool).await)
        .unwrap()
    }

    async fn act(&self, who: &StaffActor, case_id: i64, a: Act, now: DateTime<Utc>) -> Result<Outcome, WorkflowError> {
        let task = self.task(case_id, who).await.unwrap_or(-1);
        workflow::act(&self.at(now), who, task, a, POLICY).await
    }

    async fn finish(self) {
        audit::verify(&self.t.db, &self.audit).await.unwrap().expect("audit chain intact");
        let _ = std::fs::remove_dir_all(&self.blob_dir);
        self.t.finish().await;
    }
}

fn approve(choose: Option<i64>) -> Act {
    Act::Approve { opinion: "同意。".into(), choose }
}

async fn accept_and_approve_conclude_the_case_for_the_citizen(b: Backend) {
    let Some(w) = World::new(b, "wf_basic").await else { return };
    let me = w.citizen(PHONE).await;
    let (xuqing, hewei, chenjing) = (w.staff("xuqing").await, w.staff("hewei").await, w.staff("chenjing").await);
    let t0 = at10("2026-02-11"); // Wednesday
    let (case_id, _) = w.submit(&me, 1, t0).await;
    // 受理 is any-sign among the 人社局 reviewers: one task each.
    let open = w.open_tasks(case_id).await;
    assert_eq!(open.len(), 3, "{open:?}");
    assert!(open.iter().all(|(s, _)| s == "accept"));
    let inbox = workflow::inbox(&w.at(t0), &hewei, &Default::default(), POLICY).await.unwrap();
    assert_eq!(inbox.open, 1);
    assert_eq!(inbox.rows[0].step_name, "受理");
    // 受理 has its own limit of one working day: due Thursday 02-12, late on Friday.
    assert_eq!(inbox.rows[0].step_due.as_deref(), Some("2026-02-12"));
    assert!(!inbox.rows[0].step_overdue);
    let late = workflow::inbox(&w.at(at10("2026-02-13")), &hewei, &Default::default(), POLICY).await.unwrap();
    assert!(late.rows[0].step_overdue);
    // xuqing accepts and chooses hewei for the decision.
    let out = w.act(&xuqing, case_id, approve(Some(hewei.id)), t0).await.unwrap();
    assert_eq!(out, Outcome::Moved { step: "审查决定".into() });
    let (status, step, due, _) = w.case(case_id).await;
    assert_eq!((status.as_str(), step.as_deref()), ("processing", Some("review")));
    // 3 working days from Wednesday 02-11, the day itself not counted: 02-12, 02-13, and the
    // make-up workday Saturday 02-14.
    assert_eq!(due.as_deref(), Some("2026-02-14"));
    assert_eq!(w.open_tasks(case_id).await, vec![("review".to_string(), Some(hewei.id))]);
    assert!(w.task(case_id, &chenjing).await.is_none(), "the other 受理 tasks were cancelled");
    let panel = workflow::panel(&w.at(t0), &hewei, case_id, POLICY).await.unwrap();
    assert_eq!(panel.clock.days_left, Some(3));
    assert!(panel.actions.contains(&StepAction::Approve) && panel.actions.contains(&StepAction::Return));
    assert_eq!(panel.return_to, vec![("accept".to_string(), "受理".to_string())]);
    // hewei approves: concluded, granted.
    let t1 = at10("2026-02-13");
    assert_eq!(w.act(&hewei, case_id, approve(None), t1).await.unwrap(), Outcome::Concluded(CaseStatus::Approved));
    let detail = cases::my_case(&w.at(t1), &w.keys, &me, case_id).await.unwrap();
    assert_eq!(detail.summary.status, CaseStatus::Approved);
    let kinds: Vec<&str> = detail.timeline.iter().map(|e| e.kind.code()).collect();
    assert_eq!(kinds, vec!["submitted", "accepted", "approved"], "the citizen sees each public step");
    assert!(detail.timeline.iter().all(|e| e.actor != "xuqing" && e.actor != "hewei"), "no staff names in public");
    assert!(w.open_tasks(case_id).await.is_empty());
    let done = workflow::done(&w.at(t1), &hewei, POLICY).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].decision.as_deref(), Some("同意"));
    let actions: Vec<String> =
        with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT action FROM audit_log WHERE object_id = $1 ORDER BY seq")
        .bind(case_id.to_string()).fetch_all(pool).await)
        .unwrap();
    assert_eq!(actions.iter().filter(|a| *a == "case.approve").count(), 2, "{actions:?}");
    // Acting again on a concluded case: the task is gone.
    assert!(matches!(w.act(&hewei, case_id, approve(None), t1).await, Err(WorkflowError::NotFound)));
    w.finish().await;
}

fn countersign_def() -> WorkflowDef {
    use StepAction::*;
    WorkflowDef {
        steps: vec![
            StepDef {
                key: "accept".into(),
                name: "受理".into(),
                assignee: AssigneeRule::User { username: "xuqing".into() },
                mode: StepMode::Single,
                actions: vec![Approve, Reject],
                limit_days: Some(1),
                next: Some("joint".into()),
            },
            StepDef {
                key: "joint".into(),
                name: "集体会审".into(),
                assignee: AssigneeRule::CaseDepartment { role: "bureau_reviewer".into() },
                mode: StepMode::All,
                actions: vec![Approve, Reject, Return],
                limit_days: Some(2),
                next: None,
            },
        ],
    }
}

async fn countersign_needs_everyone_and_running_cases_keep_their_version(b: Backend) {
    let Some(w) = World::new(b, "wf_countersign").await else { return };
    let me = w.citizen(PHONE).await;
    let (xuqing, hewei, chenjing) = (w.staff("xuqing").await, w.staff("hewei").await, w.staff("chenjing").await);
    let admin = w.staff("zhoumin").await;
    let t0 = at10("2026-03-02");
    let (old_case, _) = w.submit(&me, 1, t0).await; // on the default workflow (version 1)
    let v2 = workflow::publish(&w.at(t0), &admin, ITEM, &countersign_def()).await.unwrap();
    assert_eq!(v2, 2);
    let (new_case, _) = w.submit(&me, 2, t0).await;
    assert_eq!(w.open_tasks(new_case).await, vec![("accept".to_string(), Some(xuqing.id))], "version 2: named user");
    assert_eq!(w.open_tasks(old_case).await.len(), 3, "version 1 kept: any-sign among three");
    w.act(&xuqing, new_case, approve(None), t0).await.unwrap();
    assert_eq!(w.open_tasks(new_case).await.len(), 3, "会签: one task per reviewer");
    assert_eq!(w.act(&hewei, new_case, approve(None), t0).await.unwrap(), Outcome::Waiting);
    assert_eq!(w.act(&chenjing, new_case, approve(None), t0).await.unwrap(), Outcome::Waiting);
    assert_eq!(w.case(new_case).await.0, "processing");
    assert_eq!(w.act(&xuqing, new_case, approve(None), t0).await.unwrap(), Outcome::Concluded(CaseStatus::Approved));
    assert_eq!(w.events(new_case, "countersigned").await, 2);
    // The old case still runs version 1: accept → review with the choice of the acceptor.
    w.act(&hewei, old_case, approve(Some(chenjing.id)), t0).await.unwrap();
    assert_eq!(w.open_tasks(old_case).await, vec![("review".to_string(), Some(chenjing.id))]);
    let v: i32 = with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT workflow_version FROM cases WHERE id = $1")
        .bind(old_case).fetch_one(pool).await)
    .unwrap();
    assert_eq!(v, 1);
    // A countersign where one refuses: the case is refused.
    let (third, _) = w.submit(&me, 3, t0).await;
    w.act(&xuqing, third, approve(None), t0).await.unwrap();
    w.act(&hewei, third, approve(None), t0).await.unwrap();
    let out = w.act(&chenjing, third, Act::Reject { reason: "不符合申领条件".into() }, t0).await.unwrap();
    assert_eq!(out, Outcome::Concluded(CaseStatus::Rejected));
    assert!(w.open_tasks(third).await.is_empty());
    w.finish().await;
}

async fn the_limit_survives_supplement_return_transfer_and_a_new_version(b: Backend) {
    let Some(w) = World::new(b, "wf_regression").await else { return };
    let me = w.citizen(PHONE).await;
    let (xuqing, hewei, chenjing) = (w.staff("xuqing").await, w.staff("hewei").await, w.staff("chenjing").await);
    let (case_id, key) = w.submit(&me, 1, at10("2026-02-11")).await;
    w.act(&xuqing, case_id, approve(Some(hewei.id)), at10("2026-02-11")).await.unwrap();
    assert_eq!(w.case(case_id).await.2.as_deref(), Some("2026-02-14"));
    // Thursday 02-12: 补正. Two working days are left (02-13 and 02-14); the clock stops.
    let supplement = Act::Supplement {
        message: "请补充解除劳动关系证明原件".into(),
        fields: vec!["termination_proof".into()],
    };
    w.act(&hewei, case_id, supplement, at10("2026-02-12")).await.unwrap();
    let (status, _, _, _) = w.case(case_id).await;
    assert_eq!(status, "supplement");
    let panel = workflow::panel(&w.at(at10("2026-02-20")), &hewei, case_id, POLICY).await.unwrap();
    assert_eq!(panel.clock.days_left, Some(2), "stopped: the days left do not run down");
    assert!(panel.clock.paused.is_some());
    // A new workflow version meanwhile changes nothing for this case.
    workflow::publish(&w.at(at10("2026-02-13")), &w.staff("zhoumin").await, ITEM, &countersign_def()).await.unwrap();
    // Resubmitted Tuesday 02-24 after the Spring Festival: 2 working days from there, 02-26.
    w.resubmit(&me, &key, at10("2026-02-24")).await;
    let (status, step, due, _) = w.case(case_id).await;
    assert_eq!((status.as_str(), step.as_deref(), due.as_deref()), ("processing", Some("review"), Some("2026-02-26")));
    // Back at the same step of version 1, with the reviewer who asked for the correction.
    assert_eq!(w.open_tasks(case_id).await, vec![("review".to_string(), Some(hewei.id))]);
    // Return to 受理, approve again: the due date does not move, acceptance is not repeated.
    let ret = Act::Return { to: "accept".into(), opinion: "请重新核对受理材料".into() };
    assert_eq!(
        w.act(&hewei, case_id, ret, at10("2026-02-24")).await.unwrap(),
        Outcome::Returned { step: "受理".into() }
    );
    w.act(&xuqing, case_id, approve(Some(hewei.id)), at10("2026-02-24")).await.unwrap();
    assert_eq!(w.case(case_id).await.2.as_deref(), Some("2026-02-26"));
    assert_eq!(w.events(case_id, "accepted").await, 1);
    // Transfer to a colleague: the due date still stands.
    let tr = Act::Transfer { to: chenjing.id, opinion: "请陈静办理".into() };
    assert_eq!(w.act(&hewei, case_id, tr, at10("2026-02-25")).await.unwrap(), Outcome::Handed);
    assert_eq!(w.open_tasks(case_id).await, vec![("review".to_string(), Some(chenjing.id))]);
    let inbox = workflow::inbox(&w.at(at10("2026-02-26")), &chenjing, &Default::default(), POLICY).await.unwrap();
    assert_eq!(inbox.rows[0].case_due.as_deref(), Some("2026-02-26"));
    assert_eq!(inbox.rows[0].warning, Warning::Yellow, "due today");
    let inbox = workflow::inbox(&w.at(at10("2026-02-27")), &chenjing, &Default::default(), POLICY).await.unwrap();
    assert_eq!((inbox.red, inbox.rows[0].days_left), (1, Some(-1)), "a day late");
    assert_eq!(
        w.act(&chenjing, case_id, approve(None), at10("2026-02-27")).await.unwrap(),
        Outcome::Concluded(CaseStatus::Approved)
    );
    w.finish().await;
}

async fn two_staff_acting_at_once_apply_exactly_once(b: Backend) {
    let Some(w) = World::new(b, "wf_race").await else { return };
    let me = w.citizen(PHONE).await;
    let (xuqing, hewei) = (w.staff("xuqing").await, w.staff("hewei").await);
    let t0 = at10("2026-03-02");
    let mut ids = vec![];
    for k in 0..12 {
        ids.push(w.submit(&me, k, t0).await.0);
    }
    let w = std::sync::Arc::new(w);
    let mut handles = vec![];
    for &case_id in &ids {
        for who in [xuqing.clone(), hewei.clone()] {
            let w = w.clone();
            handles.push(tokio::spawn(async move {
                let task = w.task(case_id, &who).await.unwrap();
                let r = workflow::act(&w.at(t0), &who, task, approve(Some(who.id)), POLICY).await;
                (case_id, who.id, r)
            }));
        }
    }
    let mut won = BTreeMap::<i64, usize>::new();
    for h in handles {
        let (case_id, _, r) = h.await.unwrap();
        match r {
            Ok(Outcome::Moved { .. }) => *won.entry(case_id).or_default() += 1,
            Err(WorkflowError::AlreadyHandled { by }) => assert!(by == "徐青" || by == "何伟", "{by}"),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(won.len(), ids.len());
    assert!(won.values().all(|n| *n == 1), "exactly one applies per case: {won:?}");
    for &case_id in &ids {
        assert_eq!(w.events(case_id, "accepted").await, 1);
        let open = w.open_tasks(case_id).await;
        assert_eq!(open.len(), 1, "one review task, no double transition: {open:?}");
        let approved: i64 = with_db!(&w.t.db, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_tasks WHERE case_id = $1 AND decision = 'approve'").bind(case_id).fetch_one(pool).await)
        .unwrap();
        assert_eq!(approved, 1);
    }
    // One person double-clicking: the second is told it was handled (by them).
    let case_id = ids[0];
    let reviewer_id = w.open_tasks(case_id).await[0].1.unwrap();
    let reviewer = if reviewer_id == xuqing.id { xuqing.clone() } else { hewei.clone() };
    let task = w.task(case_id, &reviewer).await.unwrap();
    let (ctx1, ctx2) = (w.at(t0), w.at(t0));
    let (a, b2) = tokio::join!(
        workflow::act(&ctx1, &reviewer, task, approve(None), POLICY),
        workflow::act(&ctx2, &reviewer, task, approve(None), POLICY)
    );
    assert!(a.is_ok() != b2.is_ok(), "{a:?} {b2:?}");
    assert_eq!(w.events(case_id, "approved").await, 1);
    match std::sync::Arc::try_unwrap(w) {
        Ok(w) => w.finish().await,
        Err(_) => panic!("world still shared"),
    }
}

async fn transfer_delegate_withdraw_suspend_extend_terminate(b: Backend) {
    let Some(w) = World::new(b, "wf_actions").await else { return };
    let me = w.citizen(PHONE).await;
    let (xuqing, hewei, chenjing) = (w.staff("xuqing").await, w.staff("hewei").await, w.staff("chenjing").await);
    let leader = w.staff("wangfang").await; // county leader: case:supervise, scope all
    let t0 = at10("2026-11-02"); // Monday
                                 // Withdraw before acceptance; not after.
    let (c1, _) = w.submit(&me, 1, t0).await;
    workflow::withdraw(&w.at(t0), &me, c1).await.unwrap();
    assert_eq!(w.case(c1).await.0, "withdrawn");
    assert!(w.open_tasks(c1).await.is_empty());
    assert!(matches!(w.act(&xuqing, c1, approve(None), t0).await, Err(WorkflowError::NotFound)));
    let (c2, _) = w.submit(&me, 2, t0).await;
    w.act(&xuqing, c2, approve(Some(hewei.id)), t0).await.unwrap();
    assert!(matches!(workflow::withdraw(&w.at(t0), &me, c2).await, Err(WorkflowError::Invalid { .. })));
    // Due: 3 working days after Monday 11-02 → Thursday 11-05.
    assert_eq!(w.case(c2).await.2.as_deref(), Some("2026-11-05"));
    // Delegate to chenjing, take back; chenjing cannot act after.
    let del = Act::Delegate { to: chenjing.id, opinion: "请协助审查".into() };
    w.act(&hewei, c2, del, t0).await.unwrap();
    assert!(w.task(c2, &hewei).await.is_none() && w.task(c2, &chenjing).await.is_some());
    let task = w.task(c2, &chenjing).await.unwrap();
    workflow::act(&w.at(t0), &hewei, task, Act::TakeBack, POLICY).await.unwrap();
    assert!(matches!(
        workflow::act(&w.at(t0), &chenjing, task, approve(None), POLICY).await,
        Err(WorkflowError::Forbidden)
    ));
    // Copy to chenjing for information: listed unread until opened.
    w.act(&hewei, c2, Act::Copy { to: chenjing.id, note: "请知悉".into() }, t0).await.unwrap();
    let copies = workflow::copied(&w.at(t0), &chenjing).await.unwrap();
    assert_eq!((copies.len(), copies[0].read, copies[0].by.as_str()), (1, false, "何伟"));
    workflow::panel(&w.at(t0), &chenjing, c2, POLICY).await.unwrap();
    assert!(workflow::copied(&w.at(t0), &chenjing).await.unwrap()[0].read);
    assert!(w.task(c2, &chenjing).await.is_none(), "a copy is not a task");
    // Transfer to someone outside: refused.
    let lina: i64 = with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT id FROM staff WHERE username = 'lina'")
        .fetch_one(pool).await)
    .unwrap();
    let r = w.act(&hewei, c2, Act::Transfer { to: lina, opinion: "请办理".into() }, t0).await;
    assert!(matches!(r, Err(WorkflowError::Invalid { field: "to", .. })), "{r:?}");
    // Suspend on Tuesday 11-03 (2 days left: 11-04, 11-05); approving is refused meanwhile.
    w.act(&hewei, c2, Act::Suspend { note: "专家评审".into() }, at10("2026-11-03")).await.unwrap();
    let r = w.act(&hewei, c2, approve(None), at10("2026-11-04")).await;
    assert!(matches!(r, Err(WorkflowError::Invalid { .. })), "{r:?}");
    // Asked for by the handler while stopped, approved by the leader: 2 + 5 days left when it
    // resumes. One pending request at a time; the handler cannot approve it; decided once.
    let ask = |days| Act::RequestExtension { days, reason: "需补充调查".into() };
    w.act(&hewei, c2, ask(5), at10("2026-11-05")).await.unwrap();
    let r = w.act(&hewei, c2, ask(3), at10("2026-11-05")).await;
    assert!(matches!(r, Err(WorkflowError::Invalid { .. })), "{r:?}");
    let pending = workflow::supervision(&w.at(at10("2026-11-05")), &leader, POLICY).await.unwrap().extensions;
    assert_eq!(pending.len(), 1);
    let decide =
        |approve: bool, note: &str| Supervise::DecideExtension { request: pending[0].0, approve, note: note.into() };
    let r = workflow::supervise(&w.at(at10("2026-11-05")), &hewei, c2, decide(true, ""), POLICY).await;
    assert!(matches!(r, Err(WorkflowError::Forbidden)), "{r:?}");
    workflow::supervise(&w.at(at10("2026-11-05")), &leader, c2, decide(true, ""), POLICY).await.unwrap();
    let r = workflow::supervise(&w.at(at10("2026-11-05")), &leader, c2, decide(false, "重复审批"), POLICY).await;
    assert!(matches!(r, Err(WorkflowError::Invalid { .. })), "{r:?}");
    // Resume Monday 11-16: 7 working days after it → Wednesday 11-25.
    assert_eq!(w.act(&hewei, c2, Act::Resume, at10("2026-11-16")).await.unwrap(), Outcome::Resumed);
    let (_, _, due, _) = w.case(c2).await;
    assert_eq!(due.as_deref(), Some("2026-11-25"));
    // Check against the calendar itself.
    let cal = Calendar::shipped();
    assert_eq!(cal.add(d("2026-11-16"), 7, Counting::Working), d("2026-11-25"));
    // Extend while running: +2 working days → Friday 11-27.
    workflow::supervise(
        &w.at(at10("2026-11-17")),
        &leader,
        c2,
        Supervise::Extend { days: 2, reason: "听证".into() },
        POLICY,
    )
    .await
    .unwrap();
    assert_eq!(w.case(c2).await.2.as_deref(), Some("2026-11-27"));
    // Remind, then terminate: tasks cancelled, the citizen sees it.
    workflow::supervise(
        &w.at(at10("2026-11-18")),
        &leader,
        c2,
        Supervise::Remind { message: "请抓紧办理".into() },
        POLICY,
    )
    .await
    .unwrap();
    let inbox = workflow::inbox(&w.at(at10("2026-11-18")), &hewei, &Default::default(), POLICY).await.unwrap();
    assert_eq!(inbox.rows[0].reminders, 1);
    let r = workflow::supervise(
        &w.at(at10("2026-11-18")),
        &leader,
        c2,
        Supervise::Terminate { reason: "x".into() },
        POLICY,
    )
    .await;
    assert!(matches!(r, Err(WorkflowError::Invalid { field: "reason", .. })));
    workflow::supervise(
        &w.at(at10("2026-11-18")),
        &leader,
        c2,
        Supervise::Terminate { reason: "申请人死亡，终止办理".into() },
        POLICY,
    )
    .await
    .unwrap();
    assert_eq!(w.case(c2).await.0, "terminated");
    let public = cases::my_case(&w.at(at10("2026-11-18")), &w.keys, &me, c2).await.unwrap();
    let kinds: Vec<&str> = public.timeline.iter().map(|e| e.kind.code()).collect();
    assert_eq!(kinds, vec!["submitted", "accepted", "suspended", "extended", "resumed", "extended", "terminated"]);
    let approved: (String, i32) = with_db!(&w.t.db, pool => sqlx::query_as(
        "SELECT status, days FROM case_extensions WHERE case_id = $1").bind(c2).fetch_one(pool).await)
    .unwrap();
    assert_eq!(approved, ("approved".to_string(), 5));
    assert!(matches!(w.act(&hewei, c2, approve(None), at10("2026-11-18")).await, Err(WorkflowError::NotFound)));
    w.finish().await;
}

async fn nobody_matching_goes_to_the_dispatcher_with_an_alert(b: Backend) {
    let Some(w) = World::new(b, "wf_fallback").await else { return };
    let me = w.citizen(PHONE).await;
    let admin = w.staff("zhoumin").await;
    let leader = w.staff("wangfang").await;
    let chenjing = w.staff("chenjing").await;
    let mut def = workflow::default_definition();
    // Nobody holds county_leader in 人社局.
    def.steps[0].assignee = AssigneeRule::Role { role: "county_leader".into(), department: "QS-RSJ".into() };
    let t0 = at10("2026-03-02");
    workflow::publish(&w.at(t0), &admin, ITEM, &def).await.unwrap();
    // No dispatcher anywhere (the demo names one for 人社局; removed here): an unassigned task
    // and an alert.
    with_db!(&w.t.db, pool => sqlx::query("UPDATE departments SET dispatcher_id = NULL")
        .execute(pool).await.map(|_| ()))
    .unwrap();
    let (c1, _) = w.submit(&me, 1, t0).await;
    assert_eq!(w.open_tasks(c1).await, vec![("accept".to_string(), None)]);
    // The supervisor assigns it: the alert is closed, the person has the task.
    let xuqing = w.staff("xuqing").await;
    let lina: i64 = with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT id FROM staff WHERE username = 'lina'")
        .fetch_one(pool).await)
    .unwrap();
    let panel = workflow::panel(&w.at(t0), &leader, c1, POLICY).await.unwrap();
    assert!(panel.assignable.iter().any(|p| p.id == xuqing.id), "{:?}", panel.assignable);
    let clerk = w.staff("zhangwei").await;
    let r = workflow::supervise(&w.at(t0), &clerk, c1, Supervise::Assign { to: xuqing.id }, POLICY).await;
    assert!(matches!(r, Err(WorkflowError::Forbidden)));
    workflow::supervise(&w.at(t0), &leader, c1, Supervise::Assign { to: xuqing.id }, POLICY).await.unwrap();
    assert_eq!(w.open_tasks(c1).await, vec![("accept".to_string(), Some(xuqing.id))]);
    let r = workflow::supervise(&w.at(t0), &leader, c1, Supervise::Assign { to: lina }, POLICY).await;
    assert!(matches!(r, Err(WorkflowError::Invalid { .. })), "nothing left to assign: {r:?}");
    let alerts = workflow::supervision(&w.at(t0), &leader, POLICY).await.unwrap().alerts;
    assert!(alerts.is_empty(), "{alerts:?}");
    w.act(&xuqing, c1, approve(Some(xuqing.id)), t0).await.unwrap();
    // With a dispatcher for 人社局: the task goes to them.
    // Named by the system administrator (dept:manage), only from the department's own staff.
    let sysadmin = w.staff("sysadmin").await;
    let rsj: i64 = with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT id FROM departments WHERE code = 'QS-RSJ'")
        .fetch_one(pool).await)
    .unwrap();
    let lina_id: i64 = with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT id FROM staff WHERE username = 'lina'")
        .fetch_one(pool).await)
    .unwrap();
    assert!(matches!(
        zhengwu_core::identity::set_dispatcher(&w.at(t0), &leader, rsj, Some(chenjing.id)).await,
        Err(zhengwu_core::identity::IdentityError::Forbidden)
    ));
    assert!(matches!(
        zhengwu_core::identity::set_dispatcher(&w.at(t0), &sysadmin, rsj, Some(lina_id)).await,
        Err(zhengwu_core::identity::IdentityError::Invalid { .. })
    ));
    zhengwu_core::identity::set_dispatcher(&w.at(t0), &sysadmin, rsj, Some(chenjing.id)).await.unwrap();
    let (c2, _) = w.submit(&me, 2, t0).await;
    assert_eq!(w.open_tasks(c2).await, vec![("accept".to_string(), Some(chenjing.id))]);
    let alerts = workflow::supervision(&w.at(t0), &leader, POLICY).await.unwrap().alerts;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(alerts.iter().any(|a| a.0 == c2 && a.2.contains("分办员")));
    // The dispatcher may hand it on even though the step does not list transfer for others.
    let hewei = w.staff("hewei").await;
    let out = w.act(&chenjing, c2, Act::Transfer { to: hewei.id, opinion: "请何伟受理".into() }, t0).await.unwrap();
    assert_eq!(out, Outcome::Handed);
    assert!(w.task(c2, &hewei).await.is_some());
    w.finish().await;
}

async fn the_warning_job_runs_once_per_day_and_catches_up(b: Backend) {
    let Some(w) = World::new(b, "wf_job").await else { return };
    let me = w.citizen(PHONE).await;
    let xuqing = w.staff("xuqing").await;
    let leader = w.staff("wangfang").await;
    // Three cases accepted on different days; promised 3 working days each.
    let mut cases_by_day = vec![];
    for (k, day) in ["2026-11-16", "2026-11-19", "2026-11-23"].iter().enumerate() {
        let (c, _) = w.submit(&me, k as u32, at10(day)).await;
        w.act(&xuqing, c, approve(Some(xuqing.id)), at10(day)).await.unwrap();
        cases_by_day.push(c);
    }
    // Due: 11-19, 11-24, 11-26. A run on 11-20 (and its rival instance) — exactly one runs.
    let now = at10("2026-11-20");
    let (a, b2) = tokio::join!(
        warnings::deadline_warnings(&w.t.db, &w.audit, "instance-a", now, POLICY),
        warnings::deadline_warnings(&w.t.db, &w.audit, "instance-b", now, POLICY)
    );
    let (a, b2) = (a.unwrap(), b2.unwrap());
    assert!(a.ran != b2.ran, "exactly one instance runs the day: {a:?} {b2:?}");
    let ran = if a.ran { a } else { b2 };
    assert_eq!((ran.checked, ran.to_red, ran.to_yellow), (3, 1, 0), "{ran:?}");
    assert_eq!(w.case(cases_by_day[0]).await.3, "red");
    // Later the same day: nothing.
    assert!(
        !warnings::deadline_warnings(&w.t.db, &w.audit, "instance-a", now + Duration::hours(3), POLICY)
            .await
            .unwrap()
            .ran
    );
    // Down from 11-21 to 11-26: one run catches up (the 11-24 case is now red, 11-26 yellow).
    let later = at10("2026-11-26");
    let r = warnings::deadline_warnings(&w.t.db, &w.audit, "instance-b", later, POLICY).await.unwrap();
    assert!(r.ran);
    assert_eq!(r.missed, vec!["2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"]);
    assert_eq!((r.to_red, r.to_yellow), (1, 1), "{r:?}");
    let states: Vec<String> = {
        let mut v = vec![];
        for c in &cases_by_day {
            v.push(w.case(*c).await.3);
        }
        v
    };
    assert_eq!(states, vec!["red", "red", "yellow"]);
    assert_eq!(w.events(cases_by_day[0], "warning_red").await, 1, "one entry, not one per missed day");
    let rows = workflow::supervision(&w.at(later), &leader, POLICY).await.unwrap().rows;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].warning, Warning::Red);
    // A claim left unfinished by a dead instance is taken over after its lease.
    let stuck = at10("2026-11-27");
    assert!(jobs::claim(&w.t.db, warnings::DEADLINE_JOB, "2026-11-27", "dead", stuck).await.unwrap());
    assert!(!jobs::claim(&w.t.db, warnings::DEADLINE_JOB, "2026-11-27", "alive", stuck + Duration::minutes(5))
        .await
        .unwrap());
    assert!(jobs::claim(&w.t.db, warnings::DEADLINE_JOB, "2026-11-27", "alive", stuck + Duration::minutes(20))
        .await
        .unwrap());
    w.finish().await;
}

async fn definitions_are_checked_before_publishing(b: Backend) {
    let Some(w) = World::new(b, "wf_defs").await else { return };
    let admin = w.staff("zhoumin").await;
    let hewei = w.staff("hewei").await;
    let ctx = w.at(Utc::now());
    let mut def = workflow::default_definition();
    assert!(matches!(workflow::publish(&ctx, &hewei, ITEM, &def).await, Err(WorkflowError::Forbidden)));
    def.steps[0].assignee = AssigneeRule::Role { role: "no_such_role".into(), department: "QS-NOPE".into() };
    def.steps[1].next = Some("accept".into());
    match workflow::publish(&ctx, &admin, ITEM, &def).await {
        Err(WorkflowError::BadDefinition(p)) => {
            let all: Vec<&str> = p.iter().map(|p| p.message.as_str()).collect();
            assert!(all.iter().any(|m| m.contains("循环")), "{all:?}");
            assert!(all.iter().any(|m| m.contains("no_such_role")), "{all:?}");
            assert!(all.iter().any(|m| m.contains("QS-NOPE")), "{all:?}");
        }
        other => panic!("{other:?}"),
    }
    let versions: i64 = with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM workflow_definitions")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(versions, 0, "nothing published");
    w.finish().await;
}
