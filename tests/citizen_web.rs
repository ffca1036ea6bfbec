//! Citizens over HTTP, with a real HTTP SMS gateway stand-in: sign-in by code, real-name
//! registration with messages next to the fields, and a staff member unmasking with a reason.

mod common;

use common::{attr, set_cookie, Gateway, TestApp};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(a_citizen_signs_in_registers_and_staff_unmask_with_a_reason);

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

async fn a_citizen_signs_in_registers_and_staff_unmask_with_a_reason(b: Backend) {
    let gateway = Gateway::default();
    let url = gateway.start().await;
    let Some(app) = TestApp::with(b, "citizen_web", |s| zhengwu_core::Settings {
        sms_provider: Some("http".into()),
        sms_http_url: Some(url),
        sms_http_token: Some("gateway-secret".into()),
        ..s
    })
    .await
    else {
        return;
    };
    assert_eq!(app.get("/my").await.headers()["location"], "/my/login?next=/my", "back to the page after signing in");
    let form = app.get("/my/login").await;
    let form_cookie = set_cookie(&form, "zw_mylogin").unwrap();
    let token = attr(&form.text().await.unwrap(), "csrf").unwrap().to_string();

    let bad = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", "12345")]).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("请输入 11 位手机号码"));

    let sent = post(&app, "/my/login", &form_cookie, &[("csrf", &token), ("phone", "138 0013 8000")]).await;
    assert_eq!(sent.status(), 200);
    let html = sent.text().await.unwrap();
    assert!(html.contains("验证码已发送") && html.contains("138****8000"), "{html}");
    let (body, auth) = gateway.sent.lock().unwrap().last().cloned().unwrap();
    assert_eq!(body["phone"], "13800138000");
    assert_eq!(body["template"], "sign_in");
    assert_eq!(auth.as_deref(), Some("Bearer gateway-secret"));
    let code = gateway.last_code();

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r =
        post(&app, "/my/login/verify", &form_cookie, &[("csrf", &token), ("phone", "13800138000"), ("code", wrong)])
            .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("验证码不正确或已过期"));
    let r =
        post(&app, "/my/login/verify", &form_cookie, &[("csrf", &token), ("phone", "13800138000"), ("code", &code)])
            .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/my");
    let me = set_cookie(&r, "zw_citizen").unwrap();

    let page = app.page_with_cookie("/my", &me).await;
    assert_eq!(page.0, 200);
    assert!(page.1.contains("138****8000") && page.1.contains("实名登记"));
    let csrf = attr(&page.1, "csrf").unwrap().to_string();
    let r = post(
        &app,
        "/my/real-name",
        &me,
        &[("csrf", &csrf), ("real_name", "张三"), ("id_number", "110105194912310028")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("身份证号码校验位不正确"), "message next to the field");
    assert!(html.contains(r#"value="张三""#) && html.contains(r#"value="110105194912310028""#), "input kept");
    let r = post(
        &app,
        "/my/real-name",
        &me,
        &[("csrf", &csrf), ("real_name", "张三"), ("id_number", "11010519491231002X")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let page = app.page_with_cookie("/my", &me).await.1;
    assert!(page.contains("110105********002X") && !page.contains("11010519491231002X"));
    let citizen_id: i64 =
        zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM citizens").fetch_one(pool).await)
            .unwrap();

    // A window clerk checks the applicant's identity; a system administrator may not.
    let clerk = app.sign_in("zhangwei").await;
    let sys = app.sign_in("sysadmin").await;
    let path = format!("/admin/citizens/{citizen_id}");
    assert_eq!(app.page_with_cookie(&path, &sys.cookie).await.0, 403);
    let masked = app.page_with_cookie(&path, &clerk.cookie).await;
    assert_eq!(masked.0, 200);
    assert!(masked.1.contains("110105********002X"));
    let unmask = format!("{path}/unmask");
    let r = post(&app, &unmask, &clerk.cookie, &[("csrf", &clerk.csrf), ("field", "id_number"), ("reason", "")]).await;
    assert_eq!(r.status(), 422);
    let r = post(
        &app,
        &unmask,
        &clerk.cookie,
        &[("csrf", &clerk.csrf), ("field", "id_number"), ("reason", "窗口核验申请人身份")],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("11010519491231002X"));
    assert_eq!(
        post(&app, &unmask, &sys.cookie, &[("csrf", &sys.csrf), ("field", "id_number"), ("reason", "好奇")])
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
