//! The catalogue, the online application and case tracking over HTTP, as a browser without
//! JavaScript uses them: plain links, multipart form posts with files, redirects, pages that
//! come back with messages next to the fields. And the staff side: incoming cases in scope,
//! supplement requests, catalogue changes.

use crate::common::{attr, count, Gateway, TestApp};
use reqwest::multipart::{Form, Part};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(
    a_citizen_applies_with_files_and_tracks_the_case,
    bad_uploads_are_refused_and_nothing_is_lost,
    staff_ask_for_a_supplement_and_the_citizen_resubmits,
    attachments_can_live_in_an_s3_bucket,
    drafts_keep_to_their_limits_files_rest_sealed_and_drafts_can_be_deleted,
);

pub(crate) const ITEM: &str = "QS-RS-0005";
const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";

pub(crate) async fn app(b: Backend, name: &str, gateway: &Gateway) -> Option<TestApp> {
    let url = gateway.start().await;
    TestApp::with(b, name, |s| zhengwu_core::Settings {
        sms_provider: Some("http".into()),
        sms_http_url: Some(url),
        ..s
    })
    .await
}

/// The hidden inputs of the application form.
struct FormKeys {
    csrf: String,
    client_key: String,
}

async fn open_form(app: &TestApp, cookie: &str, path: &str) -> (String, FormKeys) {
    let (status, html) = app.page_with_cookie(path, cookie).await;
    assert_eq!(status, 200, "{path}: {html}");
    let keys = FormKeys {
        csrf: attr(&html, "csrf").unwrap().to_string(),
        client_key: attr(&html, "client_key").unwrap().to_string(),
    };
    (html, keys)
}

fn answers(k: &FormKeys, action: &str, fields: &[(&str, &str)]) -> Form {
    let mut f = Form::new().text("csrf", k.csrf.clone()).text("client_key", k.client_key.clone());
    for (n, v) in fields {
        f = f.text(n.to_string(), v.to_string());
    }
    // Submitting directly (as a retry does) carries the confirmed 承诺书.
    if action == "submit" {
        f = f.text("_pledge", "1");
    }
    f.text("action", action.to_string())
}

fn file(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_string()).mime_str("application/pdf").unwrap()
}

async fn post_multipart(app: &TestApp, cookie: &str, path: &str, form: Form) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("cookie", cookie)
        .header("origin", &app.base)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn complete() -> Vec<(&'static str, &'static str)> {
    vec![
        ("applicant_name", "王小明"),
        ("id_number", ID),
        ("mobile", PHONE),
        ("last_employer", "青山县某某机械厂"),
        ("leave_date", "2026-11-01"),
        ("leave_reason", "劳动合同期满"),
        ("wants_training", "职业介绍"),
        ("wants_training", "职业培训"),
    ]
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

async fn a_citizen_applies_with_files_and_tracks_the_case(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "web_apply", &gw).await else { return };
    let me = app.citizen_sign_in(&gw, PHONE).await;
    app.citizen_real_name(&me, "王小明", ID).await;
    let path = format!("/my/apply/{ITEM}");
    let (html, k) = open_form(&app, &me, &path).await;
    assert!(html.contains(&format!("value=\"{ID}\"")), "prefilled from the verified profile");
    assert!(html.contains("enctype=\"multipart/form-data\""));
    // Save a draft, half filled.
    let r = post_multipart(&app, &me, &path, answers(&k, "save", &[("last_employer", "青山县某某机械厂")])).await;
    assert_eq!(r.status(), 303);
    let draft = location(&r);
    assert!(draft.starts_with(&format!("{path}?case=")) && draft.ends_with("&saved=1"), "{draft}");
    // Resume from the list of my cases.
    let (_, list) = app.page_with_cookie("/my/cases", &me).await;
    assert!(list.contains("草稿") && list.contains("失业保险金申领"));
    let (html, k2) = open_form(&app, &me, &draft).await;
    assert_eq!(k2.client_key, k.client_key, "the same draft");
    assert!(html.contains("青山县某某机械厂") && html.contains("草稿已保存"));
    // Check the answers with the file (the review step), then confirm what was shown.
    let form =
        answers(&k, "review", &complete()).part("termination_proof", file(b"%PDF-1.7\n%demo\n".to_vec(), "证明.pdf"));
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let review = location(&r);
    assert!(review.ends_with("?review=1"), "{review}");
    let (_, html) = app.page_with_cookie(&review, &me).await;
    assert!(html.contains("请核对填写内容") && html.contains("青山县某某机械厂") && html.contains("证明.pdf"));
    assert!(html.contains("确认提交") && html.contains("（提交后生成）"), "not submitted yet");
    assert!(html.contains("承诺书") && html.contains("name=\"_pledge\""), "the pledge is asked before submitting");
    // Without the pledge: the review page again, the message at the pledge, nothing submitted.
    let form =
        Form::new().text("csrf", k.csrf.clone()).text("client_key", k.client_key.clone()).text("action", "confirm");
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("请核对填写内容") && html.contains("请阅读承诺书并勾选"), "the review page with the message");
    assert!(html.contains("（提交后生成）"), "not submitted");
    let form = Form::new()
        .text("csrf", k.csrf.clone())
        .text("client_key", k.client_key.clone())
        .text("_pledge", "1")
        .text("action", "confirm");
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 303);
    let receipt = location(&r);
    assert!(receipt.ends_with("?receipt=1"));
    let (s, html) = app.page_with_cookie(&receipt, &me).await;
    assert_eq!(s, 200);
    let today = zhengwu_core::time::shanghai_date(chrono::Utc::now()).format("%Y%m%d").to_string();
    let no = format!("QSRSJ-{today}-00001");
    assert!(html.contains("申请已提交") && html.contains(&no), "receipt with the tracking number");
    assert!(html.contains("证明.pdf") && html.contains("职业介绍、职业培训"));
    // The same post again (a retry): the same case, no second one.
    let form = answers(&k, "submit", &complete());
    let again = post_multipart(&app, &me, &path, form).await;
    assert_eq!((again.status().as_u16(), location(&again)), (303, receipt.clone()));
    // Download: the applicant only, as an attachment with the real type.
    let file_link = html.split("href=\"/my/files/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let dl = app.client.get(app.url(&format!("/my/files/{file_link}"))).header("cookie", &me).send().await.unwrap();
    assert_eq!(dl.status(), 200);
    assert_eq!(dl.headers()["content-type"], "application/pdf");
    assert!(dl.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(dl.bytes().await.unwrap().as_ref(), b"%PDF-1.7\n%demo\n");
    let other = app.citizen_sign_in(&gw, "13900139000").await;
    let dl = app.client.get(app.url(&format!("/my/files/{file_link}"))).header("cookie", &other).send().await.unwrap();
    assert_eq!(dl.status(), 404, "someone else's file");
    assert!(dl.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(dl.text().await.unwrap().contains("页面不存在"), "the portal's 404 page, not a bare text");
    let case_path = receipt.trim_end_matches("?receipt=1");
    assert_eq!(app.page_with_cookie(case_path, &other).await.0, 404, "someone else's case");
    // 撤回 asks first: the case page links to a confirmation, which holds the form.
    let (_, page) = app.page_with_cookie(case_path, &me).await;
    assert!(page.contains("?confirm=withdraw") && !page.contains("/withdraw\""), "no withdrawal at one tap");
    assert!(page.contains("href=\"/my/cases\""), "the receipt links to 我的办件");
    let (_, confirm) = app.page_with_cookie(&format!("{case_path}?confirm=withdraw"), &me).await;
    assert!(confirm.contains("确定撤回这份申请吗") && confirm.contains("/withdraw\""));
    // The public look-up: the same answer for wrong digits and no case; limited.
    let lookup = |no: String, digits: &'static str| {
        app.client
            .post(app.url("/cases/lookup"))
            .header("origin", &app.base)
            .form(&[("tracking_no", no), ("digits", digits.to_string())])
            .send()
    };
    let r = lookup(no.to_lowercase(), "8000").await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("查询结果") && html.contains("待受理") && html.contains("提交申请"));
    assert!(!html.contains("王小明") && !html.contains(ID), "no personal data in the public answer");
    let wrong = lookup(no.clone(), "1234").await.unwrap();
    let missing = lookup("QSRSJ-20000101-00009".into(), "8000").await.unwrap();
    assert_eq!((wrong.status(), missing.status()), (reqwest::StatusCode::NOT_FOUND, reqwest::StatusCode::NOT_FOUND));
    let (w, m) = (wrong.text().await.unwrap(), missing.text().await.unwrap());
    assert!(w.contains("没有找到") && m.contains("没有找到"));
    assert!(!w.contains("查询结果") && !m.contains("查询结果"));
    let mut limited = false;
    for _ in 0..10 {
        if lookup(no.clone(), "0000").await.unwrap().status() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "look-ups are rate-limited per address");
    app.finish().await;
}

async fn bad_uploads_are_refused_and_nothing_is_lost(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "web_uploads", &gw).await else { return };
    // The demo notices' attachment files, stored at start: not the citizen's.
    let published = walk(&app.data_dir().join("blobs"));
    let me = app.citizen_sign_in(&gw, PHONE).await;
    app.citizen_real_name(&me, "王小明", ID).await;
    let path = format!("/my/apply/{ITEM}");
    let (_, k) = open_form(&app, &me, &path).await;
    // Every field rule: messages next to the fields, the input kept.
    let bad = vec![
        ("applicant_name", ""),
        ("id_number", "110101199003070012"),
        ("mobile", "1380013800"),
        ("last_employer", "青山县某某机械厂"),
        ("leave_date", "2999-01-01"),
        ("leave_reason", "不想干了"),
    ];
    let r = post_multipart(&app, &me, &path, answers(&k, "submit", &bad)).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    for msg in [
        "请填写申请人姓名",
        "校验",
        "请填写 11 位手机号码",
        "不能晚于",
        "请从给出的选项中选择",
        "请上传解除或终止劳动关系证明",
    ] {
        assert!(html.contains(msg), "message {msg}");
    }
    assert!(html.contains("value=\"1380013800\"") && html.contains("value=\"2999-01-01\""), "input kept");
    assert!(html.contains("error-summary"));
    // An executable named .pdf: refused by content, the rest saved.
    let form = answers(&k, "submit", &complete())
        .part("termination_proof", file(b"MZ\x90\x00\x03\x00\x00\x00PE".to_vec(), "证明.pdf"));
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("文件类型不符合要求"), "{html}");
    assert!(html.contains("value=\"青山县某某机械厂\""), "answers kept while the file was refused");
    // Over the field's limit (5 MB): refused, nothing kept on disk.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(6 * 1024 * 1024, b'x');
    let form = answers(&k, "save", &complete()).part("termination_proof", file(big, "big.pdf"));
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("大小限制"));
    // The whole post over 40 MB: cut off.
    let mut huge = b"%PDF-1.7\n".to_vec();
    huge.resize(45 * 1024 * 1024, b'y');
    let form = answers(&k, "save", &complete()).part("termination_proof", file(huge, "huge.pdf"));
    let r =
        app.client.post(app.url(&path)).header("cookie", &me).header("origin", &app.base).multipart(form).send().await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413, "cut off at the limit");
    } // (or the connection is closed while still sending: also cut off)
    let blobs = app.data_dir().join("blobs");
    let stored: Vec<_> =
        walk(&blobs).into_iter().filter(|p| !p.starts_with(blobs.join("tmp")) && !published.contains(p)).collect();
    assert!(stored.is_empty(), "no refused upload kept: {stored:?}");
    assert!(walk(&blobs.join("tmp")).is_empty(), "no partial file left");
    // Without the anti-forgery token: refused before any file is read. On a new connection:
    // the pooled one may be the one the server closed after cutting the 45 MB post off (seen
    // once as "IncompleteMessage" on PostgreSQL).
    let form = Form::new()
        .text("client_key", k.client_key.clone())
        .part("termination_proof", file(b"%PDF-1.7".to_vec(), "a.pdf"));
    let fresh = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = fresh.post(app.url(&path)).header("cookie", &me).header("origin", &app.base).multipart(form).send().await;
    assert_eq!(r.unwrap().status(), 403);
    app.finish().await;
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

async fn staff_ask_for_a_supplement_and_the_citizen_resubmits(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "web_supplement", &gw).await else { return };
    let me = app.citizen_sign_in(&gw, PHONE).await;
    app.citizen_real_name(&me, "王小明", ID).await;
    let path = format!("/my/apply/{ITEM}");
    let (_, k) = open_form(&app, &me, &path).await;
    let form =
        answers(&k, "submit", &complete()).part("termination_proof", file(b"%PDF-1.7 blurry".to_vec(), "模糊.pdf"));
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 303);
    let case_id: i64 = location(&r).trim_start_matches("/my/cases/").trim_end_matches("?receipt=1").parse().unwrap();
    // 人社局's reviewer sees it; 民政局's does not.
    let rs = app.sign_in("chenjing").await;
    let mz = app.sign_in("lina").await;
    let list = app.get_as(Some(&rs), "/admin/cases").await.text().await.unwrap();
    assert!(list.contains(&format!("/admin/cases/{case_id}")));
    let other = app.get_as(Some(&mz), "/admin/cases").await.text().await.unwrap();
    assert!(!other.contains(&format!("/admin/cases/{case_id}")));
    assert_eq!(app.get_as(Some(&mz), &format!("/admin/cases/{case_id}")).await.status(), 404);
    let page = app.get_as(Some(&rs), &format!("/admin/cases/{case_id}")).await.text().await.unwrap();
    assert!(page.contains(ID) && page.contains("要求补正"), "in full for the processing department");
    let r = app.post_form(&rs, &format!("/admin/cases/{case_id}/supplement"), &[("message", "x")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("需要补正的内容（2–500 字）"));
    let r = app
        .post_form(
            &rs,
            &format!("/admin/cases/{case_id}/supplement"),
            &[("message", "证明材料不清晰，请重新上传"), ("field", "termination_proof")],
        )
        .await;
    assert_eq!(r.status(), 303);
    // The citizen sees the request and answers it.
    let (_, html) = app.page_with_cookie(&format!("/my/cases/{case_id}"), &me).await;
    assert!(html.contains("需要补正材料") && html.contains("证明材料不清晰"));
    let edit = format!("{path}?case={case_id}");
    let (html, k) = open_form(&app, &me, &edit).await;
    assert!(html.contains("需要补正") && html.contains("重新提交"));
    let old_file = attr(&html, "remove_file").unwrap().to_string();
    let form = answers(&k, "submit", &complete())
        .text("remove_file", old_file)
        .part("termination_proof", Part::bytes(b"\x89PNG\r\n\x1a\nclear".to_vec()).file_name("清晰.png"));
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.page_with_cookie(&format!("/my/cases/{case_id}"), &me).await;
    assert!(html.contains("补正后重新提交") && html.contains("要求补正材料") && html.contains("清晰.png"));
    assert!(!html.contains("模糊.pdf"), "the replaced file is gone from the case");
    assert!(!html.contains("chenjing"), "the public timeline names no staff user");
    // Staff download; scope holds.
    let page = app.get_as(Some(&rs), &format!("/admin/cases/{case_id}")).await.text().await.unwrap();
    let fid = page.split("href=\"/admin/case-files/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let dl = app.get_as(Some(&rs), &format!("/admin/case-files/{fid}")).await;
    assert_eq!((dl.status().as_u16(), dl.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
    assert_eq!(app.get_as(Some(&mz), &format!("/admin/case-files/{fid}")).await.status(), 404);

    // The workflow without JavaScript: accept (choosing the decider), a second post of the same
    // task told who handled it, a refusal without a reason sent back with the message, approval.
    let task_of = |html: &str| -> String {
        html.split("action=\"/admin/tasks/").nth(1).expect("an action form").split('/').next().unwrap().to_string()
    };
    let page = app.get_as(Some(&rs), &format!("/admin/cases/{case_id}")).await.text().await.unwrap();
    assert!(page.contains("当前环节 受理") && page.contains("常用意见"));
    let accept = task_of(&page);
    let chen = app.staff_id("chenjing").await.to_string();
    let cid = case_id.to_string();
    let act = format!("/admin/tasks/{accept}/act");
    let r = app
        .post_form(&rs, &act, &[("case_id", &cid), ("action", "approve"), ("choose", &chen), ("phrase", "同意。")])
        .await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/admin/cases/{case_id}?done=approve")));
    let r = app.post_form(&rs, &act, &[("case_id", &cid), ("action", "approve"), ("phrase", "同意。")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("该任务已由陈静处理"));
    let page = app.get_as(Some(&rs), &format!("/admin/cases/{case_id}")).await.text().await.unwrap();
    assert!(page.contains("当前环节 审查决定") && page.contains("剩余 3 天"), "accepted: the clock runs");
    let decide = format!("/admin/tasks/{}/act", task_of(&page));
    let r = app.post_form(&rs, &decide, &[("case_id", &cid), ("action", "reject"), ("reason", "")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    // The message belongs to the reject form only (the panel has a dozen forms): its field is
    // marked invalid and described by the message, its summary links to the field, it is open.
    assert_eq!(count(&html, "请填写不予通过的理由"), 2, "in the form's summary and next to the field");
    assert_eq!(count(&html, "aria-invalid=\"true\""), 1, "one field marked: {html}");
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"reason-error\""));
    assert!(html.contains("href=\"#reason\"") && html.contains("id=\"reason-error\""));
    assert_eq!(count(&html, "<details open"), 1, "the form that came back is open, the others closed");
    // An action the panel does not know is refused, not guessed.
    let r = app.post_form(&rs, &decide, &[("case_id", &cid), ("action", "approve_all")]).await;
    assert_eq!(r.status(), 400);
    let opinion = "经审查，符合申领条件，同意。";
    let r = app.post_form(&rs, &decide, &[("case_id", &cid), ("action", "approve"), ("opinion", opinion)]).await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.page_with_cookie(&format!("/my/cases/{case_id}"), &me).await;
    assert!(html.contains("已办结（准予）") && html.contains(opinion) && html.contains("受理"));
    app.finish().await;
}

/// The same journey with ZHENGWU_BLOB_STORE=s3 against an independent S3 server (moto, started
/// by scripts/test.sh): the file goes to the bucket, comes back on download, and nothing stays
/// on the local disk.
async fn attachments_can_live_in_an_s3_bucket(b: Backend) {
    let Ok(s3_url) = std::env::var("ZHENGWU_TEST_S3_URL") else {
        eprintln!("ZHENGWU_TEST_S3_URL not set: S3 test skipped");
        return;
    };
    let bucket = format!("zw-web-{}-{}", std::process::id(), if b == Backend::Sqlite { "sq" } else { "pg" });
    let cfg = zhengwu_core::blobs::s3::S3Config {
        endpoint: url::Url::parse(&s3_url).unwrap(),
        bucket: bucket.clone(),
        region: "us-east-1".into(),
        access_key: "zhengwu-test".into(),
        secret_key: secrecy::SecretString::from("zhengwu-test-secret"),
    };
    zhengwu_core::blobs::s3::S3Store::new(cfg).create_bucket().await.unwrap();
    let gw = Gateway::default();
    let url = gw.start().await;
    let Some(app) = TestApp::with(b, "web_s3", |s| zhengwu_core::Settings {
        sms_provider: Some("http".into()),
        sms_http_url: Some(url),
        blob_store: Some("s3".into()),
        s3_endpoint: Some(s3_url.clone()),
        s3_bucket: Some(bucket),
        s3_access_key: Some("zhengwu-test".into()),
        s3_secret_key: Some("zhengwu-test-secret".into()),
        ..s
    })
    .await
    else {
        return;
    };
    let me = app.citizen_sign_in(&gw, PHONE).await;
    app.citizen_real_name(&me, "王小明", ID).await;
    let path = format!("/my/apply/{ITEM}");
    let (_, k) = open_form(&app, &me, &path).await;
    let content = b"%PDF-1.7\n% kept in the bucket\n".to_vec();
    let form = answers(&k, "submit", &complete()).part("termination_proof", file(content.clone(), "证明.pdf"));
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 303);
    let (_, html) = app.page_with_cookie(&location(&r), &me).await;
    let file_link = html.split("href=\"/my/files/").nth(1).unwrap().split('"').next().unwrap().to_string();
    let dl = app.client.get(app.url(&format!("/my/files/{file_link}"))).header("cookie", &me).send().await.unwrap();
    assert_eq!(dl.status(), 200);
    assert_eq!(dl.bytes().await.unwrap().as_ref(), content.as_slice());
    let local: Vec<_> = walk(&app.data_dir().join("blobs"));
    assert!(local.is_empty(), "nothing on the local disk: {local:?}");
    app.finish().await;
}

async fn drafts_keep_to_their_limits_files_rest_sealed_and_drafts_can_be_deleted(b: Backend) {
    let gw = Gateway::default();
    let Some(app) = app(b, "web_limits", &gw).await else { return };
    // The demo notices' attachment files, stored at start: not the citizen's.
    let published = walk(&app.data_dir().join("blobs"));
    let me = app.citizen_sign_in(&gw, PHONE).await;
    app.citizen_real_name(&me, "王小明", ID).await;
    let path = format!("/my/apply/{ITEM}");
    let (html, k) = open_form(&app, &me, &path).await;
    let max: usize = html
        .split("最多 ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the limit in the hint");
    assert!(html.contains("每个不超过 5 MB"), "sizes in one wording");
    // A draft with one file more than the field takes: the extra one is refused with a message,
    // the rest (answers, the files within the limit) kept.
    let mut form = answers(&k, "save", &[("last_employer", "青山县某某机械厂")]);
    for i in 0..=max {
        form = form.part("termination_proof", file(format!("%PDF-1.7\n{i}").into_bytes(), &format!("证明{i}.pdf")));
    }
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("最多上传 {max} 个文件")), "{html}");
    assert!(html.contains("value=\"青山县某某机械厂\""), "the answers kept");
    let case_id: i64 =
        zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM cases").fetch_one(pool).await)
            .unwrap();
    let stored = || async {
        zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM case_files WHERE removed_at IS NULL").fetch_one(pool).await)
        .unwrap()
    };
    assert_eq!(stored().await as usize, max);
    // Five more posts of files to the full field: nothing more is stored (the old hole).
    for _ in 0..5 {
        let form = answers(&k, "save", &[]).part("termination_proof", file(b"%PDF-1.7\n".to_vec(), "x.pdf"));
        assert_eq!(post_multipart(&app, &me, &path, form).await.status(), 422);
    }
    assert_eq!(stored().await as usize, max);
    // At rest: every file sealed, readable by the server's user only; the data directory and
    // the database private too.
    let blobs = app.data_dir().join("blobs");
    assert!(published.len() >= 16, "the demo's attachment files");
    let files: Vec<_> =
        walk(&blobs).into_iter().filter(|p| !p.starts_with(blobs.join("tmp")) && !published.contains(p)).collect();
    assert_eq!(files.len(), max, "refused uploads are not kept");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for f in &files {
            let raw = std::fs::read(f).unwrap();
            assert!(raw.starts_with(b"ZWB\x01") && !raw.windows(8).any(|w| w == b"%PDF-1.7"), "sealed: {f:?}");
            assert_eq!(mode(f), 0o600, "{f:?}");
            assert_eq!(mode(f.parent().unwrap()), 0o700);
        }
        assert_eq!(mode(app.data_dir()), 0o700, "the data directory");
        let db = app.data_dir().join("zhengwu.db");
        if db.exists() {
            assert_eq!(mode(&db), 0o600, "the SQLite file");
        }
    }
    // The review page: a 修改 link per answer, no digests or form versions for the applicant.
    let form = answers(&k, "review", &complete());
    let r = post_multipart(&app, &me, &path, form).await;
    assert_eq!(r.status(), 303);
    let (_, review) = app.page_with_cookie(&location(&r), &me).await;
    assert!(review.contains("#f-last_employer") && review.contains("#f-termination_proof"), "修改 per answer and file");
    assert!(!review.contains("SM3") && !review.contains("表单版本"));
    // Deleting the draft asks first, then deletes.
    let case_page = format!("/my/cases/{case_id}");
    let (_, confirm) = app.page_with_cookie(&format!("{case_page}?confirm=delete"), &me).await;
    assert!(confirm.contains("确定删除这份草稿吗"));
    let csrf = attr(&confirm, "csrf").unwrap().to_string();
    let other = app.citizen_sign_in(&gw, "13900139000").await;
    let other_csrf = attr(&app.page_with_cookie("/my", &other).await.1, "csrf").unwrap().to_string();
    let r = app
        .client
        .post(app.url(&format!("{case_page}/delete")))
        .header("cookie", &other)
        .header("origin", &app.base)
        .form(&[("csrf", other_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "not someone else's");
    let r = app
        .client
        .post(app.url(&format!("{case_page}/delete")))
        .header("cookie", &me)
        .header("origin", &app.base)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), location(&r).as_str()), (303, "/my/cases?done=deleted"));
    assert_eq!(app.page_with_cookie(&case_page, &me).await.0, 404);
    // Applications are not free to repeat: thirty posts in ten minutes per citizen.
    let mut limited = false;
    for _ in 0..31 {
        if post_multipart(&app, &me, &path, answers(&k, "save", &[])).await.status() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "posts are rate-limited per citizen");
    app.finish().await;
}
