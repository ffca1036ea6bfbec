//! The warning job's exactly-once run and catch-up, and the checks before a definition is
//! published.

use super::*;

zhengwu_core::on_both!(the_warning_job_runs_once_per_day_and_catches_up, definitions_are_checked_before_publishing,);

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
