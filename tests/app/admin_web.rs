//! 三员分立 in the console, as the administrators meet it without JavaScript: a reset of another
//! administrator is a request a second one approves, no secret is ever shown to the one who
//! asked, the owner sets a new password at /login/reset with the code that reached them, the
//! auditor sees it all at the next sign-in; the second factor set-up page keeps its secret and
//! replacing a factor needs the password; the owner's browser is not locked out by a stranger;
//! a session waiting for its set-up cannot call server functions.

use crate::common::{attr, set_cookie, totp_secret, Gateway, TestApp, CHANGED, DEMO};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(
    a_reset_of_an_administrator_needs_a_second_one_and_reaches_only_the_owner,
    the_second_factor_page_keeps_its_secret_and_replacing_it_needs_the_password,
    a_stranger_cannot_lock_the_owner_out_and_waiting_sessions_cannot_call_server_functions,
);

async fn a_reset_of_an_administrator_needs_a_second_one_and_reaches_only_the_owner(b: Backend) {
    let gw = Gateway::default();
    let url = gw.start().await;
    let Some(app) = TestApp::with(b, "admin_reset", |s| zhengwu_core::Settings {
        sms_provider: Some("http".into()),
        sms_http_url: Some(url),
        ..s
    })
    .await
    else {
        return;
    };
    let sec = app.sign_in("secadmin").await;
    let sys = app.sign_in("sysadmin").await;
    let aud = app.sign_in("auditor").await;
    // The auditor registers a phone for reset codes (password, then the code sent to it).
    let r = app.post_form(&aud, "/account/phone", &[("phone", "13811112222"), ("current_password", CHANGED)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("138****2222"));
    let r = app.post_form(&aud, "/account/phone/confirm", &[("code", &gw.last_code())]).await;
    assert_eq!(r.status(), 303);
    // The security administrator asks for the auditor's reset: a request, no password shown.
    let auditor = app.staff_id("auditor").await;
    let action = format!("/admin/staff/{auditor}/action");
    let r = app.post_form(&sec, &action, &[("action", "reset_password"), ("reason", "")]).await;
    assert_eq!(r.status(), 422, "a reason is needed");
    let r = app.post_form(&sec, &action, &[("action", "reset_password"), ("reason", "审计员手机丢失")]).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("已提交申请") && !page.contains("secret-value"), "a request, and no secret");
    let request: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar(
        "SELECT id FROM admin_requests WHERE status = 'pending'").fetch_one(pool).await)
    .unwrap();
    let decide = format!("/admin/approvals/{request}");
    // Not by the one who asked, not by the one concerned; the system administrator approves.
    assert_eq!(app.post_form(&sec, &decide, &[("decision", "approve")]).await.status(), 422);
    assert_eq!(app.post_form(&aud, &decide, &[("decision", "approve")]).await.status(), 422);
    let (_, approvals) = app.page_with_cookie("/admin/approvals", &sys.cookie).await;
    assert!(approvals.contains("审计员手机丢失") && approvals.contains("批准"));
    let r = app.post_form(&sys, &decide, &[("decision", "approve")]).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("138****2222") && !page.contains("secret-value"), "sent to the owner's phone");
    let code = gw.last_code();
    assert_eq!(gw.sent.lock().unwrap().last().unwrap().0["template"], "staff_reset");
    assert!(!page.contains(&code), "the approver does not see it either");
    // The old password is gone; the owner sets a new one with the code at /login/reset.
    assert_eq!(app.post_login("auditor", CHANGED, "/admin").await.status(), 422);
    let form = app.get("/login/reset").await;
    let cookie = set_cookie(&form, "zw_login").unwrap();
    let token = attr(&form.text().await.unwrap(), "csrf").unwrap().to_string();
    let reset = |code: String, pw: &'static str| {
        app.client
            .post(app.url("/login/reset"))
            .header("cookie", &cookie)
            .header("origin", &app.base)
            .form(&[
                ("csrf", token.clone()),
                ("username", "auditor".into()),
                ("code", code),
                ("new_password", pw.into()),
                ("confirm_password", pw.into()),
            ])
            .send()
    };
    let r = reset("00000000".into(), "Audit-2027!x").await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("重置码不正确") && html.contains(r#"value="auditor""#), "message, user name kept");
    let r = reset(code.clone(), "Audit-2027!x").await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?reset=1");
    // Signing in again: the password works, and the second factor must be set up anew.
    let r = app.post_login("auditor", "Audit-2027!x", "/admin").await;
    assert_eq!(r.status(), 303);
    let s = crate::common::Session { cookie: set_cookie(&r, "zw_session").unwrap(), csrf: String::new() };
    let next = app.get_as(Some(&s), "/admin").await;
    assert_eq!(next.headers()["location"], "/account/totp", "a new second factor first");
    // The auditor sees every step at the next sign-in.
    let page = app.page_with_cookie("/account/totp", &s.cookie).await.1;
    let key = totp_secret(&page);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let csrf = attr(&page, "csrf").unwrap().to_string();
    let s = crate::common::Session { csrf, ..s };
    assert_eq!(
        app.post_form(&s, "/account/totp", &[("code", &zhengwu_crypto::totp::code_at(&key, now))]).await.status(),
        303
    );
    let (_, dashboard) = app.page_with_cookie("/admin", &s.cookie).await;
    for action in ["admin_request.create", "admin_request.approve", "staff.reset_credentials", "staff.reset_complete"] {
        assert!(dashboard.contains(action), "{action} among the security events");
    }
    // No code, no password anywhere in the audit trail.
    let details: Vec<String> = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT detail FROM audit_log").fetch_all(pool).await).unwrap();
    assert!(details.iter().all(|d| !d.contains(&code) && !d.contains("Audit-2027")));
    // The built-in auditor role cannot be edited, so audit:read cannot be taken away.
    let auditor_role: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT id FROM roles WHERE code = 'auditor'").fetch_one(pool).await).unwrap();
    let r = app
        .post_form(
            &sec,
            &format!("/admin/roles/{auditor_role}"),
            &[("name", "安全审计员"), ("data_scope", "all"), ("permission", "audit:verify")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("内置的安全审计员角色及其权限不能修改"));
    app.finish().await;
}

async fn the_second_factor_page_keeps_its_secret_and_replacing_it_needs_the_password(b: Backend) {
    let Some(app) = TestApp::demo(b, "admin_totp").await else { return };
    let sec = app.sign_in("secadmin").await;
    // Set up (sign_in did); now replace it: the page asks for the password and the current code.
    let first = app.page_with_cookie("/account/totp", &sec.cookie).await.1;
    let again = app.page_with_cookie("/account/totp", &sec.cookie).await.1;
    assert_eq!(totp_secret(&first), totp_secret(&again), "the same pending secret on every reload");
    assert!(first.contains("<svg") && first.contains("otpauth://"), "a QR code drawn on the server");
    assert!(first.contains(r#"name="current_password""#) && first.contains(r#"name="current_code""#));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let new_code = zhengwu_crypto::totp::code_at(&totp_secret(&first), now);
    let r = app.post_form(&sec, "/account/totp", &[("code", &new_code)]).await;
    assert_eq!(r.status(), 422, "a session alone cannot move the factor");
    // The client cannot choose the secret: one posted is ignored.
    let r = app
        .post_form(
            &sec,
            "/account/totp",
            &[("secret", "AAAAAAAAAAAAAAAAAAAAAAAAAA"), ("code", "000000"), ("current_password", CHANGED)],
        )
        .await;
    assert_eq!(r.status(), 422);
    let _ = DEMO;
    app.finish().await;
}

async fn a_stranger_cannot_lock_the_owner_out_and_waiting_sessions_cannot_call_server_functions(b: Backend) {
    let Some(app) = TestApp::demo(b, "admin_lock").await else { return };
    // The owner signs in once from this browser: it keeps a device cookie for /login.
    let r = app.post_login("lina", DEMO, "/admin").await;
    assert_eq!(r.status(), 303);
    let device = set_cookie(&r, "zw_device").expect("a device cookie");
    let raw = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("zw_device="))
        .unwrap();
    assert!(raw.contains("Path=/login") && raw.contains("HttpOnly") && raw.contains("SameSite=Strict"), "{raw}");
    // While the initial password waits to be changed, server functions answer nothing.
    let session = set_cookie(&r, "zw_session").unwrap();
    let sfn = app
        .client
        .post(app.url("/sfn/admin/badges"))
        .header("cookie", &session)
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(sfn.status(), 403, "gated like the pages (this one answers any signed-in staff member otherwise)");
    // A stranger (no device cookie) fails five times: untrusted sign-in to lina pauses …
    for _ in 0..5 {
        assert_eq!(app.post_login("lina", "Wrong-2026!x", "/admin").await.status(), 422);
    }
    assert_eq!(app.post_login("lina", DEMO, "/admin").await.status(), 422, "paused for browsers without the cookie");
    // … but the owner's browser, with its device cookie, signs in.
    let form = app.get("/login").await;
    let login_cookie = set_cookie(&form, "zw_login").unwrap();
    let token = attr(&form.text().await.unwrap(), "csrf").unwrap().to_string();
    let r = app
        .client
        .post(app.url("/login"))
        .header("cookie", format!("{login_cookie}; {device}"))
        .header("origin", &app.base)
        .form(&[("username", "lina"), ("password", DEMO), ("csrf", &token), ("next", "/admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "the owner is not locked out");
    app.finish().await;
}
