//! The staff console over HTTP: sign-in, the forced password change, anti-forgery, security
//! headers, open redirects, and the role × endpoint matrix — on SQLite and PostgreSQL.

use crate::common::{attr, set_cookie, Session, TestApp, CHANGED, DEMO};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(
    every_role_gets_exactly_what_it_is_allowed,
    sign_in_rotates_the_session_and_sign_out_ends_it,
    wrong_passwords_lock_the_account_with_one_answer,
    forms_without_the_token_or_from_another_site_are_refused,
    return_to_paths_never_leave_the_site,
    security_headers_are_on_every_response,
    a_new_account_shows_its_initial_password_once,
    instances_share_sessions_through_redis,
);

/// A server function of the matrix: endpoint, arguments, allowed per role.
type Sfn<'a> = (&'a str, Vec<(&'a str, &'a str)>, [bool; 6]);

/// A form post of the matrix: path, fields, expected status per role.
type Post<'a> = (&'a str, Vec<(&'a str, &'a str)>, [u16; 6]);

/// Expected status per role, in the order of `ROLES` (anonymous first).
const ROLES: [&str; 6] = ["anonymous", "sysadmin", "secadmin", "auditor", "zhangwei", "wangfang"];

async fn every_role_gets_exactly_what_it_is_allowed(b: Backend) {
    let Some(app) = TestApp::demo(b, "matrix").await else { return };
    let mut sessions = vec![None];
    for r in &ROLES[1..] {
        sessions.push(Some(app.sign_in(r).await));
    }
    let lina = app.staff_id("lina").await;
    let chenjing = app.staff_id("chenjing").await;
    let lina_page = format!("/admin/staff/{lina}");
    let gets: Vec<(&str, [u16; 6])> = vec![
        ("/admin", [303, 200, 200, 200, 200, 200]),
        // The security administrator sees accounts: they assign roles and manage administrators.
        ("/admin/staff", [303, 200, 200, 403, 200, 200]),
        ("/admin/staff/new", [303, 200, 403, 403, 403, 403]),
        (&lina_page, [303, 200, 200, 403, 404, 200]),
        ("/admin/staff/999999", [303, 404, 404, 403, 404, 404]),
        // Two-person requests: any administrator; real-name disputes: those who verify identities.
        ("/admin/approvals", [303, 200, 200, 200, 403, 403]),
        ("/admin/disputes", [303, 403, 403, 403, 200, 403]),
        ("/account/phone", [303, 200, 200, 200, 200, 200]),
        ("/admin/roles", [303, 403, 200, 403, 403, 403]),
        ("/admin/roles/new", [303, 403, 200, 403, 403, 403]),
        ("/admin/departments", [303, 200, 403, 403, 403, 403]),
        ("/admin/audit", [303, 403, 403, 200, 403, 403]),
        ("/admin/audit.csv", [303, 403, 403, 200, 403, 403]),
        ("/account/password", [303, 200, 200, 200, 200, 200]),
        // Cases: case:read (the window clerk, the leader); the catalogue: service:manage (none here).
        ("/admin/cases", [303, 403, 403, 403, 200, 200]),
        ("/admin/cases/999999", [303, 403, 403, 403, 404, 404]),
        ("/admin/services", [303, 403, 403, 403, 403, 403]),
        ("/admin/services/QS-RS-0005", [303, 403, 403, 403, 403, 403]),
        ("/admin/services/QS-RS-0005/form.json", [303, 403, 403, 403, 403, 403]),
        ("/admin/case-files/1", [303, 403, 403, 403, 404, 404]),
        // Workflow: inbox and done list with case:read; supervision with case:supervise (the
        // leader); the calendar for every staff member.
        ("/admin/inbox", [303, 403, 403, 403, 200, 200]),
        ("/admin/done", [303, 403, 403, 403, 200, 200]),
        ("/admin/copied", [303, 403, 403, 403, 200, 200]),
        ("/admin/supervision", [303, 403, 403, 403, 403, 200]),
        ("/admin/calendar", [303, 200, 200, 200, 200, 200]),
    ];
    for (path, expected) in &gets {
        for (i, s) in sessions.iter().enumerate() {
            let status = app.get_as(s.as_ref(), path).await.status().as_u16();
            assert_eq!(status, expected[i], "GET {path} as {}", ROLES[i]);
        }
    }
    // Server functions answer the same way when called directly: (endpoint, arguments, allowed per role).
    let lina_id = lina.to_string();
    let sfns: Vec<Sfn> = vec![
        ("admin/staff", vec![], [false, true, true, false, true, true]),
        ("admin/staff_one", vec![("id", &lina_id)], [false, true, true, false, false, true]),
        ("admin/approvals", vec![], [false, true, true, true, false, false]),
        ("admin/security_events", vec![], [false, false, false, true, false, false]),
        ("admin/badges", vec![], [false, true, true, true, true, true]),
        ("admin/disputes", vec![], [false, false, false, false, true, false]),
        ("admin/departments", vec![], [false, true, false, false, false, false]),
        ("admin/department_tree", vec![], [false, true, false, false, false, false]),
        ("admin/roles", vec![], [false, false, true, false, false, false]),
        ("admin/role_editor", vec![("id", "new")], [false, false, true, false, false, false]),
        ("admin/audit", vec![], [false, false, false, true, false, false]),
        ("account/totp_secret", vec![], [false, true, true, true, true, true]),
        ("my/profile", vec![], [false, false, false, false, false, false]),
        ("admin/citizen", vec![("id", "1")], [false, false, false, false, false, false]),
        ("admin/cases", vec![], [false, false, false, false, true, true]),
        ("admin/case", vec![("id", "1")], [false, false, false, false, false, false]),
        ("admin/services", vec![], [false, false, false, false, false, false]),
        ("admin/service", vec![("code", "QS-RS-0005")], [false, false, false, false, false, false]),
        ("my/cases", vec![], [false, false, false, false, false, false]),
        ("my/application", vec![("code", "QS-RS-0005")], [false, false, false, false, false, false]),
        ("services/catalogue", vec![], [true, true, true, true, true, true]),
        ("services/guide", vec![("code", "QS-RS-0005")], [true, true, true, true, true, true]),
        ("admin/inbox", vec![], [false, false, false, false, true, true]),
        ("admin/done", vec![], [false, false, false, false, true, true]),
        ("admin/copied", vec![], [false, false, false, false, true, true]),
        ("admin/dispatchers", vec![], [false, true, false, false, false, false]),
        ("admin/case-workflow", vec![("id", "1")], [false, false, false, false, false, false]),
        ("admin/supervision", vec![], [false, false, false, false, false, true]),
        ("admin/calendar", vec![], [false, true, true, true, true, true]),
        ("admin/workflow", vec![("code", "QS-RS-0005")], [false, false, false, false, false, false]),
    ];
    for (endpoint, args, allowed) in &sfns {
        for (i, s) in sessions.iter().enumerate() {
            let mut r = app.client.post(app.url(&format!("/sfn/{endpoint}"))).header("origin", &app.base).form(args);
            if let Some(s) = s {
                r = r.header("cookie", &s.cookie);
            }
            let r = r.send().await.unwrap();
            let ok = r.status().is_success();
            let body = r.text().await.unwrap();
            assert_eq!(ok, allowed[i], "server function {endpoint} as {}: {body}", ROLES[i]);
            if *endpoint == "admin/staff" && ok {
                assert_eq!(
                    body.contains("lina"),
                    matches!(ROLES[i], "sysadmin" | "secadmin" | "wangfang"),
                    "scope as {}",
                    ROLES[i]
                );
            }
        }
    }
    // Posts: (path, fields, expected per role). Each role acts on its own fresh target where it matters.
    let unlock = format!("/admin/staff/{chenjing}/action");
    let roles_path = format!("/admin/staff/{chenjing}/roles");
    let posts: Vec<Post> = vec![
        (
            "/admin/staff",
            vec![("username", "newone"), ("display_name", "新人"), ("department_id", "1")],
            [303, 201, 403, 403, 403, 403],
        ),
        (&unlock, vec![("action", "unlock")], [303, 303, 403, 404, 404, 403]),
        ("/admin/approvals/999999", vec![("decision", "approve")], [303, 404, 404, 404, 403, 403]),
        ("/admin/security-events/read", vec![("up_to", "1")], [303, 403, 403, 303, 403, 403]),
        ("/admin/disputes/999999", vec![("decision", "uphold"), ("note", "已核验")], [303, 403, 403, 403, 404, 403]),
        ("/account/phone", vec![("phone", "1"), ("current_password", "x")], [303, 422, 422, 422, 422, 422]),
        (&roles_path, vec![("role", "5")], [303, 403, 303, 403, 403, 403]),
        ("/admin/audit/verify", vec![], [303, 403, 403, 200, 403, 403]),
        (
            "/admin/services",
            vec![("code", "QS-X-0001"), ("name", "测试事项"), ("department_id", "10"), ("object", "individual")],
            [303, 403, 403, 403, 403, 403],
        ),
        ("/admin/services/QS-RS-0005/status", vec![("status", "retired")], [303, 403, 403, 403, 403, 403]),
        ("/admin/cases/1/supplement", vec![("message", "请补充材料"), ("field", "x")], [303, 403, 403, 403, 403, 403]),
        ("/admin/tasks/1/act", vec![("case_id", "1"), ("action", "approve")], [303, 403, 403, 403, 403, 403]),
        ("/admin/cases/1/supervise", vec![("kind", "remind")], [303, 403, 403, 403, 403, 404]),
        (
            "/admin/calendar",
            vec![("day", "2027-01-01"), ("kind", "holiday"), ("name", "元旦")],
            [303, 303, 403, 403, 403, 403],
        ),
        (
            "/admin/services/QS-RS-0005/workflow",
            vec![("definition", r#"{"steps":[]}"#)],
            [303, 403, 403, 403, 403, 403],
        ),
        ("/my/cases/1/withdraw", vec![], [303, 303, 303, 303, 303, 303]),
        ("/admin/services/QS-RS-0005/workflow/steps", vec![("row", "0")], [303, 403, 403, 403, 403, 403]),
        (
            "/admin/departments/dispatcher",
            vec![("department", "1"), ("dispatcher", "")],
            [303, 303, 403, 403, 403, 403],
        ),
        (
            "/admin/departments",
            vec![("code", "QS-TEST"), ("name", "测试局"), ("parent_id", "3"), ("level", "department")],
            [303, 303, 403, 403, 403, 403],
        ),
        (
            "/admin/roles",
            vec![
                ("code", "tester"),
                ("name", "测试"),
                ("duty", "business"),
                ("data_scope", "self"),
                ("permission", "staff:read"),
            ],
            [303, 403, 303, 403, 403, 403],
        ),
    ];
    for (path, fields, expected) in &posts {
        for (i, s) in sessions.iter().enumerate() {
            let status = match s {
                Some(s) => app.post_form(s, path, fields).await.status().as_u16(),
                None => app
                    .client
                    .post(app.url(path))
                    .header("origin", &app.base)
                    .form(fields)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16(),
            };
            let expected = if *path == "/admin/staff" && i == 1 { 201 } else { expected[i] };
            assert_eq!(status, expected, "POST {path} as {}", ROLES[i]);
        }
    }
    app.finish().await;
}

async fn sign_in_rotates_the_session_and_sign_out_ends_it(b: Backend) {
    let Some(app) = TestApp::demo(b, "rotate").await else { return };
    let first = app.sign_in("lina").await;
    // Signing in again from the same browser: a new session id; the old one is dead.
    let form = app.get("/login").await;
    let login_cookie = set_cookie(&form, "zw_login").unwrap();
    let token = attr(&form.text().await.unwrap(), "csrf").unwrap().to_string();
    let r = app
        .client
        .post(app.url("/login"))
        .header("cookie", format!("{login_cookie}; {}", first.cookie))
        .header("origin", &app.base)
        .form(&[("username", "lina"), ("password", CHANGED), ("csrf", &token), ("next", "/admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let second = set_cookie(&r, "zw_session").unwrap();
    assert_ne!(second, first.cookie);
    assert_eq!(app.get_as(Some(&first), "/admin").await.status(), 303, "old session ended");
    let page = app.page_with_cookie("/admin", &second).await.1;
    let s = Session { cookie: second, csrf: attr(&page, "csrf").unwrap().to_string() };
    assert_eq!(app.get_as(Some(&s), "/admin").await.status(), 200);
    let out = app.post_form(&s, "/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert!(set_cookie(&out, "zw_session").is_some_and(|c| c == "zw_session="), "cookie cleared");
    let after = app.get_as(Some(&s), "/admin").await;
    assert_eq!(after.status(), 303, "the session is gone on the server, not just in this browser");
    assert!(after.headers()["location"].to_str().unwrap().starts_with("/login"));
    app.finish().await;
}

async fn wrong_passwords_lock_the_account_with_one_answer(b: Backend) {
    let Some(app) = TestApp::demo(b, "lockout").await else { return };
    let unknown = app.post_login("nobody", "Wrong-2026", "/admin").await;
    assert_eq!(unknown.status(), 422);
    let unknown_body = unknown.text().await.unwrap();
    let mut wrong_body = String::new();
    for _ in 0..5 {
        let r = app.post_login("chenjing", "Wrong-2026", "/admin").await;
        assert_eq!(r.status(), 422);
        wrong_body = r.text().await.unwrap();
    }
    let message = "用户名、密码或动态口令错误。连续 5 次错误，将暂停从本设备登录";
    assert!(unknown_body.contains(message) && wrong_body.contains(message));
    assert!(wrong_body.contains(r#"value="chenjing""#), "the user name is kept");
    assert!(!wrong_body.contains("Wrong-2026"), "the password is not sent back");
    // Locked: the right password gets the same answer.
    let r = app.post_login("chenjing", DEMO, "/admin").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains(message));
    // Per-address limit: the 11th attempt within a minute is refused outright.
    let mut last = 0;
    for _ in 0..6 {
        last = app.post_login("nobody", "x", "/admin").await.status().as_u16();
    }
    assert_eq!(last, 429);
    app.finish().await;
}

async fn forms_without_the_token_or_from_another_site_are_refused(b: Backend) {
    let Some(app) = TestApp::demo(b, "csrf").await else { return };
    let s = app.sign_in("sysadmin").await;
    let fields = [("username", "forged"), ("display_name", "伪造"), ("department_id", "1")];
    let no_token = app
        .client
        .post(app.url("/admin/staff"))
        .header("cookie", &s.cookie)
        .header("origin", &app.base)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let wrong = Session { cookie: s.cookie.clone(), csrf: "0".repeat(48) };
    assert_eq!(app.post_form(&wrong, "/admin/staff", &fields).await.status(), 403);
    let mut all = fields.to_vec();
    all.push(("csrf", &s.csrf));
    let cross = app
        .client
        .post(app.url("/admin/staff"))
        .header("cookie", &s.cookie)
        .header("origin", "https://evil.example")
        .form(&all)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let fetch_cross = app
        .client
        .post(app.url("/prefs"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(fetch_cross.status(), 403, "even forms before sign-in");
    // A sign-in form without its cookie-bound token.
    let r = app
        .client
        .post(app.url("/login"))
        .header("origin", &app.base)
        .form(&[("username", "sysadmin"), ("password", CHANGED), ("csrf", "abc")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let count: i64 = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE username = 'forged'")
        .fetch_one(pool).await)
    .unwrap();
    assert_eq!(count, 0, "nothing was created");
    app.finish().await;
}

async fn return_to_paths_never_leave_the_site(b: Backend) {
    let Some(app) = TestApp::demo(b, "redirect").await else { return };
    app.sign_in("liuyang").await; // first sign-in changes the password
    for (next, expected) in [
        ("/admin/staff", "/admin/staff"),
        ("//evil.example/x", "/admin"),
        ("https://evil.example/", "/admin"),
        ("/\\evil.example", "/admin"),
        ("javascript:alert(1)", "/admin"),
    ] {
        let r = app.post_login("liuyang", CHANGED, next).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], expected, "next={next}");
    }
    // Sent to sign in from a console page, the form remembers where to go back to.
    let r = app.get("/admin/roles?x=1").await;
    assert_eq!(r.headers()["location"], "/login?next=/admin/roles%3Fx%3D1");
    let html = app.page("/login?next=/admin/roles%3Fx%3D1").await.1;
    assert!(html.contains(r#"name="next" value="/admin/roles?x=1""#), "{html}");
    app.finish().await;
}

async fn security_headers_are_on_every_response(b: Backend) {
    let Some(app) = TestApp::demo(b, "headers").await else { return };
    let s = app.sign_in("wangfang").await;
    let mut nonces = Vec::new();
    for path in ["/", "/notices", "/notices", "/login", "/api/v1/notices", "/healthz", "/nope"] {
        let r = app.get(path).await;
        let h = r.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin", "{path}");
        assert!(!h.contains_key("strict-transport-security"), "no HSTS over plain HTTP");
        let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
        let body = r.text().await.unwrap();
        if body.contains("<script") {
            // Every script carries this response's nonce, also when the page came from the cache.
            assert_eq!(body.matches("<script").count(), body.matches(&format!(r#"nonce="{nonce}""#)).count(), "{path}");
        }
        nonces.push(nonce);
    }
    let distinct: std::collections::BTreeSet<_> = nonces.iter().collect();
    assert_eq!(distinct.len(), nonces.len(), "a nonce is never reused");
    let https = app.client.get(app.url("/")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(https.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
    // Signed-in pages and the sign-in page are never stored.
    for path in ["/admin", "/notices"] {
        assert_eq!(app.get_as(Some(&s), path).await.headers()["cache-control"], "no-store", "{path}");
    }
    assert_eq!(app.get("/login").await.headers()["cache-control"], "no-store");
    assert_ne!(app.get("/notices").await.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
    app.finish().await;
}

async fn a_new_account_shows_its_initial_password_once(b: Backend) {
    let Some(app) = TestApp::demo(b, "create").await else { return };
    let sys = app.sign_in("sysadmin").await;
    let bad = app
        .post_form(&sys, "/admin/staff", &[("username", "X"), ("display_name", "孙丽"), ("department_id", "")])
        .await;
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("用户名为 3–32 位小写字母"), "message next to the field");
    assert!(html.contains(r#"value="孙丽""#), "input kept: {html}");
    let r = app
        .post_form(&sys, "/admin/staff", &[("username", "sunli"), ("display_name", "孙丽"), ("department_id", "5")])
        .await;
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let secret = html.split(r#"<code class="secret-value">"#).nth(1).unwrap().split('<').next().unwrap().to_string();
    assert!(secret.len() >= 12);
    let sunli = app.staff_id("sunli").await;
    let again = app.get_as(Some(&sys), &format!("/admin/staff/{sunli}")).await.text().await.unwrap();
    assert!(!again.contains(&secret), "shown once only");
    // The new colleague signs in with it and must change it first.
    let r = app.post_login("sunli", &secret, "/admin").await;
    assert_eq!(r.headers()["location"], "/account/password");
    // The audit trail has the creation, and no password.
    let details: Vec<String> = zhengwu_core::with_db!(&app.db, pool => sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'staff.create'")
        .fetch_all(pool).await)
    .unwrap();
    assert!(details.iter().any(|d| d.contains("sunli")));
    assert!(details.iter().all(|d| !d.contains(&secret)));
    app.finish().await;
}

/// Two instances behind a load balancer: a session started on one is valid on the other, and
/// signing out on either ends it on both. Sessions live in Redis, not in the database.
async fn instances_share_sessions_through_redis(b: Backend) {
    let Some((_, url, prefix)) = zhengwu_core::testing::test_redis("redis_instances").await else { return };
    let Some(a) = TestApp::with(b, "redis_instances", |s| zhengwu_core::Settings {
        redis_url: Some(url.clone()),
        redis_prefix: Some(prefix.clone()),
        ..s
    })
    .await
    else {
        return;
    };
    let b_instance = a.another_instance().await;
    let s = a.sign_in("wangfang").await;
    assert_eq!(b_instance.get_as(Some(&s), "/admin/staff").await.status(), 200, "valid on the other instance");
    let rows: i64 = zhengwu_core::with_db!(&a.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(pool).await)
        .unwrap();
    assert_eq!(rows, 0, "sessions are in Redis, not in the database");
    assert_eq!(b_instance.post_form(&s, "/logout", &[]).await.status(), 303);
    assert_eq!(a.get_as(Some(&s), "/admin").await.status(), 303, "signed out everywhere");
    b_instance.stop().await;
    a.finish().await;
}
