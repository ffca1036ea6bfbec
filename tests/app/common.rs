//! Spawns the real application on 127.0.0.1:0 with a fresh database (SQLite or PostgreSQL).

#![allow(dead_code)]

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
};

use zhengwu::shell::{spawn, RunningServer};
use zhengwu_core::{
    config::Settings,
    testing::{drop_target, Backend, TestDb},
    Config, Db,
};

pub struct TestApp {
    /// The settings it was started with (for starting another instance on the same data).
    pub settings: Settings,
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    server: Option<RunningServer>,
    data_dir: PathBuf,
    pg_name: Option<String>,
}

/// How long one HTTP request of a test may take.
pub const REQUEST_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

impl TestApp {
    /// The app with demo data, or `None` when this backend is skipped.
    pub async fn demo(backend: Backend, test: &str) -> Option<TestApp> {
        Self::with(backend, test, |s| s).await
    }

    /// The app with demo data and extra settings.
    pub async fn with(backend: Backend, test: &str, adjust: impl FnOnce(Settings) -> Settings) -> Option<TestApp> {
        if std::env::var_os("ZHENGWU_LOG").is_some() {
            zhengwu::shell::start::init_tracing(zhengwu_core::LogFormat::Text);
        }
        let (target, data_dir, pg_name) = TestDb::target(backend, test).await?;
        let database_url = match &target {
            zhengwu_core::DatabaseTarget::Sqlite { path } => format!("sqlite:{}", path.display()),
            zhengwu_core::DatabaseTarget::Postgres { url } => secrecy::ExposeSecret::expose_secret(url).to_string(),
        };
        let settings = adjust(Settings {
            addr: Some("127.0.0.1:0".into()),
            data_dir: Some(data_dir.display().to_string()),
            database_url: Some(database_url),
            demo: Some(true),
            ..Settings::default()
        });
        let config = Config::from_settings(settings.clone()).expect("test config");
        let server = spawn(config).await.expect("server starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_LIMIT)
            .build()
            .expect("http client");
        Some(TestApp {
            settings,
            base: format!("http://{}", server.addr),
            client,
            db: server.db.clone(),
            server: Some(server),
            data_dir,
            pg_name,
        })
    }

    /// A second instance on the same database and data directory (as behind a load
    /// balancer). Stopping it leaves the data alone.
    pub async fn another_instance(&self) -> TestApp {
        let config = Config::from_settings(self.settings.clone()).expect("test config");
        let server = spawn(config).await.expect("second instance starts");
        TestApp {
            settings: self.settings.clone(),
            base: format!("http://{}", server.addr),
            client: self.client.clone(),
            db: server.db.clone(),
            server: Some(server),
            data_dir: std::env::temp_dir().join("zw-not-owned"),
            pg_name: None,
        }
    }

    /// Stops an instance from [`TestApp::another_instance`] without touching the data.
    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await.expect("clean shutdown");
        }
    }

    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// GET and return (status, body).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    pub async fn page_with_cookie(&self, path: &str, cookie: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).header("cookie", cookie).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    pub async fn json(&self, path: &str) -> (u16, String, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        let ctype = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let body = r.json().await.expect("json body");
        (status, ctype, body)
    }

    /// The running server, for tests of shutdown itself.
    pub fn take_server(&mut self) -> RunningServer {
        self.server.take().expect("server still running")
    }

    /// Stops the server gracefully and removes its database.
    pub async fn finish(mut self) {
        // Close the client's pooled keep-alive connections first, as a browser would go away.
        drop(std::mem::replace(&mut self.client, reqwest::Client::new()));
        if let Some(s) = self.server.take() {
            s.shutdown().await.expect("clean shutdown");
        }
        drop_target(self.pg_name.take(), &self.data_dir).await;
    }
}

/// How many times `needle` occurs in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

// Signing in as staff, as a browser would.

pub const DEMO: &str = "Demo@2026";
pub const CHANGED: &str = "Qingshan-2026!";

/// A signed-in browser, reduced to its two secrets.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

pub fn attr<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next()
}

/// The TOTP secret the set-up page shows (grouped in fours for typing).
pub fn totp_secret(page: &str) -> Vec<u8> {
    let at = page.find(r#"id="totp-secret""#).unwrap_or_else(|| panic!("the secret on the set-up page: {page}"));
    let start = at + page[at..].find('>').unwrap() + 1;
    let grouped = &page[start..start + page[start..].find('<').unwrap()];
    let secret: String = grouped.split_whitespace().collect();
    data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).expect("base32 secret")
}

pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

impl TestApp {
    /// Fetches the sign-in form and posts it; returns the response.
    pub async fn post_login(&self, username: &str, password: &str, next: &str) -> reqwest::Response {
        let form = self.get("/login").await;
        let login_cookie = set_cookie(&form, "zw_login").expect("the form sets its cookie");
        let html = form.text().await.unwrap();
        let token = attr(&html, "csrf").expect("token in form").to_string();
        self.client
            .post(self.url("/login"))
            .header("cookie", &login_cookie)
            .header("origin", &self.base)
            .form(&[("username", username), ("password", password), ("csrf", &token), ("next", next)])
            .send()
            .await
            .unwrap()
    }

    /// Signs in, changing the demo password on first use.
    pub async fn sign_in(&self, username: &str) -> Session {
        let mut r = self.post_login(username, DEMO, "/admin").await;
        if r.status() != 303 {
            r = self.post_login(username, CHANGED, "/admin").await;
        }
        assert_eq!(r.status(), 303, "{username} signs in");
        let cookie = set_cookie(&r, "zw_session").expect("session cookie");
        let to = r.headers()["location"].to_str().unwrap().to_string();
        let page = self.page_with_cookie("/account/password", &cookie).await.1;
        let csrf = attr(&page, "csrf").expect("csrf on console pages").to_string();
        let s = Session { cookie, csrf };
        if to == "/account/password" {
            let r = self
                .post_form(
                    &s,
                    "/account/password",
                    &[("current_password", DEMO), ("new_password", CHANGED), ("confirm_password", CHANGED)],
                )
                .await;
            assert_eq!(r.status(), 303, "password changed");
        }
        // Administrators must set up a second factor before anything else.
        let next = self.get_as(Some(&s), "/admin").await;
        if next.status() == 303 && next.headers()["location"] == "/account/totp" {
            let page = self.page_with_cookie("/account/totp", &s.cookie).await.1;
            let key = totp_secret(&page);
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let code = zhengwu_crypto::totp::code_at(&key, now);
            let r = self.post_form(&s, "/account/totp", &[("code", &code)]).await;
            assert_eq!(r.status(), 303, "second factor set up");
        }
        s
    }

    pub async fn post_form(&self, s: &Session, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &s.csrf));
        self.client
            .post(self.url(path))
            .header("cookie", &s.cookie)
            .header("origin", &self.base)
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_as(&self, s: Option<&Session>, path: &str) -> reqwest::Response {
        let mut r = self.client.get(self.url(path));
        if let Some(s) = s {
            r = r.header("cookie", &s.cookie);
        }
        r.send().await.unwrap()
    }

    pub async fn staff_id(&self, username: &str) -> i64 {
        zhengwu_core::with_db!(&self.db, pool => sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
            .bind(username).fetch_one(pool).await)
        .unwrap()
    }
}

/// A request the gateway received: its JSON body and `Authorization` header.
type Sent = (serde_json::Value, Option<String>);

/// A stand-in for the SMS gateway: records what it was asked to send; fails when told to.
#[derive(Clone, Default)]
pub struct Gateway {
    pub sent: Arc<Mutex<Vec<Sent>>>,
    pub failing: Arc<Mutex<bool>>,
}

impl Gateway {
    pub async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/send",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, axum::Json(body): axum::Json<serde_json::Value>| {
                    let me = me.clone();
                    async move {
                        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
                        me.sent.lock().unwrap().push((body, auth));
                        if *me.failing.lock().unwrap() {
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            axum::http::StatusCode::OK
                        }
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/send")
    }

    pub fn last_code(&self) -> String {
        self.sent.lock().unwrap().last().unwrap().0["code"].as_str().unwrap().to_string()
    }
}

impl TestApp {
    /// Signs a citizen in through the two sign-in forms (the app must use `gateway` as its
    /// SMS provider); returns the session cookie.
    pub async fn citizen_sign_in(&self, gateway: &Gateway, phone: &str) -> String {
        let form = self.get("/my/login").await;
        let form_cookie = set_cookie(&form, "zw_mylogin").unwrap();
        let token = attr(&form.text().await.unwrap(), "csrf").unwrap().to_string();
        let post = |path: &'static str, fields: Vec<(&'static str, String)>| {
            self.client
                .post(self.url(path))
                .header("cookie", &form_cookie)
                .header("origin", &self.base)
                .form(&fields)
                .send()
        };
        let r = post("/my/login", vec![("csrf", token.clone()), ("phone", phone.to_string())]).await.unwrap();
        assert_eq!(r.status(), 303, "code sent, on to the code step");
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/my/login?step=code"));
        // The number travels to the next step sealed in a cookie of the sign-in form's path.
        let phone_cookie = set_cookie(&r, "zw_mylogin_phone").expect("the code step's cookie");
        let code = gateway.last_code();
        let r = self
            .client
            .post(self.url("/my/login/verify"))
            .header("cookie", format!("{form_cookie}; {phone_cookie}"))
            .header("origin", &self.base)
            .form(&[("csrf", token.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "signed in");
        let cookie = set_cookie(&r, "zw_citizen").unwrap();
        self.citizen_consent(&cookie).await;
        cookie
    }

    /// Accepts what the consent page asks (the user agreement and the privacy policy).
    pub async fn citizen_consent(&self, cookie: &str) {
        let (status, page) = self.page_with_cookie("/my/consent", cookie).await;
        assert_eq!(status, 200);
        let csrf = attr(&page, "csrf").unwrap().to_string();
        let mut fields = vec![("csrf", csrf), ("agree", "1".to_string()), ("next", "/my".to_string())];
        for accept in page.split("name=\"accept\" value=\"").skip(1) {
            fields.push(("accept", accept.split('"').next().unwrap().to_string()));
        }
        let r = self
            .client
            .post(self.url("/my/consent"))
            .header("cookie", cookie)
            .header("origin", &self.base)
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "consent given");
    }

    /// Real-name registration of the signed-in citizen.
    pub async fn citizen_real_name(&self, cookie: &str, name: &str, id_number: &str) {
        let page = self.page_with_cookie("/my/real-name", cookie).await.1;
        let csrf = attr(&page, "csrf").unwrap().to_string();
        let r = self
            .client
            .post(self.url("/my/real-name"))
            .header("cookie", cookie)
            .header("origin", &self.base)
            .form(&[("csrf", csrf.as_str()), ("real_name", name), ("id_number", id_number), ("sensitive_consent", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "real name registered");
    }
}
