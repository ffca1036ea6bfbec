//! Spawns the real application on 127.0.0.1:0 with a fresh database (SQLite or PostgreSQL).

#![allow(dead_code)]

use std::path::PathBuf;

use zhengwu::server::{spawn, RunningServer};
use zhengwu_core::{
    config::Settings,
    testing::{drop_target, Backend, TestDb},
    Config, Db,
};

pub struct TestApp {
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
            zhengwu::server::start::init_tracing(zhengwu_core::LogFormat::Text);
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
        let config = Config::from_settings(settings).expect("test config");
        let server = spawn(config).await.expect("server starts");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_LIMIT)
            .build()
            .expect("http client");
        Some(TestApp {
            base: format!("http://{}", server.addr),
            client,
            db: server.db.clone(),
            server: Some(server),
            data_dir,
            pg_name,
        })
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
