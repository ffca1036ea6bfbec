//! The portal as citizens expect it (issue 12), on SQLite and PostgreSQL: the catalogue search
//! by names, aliases and keywords; 热门服务 by real application counts; favourites; the guide's
//! new parts edited, checked and audited; the public process; and at submission the delivery of
//! the result (the postal address sealed) and the 承诺书.

use crate::common::*;
use chrono::{Duration, Utc};
use zhengwu_core::{
    cases::{self, CaseError, DeliveryPost, Posted, Saved},
    citizen::{self, CitizenError},
    services::{self, ItemEdit, ServiceError},
    testing::Backend,
    with_db, workflow,
};
use zhengwu_types::{
    services::{DeliveryMethod, Faq, ItemStatus, ServiceFilter, ServiceGuide},
    workflow::StepMode,
    PageRequest,
};

zhengwu_core::on_both!(
    the_search_finds_items_by_their_aliases_and_keywords,
    popular_services_are_ordered_by_real_applications,
    favourites_are_the_citizens_own_and_audited,
    the_guides_new_parts_are_checked_and_audited,
    the_result_delivery_and_the_pledge_are_asked_at_submission,
    consent_is_asked_again_after_a_new_version,
);

async fn codes_for(w: &World, q: &str) -> Vec<String> {
    let f = ServiceFilter { q: Some(q.into()), ..Default::default() };
    let p = services::list_published(&w.t.db, &f, PageRequest::first().with_per_page(100)).await.unwrap();
    p.items.into_iter().map(|i| i.code).collect()
}

async fn the_search_finds_items_by_their_aliases_and_keywords(b: Backend) {
    let Some(w) = World::new(b, "pt_search").await else { return };
    // Words citizens use that are not in the items' names.
    for (q, code) in
        [("低保", "QS-MZ-0001"), ("社保卡", "QS-RS-0010"), ("身份证", "QS-GA-0004"), ("营业执照", "QS-SC-0001")]
    {
        let found = codes_for(&w, q).await;
        assert!(found.contains(&code.to_string()), "{q} finds {code}: {found:?}");
    }
    // Name hits come before keyword hits: "社保" is in names of none, keywords of several; "失业"
    // is in names, and those come first.
    let unemployment = codes_for(&w, "失业").await;
    assert_eq!(unemployment.first().map(String::as_str), Some("QS-RS-0005"), "{unemployment:?}");
    assert!(codes_for(&w, "社保").await.len() >= 4);
    assert!(codes_for(&w, "不存在的事项名").await.is_empty());
    // Staff add a keyword: it is found at once.
    let admin = w.staff("zhoumin").await;
    let mut e = edit_of(&services::published_guide(&w.t.db, ITEM).await.unwrap());
    e.keywords = "失业补助金 失业救济金 下岗".into();
    services::update_item(&w.ctx(), &admin, ITEM, &e).await.unwrap();
    assert_eq!(codes_for(&w, "下岗").await, vec![ITEM.to_string()]);
    w.finish().await;
}

fn edit_of(g: &ServiceGuide) -> ItemEdit {
    ItemEdit {
        name: g.name.clone(),
        summary: g.summary.clone(),
        eligibility: g.eligibility.clone(),
        legal_basis: g.legal_basis.clone(),
        statutory_days: g.statutory_days,
        promised_days: g.promised_days,
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
    }
}

async fn submit(w: &World, me: &zhengwu_core::citizen::CitizenActor, k: u8) -> i64 {
    let posted =
        Posted { client_key: key(k), answers: complete_answers(), submit: true, pledged: true, ..Default::default() };
    let f = w.file("termination_proof", b"%PDF-1.7\n").await;
    match cases::save(&w.ctx(), &w.keys, me, ITEM, &posted, &[f]).await.unwrap() {
        Saved::Submitted { case_id, .. } => case_id,
        other => panic!("{other:?}"),
    }
}

async fn popular_services_are_ordered_by_real_applications(b: Backend) {
    let Some(w) = World::new(b, "pt_popular").await else { return };
    let since = Utc::now() - Duration::days(90);
    let before = services::popular(&w.t.db, since, 8).await.unwrap();
    assert_eq!(before.len(), 8);
    assert!(before.iter().all(|p| p.applications == 0), "a fresh catalogue has no applications");
    let me = w.citizen(PHONE, Some(ID)).await;
    submit(&w, &me, 1).await;
    submit(&w, &me, 2).await;
    // A draft is not an application.
    let draft = Posted { client_key: key(3), answers: complete_answers(), ..Default::default() };
    cases::save(&w.ctx(), &w.keys, &me, ITEM, &draft, &[]).await.unwrap();
    let after = services::popular(&w.t.db, since, 8).await.unwrap();
    assert_eq!(after[0].item.code, ITEM);
    assert_eq!(after[0].applications, 2);
    assert!(after[1..].iter().all(|p| p.applications == 0));
    // Outside the window they do not count.
    let later = services::popular(&w.t.db, Utc::now() + Duration::minutes(1), 8).await.unwrap();
    assert!(later.iter().all(|p| p.applications == 0));
    // Only items one can apply for online are offered.
    assert!(after.iter().all(|p| p.item.online_depth >= 3 && p.item.status == ItemStatus::Published));
    w.finish().await;
}

async fn favourites_are_the_citizens_own_and_audited(b: Backend) {
    let Some(w) = World::new(b, "pt_fav").await else { return };
    let me = w.citizen(PHONE, None).await;
    let other = w.citizen("13900139000", None).await;
    let ctx = w.ctx();
    citizen::add_favourite(&ctx, &me, ITEM).await.unwrap();
    citizen::add_favourite(&ctx, &me, ITEM).await.unwrap(); // again: nothing changes
    citizen::add_favourite(&ctx, &me, "QS-MZ-0001").await.unwrap();
    assert!(citizen::is_favourite(&ctx, &me, ITEM).await.unwrap());
    assert!(!citizen::is_favourite(&ctx, &other, ITEM).await.unwrap(), "another citizen's list is theirs");
    assert!(citizen::favourites(&ctx, &other).await.unwrap().is_empty());
    let mine = citizen::favourites(&ctx, &me).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert!(matches!(citizen::add_favourite(&ctx, &me, "NO-SUCH").await, Err(CitizenError::NotFound)));
    // A retired item cannot be added, but stays listed (marked) for whoever kept it.
    let admin = w.staff("zhoumin").await;
    services::set_status(&ctx, &admin, ITEM, ItemStatus::Retired).await.unwrap();
    let mine = citizen::favourites(&ctx, &me).await.unwrap();
    assert!(mine.iter().any(|f| f.code == ITEM && f.status == ItemStatus::Retired));
    assert!(matches!(citizen::add_favourite(&ctx, &other, ITEM).await, Err(CitizenError::NotFound)));
    citizen::remove_favourite(&ctx, &me, ITEM).await.unwrap();
    citizen::remove_favourite(&ctx, &me, ITEM).await.unwrap();
    assert_eq!(citizen::favourites(&ctx, &me).await.unwrap().len(), 1);
    let actions = w.actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "favourite.add").count(), 2, "the repeated add is not recorded");
    assert_eq!(actions.iter().filter(|a| *a == "favourite.remove").count(), 1);
    w.finish().await;
}

async fn the_guides_new_parts_are_checked_and_audited(b: Backend) {
    let Some(w) = World::new(b, "pt_guide").await else { return };
    let admin = w.staff("zhoumin").await;
    let ctx = w.ctx();
    let g = services::published_guide(&w.t.db, ITEM).await.unwrap();
    assert!(!g.delivery.is_empty() && !g.keywords.is_empty() && !g.result_name.is_empty());
    let mut e = edit_of(&g);
    e.delivery = vec![];
    assert!(matches!(
        services::update_item(&ctx, &admin, ITEM, &e).await,
        Err(ServiceError::Invalid { field: "delivery", .. })
    ));
    e.delivery = vec![DeliveryMethod::Post, DeliveryMethod::Window];
    e.online_depth = 3;
    e.visits = 0;
    assert!(
        matches!(
            services::update_item(&ctx, &admin, ITEM, &e).await,
            Err(ServiceError::Invalid { field: "visits", .. })
        ),
        "no visit at all only for fully online items"
    );
    e.visits = 1;
    e.faq =
        services::parse_faq("问：什么时候到账？\n答：审核通过后次月发放。\n按月发放。\n\n问：可以代办吗？\n答：可以。")
            .unwrap();
    assert_eq!(e.faq.len(), 2);
    assert_eq!(e.faq[0], Faq { q: "什么时候到账？".into(), a: "审核通过后次月发放。\n按月发放。".into() });
    assert_eq!(services::parse_faq(&zhengwu_types::services::faq_text(&e.faq)).unwrap(), e.faq, "round trip");
    for bad in ["答：没有问题", "问：只有问题", "随便写的一行"] {
        assert!(
            matches!(services::parse_faq(bad), Err(ServiceError::Invalid { field: "faq", .. })),
            "{bad} is refused"
        );
    }
    e.fee_basis = "《失业保险条例》第十条".into();
    services::update_item(&ctx, &admin, ITEM, &e).await.unwrap();
    let after = services::published_guide(&w.t.db, ITEM).await.unwrap();
    assert_eq!((after.visits, after.delivery.clone(), after.faq.clone()), (1, e.delivery.clone(), e.faq.clone()));
    let detail: String = with_db!(&w.t.db, pool => sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'service.update' ORDER BY seq DESC LIMIT 1").fetch_one(pool).await)
    .unwrap();
    for f in ["visits", "delivery", "faq", "fee_basis", "online_depth"] {
        assert!(detail.contains(f), "the audit names {f}: {detail}");
    }
    // The public process: the default workflow until the item publishes its own.
    let steps = workflow::public_process(&w.t.db, ITEM).await.unwrap().unwrap();
    assert_eq!(steps.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["受理", "审查决定"]);
    assert_eq!(steps[0].mode, StepMode::Any);
    services::set_status(&ctx, &admin, ITEM, ItemStatus::Retired).await.unwrap();
    assert!(workflow::public_process(&w.t.db, ITEM).await.unwrap().is_none(), "not for a retired item");
    w.finish().await;
}

async fn the_result_delivery_and_the_pledge_are_asked_at_submission(b: Backend) {
    let Some(w) = World::new(b, "pt_delivery").await else { return };
    let admin = w.staff("zhoumin").await;
    let mut e = edit_of(&services::published_guide(&w.t.db, ITEM).await.unwrap());
    e.delivery = vec![DeliveryMethod::Window, DeliveryMethod::Post];
    services::update_item(&w.ctx(), &admin, ITEM, &e).await.unwrap();
    let me = w.citizen(PHONE, Some(ID)).await;
    let view = cases::application(&w.ctx(), &w.keys, &me, ITEM, None).await.unwrap();
    assert_eq!(view.delivery_options, e.delivery);
    let f = w.file("termination_proof", b"%PDF-1.7\n").await;
    let post = DeliveryPost { method: Some(DeliveryMethod::Post), address: String::new() };
    let posted = Posted {
        client_key: view.client_key.clone(),
        answers: complete_answers(),
        delivery: post,
        submit: true,
        ..Default::default()
    };
    let case_id = match cases::save(&w.ctx(), &w.keys, &me, ITEM, &posted, &[f]).await {
        Err(CaseError::Invalid { case_id, problems }) => {
            assert!(problems.contains_key("_delivery_address"), "{problems:?}");
            assert!(problems.contains_key("_pledge"), "the 承诺书 is required: {problems:?}");
            case_id
        }
        other => panic!("{other:?}"),
    };
    // The draft kept the choice.
    let again = cases::application(&w.ctx(), &w.keys, &me, ITEM, Some(case_id)).await.unwrap();
    assert_eq!(again.delivery.as_ref().map(|d| d.method), Some(DeliveryMethod::Post));
    // A method the item does not offer is refused.
    let wrong = Posted {
        delivery: DeliveryPost { method: Some(DeliveryMethod::Electronic), address: String::new() },
        pledged: true,
        ..posted.clone()
    };
    match cases::save(&w.ctx(), &w.keys, &me, ITEM, &wrong, &[]).await {
        Err(CaseError::Invalid { problems, .. }) => assert!(problems.contains_key("_delivery"), "{problems:?}"),
        other => panic!("{other:?}"),
    }
    let address = "青山县人民大道 88 号 3 栋 501 室";
    let right = Posted {
        delivery: DeliveryPost { method: Some(DeliveryMethod::Post), address: address.into() },
        pledged: true,
        ..posted.clone()
    };
    assert!(matches!(cases::save(&w.ctx(), &w.keys, &me, ITEM, &right, &[]).await.unwrap(), Saved::Submitted { .. }));
    let d = cases::my_case(&w.ctx(), &w.keys, &me, case_id).await.unwrap();
    let dl = d.delivery.unwrap();
    assert_eq!((dl.method, dl.address.as_str()), (DeliveryMethod::Post, address));
    // Sealed: the database never holds the address in clear; the pledge's time is recorded.
    let (sealed, pledged): (Vec<u8>, Option<String>) = with_db!(&w.t.db, pool => sqlx::query_as(
        "SELECT delivery_address_sealed, CAST(pledged_at AS TEXT) FROM cases WHERE id = $1")
        .bind(case_id).fetch_one(pool).await)
    .unwrap();
    assert!(!sealed.windows("人民大道".len()).any(|x| x == "人民大道".as_bytes()));
    assert!(pledged.is_some());
    // Staff reading the case see it too.
    let staff = w.staff("chenjing").await;
    let s = cases::case_for_staff(&w.ctx(), &w.keys, &staff, case_id).await.unwrap();
    assert_eq!(s.delivery.map(|d| d.address), Some(address.to_string()));
    w.finish().await;
}

async fn consent_is_asked_again_after_a_new_version(b: Backend) {
    use zhengwu_core::audit::{Actor, AuditKey};
    use zhengwu_types::consent::PolicyKind;
    let Some(w) = World::new(b, "pt_consent").await else { return };
    let db = &w.t.db;
    assert_eq!(citizen::ensure_policies(db, Utc::now()).await.unwrap(), 3, "the shipped versions");
    assert_eq!(citizen::ensure_policies(db, Utc::now()).await.unwrap(), 0, "once");
    let me = w.citizen(PHONE, None).await;
    let kinds = PolicyKind::AT_SIGN_IN;
    let pending = citizen::pending_consents(db, me.id, &kinds).await.unwrap();
    assert_eq!(
        pending.iter().map(|p| (p.kind, p.version)).collect::<Vec<_>>(),
        [(PolicyKind::Terms, 1), (PolicyKind::Privacy, 1)]
    );
    // A version that is not the current one is refused.
    assert!(matches!(
        citizen::accept_policies(&w.ctx(), &me, &[(PolicyKind::Terms, 2)]).await,
        Err(CitizenError::Invalid { field: "agree", .. })
    ));
    citizen::accept_policies(&w.ctx(), &me, &[(PolicyKind::Terms, 1), (PolicyKind::Privacy, 1)]).await.unwrap();
    assert!(citizen::pending_consents(db, me.id, &kinds).await.unwrap().is_empty());
    // The operator publishes a new privacy policy: asked again for it alone.
    let key = AuditKey::from_master(&w.master);
    let by = Actor::operator("zhengwu policy publish");
    assert!(matches!(
        citizen::publish_policy(db, &key, &by, Utc::now(), PolicyKind::Privacy, "x", "太短").await,
        Err(CitizenError::Invalid { .. })
    ));
    let v = citizen::publish_policy(
        db,
        &key,
        &by,
        Utc::now(),
        PolicyKind::Privacy,
        "隐私政策（2027 年修订）",
        "一、新增：办件材料的保存期限按档案管理规定执行。",
    )
    .await
    .unwrap();
    assert_eq!(v, 2);
    let pending = citizen::pending_consents(db, me.id, &kinds).await.unwrap();
    assert_eq!(pending.iter().map(|p| (p.kind, p.version)).collect::<Vec<_>>(), [(PolicyKind::Privacy, 2)]);
    assert_eq!(citizen::current_policy(db, PolicyKind::Privacy).await.unwrap().title, "隐私政策（2027 年修订）");
    citizen::accept_policies(&w.ctx(), &me, &[(PolicyKind::Privacy, 2)]).await.unwrap();
    assert_eq!(citizen::my_consents(db, me.id).await.unwrap().len(), 3);
    let actions = w.actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "citizen.consent").count(), 2);
    assert!(actions.iter().any(|a| a == "policy.publish"));
    w.finish().await;
}
