//! Start-up and shutdown: configuration → data directory → database → migrations → demo data
//! → listener → serve until SIGTERM/Ctrl-C → close the database.
//!
//! Every failure becomes a [`StartError`]: one line naming the setting, printed by `main`,
//! which exits non-zero. Nothing here panics on bad input.

use std::{io, net::SocketAddr, path::Path, sync::Arc, time::Duration};

use leptos::config::Env;
use leptos::prelude::LeptosOptions;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use zhengwu_core::{
    config::{io_reason, source_names},
    demo::{self, SeedOutcome},
    Config, ConfigError, Db, DbError, LogFormat, Settings,
};

use crate::shell::cli::{Cli, Command};
use crate::shell::router::router;
use crate::ui::prefs::SiteInfo;
use crate::web::metrics::Metrics;
use crate::web::page_cache::PageCache;
use crate::web::state::AppState;

/// How long a shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("invalid setting {setting}: {path} is not a writable directory: {reason}", setting = source_names("data_dir"))]
    DataDir { path: String, reason: String },
    #[error("invalid setting {setting}: {0}", setting = source_names("database_url"))]
    Database(DbError),
    #[error("{0}")]
    Migration(DbError),
    #[error("demo data: {0}")]
    Demo(String),
    #[error("invalid setting {setting}: cannot listen on {addr}: {reason}", setting = source_names("addr"))]
    Bind { addr: SocketAddr, reason: String },
    #[error("server: {0}")]
    Serve(String),
    #[error("invalid setting {setting}: {0}", setting = source_names("redis_url"))]
    Redis(String),
    #[error("audit trail NOT intact: {0}")]
    Tampered(String),
    #[error("file store (ZHENGWU_BLOB_STORE) not usable: {0}")]
    Blobs(String),
    /// `zhengwu blobs check` ran and found something to fix.
    #[error("{0}")]
    BlobsFound(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    NoCalendarData(String),
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> Result<(), StartError> {
    match cli.command {
        Command::Serve(args) => {
            let config = load_config(args.settings(), args.common.config.as_deref())?;
            init_tracing(config.log_format);
            // Handlers first: a SIGTERM that arrives once we say we listen must stop us gracefully.
            let stop = stop_signal().map_err(|e| StartError::Serve(format!("cannot watch for signals: {e}")))?;
            let server = spawn(config).await?;
            tracing::info!("listening on http://{}", server.addr);
            stop.await;
            tracing::info!("shutting down: finishing requests in flight");
            server.shutdown().await
        }
        Command::Audit(cmd) => crate::shell::commands::audit(cmd).await,
        Command::Calendar(cmd) => crate::shell::commands::calendar(cmd).await,
        Command::Staff(cmd) => crate::shell::commands::staff(cmd).await,
        Command::Blobs(cmd) => crate::shell::commands::blobs(cmd).await,
        Command::Policy(cmd) => crate::shell::commands::policy(cmd).await,
        Command::Migrate(args) => {
            let config = load_config(args.settings(), args.config.as_deref())?;
            init_tracing(config.log_format);
            let db = open_database(&config).await?;
            db.close().await;
            tracing::info!(database = %config.database.describe(), "migrations applied");
            Ok(())
        }
    }
}

/// The blob store the configuration names, sealing with the master key's blob key.
pub(super) fn blob_store(config: &Config, master: &zhengwu_crypto::keys::MasterKey) -> zhengwu_core::blobs::BlobStore {
    let key = master.sm4_key(zhengwu_crypto::keys::Purpose::Blobs);
    match &config.blobs {
        zhengwu_core::config::BlobConfig::Local => {
            zhengwu_core::blobs::BlobStore::local(config.data_dir.join("blobs"), key)
        }
        zhengwu_core::config::BlobConfig::S3(s3) => {
            zhengwu_core::blobs::BlobStore::s3(s3.clone(), config.data_dir.join("blobs").join("tmp"), key)
        }
    }
}

/// Loads (or on first start creates) the master key, saying where it came from.
pub(super) fn load_key(config: &Config) -> Result<zhengwu_crypto::keys::MasterKey, StartError> {
    let (key, origin) = zhengwu_core::keyring::load_master_key(&config.master_key)?;
    if origin == zhengwu_core::keyring::KeyOrigin::Generated {
        tracing::warn!(
            source = ?config.master_key,
            "generated a new master key; back it up apart from the database: without it the audit trail cannot be verified and encrypted personal data cannot be read"
        );
    }
    Ok(key)
}

/// Flags and environment over the config file over defaults.
pub fn load_config(given: Settings, file: Option<&Path>) -> Result<Config, StartError> {
    let from_file = match file {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    Ok(Config::from_settings(given.over(from_file))?)
}

/// A server running in the background (used by `serve` and by the tests).
pub struct RunningServer {
    pub addr: SocketAddr,
    pub db: Db,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
    /// The scheduled jobs; stopped (a run in progress finishes) before the database closes.
    jobs: JoinHandle<()>,
    stop_jobs: tokio::sync::watch::Sender<bool>,
    /// The separate metrics listener, when configured.
    metrics_task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish (for at most [`SHUTDOWN_GRACE`]), then
    /// closes the database cleanly.
    pub async fn shutdown(self) -> Result<(), StartError> {
        self.shutdown_within(SHUTDOWN_GRACE).await
    }

    /// [`RunningServer::shutdown`] with a chosen grace period. Connections still open when it
    /// ends (an idle keep-alive, a client that stopped sending) are closed: a shutdown never
    /// waits on a client forever.
    pub async fn shutdown_within(self, grace: Duration) -> Result<(), StartError> {
        let _ = self.stop.send(());
        if let Some(m) = &self.metrics_task {
            m.abort();
        }
        let mut task = self.task;
        let served = match tokio::time::timeout(grace, &mut task).await {
            Ok(joined) => joined,
            Err(_) => {
                tracing::warn!(
                    grace_ms = grace.as_millis() as u64,
                    "connections still open after the grace period; closing them"
                );
                task.abort();
                Ok(Ok(()))
            }
        };
        // A run in progress finishes (cancelling it mid-statement would leave SQLite's connection
        // closing in the background); past the grace period it is dropped and rolls back.
        let _ = self.stop_jobs.send(true);
        let mut jobs = self.jobs;
        if tokio::time::timeout(grace, &mut jobs).await.is_err() {
            jobs.abort();
        }
        self.db.close().await;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StartError::Serve(e.to_string())),
            Err(e) => Err(StartError::Serve(e.to_string())),
        }
    }
}

/// Prepares everything and starts serving on `config.addr` (port 0 picks a free port).
pub async fn spawn(config: Config) -> Result<RunningServer, StartError> {
    let master = load_key(&config)?;
    let keys = Arc::new(crate::web::state::Keys::from_master(&master));
    let personal = Arc::new(zhengwu_core::citizen::PersonalKeys::from_master(&master));
    let blobs = blob_store(&config, &master);
    let totp_key = master.sm4_key(zhengwu_crypto::keys::Purpose::Totp);
    drop(master);
    let sms = match &config.sms {
        zhengwu_core::config::SmsConfig::None => None,
        zhengwu_core::config::SmsConfig::Log => {
            tracing::warn!("SMS provider 'log': citizens' sign-in codes are written to the log; for development only");
            Some(Arc::new(zhengwu_core::citizen::SmsSender::Log))
        }
        zhengwu_core::config::SmsConfig::Http { url, token } => {
            Some(Arc::new(zhengwu_core::citizen::SmsSender::http(url.clone(), token.clone())))
        }
    };
    let db = open_database(&config).await?;
    match zhengwu_core::maintenance::reseal_row_bound(&db, &personal, &totp_key, chrono::Utc::now()).await {
        Ok(r) if r.ran => {
            tracing::info!(values = r.values, unreadable = r.unreadable, "sealed values bound to their rows (once)")
        }
        Ok(_) => {}
        Err(e) => {
            db.close().await;
            return Err(StartError::Serve(format!("re-sealing stored values: {e}")));
        }
    }
    drop(totp_key);
    if config.demo {
        match demo::seed(&db).await {
            Ok(SeedOutcome::Seeded { departments, articles }) => {
                tracing::info!(departments, articles, "demo data seeded")
            }
            Ok(SeedOutcome::AlreadyHasData) => tracing::info!("database has content; demo data not added"),
            Err(e) => {
                db.close().await;
                return Err(StartError::Demo(e.to_string()));
            }
        }
    }
    if config.demo {
        match demo::seed_services(&db, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(items) => tracing::info!(items, "demo service catalogue seeded"),
            Err(e) => {
                db.close().await;
                return Err(StartError::Demo(e.to_string()));
            }
        }
    }
    if let Err(e) = bootstrap_accounts(&config, &db, &keys.audit).await {
        db.close().await;
        return Err(e);
    }
    let sessions = match &config.redis_url {
        None => zhengwu_core::identity::SessionStore::Database,
        Some(url) => {
            use secrecy::ExposeSecret;
            match zhengwu_core::identity::SessionStore::redis(url.expose_secret(), &config.redis_prefix).await {
                Ok(store) => store,
                Err(reason) => {
                    db.close().await;
                    return Err(StartError::Redis(reason));
                }
            }
        }
    };
    if let Err(e) = blobs.check().await {
        db.close().await;
        return Err(StartError::Blobs(e.to_string()));
    }
    if config.demo {
        match demo::attach_files(&db, &blobs).await {
            Ok(0) => {}
            Ok(files) => tracing::info!(files, "demo attachment files stored"),
            Err(e) => {
                db.close().await;
                return Err(StartError::Demo(e.to_string()));
            }
        }
    }
    let listener = match TcpListener::bind(config.addr).await {
        Ok(l) => l,
        Err(e) => {
            db.close().await;
            return Err(StartError::Bind { addr: config.addr, reason: io_reason(&e) });
        }
    };
    let addr = listener.local_addr().map_err(|e| StartError::Serve(e.to_string()))?;
    if !config.site_root.join("pkg").join("zhengwu.css").is_file() {
        tracing::warn!(site_root = %config.site_root.display(), "no built site (pkg/zhengwu.css): pages will be unstyled; run scripts/build.sh");
    }

    let leptos_options = LeptosOptions::builder()
        .output_name("zhengwu")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(Env::PROD)
        .build();
    let state = AppState {
        leptos_options,
        db: db.clone(),
        metrics: Arc::new(Metrics::default()),
        page_cache: Arc::new(PageCache::new(config.page_cache_ttl)),
        site: SiteInfo {
            name: config.site_name.clone(),
            name_en: config.site_name_en.clone(),
            asset_version: crate::shell::assets::version_of(&config.site_root.join("pkg")),
        },
        keys,
        policy: zhengwu_core::identity::AuthPolicy {
            password: zhengwu_core::identity::PasswordPolicy {
                min_length: config.password_min_length as usize,
                ..Default::default()
            },
            max_failures: config.lockout_failures,
            lock_for: chrono::Duration::minutes(i64::from(config.lockout_minutes)),
            idle_timeout: chrono::Duration::minutes(i64::from(config.session_idle_minutes)),
            require_totp_for_admins: config.require_totp_for_admins,
            ..zhengwu_core::identity::AuthPolicy::default()
        },
        login_limiter: Arc::new(crate::web::limits::RateLimiter::per_minute(config.login_rate_limit)),
        personal,
        sms,
        sessions,
        blobs,
        lookup_limiter: Arc::new(crate::web::limits::RateLimiter::per_minute(config.lookup_rate_limit)),
        // Thirty application posts in ten minutes is more than any person filling in a form.
        post_limiter: Arc::new(crate::web::limits::RateLimiter::new(30, Duration::from_secs(600))),
        metrics_token: config.metrics_token.clone().map(Arc::new),
        sms_challenge_after: config.sms_challenge_after,
        clock: zhengwu_core::workflow::ClockPolicy { yellow_percent: config.warning_percent },
        render: |options| leptos::prelude::IntoAny::into_any(crate::app::shell(options)),
    };
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let jobs = spawn_scheduler(&state, addr.to_string(), jobs_stopped);
    let metrics_task = match config.metrics_addr {
        Some(maddr) => match TcpListener::bind(maddr).await {
            Ok(l) => {
                tracing::info!("metrics on http://{maddr}/metrics");
                let app = axum::Router::new()
                    .route("/metrics", axum::routing::get(crate::web::metrics::export_open))
                    .with_state(state.clone());
                Some(tokio::spawn(async move {
                    let _ = axum::serve(l, app).await;
                }))
            }
            Err(e) => {
                db.close().await;
                return Err(StartError::Bind { addr: maddr, reason: io_reason(&e) });
            }
        },
        None => None,
    };
    if let Ok(cal) = zhengwu_core::calendar::load(&db).await {
        if cal.coverage_warning(zhengwu_core::time::shanghai_date(chrono::Utc::now())).is_some() {
            use chrono::Datelike;
            let this = zhengwu_core::time::shanghai_date(chrono::Utc::now()).year();
            let missing: Vec<i32> = [this, this + 1].into_iter().filter(|y| !cal.covers(*y)).collect();
            tracing::warn!(?missing, "working-day calendar: no holiday data for these years; deadlines there count weekends only (zhengwu calendar import FILE)");
        }
    }
    let app = router(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer { addr, db, stop, task, jobs, stop_jobs, metrics_task })
}

/// The scheduled jobs of this instance: every five minutes it tries to claim the day's
/// deadline-warning run and the day's sweep of the blob store; the instance that claims a run
/// does it, the others skip (see `zhengwu_core::jobs`). The first try is at start,
/// which is the catch-up after downtime.
fn spawn_scheduler(state: &AppState, addr: String, mut stop: tokio::sync::watch::Receiver<bool>) -> JoinHandle<()> {
    let instance = format!("{}-{}", addr, std::process::id());
    let (db, key, clock, blobs) = (state.db.clone(), state.keys.audit.clone(), state.clock, state.blobs.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(300));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
            let now = chrono::Utc::now();
            match zhengwu_core::workflow::warnings::deadline_warnings(&db, &key, &instance, now, clock).await {
                Ok(r) if r.ran => tracing::info!(
                    checked = r.checked,
                    yellow = r.to_yellow,
                    red = r.to_red,
                    missed_days = r.missed.len(),
                    "deadline warnings updated"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "deadline warnings: run failed; retried at the next tick"),
            }
            match zhengwu_core::sweep::sweep_once_a_day(&db, &blobs, &key, &instance, now).await {
                Ok(Some(s)) => {
                    let cleaned = zhengwu_core::maintenance::forget_stale(&db, now).await.unwrap_or_default();
                    tracing::info!(
                        removed = s.removed,
                        orphans = s.orphans,
                        staging = s.staging,
                        cleaned,
                        "daily sweep done"
                    )
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "blob sweep: run failed; retried at the next tick"),
            }
        }
    })
}

/// First start: the three administrator accounts (and, with demo data, demo staff). Outside
/// the demo their random initial passwords go to a file only the operator can read, never
/// to the log.
async fn bootstrap_accounts(config: &Config, db: &Db, key: &zhengwu_core::audit::AuditKey) -> Result<(), StartError> {
    use zhengwu_core::identity::{bootstrap, Bootstrap};
    let created = bootstrap(db, key, config.demo, &config.site_name, chrono::Utc::now())
        .await
        .map_err(|e| StartError::Serve(format!("creating the first accounts: {e}")))?;
    let Bootstrap::Created(accounts) = created else { return Ok(()) };
    let names: Vec<&str> = accounts.iter().map(|(u, _)| u.as_str()).collect();
    if config.demo {
        tracing::info!(accounts = ?names, "demo accounts created; their initial password is in the README and must be changed at first sign-in");
        return Ok(());
    }
    let path = config.data_dir.join("initial-passwords.txt");
    let mut text = String::from("# Zhengwu: initial passwords of the administrator accounts.\n# Each must be changed at first sign-in. Delete this file afterwards.\n");
    for (u, p) in &accounts {
        text.push_str(&format!("{u}\t{p}\n"));
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&path).and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if let Err(e) = written {
        return Err(StartError::DataDir { path: path.display().to_string(), reason: io_reason(&e) });
    }
    tracing::warn!(accounts = ?names, file = %path.display(), "administrator accounts created; their initial passwords are in this file (delete it after first sign-in)");
    Ok(())
}

/// Checks the data directory, opens the database and applies migrations.
pub(super) async fn open_database(config: &Config) -> Result<Db, StartError> {
    ensure_writable_dir(&config.data_dir)?;
    if let zhengwu_core::DatabaseTarget::Sqlite { path } = &config.database {
        private_files(path)
            .map_err(|e| StartError::DataDir { path: path.display().to_string(), reason: io_reason(&e) })?;
    }
    let db = Db::connect(&config.database, config.db_max_connections).await.map_err(StartError::Database)?;
    if let Err(e) = db.migrate().await {
        db.close().await;
        return Err(StartError::Migration(e));
    }
    match zhengwu_core::calendar::ensure_shipped(&db, chrono::Utc::now()).await {
        Ok(years) if !years.is_empty() => tracing::info!(?years, "working-day calendar: shipped years loaded"),
        Ok(_) => {}
        Err(e) => {
            db.close().await;
            return Err(StartError::Serve(format!("loading the working-day calendar: {e}")));
        }
    }
    // The user agreement and the privacy policy citizens accept (the first versions ship).
    if let Err(e) = zhengwu_core::citizen::ensure_policies(&db, chrono::Utc::now()).await {
        db.close().await;
        return Err(StartError::Serve(format!("loading the shipped policies: {e}")));
    }
    Ok(db)
}

/// The data directory: created if missing, and private to the server's user (0700), so the
/// database, the key file and the blobs inside are out of other users' reach whatever their
/// own modes.
fn ensure_writable_dir(dir: &Path) -> Result<(), StartError> {
    let fail = |e: io::Error| StartError::DataDir { path: dir.display().to_string(), reason: io_reason(&e) };
    std::fs::create_dir_all(dir).map_err(fail)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
    }
    let probe = dir.join(".zhengwu-write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

/// The SQLite file and its journal files readable by the server's user only (0600). The file is
/// created empty (a valid empty database) before SQLite opens it, because SQLite gives the WAL
/// and shared-memory files the mode of the database file.
fn private_files(db: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !db.exists() {
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(db)?;
        }
        for suffix in ["", "-wal", "-shm"] {
            let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
            if p.exists() {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    let _ = db;
    Ok(())
}

pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_env("ZHENGWU_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = fmt().with_env_filter(filter).with_writer(io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
}

/// Registers the SIGTERM and Ctrl-C handlers now (not when first awaited) and returns a future
/// that completes when either arrives.
fn stop_signal() -> io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = interrupt.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
