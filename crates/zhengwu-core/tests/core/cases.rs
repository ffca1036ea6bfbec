//! The service catalogue and cases on SQLite and PostgreSQL: browsing and filtering, staff
//! changes audited and scoped, the application from draft to submission with attachments,
//! idempotent submission (also under concurrency), tracking numbers, the public look-up,
//! supplement requests, form versions kept by cases, and the staff list in data scope.

use crate::common::*;
use chrono::{Duration, Utc};
use zhengwu_core::{
    cases::{self, CaseError, CaseFilter, Posted, Saved},
    citizen::CitizenActor,
    services::{self, ItemEdit, ServiceError},
    testing::Backend,
    with_db,
};
use zhengwu_types::{
    services::{CaseStatus, DayKind, ItemStatus, ServiceFilter, ServiceObject},
    PageRequest,
};

zhengwu_core::on_both!(
    the_catalogue_filters_by_theme_department_object_and_text,
    staff_change_items_within_scope_and_every_change_is_audited,
    an_application_goes_from_draft_to_submitted_once,
    concurrent_submissions_of_one_form_make_one_case,
    many_applicants_submitting_at_once_do_not_starve_the_pool,
    the_public_lookup_answers_only_with_the_right_digits,
    a_supplement_request_is_answered_and_resubmitted,
    a_case_keeps_its_form_version,
    staff_see_incoming_cases_in_their_scope_only,
);

async fn the_catalogue_filters_by_theme_department_object_and_text(b: Backend) {
    let Some(w) = World::new(b, "sv_catalogue").await else { return };
    let db = &w.t.db;
    let all = services::list_published(db, &ServiceFilter::default(), PageRequest::first()).await.unwrap();
    assert!(all.total >= 30);
    assert_eq!(all.items.len(), 15, "paged");
    let by_theme = ServiceFilter { theme: Some("unemployment".into()), ..Default::default() };
    let p = services::list_published(db, &by_theme, PageRequest::first()).await.unwrap();
    assert!(p.total >= 3 && p.items.iter().any(|i| i.code == ITEM));
    let by_dept = ServiceFilter { department: Some("QS-MZJ".into()), ..Default::default() };
    let p = services::list_published(db, &by_dept, PageRequest::first().with_per_page(100)).await.unwrap();
    assert!(p.total >= 5 && p.items.iter().all(|i| i.department == "青山县民政局"), "{:?}", p.items);
    let firms = ServiceFilter { object: Some(ServiceObject::Enterprise), ..Default::default() };
    let p = services::list_published(db, &firms, PageRequest::first().with_per_page(100)).await.unwrap();
    assert!(p.items.iter().all(|i| i.object != ServiceObject::Individual));
    assert!(p.items.iter().any(|i| i.object == ServiceObject::Both), "items for both kinds are listed for each");
    let text = ServiceFilter { q: Some("失业".into()), ..Default::default() };
    let p = services::list_published(db, &text, PageRequest::first()).await.unwrap();
    assert!(p.total >= 2 && p.items.iter().all(|i| i.name.contains("失业")));
    let wild = ServiceFilter { q: Some("%".into()), ..Default::default() };
    assert_eq!(
        services::list_published(db, &wild, PageRequest::first()).await.unwrap().total,
        all.total,
        "% is not a wildcard"
    );
    let themes = services::themes(db).await.unwrap();
    assert!(themes.iter().any(|t| t.code == "party_dues" && t.items >= 1));
    let g = services::published_guide(db, ITEM).await.unwrap();
    assert!(g.online && g.promised_days <= g.statutory_days && !g.materials.is_empty());
    assert_eq!(g.day_kind, DayKind::Working);
    assert!(matches!(services::published_guide(db, "NO-SUCH").await, Err(ServiceError::NotFound)));
    w.finish().await;
}

async fn staff_change_items_within_scope_and_every_change_is_audited(b: Backend) {
    let Some(w) = World::new(b, "sv_staff").await else { return };
    let admin = w.staff("zhoumin").await;
    let clerk = w.staff("zhangwei").await;
    let ctx = w.ctx();
    assert!(matches!(
        services::list_for_staff(&ctx, &clerk, &ServiceFilter::default(), None, PageRequest::first()).await,
        Err(ServiceError::Forbidden)
    ));
    let (g, form) = services::item_for_staff(&ctx, &admin, ITEM).await.unwrap();
    let (version, def) = form.unwrap();
    assert_eq!(version, 1);
    let mut e = ItemEdit {
        name: g.name.clone(),
        summary: g.summary.clone(),
        eligibility: g.eligibility.clone(),
        legal_basis: g.legal_basis.clone(),
        statutory_days: g.statutory_days,
        promised_days: g.statutory_days + 1,
        day_kind: g.day_kind,
        fees: g.fees.clone(),
        venue: g.venue.clone(),
        hours: g.hours.clone(),
        online_depth: g.online_depth,
        phone: g.phone.clone(),
        keywords: g.keywords.clone(),
        visits: g.visits,
        complaint_phone: g.complaint_phone.clone(),
        fee_basis: g.fee_basis.clone(),
        result_name: g.result_name.clone(),
        delivery: g.delivery.clone(),
        faq: g.faq.clone(),
    };
    assert!(
        matches!(
            services::update_item(&ctx, &admin, ITEM, &e).await,
            Err(ServiceError::Invalid { field: "promised_days", .. })
        ),
        "promised never longer than statutory"
    );
    e.promised_days = 2;
    services::update_item(&ctx, &admin, ITEM, &e).await.unwrap();
    assert_eq!(services::published_guide(&w.t.db, ITEM).await.unwrap().promised_days, 2);
    // A new item starts as a draft, invisible to the public; codes are unique and checked.
    let dept = services::departments_for_staff(&ctx, &admin).await.unwrap();
    let (rs, _) = dept.iter().find(|(_, n)| n.contains("人力资源")).unwrap().clone();
    let new = services::NewItem {
        code: "qs-rs-0099".into(),
        name: "就业见习补贴申领".into(),
        department_id: rs,
        object: ServiceObject::Enterprise,
    };
    services::create_item(&ctx, &admin, &new).await.unwrap();
    assert!(matches!(services::published_guide(&w.t.db, "QS-RS-0099").await, Err(ServiceError::NotFound)), "a draft");
    assert!(matches!(
        services::create_item(&ctx, &admin, &new).await,
        Err(ServiceError::Invalid { field: "code", .. })
    ));
    let bad = services::NewItem { code: "1 bad".into(), ..new.clone() };
    assert!(matches!(
        services::create_item(&ctx, &admin, &bad).await,
        Err(ServiceError::Invalid { field: "code", .. })
    ));
    assert!(matches!(services::create_item(&ctx, &clerk, &new).await, Err(ServiceError::Forbidden)));
    services::set_status(&ctx, &admin, "QS-RS-0099", ItemStatus::Published).await.unwrap();
    assert_eq!(
        services::published_guide(&w.t.db, "QS-RS-0099").await.unwrap().online_depth,
        1,
        "a guide only until a form exists"
    );
    // Retired: gone from the public catalogue and its guide.
    services::set_status(&ctx, &admin, ITEM, ItemStatus::Retired).await.unwrap();
    assert!(matches!(services::published_guide(&w.t.db, ITEM).await, Err(ServiceError::NotFound)));
    let retired = services::list_for_staff(
        &ctx,
        &admin,
        &ServiceFilter::default(),
        Some(ItemStatus::Retired),
        PageRequest::first(),
    )
    .await
    .unwrap();
    assert_eq!(retired.items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(), vec![ITEM]);
    services::set_status(&ctx, &admin, ITEM, ItemStatus::Published).await.unwrap();
    // A form: refused when invalid, a new version when valid.
    assert!(matches!(
        services::publish_form(
            &ctx,
            &admin,
            ITEM,
            r#"{"sections":[{"title":"x","fields":[{"name":"A B","label":"","kind":"choice"}]}]}"#
        )
        .await,
        Err(ServiceError::Invalid { field: "definition", .. })
    ));
    assert!(matches!(services::publish_form(&ctx, &admin, ITEM, "not json").await, Err(ServiceError::Invalid { .. })));
    let v2 = services::publish_form(&ctx, &admin, ITEM, &serde_json::to_string(&def).unwrap()).await.unwrap();
    assert_eq!(v2, 2);
    let actions = w.actions().await;
    for a in ["service.create", "service.update", "service.retire", "service.publish", "service.form_publish"] {
        assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
    }
    w.finish().await;
}

async fn an_application_goes_from_draft_to_submitted_once(b: Backend) {
    let Some(w) = World::new(b, "cs_apply").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let ctx = w.ctx();
    // A new application is prefilled from the verified profile.
    let view = cases::application(&ctx, &w.keys, &me, ITEM, None).await.unwrap();
    assert_eq!(view.values["id_number"], vec![ID.to_string()]);
    assert_eq!(view.values["mobile"], vec![PHONE.to_string()]);
    assert!(view.case_id.is_none());
    // Half a form saves as a draft; the draft is found again (resume).
    let mut posted = Posted { client_key: view.client_key.clone(), ..Default::default() };
    posted.answers.insert("last_employer".into(), vec!["青山县某某机械厂".into()]);
    let Saved::Draft { case_id } = cases::save(&ctx, &w.keys, &me, ITEM, &posted, &[]).await.unwrap() else { panic!() };
    let resumed = cases::application(&ctx, &w.keys, &me, ITEM, None).await.unwrap();
    assert_eq!((resumed.case_id, resumed.client_key.as_str()), (Some(case_id), view.client_key.as_str()));
    assert_eq!(resumed.values["last_employer"], vec!["青山县某某机械厂".to_string()]);
    // Submitting incomplete: refused with a message per field, the answers kept.
    posted.submit = true;
    posted.answers.insert("leave_date".into(), vec!["2999-01-01".into()]);
    match cases::save(&ctx, &w.keys, &me, ITEM, &posted, &[]).await {
        Err(CaseError::Invalid { case_id: c, problems }) => {
            assert_eq!(c, case_id);
            assert!(problems["applicant_name"].contains("请填写"));
            assert!(problems["leave_date"].contains("不能晚于"));
            assert_eq!(problems["termination_proof"], "请上传解除或终止劳动关系证明");
        }
        other => panic!("{other:?}"),
    }
    let kept = cases::application(&ctx, &w.keys, &me, ITEM, None).await.unwrap();
    assert_eq!(kept.values["leave_date"], vec!["2999-01-01".to_string()], "input kept");
    // Complete, with the attachment, checked first (the review step keeps it a draft) and then
    // confirmed from the saved answers: submitted, one tracking number.
    posted.answers = complete_answers();
    let file = w.file("termination_proof", b"%PDF-1.7\n1 0 obj\n").await;
    let review = Posted { submit: false, review: true, ..posted.clone() };
    assert_eq!(cases::save(&ctx, &w.keys, &me, ITEM, &review, &[file]).await.unwrap(), Saved::Draft { case_id });
    assert_eq!(cases::my_case(&ctx, &w.keys, &me, case_id).await.unwrap().summary.status, CaseStatus::Draft);
    let confirm = Posted {
        client_key: posted.client_key.clone(),
        submit: true,
        pledged: true,
        use_saved: true,
        ..Default::default()
    };
    let first = cases::save(&ctx, &w.keys, &me, ITEM, &confirm, &[]).await.unwrap();
    let Saved::Submitted { case_id: c, tracking_no } = first else { panic!("{first:?}") };
    assert_eq!(c, case_id);
    let today = zhengwu_core::time::shanghai_date(Utc::now()).format("%Y%m%d").to_string();
    assert_eq!(tracking_no, format!("QSRSJ-{today}-00001"));
    // The same form again (double tap, retry): the same case, nothing changed.
    let again = cases::save(&ctx, &w.keys, &me, ITEM, &posted, &[]).await.unwrap();
    assert_eq!(again, Saved::AlreadySubmitted { case_id, tracking_no: tracking_no.clone() });
    let detail = cases::my_case(&ctx, &w.keys, &me, case_id).await.unwrap();
    assert_eq!(detail.summary.status, CaseStatus::Submitted);
    assert_eq!(detail.files.len(), 1);
    assert_eq!(detail.files[0].name, "身份证.pdf", "no path, the real type's extension");
    assert!(detail.answers.iter().any(|a| a.name == "wants_training" && a.value == "职业介绍、职业培训"));
    assert_eq!(detail.timeline.iter().map(|t| t.kind.code()).collect::<Vec<_>>(), vec!["submitted"]);
    // Another citizen sees nothing of it.
    let other = w.citizen("13900139000", None).await;
    assert!(matches!(cases::my_case(&ctx, &w.keys, &other, case_id).await, Err(CaseError::NotFound)));
    assert!(matches!(cases::my_file(&ctx, &other, detail.files[0].id).await, Err(CaseError::NotFound)));
    assert!(cases::my_file(&ctx, &me, detail.files[0].id).await.is_ok());
    // An unverified citizen may save a draft but not submit.
    let v = cases::application(&ctx, &w.keys, &other, ITEM, None).await.unwrap();
    let p = Posted {
        client_key: v.client_key,
        answers: complete_answers(),
        submit: true,
        pledged: true,
        ..Default::default()
    };
    let f = w.file("termination_proof", b"%PDF-1.7\n").await;
    match cases::save(&ctx, &w.keys, &other, ITEM, &p, &[f]).await {
        Err(CaseError::Invalid { problems, .. }) => assert!(problems["_account"].contains("实名")),
        other => panic!("{other:?}"),
    }
    // Nothing personal in clear anywhere in the database.
    let dump = w.t.dump_all_text().await;
    for secret in [ID, PHONE, "青山县某某机械厂"] {
        assert!(!dump.contains(secret), "{secret} stored in clear");
    }
    let actions = w.actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "case.submit").count(), 1);
    assert!(actions.iter().any(|a| a == "case.draft_save"));
    w.finish().await;
}

async fn concurrent_submissions_of_one_form_make_one_case(b: Backend) {
    let Some(w) = World::new(b, "cs_race").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let mut saved = vec![];
    for round in 0..5u8 {
        let posted = Posted {
            client_key: key(round),
            answers: complete_answers(),
            submit: true,
            pledged: true,
            ..Default::default()
        };
        let f1 = w.file("termination_proof", b"%PDF-1.7 one").await;
        let f2 = w.file("termination_proof", b"%PDF-1.7 two").await;
        let (ctx1, ctx2) = (w.ctx(), w.ctx());
        let (a, b2) = tokio::join!(
            cases::save(&ctx1, &w.keys, &me, ITEM, &posted, std::slice::from_ref(&f1)),
            cases::save(&ctx2, &w.keys, &me, ITEM, &posted, std::slice::from_ref(&f2)),
        );
        let (a, b2) = (a.unwrap(), b2.unwrap());
        let numbers: Vec<_> = [&a, &b2]
            .iter()
            .map(|s| match s {
                Saved::Submitted { tracking_no, .. } | Saved::AlreadySubmitted { tracking_no, .. } => {
                    tracking_no.clone()
                }
                Saved::Draft { .. } => panic!("not submitted"),
            })
            .collect();
        assert_eq!(numbers[0], numbers[1], "one tracking number for one form");
        let submitted = [&a, &b2].iter().filter(|s| matches!(s, Saved::Submitted { .. })).count();
        assert_eq!(submitted, 1, "exactly one submission applied: {a:?} {b2:?}");
        saved.push(numbers[0].clone());
    }
    let n: i64 =
        with_db!(&w.t.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(pool).await).unwrap();
    assert_eq!(n, 5);
    saved.sort();
    saved.dedup();
    assert_eq!(saved.len(), 5, "numbers unique");
    w.finish().await;
}

/// More concurrent submissions than the pool has connections (4 in tests): a transaction that
/// needed a second connection while holding the write lock would wait forever on writers
/// queued behind it (found by the benchmark; reads now happen before the transaction).
async fn many_applicants_submitting_at_once_do_not_starve_the_pool(b: Backend) {
    let Some(w) = World::new(b, "cs_pool").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let mut files = vec![];
    for _ in 0..12 {
        files.push(w.file("termination_proof", b"%PDF-1.7\n").await);
    }
    let jobs = files.into_iter().enumerate().map(|(i, f)| {
        let (w, me) = (&w, &me);
        async move {
            let posted = Posted {
                client_key: key(100 + i as u8),
                answers: complete_answers(),
                submit: true,
                pledged: true,
                ..Default::default()
            };
            cases::save(&w.ctx(), &w.keys, me, ITEM, &posted, &[f]).await
        }
    });
    let results = zhengwu_core::testing::join_all(jobs).await;
    assert!(results.iter().all(|r| matches!(r, Ok(Saved::Submitted { .. }))), "{results:?}");
    w.finish().await;
}

async fn submit(w: &World, me: &CitizenActor, k: u8) -> (i64, String) {
    let posted =
        Posted { client_key: key(k), answers: complete_answers(), submit: true, pledged: true, ..Default::default() };
    let f = w.file("termination_proof", b"%PDF-1.7\n").await;
    match cases::save(&w.ctx(), &w.keys, me, ITEM, &posted, &[f]).await.unwrap() {
        Saved::Submitted { case_id, tracking_no } => (case_id, tracking_no),
        other => panic!("{other:?}"),
    }
}

async fn the_public_lookup_answers_only_with_the_right_digits(b: Backend) {
    let Some(w) = World::new(b, "cs_lookup").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let (_, no) = submit(&w, &me, 1).await;
    let db = &w.t.db;
    let by_id = cases::lookup(db, &w.keys, &no.to_lowercase(), "002x").await.unwrap().expect("ID digits, any case");
    assert_eq!(by_id.status, CaseStatus::Submitted);
    assert_eq!(by_id.timeline.len(), 1);
    assert!(cases::lookup(db, &w.keys, &format!(" {no} "), "8000").await.unwrap().is_some(), "phone digits");
    assert!(cases::lookup(db, &w.keys, &no, "1234").await.unwrap().is_none(), "wrong digits");
    assert!(cases::lookup(db, &w.keys, "QSRSJ-20000101-00001", "002X").await.unwrap().is_none(), "no such case");
    assert!(cases::lookup(db, &w.keys, &no, "").await.unwrap().is_none());
    w.finish().await;
}

async fn a_supplement_request_is_answered_and_resubmitted(b: Backend) {
    let Some(w) = World::new(b, "cs_supplement").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let (case_id, no) = submit(&w, &me, 1).await;
    let reviewer = w.staff("chenjing").await; // 人社局, case:approve
    let clerk = w.staff("zhangwei").await; // 政务服务中心, no case:approve
    let ctx = w.ctx();
    let fields = vec!["termination_proof".to_string(), "last_employer".to_string()];
    assert!(matches!(
        cases::request_supplement(&ctx, &clerk, case_id, "请补充材料", &fields).await,
        Err(CaseError::Forbidden)
    ));
    assert!(matches!(
        cases::request_supplement(&ctx, &reviewer, case_id, "x", &fields).await,
        Err(CaseError::BadRequest { field: "message", .. })
    ));
    assert!(matches!(
        cases::request_supplement(&ctx, &reviewer, case_id, "请补充", &["nope".to_string()]).await,
        Err(CaseError::BadRequest { field: "fields", .. })
    ));
    cases::request_supplement(&ctx, &reviewer, case_id, "解除劳动关系证明不清晰，请重新上传", &fields).await.unwrap();
    // The citizen sees the request and edits the same case.
    let view = cases::application(&ctx, &w.keys, &me, ITEM, Some(case_id)).await.unwrap();
    assert_eq!(view.status, CaseStatus::Supplement);
    assert_eq!(view.supplement_fields, fields);
    assert!(view.supplement_note.as_deref().unwrap().contains("不清晰"));
    let old = view.files[0].id;
    let f = w.file("termination_proof", b"\x89PNG\r\n\x1a\nclear").await;
    let mut answers = complete_answers();
    answers.insert("last_employer".into(), vec!["青山县第二机械厂".into()]);
    let posted = Posted {
        client_key: view.client_key.clone(),
        answers,
        remove_files: vec![old],
        submit: true,
        pledged: true,
        ..Default::default()
    };
    let r = cases::save(&ctx, &w.keys, &me, ITEM, &posted, &[f]).await.unwrap();
    assert_eq!(r, Saved::Submitted { case_id, tracking_no: no.clone() }, "the same case and number");
    let d = cases::my_case(&ctx, &w.keys, &me, case_id).await.unwrap();
    assert_eq!(d.summary.status, CaseStatus::Submitted);
    assert_eq!(d.files.len(), 1);
    assert_eq!(d.files[0].media_type, "image/png");
    assert!(d.supplement_note.is_none());
    let kinds: Vec<_> = d.timeline.iter().map(|t| t.kind.code()).collect();
    assert_eq!(kinds, vec!["submitted", "supplement_requested", "resubmitted"], "history kept");
    assert_eq!(d.timeline[1].actor, "工作人员", "the public sees no staff user names");
    assert!(d.timeline[1].message.contains("不清晰"));
    // Staff see the user name, and the request can't be repeated on a case not waiting.
    let staff_view = cases::case_for_staff(&ctx, &w.keys, &reviewer, case_id).await.unwrap();
    assert_eq!(staff_view.timeline[1].actor, "chenjing");
    assert!(staff_view.answers.iter().any(|a| a.value == "青山县第二机械厂"));
    w.finish().await;
}

async fn a_case_keeps_its_form_version(b: Backend) {
    let Some(w) = World::new(b, "cs_versions").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let admin = w.staff("zhoumin").await;
    let ctx = w.ctx();
    let view = cases::application(&ctx, &w.keys, &me, ITEM, None).await.unwrap();
    let posted = Posted { client_key: view.client_key.clone(), answers: complete_answers(), ..Default::default() };
    let Saved::Draft { case_id } = cases::save(&ctx, &w.keys, &me, ITEM, &posted, &[]).await.unwrap() else { panic!() };
    // Version 2 adds a required field.
    let (_, form) = services::item_for_staff(&ctx, &admin, ITEM).await.unwrap();
    let mut def = form.unwrap().1;
    def.sections[0]
        .fields
        .push(serde_json::from_str(r#"{"name":"extra","label":"新增项","kind":"text","required":true}"#).unwrap());
    assert_eq!(services::publish_form(&ctx, &admin, ITEM, &serde_json::to_string(&def).unwrap()).await.unwrap(), 2);
    // The draft started on version 1 submits without it; a new application gets version 2.
    let f = w.file("termination_proof", b"%PDF-1.7\n").await;
    let posted = Posted { submit: true, pledged: true, ..posted };
    assert!(matches!(cases::save(&ctx, &w.keys, &me, ITEM, &posted, &[f]).await.unwrap(), Saved::Submitted { .. }));
    assert_eq!(cases::my_case(&ctx, &w.keys, &me, case_id).await.unwrap().form_version, 1);
    let fresh = cases::application(&ctx, &w.keys, &me, ITEM, None).await.unwrap();
    assert!(fresh.form.field("extra").is_some());
    let p = Posted {
        client_key: fresh.client_key,
        answers: complete_answers(),
        submit: true,
        pledged: true,
        ..Default::default()
    };
    let f = w.file("termination_proof", b"%PDF-1.7\n").await;
    match cases::save(&ctx, &w.keys, &me, ITEM, &p, &[f]).await {
        Err(CaseError::Invalid { problems, .. }) => assert!(problems.contains_key("extra")),
        other => panic!("{other:?}"),
    }
    w.finish().await;
}

async fn staff_see_incoming_cases_in_their_scope_only(b: Backend) {
    let Some(w) = World::new(b, "cs_scope").await else { return };
    let me = w.citizen(PHONE, Some(ID)).await;
    let (case_id, _) = submit(&w, &me, 1).await; // 人社局
                                                 // A draft is not incoming.
    let v = cases::application(&w.ctx(), &w.keys, &me, "QS-MZ-0001", None).await.unwrap();
    let p = Posted { client_key: v.client_key, ..Default::default() };
    cases::save(&w.ctx(), &w.keys, &me, "QS-MZ-0001", &p, &[]).await.unwrap();
    let ctx = w.ctx();
    let all = CaseFilter::default();
    let rs = w.staff("chenjing").await; // 人社局, department scope
    let mz = w.staff("lina").await; // 民政局
    let leader = w.staff("wangfang").await; // all
    let editor = w.staff("zhaolei").await; // no case:read
    let ids =
        |p: zhengwu_types::Page<zhengwu_types::services::CaseSummary>| p.items.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(cases::list_for_staff(&ctx, &rs, &all, PageRequest::first()).await.unwrap()), vec![case_id]);
    assert!(ids(cases::list_for_staff(&ctx, &mz, &all, PageRequest::first()).await.unwrap()).is_empty());
    assert_eq!(ids(cases::list_for_staff(&ctx, &leader, &all, PageRequest::first()).await.unwrap()), vec![case_id]);
    assert!(matches!(
        cases::list_for_staff(&ctx, &editor, &all, PageRequest::first()).await,
        Err(CaseError::Forbidden)
    ));
    assert!(
        matches!(cases::case_for_staff(&ctx, &w.keys, &mz, case_id).await, Err(CaseError::NotFound)),
        "outside scope = not found"
    );
    let d = cases::case_for_staff(&ctx, &w.keys, &rs, case_id).await.unwrap();
    assert!(d.answers.iter().any(|a| a.value == ID), "staff processing the case see it in full");
    assert!(matches!(cases::staff_file(&ctx, &mz, d.files[0].id).await, Err(CaseError::NotFound)));
    assert!(cases::staff_file(&ctx, &rs, d.files[0].id).await.is_ok());
    // Filters.
    let f = CaseFilter { status: Some(CaseStatus::Supplement), ..Default::default() };
    assert!(ids(cases::list_for_staff(&ctx, &leader, &f, PageRequest::first()).await.unwrap()).is_empty());
    let today = zhengwu_core::time::shanghai_date(Utc::now());
    let f = CaseFilter { service: Some(ITEM.into()), from: Some(today), to: Some(today), ..Default::default() };
    assert_eq!(ids(cases::list_for_staff(&ctx, &leader, &f, PageRequest::first()).await.unwrap()), vec![case_id]);
    let f = CaseFilter { from: Some(today + Duration::days(1)), ..Default::default() };
    assert!(ids(cases::list_for_staff(&ctx, &leader, &f, PageRequest::first()).await.unwrap()).is_empty());
    let actions = w.actions().await;
    assert!(actions.iter().any(|a| a == "case.view") && actions.iter().any(|a| a == "case.file_download"));
    w.finish().await;
}
