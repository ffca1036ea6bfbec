//! Handing on and supervising: transfer, delegate, withdraw, suspend, extend, terminate, and
//! the dispatcher fallback with its alert.

use super::*;

zhengwu_core::on_both!(
    transfer_delegate_withdraw_suspend_extend_terminate,
    nobody_matching_goes_to_the_dispatcher_with_an_alert,
);

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
