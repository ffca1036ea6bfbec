//! The portal as citizens of Chinese service portals expect it (issue 12), over HTTP with no
//! JavaScript: the home page as a service hub, the phone tab bar, the catalogue search by
//! keywords, the guide with its process diagram and new facts, favourites, the delivery of the
//! result chosen on the application form.

use crate::common::{attr, count, Gateway, TestApp};
use crate::services_web::{app, location, ITEM};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(
    the_home_page_is_a_service_hub_with_a_tab_bar,
    the_guide_draws_its_process_and_citizens_keep_favourites,
);

async fn the_home_page_is_a_service_hub_with_a_tab_bar(b: Backend) {
    let Some(app) = TestApp::demo(b, "hub_home").await else { return };
    let (s, home) = app.page("/").await;
    assert_eq!(s, 200);
    // The search box first, then the entries, popular services, themes, and the notices last.
    let at = |needle: &str| home.find(needle).unwrap_or_else(|| panic!("the home page has {needle}"));
    assert!(home.contains(r#"action="/services""#) && home.contains(r#"role="search""#));
    let (search, person, popular) = (at("class=\"hub-search\""), at("entry-person"), at("id=\"hub-popular\""));
    assert!(search < person && person < popular && popular < at("id=\"home-notices\""), "in the hub's order");
    assert!(
        home.contains(r#"href="/services?object=individual""#)
            && home.contains(r#"href="/services?object=enterprise""#)
    );
    assert!(home.contains(r#"href="/cases/lookup""#) && home.contains("生命周期") && home.contains("企业主题"));
    let popular_list = home.split("<ol class=\"popular\">").nth(1).unwrap().split("</ol>").next().unwrap();
    assert_eq!(count(popular_list, "<li>"), 8, "eight popular services");
    assert!(home.contains("尚无网上申请"), "a fresh site says it has no counts yet, and shows none");
    // The phone tab bar: four plain links, the current one marked.
    let bar = home.split("class=\"tab-bar\"").nth(1).expect("a tab bar").split("</nav>").next().unwrap();
    for href in ["href=\"/\"", "href=\"/services\"", "href=\"/cases/lookup\"", "href=\"/my/login\""] {
        assert!(bar.contains(href), "{href} in {bar}");
    }
    assert_eq!(count(bar, "aria-current=\"page\""), 1);
    // The console and the staff sign-in have none.
    assert!(!app.page("/login").await.1.contains("class=\"tab-bar\""));
    // Search by the words citizens use.
    let (_, found) = app.page("/services?q=%E4%BD%8E%E4%BF%9D").await; // 低保
    assert!(found.contains("最低生活保障申请") && found.contains("青山县民政局"), "低保 finds its item");
    assert!(found.contains("找到") && found.contains("网上申请"), "the count and the online depth");
    let (_, id_card) = app.page("/services?q=%E8%BA%AB%E4%BB%BD%E8%AF%81").await; // 身份证
    assert!(id_card.contains("居民身份证申领"));
    let (_, firms) = app.page("/services?object=enterprise").await;
    assert!(firms.contains("<h1>法人办事</h1>"));
    app.finish().await;
}

async fn the_guide_draws_its_process_and_citizens_keep_favourites(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "hub_guide", &gw).await else { return };
    let path = "/services/QS-MZ-0001";
    let (s, guide) = app.page(path).await;
    assert_eq!(s, 200);
    // The process: an SVG with its text alternative, from the item's workflow (the default).
    let svg = guide.split("<svg").nth(1).expect("a process diagram").split("</svg>").next().unwrap();
    assert!(
        svg.contains(r#"role="img""#) && svg.contains("aria-label=\"办理流程图：申请 → 受理 → 审查决定 → 办结\""),
        "{svg}"
    );
    assert!(svg.contains(">受理</text>") && svg.contains("或签：任一人决定 · 1 个工作日内"));
    assert!(guide.contains("流程文字说明") && guide.contains("<ol class=\"process-steps\">"));
    // The facts Chinese guides show.
    for fact in [
        "到现场次数",
        "投诉电话",
        "办理地点",
        "办公时间",
        "结果名称",
        "最低生活保障证",
        "送达方式",
        "常见问题",
        "家庭收入怎么算？",
    ] {
        assert!(guide.contains(fact), "the guide shows {fact}");
    }
    assert!(guide.contains("<a href=\"tel:079183210404\">0791-83210404</a>"), "phones are tel: links");
    assert!(guide.contains("href=\"tel:12345\""), "the complaint line by default");
    assert!(guide.contains("登录后收藏"), "visitors are asked to sign in to keep it");
    let (_, sample) = app.page("/services/QS-MZ-0001/blank-form?sample=1").await;
    assert!(sample.contains("示例样表") && sample.contains("11010519491231002X"), "a filled-in sample");
    // A citizen keeps it, finds it on 我的, and removes it; another citizen's list is their own.
    let me = app.citizen_sign_in(&gw, "13800138000").await;
    let (_, guide) = app.page_with_cookie(path, &me).await;
    assert!(guide.contains("☆ 收藏"));
    let csrf = attr(&guide, "csrf").unwrap().to_string();
    let post = |cookie: &str, fields: Vec<(&'static str, String)>| {
        app.client
            .post(app.url("/my/favourites"))
            .header("cookie", cookie.to_string())
            .header("origin", &app.base)
            .form(&fields)
            .send()
    };
    let forged =
        post(&me, vec![("csrf", "x".into()), ("code", "QS-MZ-0001".into()), ("action", "add".into())]).await.unwrap();
    assert_eq!(forged.status(), 403, "no change without the form's token");
    let r =
        post(&me, vec![("csrf", csrf.clone()), ("code", "QS-MZ-0001".into()), ("action", "add".into())]).await.unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("{path}?done=favourited")));
    let (_, guide) = app.page_with_cookie(&location(&r), &me).await;
    assert!(guide.contains("已收藏") && guide.contains("aria-pressed=\"true\""));
    let (_, my) = app.page_with_cookie("/my", &me).await;
    assert!(my.contains("我的收藏") && my.contains("最低生活保障申请"));
    let r =
        post(&me, vec![("csrf", csrf.clone()), ("code", "NO-SUCH".into()), ("action", "add".into())]).await.unwrap();
    assert_eq!(r.status(), 404);
    let other = app.citizen_sign_in(&gw, "13900139000").await;
    assert!(!app.page_with_cookie("/my", &other).await.1.contains("最低生活保障申请"));
    let r = post(
        &me,
        vec![("csrf", csrf.clone()), ("code", "QS-MZ-0001".into()), ("action", "remove".into()), ("back", "my".into())],
    )
    .await
    .unwrap();
    assert_eq!(location(&r), "/my?done=unfavourited");
    assert!(!app.page_with_cookie("/my", &me).await.1.contains("最低生活保障申请"));
    // Anonymous: the sign-in gate, nothing stored.
    let anon = app
        .client
        .post(app.url("/my/favourites"))
        .header("origin", &app.base)
        .form(&[("code", "QS-MZ-0001"), ("action", "add")])
        .send()
        .await
        .unwrap();
    assert!(anon.status().is_redirection() || anon.status() == 401 || anon.status() == 403, "{}", anon.status());
    // The application form asks how the result is delivered (this item: window or post).
    app.citizen_real_name(&me, "王小明", "11010519491231002X").await;
    let (_, form) = app.page_with_cookie("/my/apply/QS-MZ-0001", &me).await;
    assert!(form.contains("结果领取方式") && form.contains("name=\"_delivery\" value=\"post\""));
    assert!(form.contains("name=\"_delivery_address\""));
    let (_, other_form) = app.page_with_cookie(&format!("/my/apply/{ITEM}"), &me).await;
    assert!(other_form.contains("结果领取方式"));
    // A new privacy policy published while the form was open: submitting keeps the draft and
    // asks for consent first; nothing is submitted.
    zhengwu_core::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO policy_versions (kind, version, title, body, published_at, published_by) \
         VALUES ('privacy', 9, '隐私政策（第九版）', '一、测试用的新版本。', $1, 'test')")
        .bind(chrono::Utc::now()).execute(pool).await.map(|_| ()))
    .unwrap();
    let csrf = attr(&other_form, "csrf").unwrap().to_string();
    let client_key = attr(&other_form, "client_key").unwrap().to_string();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("client_key", client_key)
        .text("last_employer", "青山县某某机械厂")
        .text("_pledge", "1")
        .text("action", "submit");
    let r = app
        .client
        .post(app.url(&format!("/my/apply/{ITEM}")))
        .header("cookie", &me)
        .header("origin", &app.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/my/consent?next=/my/cases/"), "{}", location(&r));
    let submitted: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases WHERE tracking_no IS NOT NULL").fetch_one(pool).await)
    .unwrap();
    assert_eq!(submitted, 0);
    let drafts: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases WHERE status = 'draft'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(drafts, 1, "the draft kept");
    app.finish().await;
}
