//! Citizens over HTTP, with a real HTTP SMS gateway stand-in: sign-in by code (each step a
//! redirect, the number kept between them, the traps of the old form closed), the image
//! challenge an address meets after a few codes, real-name registration with messages next to
//! the fields and the way back to the form, and a staff member unmasking with a reason.

use crate::common::{attr, set_cookie, Gateway, TestApp};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(
    a_citizen_signs_in_registers_and_staff_unmask_with_a_reason,
    an_address_asking_for_many_codes_meets_the_image_challenge,
);

async fn post(app: &TestApp, path: &str, cookie: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("cookie", cookie)
        .header("origin", &app.base)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn with_gateway(b: Backend, name: &str) -> Option<(TestApp, Gateway)> {
    let gateway = Gateway::default();
    let url = gateway.start().await;
    let app = TestApp::with(b, name, |s| zhengwu_core::Settings {
        sms_provider: Some("http".into()),
        sms_http_url: Some(url),
        sms_http_token: Some("gateway-secret".into()),
        ..s
    })
    .await?;
    Some((app, gateway))
}

async fn a_citizen_signs_in_registers_and_staff_unmask_with_a_reason(b: Backend) {
    let Some((app, gateway)) = with_gateway(b, "citizen_web").await else { return };
    assert_eq!(app.get("/my").await.headers()["location"], "/my/login?next=/my", "back to the page after signing in");
    let form = app.get("/my/login").await;
    let form_cookie = set_cookie(&form, "zw_mylogin").unwrap();
    let html = form.text().await.unwrap();
    let token = attr(&html, "csrf").unwrap().to_string();
    assert!(html.contains(r#"inputmode="numeric""#), "a phone pad for the number");

    let bad = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", "12345")]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("请输入 11 位手机号码"));

    // Sending answers with a redirect (reload and Back never re-post), the number sealed in a
    // cookie for the next step.
    let sent = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", "138 0013 8000")]).await;
    assert_eq!(sent.status(), 303);
    let step = sent.headers()["location"].to_str().unwrap().to_string();
    let phone_cookie = set_cookie(&sent, "zw_mylogin_phone").unwrap();
    assert!(!phone_cookie.contains("13800138000"), "sealed, not in clear");
    let cookies = format!("{form_cookie}; {phone_cookie}");
    let (status, html) = app.page_with_cookie(&step, &cookies).await;
    assert_eq!(status, 200);
    assert!(html.contains("验证码已发送") && html.contains("138****8000"), "{html}");
    assert!(html.contains(r#"autocomplete="one-time-code""#) && html.contains(r#"inputmode="numeric""#));
    assert!(html.contains("countdown cd-"), "how long until another code may be asked for: {html}");
    assert!(!html.contains("13800138000"), "the number is not in the page");
    let (body, auth) = gateway.sent.lock().unwrap().last().cloned().unwrap();
    assert_eq!(body["phone"], "13800138000");
    assert_eq!(body["template"], "sign_in");
    assert_eq!(auth.as_deref(), Some("Bearer gateway-secret"));
    let code = gateway.last_code();

    // Asking again within the minute keeps the code step (the code sent is still valid).
    let again = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", "13800138000")]).await;
    assert_eq!(again.status(), 303);
    assert!(again.headers()["location"].to_str().unwrap().contains("step=code"), "back to typing the code");
    assert_eq!(gateway.sent.lock().unwrap().len(), 1, "no second message within the minute");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = post(&app, "/my/login/verify", &cookies, &[("csrf", &token), ("code", wrong)]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("验证码不正确"), "{html}");
    assert!(html.contains(r#"name="code""#), "the code field stays");
    let r = post(&app, "/my/login/verify", &cookies, &[("csrf", &token), ("code", &code)]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/my");
    let me = set_cookie(&r, "zw_citizen").unwrap();
    // Back to the sign-in step after signing in: on to the account, not a dead page.
    let back = app.client.get(app.url(&step)).header("cookie", format!("{me}; {cookies}")).send().await.unwrap();
    assert_eq!(back.status(), 303);

    // The first visit asks for the user agreement and the privacy policy; nothing under 我的
    // opens before.
    let first = app.client.get(app.url("/my/cases")).header("cookie", &me).send().await.unwrap();
    assert_eq!(
        (first.status().as_u16(), first.headers()["location"].to_str().unwrap()),
        (303, "/my/consent?next=/my/cases")
    );
    let (_, consent) = app.page_with_cookie("/my/consent?next=%2Fmy%2Fcases", &me).await;
    assert!(consent.contains("用户服务协议") && consent.contains("隐私政策") && consent.contains("name=\"agree\""));
    let ccsrf = attr(&consent, "csrf").unwrap().to_string();
    let unticked = post(
        &app,
        "/my/consent",
        &me,
        &[("csrf", &ccsrf), ("accept", "terms:1"), ("accept", "privacy:1"), ("next", "/my/cases")],
    )
    .await;
    assert_eq!(unticked.status(), 422, "the box must be ticked");
    assert!(unticked.text().await.unwrap().contains("请阅读后勾选"));
    let stale = post(
        &app,
        "/my/consent",
        &me,
        &[("csrf", &ccsrf), ("accept", "terms:0"), ("accept", "privacy:1"), ("agree", "1"), ("next", "/my/cases")],
    )
    .await;
    assert_eq!(stale.status(), 422, "only the version shown, and it is the current one");
    let ok = post(
        &app,
        "/my/consent",
        &me,
        &[("csrf", &ccsrf), ("accept", "terms:1"), ("accept", "privacy:1"), ("agree", "1"), ("next", "/my/cases")],
    )
    .await;
    assert_eq!((ok.status().as_u16(), ok.headers()["location"].to_str().unwrap()), (303, "/my/cases"));
    // A new version of the privacy policy: asked again, the terms not.
    // The operator's command, against this instance's database and key.
    let file = app.data_dir().join("privacy-v2.txt");
    std::fs::write(&file, "隐私政策（修订）\n一、我们修订了保存期限的说明，其余内容不变。\n").unwrap();
    let mut args: Vec<String> = vec!["policy".into(), "publish".into()];
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_zhengwu"))
        .args(["policy", "publish", "cookies", file.to_str().unwrap()])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1), "a wrong KIND: one line, exit 1");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid KIND"));
    args.extend(["privacy".into(), file.display().to_string()]);
    args.extend(["--data-dir".into(), app.data_dir().display().to_string()]);
    if let Some(url) = &app.settings.database_url {
        args.extend(["--database-url".into(), url.clone()]);
    }
    if let Some(k) = &app.settings.master_key_file {
        args.extend(["--master-key-file".into(), k.clone()]);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_zhengwu"))
        .args(&args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("version 2 published"));
    assert_eq!(app.client.get(app.url("/my")).header("cookie", &me).send().await.unwrap().status(), 303);
    let (_, again) = app.page_with_cookie("/my/consent", &me).await;
    assert!(
        again.contains("协议和政策已更新") && again.contains("privacy:2") && !again.contains("terms:1"),
        "only what changed"
    );
    // A post from a form opened before the new version: not taken, back to the consent page.
    let (_, rn) = app.page_with_cookie("/my/consent", &me).await;
    let rcsrf = attr(&rn, "csrf").unwrap().to_string();
    let early = post(
        &app,
        "/my/real-name",
        &me,
        &[("csrf", &rcsrf), ("real_name", "张三"), ("id_number", "11010519491231002X"), ("sensitive_consent", "1")],
    )
    .await;
    assert_eq!(
        (early.status().as_u16(), early.headers()["location"].to_str().unwrap()),
        (303, "/my/consent?next=/my/real-name")
    );
    app.citizen_consent(&me).await;
    // Nothing pending: the page's "继续" stays on this site whatever `next` says.
    let (_, done) = app.page_with_cookie("/my/consent?next=https://evil.example/", &me).await;
    // (The language switch's `back` field carries the page's own address; /prefs keeps it local.)
    assert!(done.contains("您已同意最新版本") && !done.contains("href=\"https://evil"), "no open redirect");
    let (_, public) = app.page("/privacy").await;
    assert!(
        public.contains("隐私政策（修订）") && public.contains("第 2 版"),
        "the public page shows the current version"
    );

    // 我的 is the hub: cases, drafts, real-name data, sign-out.
    let page = app.page_with_cookie("/my", &me).await;
    assert_eq!(page.0, 200);
    for link in ["/my/cases", "/my/cases?status=draft", "/my/real-name", "/my/logout"] {
        assert!(page.1.contains(link), "{link} on 我的");
    }
    assert!(page.1.contains("138****8000"));
    // Real-name registration from an application form returns to it.
    let form_page = "/my/apply/QS-RS-0005?case=1&from=real_name";
    let (_, rn) = app.page_with_cookie(&format!("/my/real-name?next={}", urlencode(form_page)), &me).await;
    let csrf = attr(&rn, "csrf").unwrap().to_string();
    assert_eq!(attr(&rn, "next"), Some(form_page.replace('&', "&amp;").as_str()));
    // Without the separate consent to the identity number: refused, nothing stored, input kept.
    let no_consent =
        [("csrf", csrf.as_str()), ("real_name", "张三"), ("id_number", "11010519491231002X"), ("next", form_page)];
    let r = post(&app, "/my/real-name", &me, &no_consent).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("请阅读并同意处理您的姓名和居民身份证号码") && html.contains(r#"value="张三""#));
    let fields = |idn: &'static str| {
        vec![("real_name", "张三"), ("id_number", idn), ("next", form_page), ("sensitive_consent", "1")]
    };
    let mut f = fields("110105194912310028");
    f.push(("csrf", &csrf));
    let r = post(&app, "/my/real-name", &me, &f).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("身份证号码校验位不正确"), "message next to the field");
    assert!(html.contains(r#"value="张三""#) && html.contains(r#"value="110105194912310028""#), "input kept");
    assert!(html.contains(&format!(r#"value="{}""#, form_page.replace('&', "&amp;"))), "still going back there");
    let mut f = fields("11010519491231002X");
    f.push(("csrf", &csrf));
    let r = post(&app, "/my/real-name", &me, &f).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], form_page, "back to the form the citizen came from");
    let page = app.page_with_cookie("/my", &me).await.1;
    assert!(page.contains("110105********002X") && !page.contains("11010519491231002X"));
    // 查阅、复制: everything held about the citizen, in clear for them, as a download (audited).
    let data = app.client.get(app.url("/my/data")).header("cookie", &me).send().await.unwrap();
    assert_eq!(data.status(), 200);
    assert!(data.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(data.headers()["cache-control"].to_str().unwrap().contains("no-store"));
    let doc: serde_json::Value = serde_json::from_str(&data.text().await.unwrap()).unwrap();
    assert_eq!(doc["account"]["id_number"], "11010519491231002X");
    assert_eq!(doc["account"]["phone"], "13800138000");
    assert_eq!(doc["consents"].as_array().unwrap().len(), 4, "terms 1, privacy 1 and 2, sensitive 1: {doc}");
    assert!(doc["note"].as_str().unwrap().contains("依法保存"));
    let exports: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'citizen.data_export'").fetch_one(pool).await)
    .unwrap();
    assert_eq!(exports, 1);
    assert!(app.get("/my/data").await.status().is_redirection(), "signed out: to the sign-in");
    let citizen_id: i64 =
        zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM citizens").fetch_one(pool).await)
            .unwrap();

    // A window clerk checks the identity of an applicant of the service centre; a system
    // administrator may not look at all.
    let clerk = app.sign_in("zhangwei").await;
    let sys = app.sign_in("sysadmin").await;
    let path = format!("/admin/citizens/{citizen_id}");
    assert_eq!(app.page_with_cookie(&path, &sys.cookie).await.0, 403);
    assert_eq!(app.page_with_cookie(&path, &clerk.cookie).await.0, 404, "no case in his scope: not found");
    zhengwu_core::with_db!(&app.db, pool => sqlx::query(
        "INSERT INTO cases (item_id, form_version, citizen_id, department_id, status, client_key, data_sealed, created_at, updated_at) \
         SELECT i.id, 1, $1, d.id, 'submitted', 'web-test-key-000000000', $2, $3, $3 FROM service_items i, departments d \
         WHERE d.code = 'QS-ZWFW' ORDER BY i.id LIMIT 1")
        .bind(citizen_id).bind(Vec::<u8>::new()).bind(chrono::Utc::now()).execute(pool).await.map(|_| ()))
    .unwrap();
    let masked = app.page_with_cookie(&path, &clerk.cookie).await;
    assert_eq!(masked.0, 200);
    assert!(masked.1.contains("110105********002X") && masked.1.contains("identity_check"));
    let unmask = format!("{path}/unmask");
    let r = post(
        &app,
        &unmask,
        &clerk.cookie,
        &[("csrf", &clerk.csrf), ("field", "id_number"), ("reason_code", "identity_check"), ("reason", "")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post(
        &app,
        &unmask,
        &clerk.cookie,
        &[("csrf", &clerk.csrf), ("field", "id_number"), ("reason_code", ""), ("reason", "窗口核验")],
    )
    .await;
    assert_eq!(r.status(), 422, "a reason from the list");
    let r = post(
        &app,
        &unmask,
        &clerk.cookie,
        &[
            ("csrf", &clerk.csrf),
            ("field", "id_number"),
            ("reason_code", "identity_check"),
            ("reason", "窗口核验申请人身份"),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("11010519491231002X"));
    assert_eq!(
        post(
            &app,
            &unmask,
            &sys.cookie,
            &[("csrf", &sys.csrf), ("field", "id_number"), ("reason_code", "other"), ("reason", "好奇")]
        )
        .await
        .status(),
        403
    );

    // The gateway fails: the citizen is told, and no code is kept.
    *gateway.failing.lock().unwrap() = true;
    let r = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", "13900139000")]).await;
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("短信发送失败"));
    let kept: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM sms_codes").fetch_one(pool).await).unwrap();
    assert_eq!(kept, 1, "only the first number's (used) code row");
    app.finish().await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn an_address_asking_for_many_codes_meets_the_image_challenge(b: Backend) {
    let Some((app, gateway)) = with_gateway(b, "challenge_web").await else { return };
    let form = app.get("/my/login").await;
    let form_cookie = set_cookie(&form, "zw_mylogin").unwrap();
    let token = attr(&form.text().await.unwrap(), "csrf").unwrap().to_string();
    for phone in ["13900000001", "13900000002"] {
        let r = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", phone)]).await;
        assert_eq!(r.status(), 303, "{phone}");
    }
    // The third from this address: the challenge first, drawn on the server.
    let r = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", "13900000003")]).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("请输入图形验证码"), "{html}");
    let id = attr(&html, "challenge_id").expect("a challenge in the form").to_string();
    let png = app.get(&format!("/my/login/challenge/{id}.png")).await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let wav = app.get(&format!("/my/login/challenge/{id}.wav")).await;
    assert_eq!(wav.headers()["content-type"], "audio/wav");
    assert!(wav.bytes().await.unwrap().starts_with(b"RIFF"), "a spoken alternative");
    let r = post(
        &app,
        "/my/login",
        &form_cookie,
        &[("csrf", &token), ("phone", "13900000003"), ("challenge_id", &id), ("challenge_answer", "00000")],
    )
    .await;
    assert_eq!(r.status(), 422, "a wrong answer");
    assert_eq!(gateway.sent.lock().unwrap().len(), 2);
    // The right answer (read from the database, as only a person looking at the picture could).
    let html = r.text().await.unwrap();
    let id = attr(&html, "challenge_id").expect("a new challenge").to_string();
    let keys = zhengwu_crypto::keys::MasterKey::from_bytes(
        zhengwu_crypto::from_hex(std::fs::read_to_string(app.data_dir().join("master.key")).unwrap().trim())
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let key = keys.sm4_key(zhengwu_crypto::keys::Purpose::PersonalData);
    zhengwu_core::citizen::challenge::answer(&app.db, &key, &id, "127.0.0.1", chrono::Utc::now())
        .await
        .unwrap()
        .expect("a live challenge");
    // Bound to the address it was shown to: another gets neither the picture nor the sound,
    // and cannot answer it (the address is the peer's; 127.0.0.2 is another one on loopback).
    let other = zhengwu_core::citizen::challenge::answer(&app.db, &key, &id, "127.0.0.2", chrono::Utc::now());
    assert_eq!(other.await.unwrap(), None);
    let stranger =
        reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    for file in ["png", "wav"] {
        let r = stranger.get(app.url(&format!("/my/login/challenge/{id}.{file}"))).send().await.unwrap();
        assert_eq!(r.status(), 404, "{file} for another address");
    }
    // Reloading the page (or a script asking again and again) shows the same challenge: one
    // row per address, not one per request.
    for _ in 0..5 {
        let again = app.get("/my/login").await.text().await.unwrap();
        assert_eq!(attr(&again, "challenge_id"), Some(id.as_str()));
    }
    // 换一张: a new picture in its place (still one row), the old one gone.
    let fresh = app.get("/my/login?challenge=new&next=%2Fmy").await.text().await.unwrap();
    assert!(fresh.contains("换一张"));
    let new_id = attr(&fresh, "challenge_id").expect("a challenge").to_string();
    assert_ne!(new_id, id);
    assert_eq!(app.get(&format!("/my/login/challenge/{id}.png")).await.status(), 404, "replaced");
    let rows: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM challenges")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(rows, 1);
    let id = new_id;
    let answer = zhengwu_core::citizen::challenge::answer(&app.db, &key, &id, "127.0.0.1", chrono::Utc::now())
        .await
        .unwrap()
        .expect("a live challenge");
    let r = post(
        &app,
        "/my/login",
        &form_cookie,
        &[("csrf", &token), ("phone", "13900000003"), ("challenge_id", &id), ("challenge_answer", &answer)],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(gateway.sent.lock().unwrap().len(), 3);
    assert_eq!(app.get(&format!("/my/login/challenge/{id}.png")).await.status(), 404, "used once");
    app.finish().await;
}
