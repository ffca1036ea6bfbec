//! The portal from the outside: pages, the REST API and the operational endpoints, over real
//! HTTP against a real database, on SQLite and on PostgreSQL.

use crate::common::{count, TestApp};
use zhengwu_core::testing::Backend;

zhengwu_core::on_both!(
    home_shows_the_latest_of_each_channel,
    the_notice_list_paginates_and_filters_by_category,
    a_notice_page_shows_publisher_date_and_attachments,
    unknown_pages_are_real_404s,
    a_bad_page_number_is_a_400_page,
    the_api_lists_notices_with_pagination,
    the_api_answers_errors_as_problem_details,
    the_api_serves_one_notice,
    health_readiness_and_metrics,
    request_ids_are_echoed_or_generated,
    the_language_switch_is_remembered_in_a_cookie,
    care_mode_marks_the_document,
    policies_and_updates_have_their_own_lists,
    public_pages_are_cached_per_language_but_never_for_sessions,
);

async fn home_shows_the_latest_of_each_channel(b: Backend) {
    let Some(app) = TestApp::demo(b, "home").await else { return };
    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80.min(html.len())]);
    assert!(html.contains(r#"<html lang="zh-CN""#));
    for heading in ["通知公告", "政策法规", "工作动态"] {
        assert!(html.contains(&format!(">{heading}</h2>")), "home lacks {heading}");
    }
    assert!(html.contains("关于2027年元旦放假安排的通知"), "newest notice on home");
    assert!(html.contains("县政府召开第三十二次常务会议"), "newest update on home");
    assert!(html.contains("<title>青山县人民政府</title>"));
    assert!(html.contains(r#"<main id="main""#) && html.contains("<header") && html.contains("<footer"));
    app.finish().await;
}

async fn the_notice_list_paginates_and_filters_by_category(b: Backend) {
    let Some(app) = TestApp::demo(b, "list").await else { return };
    let (status, p1) = app.page("/notices").await;
    assert_eq!(status, 200);
    assert_eq!(count(&p1, r#"class="article-row""#), 15, "15 notices a page");
    assert!(p1.contains("第 1 / 2 页"), "pager status");
    assert!(p1.contains(r#"href="/notices?page=2""#), "next link");
    let (_, p2) = app.page("/notices?page=2").await;
    assert_eq!(count(&p2, r#"class="article-row""#), 8, "23 notices: 8 on page 2");
    assert!(p2.contains(r#"href="/notices""#) && p2.contains(r#"rel="prev""#));

    let (status, rec) = app.page("/notices?category=recruitment").await;
    assert_eq!(status, 200);
    assert_eq!(count(&rec, r#"class="article-row""#), 3);
    assert!(rec.contains("青山县2026年下半年公开招聘事业单位工作人员公告"));
    assert!(!rec.contains("关于2027年元旦放假安排的通知"), "a notice of another category leaked in");
    assert!(rec.contains(r#"<a href="/notices?category=recruitment" aria-current="page">"#), "active tab marked");
    app.finish().await;
}

async fn a_notice_page_shows_publisher_date_and_attachments(b: Backend) {
    let Some(app) = TestApp::demo(b, "detail").await else { return };
    let (_, _, list) = app.json("/api/v1/notices?category=announcement&per_page=50").await;
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "关于开展2027年度城乡居民基本医疗保险参保缴费工作的通告")
        .expect("the insurance announcement");
    let (status, html) = app.page(&format!("/notices/{}", item["id"])).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>关于开展2027年度城乡居民基本医疗保险参保缴费工作的通告</h1>"));
    assert!(html.contains("青山县医疗保障局"), "publishing department");
    assert!(html.contains(r#"<time datetime="2026-11-25">2026-11-25</time>"#), "date in Asia/Shanghai");
    assert!(html.contains("<p>三、缴费方式"), "body paragraphs");
    // The attachments are links to their files, with kind and size.
    let id = item["id"].as_i64().unwrap();
    for (i, name) in ["2027年度城乡居民医保参保登记表.pdf", "城乡居民医保缴费渠道一览.pdf"].iter().enumerate()
    {
        let href = format!("/notices/{id}/files/{i}");
        assert!(
            html.contains(&format!(r#"<a href="{href}" download="{name}" class="file-name">{name}</a>"#)),
            "{name} linked"
        );
        let r = app.get(&href).await;
        assert_eq!(r.status(), 200, "{href}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "application/pdf");
        let disposition = h["content-disposition"].to_str().unwrap();
        assert!(disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"), "{disposition}");
        assert_eq!(h["cache-control"], "public, max-age=3600", "published, so shared caches may keep it");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-1.4"));
        let kb = (bytes.len() as f64 / 1024.0).ceil();
        assert!(
            html.contains(&format!("{name}</a> <span class=\"file-size\">(PDF {kb} KB)</span>")),
            "{name}: {kb} KB"
        );
    }
    // Not another channel's article, not past the list, not a made-up path: the styled 404.
    for bad in [
        format!("/policies/{id}/files/0"),
        format!("/notices/{id}/files/9"),
        format!("/notices/{id}/files/x"),
        "/notices/999999/files/0".to_string(),
        format!("/notices/{id}/files/-1"),
    ] {
        let (status, page) = app.page(&bad).await;
        assert_eq!(status, 404, "{bad}");
        assert!(page.contains("<h1>"), "{bad}: the styled page");
    }
    app.finish().await;
}

async fn unknown_pages_are_real_404s(b: Backend) {
    let Some(app) = TestApp::demo(b, "not_found").await else { return };
    let (_, _, list) = app.json("/api/v1/notices").await;
    let notice_id = list["items"][0]["id"].as_i64().unwrap();
    for path in [
        "/notices/999999".to_string(),
        "/notices/abc".to_string(),
        "/notices/-1".to_string(),
        format!("/policies/{notice_id}"),
        "/no/such/page".to_string(),
    ] {
        let (status, html) = app.page(&path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("页面不存在"), "{path} has the 404 page");
        assert!(html.contains(r#"<header"#), "{path}: the 404 page keeps the site layout");
    }
    app.finish().await;
}

async fn a_bad_page_number_is_a_400_page(b: Backend) {
    let Some(app) = TestApp::demo(b, "bad_page").await else { return };
    for path in ["/notices?page=0", "/notices?page=x", "/notices?category=nope"] {
        let (status, html) = app.page(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains("请求有误"), "{path}");
    }
    app.finish().await;
}

async fn the_api_lists_notices_with_pagination(b: Backend) {
    let Some(app) = TestApp::demo(b, "api_list").await else { return };
    let (status, ctype, body) = app.json("/api/v1/notices?per_page=10&page=3").await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("application/json"));
    assert_eq!(body["total"], 23);
    assert_eq!(body["page"], 3);
    assert_eq!(body["per_page"], 10);
    assert_eq!(body["total_pages"], 3);
    assert_eq!(body["items"].as_array().unwrap().len(), 3);
    let first = &body["items"][0];
    for field in ["id", "title", "category", "department", "published_on", "attachment_count"] {
        assert!(!first[field].is_null(), "item has {field}");
    }
    let (_, _, pub_) = app.json("/api/v1/notices?category=publicity").await;
    assert!(pub_["items"].as_array().unwrap().iter().all(|i| i["category"] == "publicity"));
    assert_eq!(pub_["total"], 4);
    app.finish().await;
}

async fn the_api_answers_errors_as_problem_details(b: Backend) {
    let Some(app) = TestApp::demo(b, "api_errors").await else { return };
    for (path, status, param) in [
        ("/api/v1/notices?page=0", 400, Some("page")),
        ("/api/v1/notices?per_page=1000", 400, Some("per_page")),
        ("/api/v1/notices?category=nope", 400, Some("category")),
        ("/api/v1/notices/abc", 400, Some("id")),
        ("/api/v1/notices/999999", 404, None),
        ("/api/v1/nothing-here", 404, None),
    ] {
        let (got, ctype, body) = app.json(path).await;
        assert_eq!(got, status, "{path}");
        assert_eq!(ctype, "application/problem+json", "{path}");
        assert_eq!(body["status"], status, "{path}");
        assert_eq!(body["type"], "about:blank");
        assert!(body["title"].is_string() && body["detail"].is_string(), "{path}: {body}");
        assert!(body["request_id"].is_string(), "{path}: problem carries the request id");
        if let Some(p) = param {
            assert_eq!(body["invalid_params"][0]["name"], p, "{path}");
        }
    }
    let r = app.client.post(app.url("/api/v1/notices")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    app.finish().await;
}

async fn the_api_serves_one_notice(b: Backend) {
    let Some(app) = TestApp::demo(b, "api_one").await else { return };
    let (_, _, list) = app.json("/api/v1/notices?category=recruitment").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let (status, _, one) = app.json(&format!("/api/v1/notices/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], id);
    assert_eq!(one["title"], list["items"][0]["title"]);
    assert!(one["body"].as_str().unwrap().len() > 50);
    assert!(
        one["attachments"].as_array().unwrap().len() == list["items"][0]["attachment_count"].as_u64().unwrap() as usize
    );
    app.finish().await;
}

async fn health_readiness_and_metrics(b: Backend) {
    // A free port for the separate metrics listener.
    let metrics_addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let Some(app) = TestApp::with(b, "health", |s| zhengwu_core::Settings {
        metrics_token: Some("metrics-token-0123456789".into()),
        metrics_addr: Some(metrics_addr.to_string()),
        ..s
    })
    .await
    else {
        return;
    };
    assert_eq!(app.page("/healthz").await.0, 200);
    assert_eq!(app.page("/readyz").await, (200, "ready\n".to_string()));
    app.page("/notices").await;
    app.page("/notices/999999").await;
    // On the public address only with the token; on its own address for a local Prometheus.
    assert_eq!(app.page("/metrics").await.0, 401);
    let wrong = app.client.get(app.url("/metrics")).bearer_auth("metrics-token-wrong-000000").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let r = app.client.get(app.url("/metrics")).bearer_auth("metrics-token-0123456789").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let side = reqwest::get(format!("http://{metrics_addr}/metrics")).await.unwrap();
    assert_eq!(side.status(), 200);
    assert!(side.text().await.unwrap().contains("zhengwu_http_requests_total"));
    let text = r.text().await.unwrap();
    assert!(text.contains("# TYPE zhengwu_http_request_duration_seconds histogram"));
    assert!(text.contains(r#"zhengwu_http_requests_total{route="/notices",method="GET",status="200"} 1"#), "{text}");
    assert!(
        text.contains(r#"zhengwu_http_requests_total{route="/notices/{id}",method="GET",status="404"} 1"#),
        "{text}"
    );
    assert!(text.contains(
        r#"zhengwu_http_request_duration_seconds_bucket{route="/notices",method="GET",status="200",le="+Inf"} 1"#
    ));
    // Without a token configured, the public address does not serve metrics at all.
    let Some(plain) = TestApp::demo(b, "health_plain").await else { return };
    assert_eq!(plain.page("/metrics").await.0, 404);
    plain.finish().await;
    // With the database gone, the instance is alive but not ready.
    app.db.close().await;
    assert_eq!(app.page("/healthz").await.0, 200);
    assert_eq!(app.page("/readyz").await.0, 503);
    app.finish().await;
}

async fn request_ids_are_echoed_or_generated(b: Backend) {
    let Some(app) = TestApp::demo(b, "request_id").await else { return };
    let r = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app.client.get(app.url("/healthz")).header("x-request-id", "bad id\twith tab").send().await.unwrap();
    let generated = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(generated.len(), 36, "a UUID replaces an unacceptable id: {generated}");
    let r = app.get("/").await;
    assert!(r.headers().contains_key("x-request-id"));
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    app.finish().await;
}

async fn the_language_switch_is_remembered_in_a_cookie(b: Backend) {
    let Some(app) = TestApp::demo(b, "lang").await else { return };
    let r =
        app.client.post(app.url("/prefs")).form(&[("lang", "en"), ("back", "/notices?page=2")]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/notices?page=2");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("zw_lang=en;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let (_, html) = app.page_with_cookie("/notices", "zw_lang=en").await;
    assert!(html.contains(r#"<html lang="en""#));
    assert!(
        html.contains("Qingshan County People&#x27;s Government")
            || html.contains("Qingshan County People's Government")
    );
    assert!(html.contains(">Notices</h1>") && html.contains("Page 1 of 2"));
    // No open redirect, and nonsense is refused.
    let r =
        app.client.post(app.url("/prefs")).form(&[("lang", "zh"), ("back", "//evil.example/")]).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/");
    let r = app.client.post(app.url("/prefs")).form(&[("lang", "fr")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    app.finish().await;
}

async fn care_mode_marks_the_document(b: Backend) {
    let Some(app) = TestApp::demo(b, "care").await else { return };
    let r = app.client.post(app.url("/prefs")).form(&[("care", "1"), ("back", "/")]).send().await.unwrap();
    assert!(r.headers()["set-cookie"].to_str().unwrap().starts_with("zw_care=1;"));
    let (_, html) = app.page_with_cookie("/", "zw_care=1").await;
    assert!(html.contains(r#"<html lang="zh-CN" class="care""#), "{}", &html[..200]);
    assert!(html.contains("退出长者模式"));
    let (_, plain) = app.page("/").await;
    assert!(!plain.contains(r#"class="care""#) && plain.contains(">长者模式<"));
    app.finish().await;
}

async fn policies_and_updates_have_their_own_lists(b: Backend) {
    let Some(app) = TestApp::demo(b, "channels").await else { return };
    let (status, html) = app.page("/policies").await;
    assert_eq!(status, 200);
    assert!(html.contains("青山县人民政府办公室关于印发《青山县进一步优化营商环境若干措施》的通知"));
    assert!(!html.contains("关于2027年元旦放假安排的通知"));
    let (status, html) = app.page("/updates?category=township").await;
    assert_eq!(status, 200);
    assert_eq!(count(&html, r#"class="article-row""#), 3);
    app.finish().await;
}

/// Static files: the bundle directory is served with revalidation and precompressed variants.
#[tokio::test]
async fn the_site_bundle_is_served_precompressed() {
    let site = zhengwu_core::testing::temp_dir("zw_site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/zhengwu.css"), "body{}").unwrap();
    std::fs::write(site.join("pkg/zhengwu.css.br"), b"\x0b\x02\x80body{}\x03").unwrap();
    std::fs::write(site.join("islands.js"), "//").unwrap();
    let site_root = site.display().to_string();
    let app = TestApp::with(Backend::Sqlite, "static", |s| zhengwu_core::Settings { site_root: Some(site_root), ..s })
        .await
        .unwrap();
    let r = app.client.get(app.url("/pkg/zhengwu.css")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = app.client.get(app.url("/pkg/zhengwu.css")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(app.page("/islands.js").await.0, 200);
    assert_eq!(app.page("/pkg/missing.js").await.0, 404);
    app.finish().await;
    let _ = std::fs::remove_dir_all(site);
}

async fn public_pages_are_cached_per_language_but_never_for_sessions(b: Backend) {
    let Some(app) = TestApp::demo(b, "cache").await else { return };
    let x_cache = |r: &reqwest::Response| r.headers().get("x-cache").map(|v| v.to_str().unwrap().to_string());
    let first = app.get("/notices?page=2").await;
    assert_eq!(x_cache(&first).as_deref(), Some("miss"));
    let first_body = first.text().await.unwrap();
    let again = app.get("/notices?page=2").await;
    assert_eq!(x_cache(&again).as_deref(), Some("hit"));
    assert_eq!(again.headers()["content-type"], "text/html; charset=utf-8");
    assert!(again.headers().contains_key("x-request-id"), "hits still get a request id");
    // The same page, except that each response carries its own CSP nonce.
    let again_body = again.text().await.unwrap();
    assert_eq!(without_nonces(&again_body), without_nonces(&first_body));
    assert_ne!(again_body, first_body, "the cached copy got a fresh nonce");

    // The English page is its own entry, never the Chinese one.
    let en = app.client.get(app.url("/notices?page=2")).header("cookie", "zw_lang=en").send().await.unwrap();
    assert_eq!(x_cache(&en).as_deref(), Some("miss"));
    assert!(en.text().await.unwrap().contains(r#"<html lang="en""#));

    // Any other cookie (a session, later) bypasses the cache both ways.
    let with_session =
        app.client.get(app.url("/notices?page=2")).header("cookie", "zw_lang=zh; sid=abc").send().await.unwrap();
    assert_eq!(x_cache(&with_session), None);
    // Errors and operational endpoints are not cached.
    assert_eq!(x_cache(&app.get("/notices/999999").await), None);
    assert_eq!(x_cache(&app.get("/notices/999999").await), None);
    assert_eq!(x_cache(&app.get("/readyz").await), None);
    let api = app.get("/api/v1/notices").await;
    assert_eq!(x_cache(&api).as_deref(), Some("miss"));
    assert_eq!(x_cache(&app.get("/api/v1/notices").await).as_deref(), Some("hit"));
    app.finish().await;
}

/// With `page_cache_ttl = 0` every request is rendered afresh.
#[tokio::test]
async fn the_page_cache_can_be_turned_off() {
    let app = TestApp::with(Backend::Sqlite, "no_cache", |s| zhengwu_core::Settings {
        page_cache_ttl: Some("0".into()),
        ..s
    })
    .await
    .unwrap();
    for _ in 0..2 {
        let r = app.get("/notices").await;
        assert_eq!(r.status(), 200);
        assert!(!r.headers().contains_key("x-cache"));
    }
    app.finish().await;
}

/// A client that opened a request and went silent cannot hold shutdown hostage: shutdown
/// ends after the grace period, and a finished request before it was answered normally.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_forever_for_a_silent_client() {
    use std::time::{Duration, Instant};
    use tokio::io::AsyncWriteExt;
    let mut app = TestApp::demo(Backend::Sqlite, "grace").await.unwrap();
    assert_eq!(app.page("/healthz").await.0, 200);
    let mut silent = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    silent.write_all(b"GET /notices HTTP/1.1\r\nHost: x\r\n").await.unwrap(); // headers never finished
    tokio::time::sleep(Duration::from_millis(100)).await;
    let server = app.take_server();
    let started = Instant::now();
    server.shutdown_within(Duration::from_secs(1)).await.unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "waited for the grace period, took {took:?}");
    assert!(took < Duration::from_secs(5), "then closed the connection, took {took:?}");
    app.finish().await;
}

/// The page with every `nonce="…"` value blanked.
fn without_nonces(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("nonce=\"") {
        out.push_str(&rest[..i + 7]);
        rest = &rest[i + 7..];
        rest = rest.find('"').map(|j| &rest[j..]).unwrap_or("");
    }
    out.push_str(rest);
    out
}
