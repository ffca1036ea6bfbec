//! Deciding: acceptance and approval to a concluded case, countersign and any-sign with
//! versions kept by running cases, the clock through supplement, return, transfer and a new
//! version, and two staff acting at once.

use super::*;

zhengwu_core::on_both!(
    accept_and_approve_conclude_the_case_for_the_citizen,
    countersign_needs_everyone_and_running_cases_keep_their_version,
    the_limit_survives_supplement_return_transfer_and_a_new_version,
    two_staff_acting_at_once_apply_exactly_once,
);

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
    // Every task is read before the race starts: inside it, a quick winner could cancel the
    // other's (或签) before they looked it up.
    let mut entrants = vec![];
    for &case_id in &ids {
        for who in [xuqing.clone(), hewei.clone()] {
            let task = w.task(case_id, &who).await.expect("both hold an open task before anyone acts");
            entrants.push((case_id, who, task));
        }
    }
    let mut handles = vec![];
    for (case_id, who, task) in entrants {
        let w = w.clone();
        handles.push(tokio::spawn(async move {
            let r = workflow::act(&w.at(t0), &who, task, approve(Some(who.id)), POLICY).await;
            (case_id, who.id, r)
        }));
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
