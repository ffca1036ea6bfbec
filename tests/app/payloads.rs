//! Stored text that ends raw-text elements: `</title>`, `</textarea>`, `</script>`, `</style>`
//! put into every text field staff and citizens can store (a service item's guide, its form's
//! labels, hints and options, a department, a role, an account's name, a calendar day, a
//! citizen's answers), then every page that shows them is fetched: none may carry the markup
//! live. Leptos writes the children of `<title>` and `<textarea>` raw, so this is ours to hold.

use crate::common::{attr, Gateway, TestApp};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(stored_text_never_breaks_out_of_title_or_textarea);

const ITEM: &str = "QS-RS-0005";
const ID: &str = "11010519491231002X";

/// What must never appear in a page as it is (each would be live markup).
const LIVE: &[&str] = &[r#"<meta http-equiv="refresh""#, r#"<b id="zw-"#];

fn payload(tag: &str, n: u32) -> String {
    match n % 4 {
        0 => {
            format!(r#"养老</title><meta http-equiv="refresh" content="0;url=http://evil.example/"><b id="zw-{tag}">"#)
        }
        1 => format!(r#"</textarea><b id="zw-{tag}">出来了</b>"#),
        2 => format!(r#"</script><b id="zw-{tag}">"#),
        _ => format!(r#"</style><b id="zw-{tag}">"#),
    }
}

fn assert_inert(path: &str, body: &str) {
    for live in LIVE {
        assert!(!body.contains(live), "{path} carries live markup {live:?}:\n{}", excerpt(body, live));
    }
}

fn excerpt(body: &str, needle: &str) -> String {
    let i = body.find(needle).unwrap_or(0);
    body[i.saturating_sub(200)..(i + 200).min(body.len())].to_string()
}

async fn stored_text_never_breaks_out_of_title_or_textarea(b: Backend) {
    let gw = Gateway::default();
    let url = gw.start().await;
    let Some(app) = TestApp::with(b, "payloads", |s| zhengwu_core::Settings {
        sms_provider: Some("http".into()),
        sms_http_url: Some(url),
        ..s
    })
    .await
    else {
        return;
    };
    // The item's guide: every text field a payload (the name within its 100 characters).
    let admin = app.sign_in("zhoumin").await;
    let item_path = format!("/admin/services/{ITEM}");
    let mut fields: Vec<(String, String)> = vec![
        ("name".into(), payload("name", 0)),
        ("summary".into(), payload("summary", 1)),
        ("eligibility".into(), payload("eligibility", 2)),
        ("legal_basis".into(), payload("legal", 3)),
        ("fees".into(), payload("fees", 0)),
        ("venue".into(), payload("venue", 1)),
        ("hours".into(), payload("hours", 2)),
        ("phone".into(), payload("phone", 3)),
        ("keywords".into(), payload("keywords", 0)),
        ("complaint_phone".into(), payload("complaint", 1)),
        ("fee_basis".into(), payload("fee-basis", 2)),
        ("result_name".into(), payload("result", 3)),
        ("faq".into(), format!("问：{}\n答：{}", payload("faq-q", 0), payload("faq-a", 1))),
    ];
    for (k, v) in [
        ("statutory_days", "20"),
        ("promised_days", "5"),
        ("day_kind", "working"),
        ("online_depth", "4"),
        ("visits", "0"),
        ("delivery", "window"),
        ("delivery", "post"),
    ] {
        fields.push((k.into(), v.into()));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = app.post_form(&admin, &item_path, &refs).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    // Its form: a label, a hint, an option and a long-text field (shown in a <textarea>).
    let def = app.get_as(Some(&admin), &format!("{item_path}/form.json")).await.text().await.unwrap();
    let mut def: serde_json::Value = serde_json::from_str(&def).unwrap();
    let fields0 = def["sections"][0]["fields"].as_array_mut().unwrap();
    fields0[0]["label"] = payload("label", 0).into();
    fields0[0]["hint"] = payload("hint", 1).into();
    fields0.push(serde_json::json!({"name": "note", "label": payload("note", 2), "kind": "long_text", "max_len": 500}));
    let choice = def["sections"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|s| s["fields"].as_array_mut().unwrap().iter_mut())
        .find(|f| f["kind"] == "choice")
        .unwrap();
    choice["options"].as_array_mut().unwrap().push(payload("option", 3).into());
    let r = app.post_form(&admin, &format!("{item_path}/form"), &[("definition", &def.to_string())]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    // Its workflow: the step names are drawn in the guide's process diagram (SVG), at most 30
    // characters each.
    let wf = serde_json::json!({"steps": [
        {"key": "accept", "name": r#"</title><b id="zw-st">"#, "assignee": {"kind": "case_department", "role": "bureau_reviewer"},
         "mode": "any", "actions": ["approve", "reject", "supplement"], "limit_days": 1, "next": "review"},
        {"key": "review", "name": r#"</text><b id="zw-s2">"#, "assignee": {"kind": "chosen", "role": "bureau_reviewer"},
         "mode": "single", "actions": ["approve", "reject"]}
    ]});
    let r = app.post_form(&admin, &format!("{item_path}/workflow"), &[("definition", &wf.to_string())]).await;
    assert_eq!(r.status(), 303, "{}", excerpt(&r.text().await.unwrap(), "error"));
    // A department, a role, an account, a calendar day.
    let sys = app.sign_in("sysadmin").await;
    let r = app
        .post_form(
            &sys,
            "/admin/departments",
            &[
                ("code", "QS-XSS"),
                ("name", &payload("dept", 1)),
                ("name_en", &payload("dept-en", 2)),
                ("parent_id", "3"),
                ("level", "department"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", excerpt(&r.text().await.unwrap(), "error"));
    let r = app
        .post_form(
            &sys,
            "/admin/staff",
            &[("username", "xss.user"), ("display_name", r#"</title><b id="zw-staff">"#), ("department_id", "3")],
        )
        .await;
    assert_eq!(r.status(), 201);
    let staff_id = app.staff_id("xss.user").await;
    let r = app
        .post_form(
            &sys,
            "/admin/calendar",
            &[("day", "2026-12-25"), ("kind", "holiday"), ("name", r#"</textarea><b id="zw-day">"#)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let sec = app.sign_in("secadmin").await;
    let r = app
        .post_form(
            &sec,
            "/admin/roles",
            &[
                ("code", "xss_role"),
                ("name", r#"</title><b id="zw-role">"#),
                ("duty", "business"),
                ("data_scope", "self"),
                ("permission", "staff:read"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // A citizen's answers, in a text input and in the new text area.
    let me = app.citizen_sign_in(&gw, "13800138000").await;
    app.citizen_real_name(&me, "王小明", ID).await;
    let (_, html) = app.page_with_cookie(&format!("/my/apply/{ITEM}"), &me).await;
    let (csrf, key) = (attr(&html, "csrf").unwrap().to_string(), attr(&html, "client_key").unwrap().to_string());
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("client_key", key)
        .text("last_employer", payload("answer", 1))
        .text("note", payload("note-answer", 1))
        .text("action", "save");
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
    let draft = r.headers()["location"].to_str().unwrap().to_string();
    let case_id: i64 =
        zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM cases").fetch_one(pool).await)
            .unwrap();

    // Every page that shows them, as the people who see them.
    let role_id: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM roles WHERE code = 'xss_role'").fetch_one(pool).await).unwrap();
    let pages: Vec<(Option<String>, String)> = vec![
        (None, "/services".into()),
        (None, format!("/services?q={}", "养老")),
        (None, format!("/services/{ITEM}")),
        (None, format!("/services/{ITEM}/blank-form")),
        (None, format!("/services/{ITEM}/blank-form?sample=1")),
        (None, "/".into()),
        (Some(me.clone()), format!("/my/apply/{ITEM}")),
        (Some(me.clone()), draft.clone()),
        (Some(me.clone()), "/my/cases?status=draft".into()),
        (Some(me.clone()), format!("/my/cases/{case_id}?confirm=delete")),
        (Some(admin.cookie.clone()), "/admin/services".into()),
        (Some(admin.cookie.clone()), item_path.clone()),
        (Some(sys.cookie.clone()), "/admin/staff".into()),
        (Some(sys.cookie.clone()), format!("/admin/staff/{staff_id}")),
        (Some(sys.cookie.clone()), "/admin/departments".into()),
        (Some(sys.cookie.clone()), "/admin/calendar?year=2026".into()),
        (Some(sec.cookie.clone()), "/admin/roles".into()),
        (Some(sec.cookie.clone()), format!("/admin/roles/{role_id}")),
    ];
    let mut shown = 0;
    for (cookie, path) in &pages {
        let (status, body) = match cookie {
            Some(c) => app.page_with_cookie(path, c).await,
            None => app.page(path).await,
        };
        assert_eq!(status, 200, "{path}");
        assert_inert(path, &body);
        // The text is there, escaped (so the test looks at pages that really show it).
        if body.contains("&lt;/title&gt;") || body.contains("&lt;/textarea&gt;") || body.contains("&lt;/script&gt;") {
            shown += 1;
        }
    }
    // All but two: the home page lists the item only among the popular services, and one list
    // may page it away.
    assert!(shown >= pages.len() - 2, "the payloads are shown (escaped) on {shown} of {} pages", pages.len());
    // The title shows the name as typed (escaped once: the browser decodes it back).
    let (_, guide) = app.page(&format!("/services/{ITEM}")).await;
    let title = guide.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
    assert!(title.starts_with("养老&lt;/title&gt;&lt;meta http-equiv=\"refresh\""), "{title}");
    app.finish().await;
}
