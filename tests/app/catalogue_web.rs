//! The catalogue over HTTP: the public list and guides, staff managing items and their forms,
//! and an item's workflow edited step by step.

use crate::common::{count, Gateway};
use crate::services_web::{app, location, ITEM};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(the_public_catalogue_and_guides, staff_manage_the_catalogue, staff_edit_a_workflow_step_by_step);

async fn the_public_catalogue_and_guides(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "web_catalogue", &gw).await else { return };
    let (s, html) = app.page("/services").await;
    assert_eq!(s, 200);
    assert_eq!(count(&html, "class=\"service-row\""), 15, "a page of 15");
    assert!(html.contains("rel=\"next\""), "paged");
    assert!(html.contains("计划生育") && html.contains("党费缴纳") && html.contains("开办企业"), "themes");
    let (_, html) = app.page("/services?theme=unemployment").await;
    assert!(html.contains("失业保险金申领") && !html.contains("婚姻登记</a>"));
    let (_, html) = app.page("/services?q=%E5%A9%9A%E5%A7%BB").await; // 婚姻
    assert_eq!(count(&html, "class=\"service-row\""), 1);
    let (_, html) = app.page("/services?object=enterprise&department=QS-SCJ").await;
    assert!(html.contains("食品经营许可") && !html.contains("个体工商户设立登记"), "object filter");
    let (s, html) = app.page(&format!("/services/{ITEM}")).await;
    assert_eq!(s, 200);
    for part in ["在线办理", "受理条件", "申请材料", "解除或终止劳动关系证明", "《失业保险条例》", "承诺办结时限"]
    {
        assert!(html.contains(part), "guide shows {part}");
    }
    assert!(html.contains(&format!("href=\"/my/apply/{ITEM}\"")));
    let (_, html) = app.page("/services/QS-MZ-0005").await;
    assert!(!html.contains("在线办理") && html.contains("暂不支持网上申请"), "depth 2: window only");
    assert_eq!(app.page("/services/NO-SUCH").await.0, 404);
    assert_eq!(app.page("/services?page=0").await.0, 400);
    // Applying needs signing in, and comes back to the form afterwards.
    let r = app.get(&format!("/my/apply/{ITEM}")).await;
    assert_eq!(location(&r), format!("/my/login?next=/my/apply/{ITEM}"));
    app.finish().await;
}

async fn staff_manage_the_catalogue(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "web_catalogue_admin", &gw).await else { return };
    let admin = app.sign_in("zhoumin").await;
    let clerk = app.sign_in("zhangwei").await;
    assert_eq!(app.get_as(Some(&clerk), "/admin/services").await.status(), 403);
    let r = app.post_form(&clerk, &format!("/admin/services/{ITEM}/status"), &[("status", "retired")]).await;
    assert_eq!(r.status(), 403);
    // A new item: a draft, not public; a wrong code comes back with the input kept.
    let r = app
        .post_form(
            &admin,
            "/admin/services",
            &[("code", "x"), ("name", "就业见习补贴申领"), ("department_id", "10"), ("object", "enterprise")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("事项编码为 3–40 位") && html.contains("value=\"就业见习补贴申领\""));
    let rsj: i64 =
        zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM departments WHERE code = 'QS-RSJ'")
        .fetch_one(pool).await)
        .unwrap();
    let r = app
        .post_form(
            &admin,
            "/admin/services",
            &[
                ("code", "QS-RS-0099"),
                ("name", "就业见习补贴申领"),
                ("department_id", &rsj.to_string()),
                ("object", "enterprise"),
            ],
        )
        .await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/admin/services/QS-RS-0099?done=created".to_string()));
    assert_eq!(app.page("/services/QS-RS-0099").await.0, 404, "a draft is not public");
    let html = app.get_as(Some(&admin), &format!("/admin/services/{ITEM}")).await.text().await.unwrap();
    assert!(html.contains("发布新版本表单") && html.contains("termination_proof"));
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}/status"), &[("status", "retired")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.page(&format!("/services/{ITEM}")).await.0, 404, "retired: gone from the public");
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}/status"), &[("status", "published")]).await;
    assert_eq!(r.status(), 303);
    // The guide: promised longer than statutory refused with the values kept.
    let mut fields: Vec<(&str, &str)> = vec![
        ("name", "失业保险金申领"),
        ("summary", "简介"),
        ("eligibility", "条件"),
        ("legal_basis", "依据"),
        ("statutory_days", "20"),
        ("promised_days", "25"),
        ("day_kind", "working"),
        ("fees", "不收费"),
        ("venue", "窗口"),
        ("hours", "工作日"),
        ("online_depth", "4"),
        ("phone", "0791-1"),
        ("visits", "0"),
        ("delivery", "electronic"),
        ("delivery", "post"),
        ("keywords", "失业金 下岗补助"),
        ("result_name", "失业保险金核定通知"),
        ("faq", "问：多久到账？\n答：次月 15 日前。"),
    ];
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}"), &fields).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("承诺时限不能长于法定时限") && html.contains("value=\"25\""));
    fields[5] = ("promised_days", "2");
    // Questions that do not follow the format come back with the line and the text kept.
    let mut bad = fields.clone();
    bad.push(("faq", "随便写的"));
    bad.retain(|(k, v)| *k != "faq" || *v == "随便写的");
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}"), &bad).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("第 1 行") && html.contains(">随便写的</textarea>"),
        "{}",
        &html[html.find("faq").unwrap_or(0)..][..300]
    );
    assert_eq!(app.post_form(&admin, &format!("/admin/services/{ITEM}"), &fields).await.status(), 303);
    let guide = app.page(&format!("/services/{ITEM}")).await.1;
    assert!(guide.contains("2 个工作日") && guide.contains("多久到账？") && guide.contains("失业保险金核定通知"));
    assert!(guide.contains("邮寄送达") && guide.contains("0 次（全程网上办理）"), "delivery and visits shown");
    // The keyword finds it from the search (the page cache was cleared by the change).
    assert!(app.page("/services?q=%E4%B8%8B%E5%B2%97").await.1.contains("失业保险金申领"), "下岗 finds it");
    // Form: export, import a broken one (refused), import the export (version 2).
    let export = app.get_as(Some(&admin), &format!("/admin/services/{ITEM}/form.json")).await;
    assert!(export.headers()["content-disposition"].to_str().unwrap().contains("form-v1.json"));
    let json = export.text().await.unwrap();
    let r =
        app.post_form(&admin, &format!("/admin/services/{ITEM}/form"), &[("definition", "{\"sections\": []}")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("表单至少需要一个分组"));
    // The page has two definition boxes: the message and the text go to the form's, the
    // workflow's keeps its own.
    let (form_box, workflow_box) = (textarea(&html, "definition"), textarea(&html, "workflow-definition"));
    assert!(form_box.contains("aria-invalid=\"true\"") && form_box.contains("sections"), "{form_box}");
    assert!(!workflow_box.contains("aria-invalid") && workflow_box.contains("steps"), "{workflow_box}");
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}/workflow"), &[("definition", "{ not json")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    let (form_box, workflow_box) = (textarea(&html, "definition"), textarea(&html, "workflow-definition"));
    assert!(workflow_box.contains("aria-invalid=\"true\"") && workflow_box.contains("{ not json"), "{workflow_box}");
    assert!(!form_box.contains("aria-invalid") && !form_box.contains("not json"), "{form_box}");
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}/form"), &[("definition", &json)]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/admin/services/{ITEM}?done=form&version=2")));
    // The structured editor: rows to a new version (row 2 deleted, row 3 the empty "add" row).
    let rows: Vec<(&str, &str)> = vec![
        ("row", "0"),
        ("order_0", "2"),
        ("section_0", "申请材料"),
        ("name_0", "proof"),
        ("label_0", "证明"),
        ("kind_0", "attachment"),
        ("required_0", "1"),
        ("accept_0", "pdf"),
        ("max_size_kb_0", "1024"),
        ("row", "1"),
        ("order_1", "1"),
        ("section_1", "申请人信息"),
        ("name_1", "applicant_name"),
        ("label_1", "姓名"),
        ("kind_1", "text"),
        ("required_1", "1"),
        ("prefill_1", "real_name"),
        ("max_len_1", "abc"),
        ("row", "2"),
        ("name_2", "old"),
        ("label_2", "旧"),
        ("kind_2", "text"),
        ("delete_2", "1"),
        ("row", "3"),
        ("name_3", ""),
    ];
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}/fields"), &rows).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("最长字数须为整数"));
    let rows: Vec<(&str, &str)> =
        rows.into_iter().map(|(k, v)| if k == "max_len_1" { (k, "30") } else { (k, v) }).collect();
    let r = app.post_form(&admin, &format!("/admin/services/{ITEM}/fields"), &rows).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/admin/services/{ITEM}?done=form&version=3")));
    let def: serde_json::Value = serde_json::from_str(
        &app.get_as(Some(&admin), &format!("/admin/services/{ITEM}/form.json")).await.text().await.unwrap(),
    )
    .unwrap();
    let titles: Vec<&str> = def["sections"].as_array().unwrap().iter().map(|s| s["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["申请人信息", "申请材料"], "ordered by the order numbers, grouped by section");
    assert_eq!(def["sections"][0]["fields"][0]["max_len"], 30);
    assert_eq!(def["sections"][0]["fields"][0]["prefill"], "real_name");
    assert_eq!(def["sections"][1]["fields"][0]["accept"], serde_json::json!(["pdf"]));
    assert_eq!(def["sections"][1]["fields"][0]["max_size_kb"], 1024);
    assert_eq!(def.to_string().matches("\"name\"").count(), 2, "the deleted and the empty row are gone");
    let editor = app.get_as(Some(&admin), &format!("/admin/services/{ITEM}")).await.text().await.unwrap();
    assert!(editor.contains("name=\"label_0\"") && editor.contains("新增字段"), "rows and the add row");
    app.finish().await;
}

async fn staff_edit_a_workflow_step_by_step(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "web_workflow_editor", &gw).await else { return };
    let admin = app.sign_in("zhoumin").await;
    let page = app.get_as(Some(&admin), &format!("/admin/services/{ITEM}")).await.text().await.unwrap();
    assert!(page.contains("办理流程") && page.contains("尚未发布流程") && page.contains("逐项编辑"));
    let path = format!("/admin/services/{ITEM}/workflow/steps");
    // Two steps, the second pointing back at the first: refused, the rows come back as typed.
    let cycle = [
        ("row", "0"),
        ("order_0", "1"),
        ("key_0", "accept"),
        ("name_0", "受理"),
        ("rule_0", "case_department"),
        ("role_0", "bureau_reviewer"),
        ("mode_0", "any"),
        ("action_0", "approve"),
        ("next_0", "joint"),
        ("row", "1"),
        ("order_1", "2"),
        ("key_1", "joint"),
        ("name_1", "集体会审"),
        ("rule_1", "case_department"),
        ("role_1", "bureau_reviewer"),
        ("mode_1", "all"),
        ("action_1", "approve"),
        ("action_1", "reject"),
        ("limit_1", "2"),
        ("next_1", "accept"),
        ("row", "2"),
    ];
    let r = app.post_form(&admin, &path, &cycle).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("循环") && html.contains("集体会审"), "message and the input kept");
    // The second step ends the flow: published as version 1, shown in the table.
    let mut fixed = cycle.to_vec();
    fixed.retain(|(k, _)| *k != "next_1");
    let r = app.post_form(&admin, &path, &fixed).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/admin/services/{ITEM}?done=workflow&v=1")));
    let page = app.get_as(Some(&admin), &format!("/admin/services/{ITEM}")).await.text().await.unwrap();
    assert!(page.contains("当前版本 1") && page.contains("会签（全部同意）") && page.contains("2 个工作日"));
    // The same rows again: no new version.
    let r = app.post_form(&admin, &path, &fixed).await;
    assert_eq!(location(&r), format!("/admin/services/{ITEM}?done=workflow&v=1"));
    // Someone without service:manage: refused before anything is read.
    let reviewer = app.sign_in("chenjing").await;
    assert_eq!(app.post_form(&reviewer, &path, &fixed).await.status(), 403);
    app.finish().await;
}

/// The `<textarea>` with this id, from its tag to its end.
fn textarea<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<textarea id=\"{id}\"")).unwrap_or_else(|| panic!("no textarea #{id}"));
    let end = start + html[start..].find("</textarea>").expect("closed");
    &html[start..end]
}
