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

use super::{
    cli::{AuditCommand, Cli, Command},
    metrics::Metrics,
    page_cache::PageCache,
    router::router,
    state::AppState,
};
use crate::prefs::SiteInfo;

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
        Command::Audit(cmd) => audit_command(cmd).await,
        Command::Calendar(cmd) => calendar_command(cmd).await,
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

/// `zhengwu calendar add|show|import`: against the database's calendar (shipped years plus
/// administrators' corrections and imported years).
async fn calendar_command(cmd: super::cli::CalendarCommand) -> Result<(), StartError> {
    use super::cli::CalendarCommand as C;
    use zhengwu_core::calendar::{self, Counting, DayType};
    let common = match &cmd {
        C::Add(a) => &a.common,
        C::Show(s) => &s.common,
        C::Import(i) => &i.common,
    };
    // Arguments first: a wrong date is reported before anything is opened.
    let parsed_add = match &cmd {
        C::Add(a) => {
            let date = a.date.parse::<chrono::NaiveDate>().map_err(|_| {
                StartError::Usage(format!("invalid DATE {:?}: expected YYYY-MM-DD, e.g. 2026-09-30", a.date))
            })?;
            let n = a.n.parse::<u32>().ok().filter(|n| *n <= 3650).ok_or_else(|| {
                StartError::Usage(format!("invalid N {:?}: expected a whole number of days from 0 to 3650", a.n))
            })?;
            Some((date, n, if a.natural { Counting::Natural } else { Counting::Working }))
        }
        _ => None,
    };
    let year =
        match &cmd {
            C::Show(s) => Some(s.year.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or_else(|| {
                StartError::Usage(format!("invalid YEAR {:?}: expected a year such as 2026", s.year))
            })?),
            _ => None,
        };
    let import_text = match &cmd {
        C::Import(i) => Some(
            std::fs::read_to_string(&i.file)
                .map_err(|e| StartError::Usage(format!("cannot read {}: {}", i.file.display(), io_reason(&e))))?,
        ),
        _ => None,
    };
    let config = load_config(common.settings(), common.config.as_deref())?;
    init_tracing(config.log_format);
    let db = open_database(&config).await?;
    let result = async {
        if let Some(text) = import_text {
            let key = zhengwu_core::audit::AuditKey::from_master(&load_key(&config)?);
            let y = calendar::import_year(&db, &key, &text, chrono::Utc::now())
                .await
                .map_err(|e| StartError::Usage(e.to_string()))?;
            println!("{} 年已导入：{}（{} 天）", y.year, y.notice, y.days.len());
            return Ok(());
        }
        let cal = calendar::load(&db).await.map_err(|e| StartError::Serve(e.to_string()))?;
        if let Some((date, n, counting)) = parsed_add {
            let to = cal.add(date, n, counting);
            println!("{to}");
            let missing = cal.missing_years(date, to);
            if counting == Counting::Working && !missing.is_empty() {
                eprintln!("warning: no holiday data for {missing:?}: only weekends were skipped there");
            }
            return Ok(());
        }
        if let Some(year) = year {
            if !cal.covers(year) {
                return Err(StartError::NoCalendarData(format!(
                    "no holiday data for {year}: add it with `zhengwu calendar import FILE` once the State Council publishes it"
                )));
            }
            let notices = calendar::notices(&db).await.map_err(|e| StartError::Serve(e.to_string()))?;
            if let Some((_, notice, _)) = notices.iter().find(|(y, _, _)| *y == year) {
                println!("{notice}");
            }
            for (d, t, name) in cal.year_days(year) {
                let kind = match t {
                    DayType::Holiday => "放假",
                    DayType::Workday => "上班",
                };
                println!("{d} {} {kind} {name}", calendar::weekday_zh(d));
            }
        }
        Ok(())
    }
    .await;
    db.close().await;
    result
}

/// `zhengwu audit verify|purge`.
async fn audit_command(cmd: AuditCommand) -> Result<(), StartError> {
    use zhengwu_core::audit::{self, Actor, AuditKey, RequestMeta};
    let (common, retention) = match &cmd {
        AuditCommand::Verify(c) => (c, None),
        AuditCommand::Purge(p) => (&p.common, p.retention_days.clone()),
    };
    let settings = Settings { audit_retention_days: retention, ..common.settings() };
    let config = load_config(settings, common.config.as_deref())?;
    init_tracing(config.log_format);
    let key = AuditKey::from_master(&load_key(&config)?);
    let db = open_database(&config).await?;
    let outcome = match cmd {
        AuditCommand::Verify(_) => match audit::verify(&db, &key).await {
            Ok(Ok(report)) => {
                match report.range {
                    Some((first, last)) => {
                        println!("audit trail intact: {} records, {first} to {last}", report.records)
                    }
                    None => println!("audit trail intact: no records yet"),
                }
                Ok(())
            }
            Ok(Err(tamper)) => Err(StartError::Tampered(tamper.to_string())),
            Err(e) => Err(StartError::Serve(format!("reading the audit trail: {e}"))),
        },
        AuditCommand::Purge(_) => {
            let meta = RequestMeta::default();
            match audit::purge_before(
                &db,
                &key,
                &Actor::system(),
                &meta,
                config.audit_retention_days,
                chrono::Utc::now(),
            )
            .await
            {
                Ok(n) => {
                    println!("purged {n} audit records older than {} days", config.audit_retention_days);
                    Ok(())
                }
                Err(e) => Err(StartError::Serve(format!("purging the audit trail: {e}"))),
            }
        }
    };
    db.close().await;
    outcome
}

/// Loads (or on first start creates) the master key, saying where it came from.
fn load_key(config: &Config) -> Result<zhengwu_crypto::keys::MasterKey, StartError> {
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
    let keys = Arc::new(super::state::Keys::from_master(&master));
    let personal = Arc::new(zhengwu_core::citizen::PersonalKeys::from_master(&master));
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
    let blobs = match &config.blobs {
        zhengwu_core::config::BlobConfig::Local => zhengwu_core::blobs::BlobStore::local(config.data_dir.join("blobs")),
        zhengwu_core::config::BlobConfig::S3(s3) => {
            zhengwu_core::blobs::BlobStore::s3(s3.clone(), config.data_dir.join("blobs").join("tmp"))
        }
    };
    if let Err(e) = blobs.check().await {
        db.close().await;
        return Err(StartError::Blobs(e.to_string()));
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
        site: SiteInfo { name: config.site_name.clone(), name_en: config.site_name_en.clone() },
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
        login_limiter: Arc::new(super::auth::LoginLimiter::new(config.login_rate_limit)),
        personal,
        sms,
        sessions,
        blobs,
        lookup_limiter: Arc::new(super::auth::LoginLimiter::new(config.lookup_rate_limit)),
        clock: zhengwu_core::workflow::ClockPolicy { yellow_percent: config.warning_percent },
    };
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let jobs = spawn_scheduler(state.db.clone(), state.keys.audit.clone(), state.clock, addr.to_string(), jobs_stopped);
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
    Ok(RunningServer { addr, db, stop, task, jobs, stop_jobs })
}

/// The scheduled jobs of this instance: every five minutes it tries to claim the day's
/// deadline-warning run; the instance that claims it runs it, the others skip (see
/// `zhengwu_core::workflow::jobs`). The first try is at start, which is the catch-up after
/// downtime.
fn spawn_scheduler(
    db: Db,
    key: zhengwu_core::audit::AuditKey,
    clock: zhengwu_core::workflow::ClockPolicy,
    addr: String,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> JoinHandle<()> {
    let instance = format!("{}-{}", addr, std::process::id());
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
            match zhengwu_core::workflow::jobs::deadline_warnings(&db, &key, &instance, chrono::Utc::now(), clock).await
            {
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
async fn open_database(config: &Config) -> Result<Db, StartError> {
    ensure_writable_dir(&config.data_dir)?;
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
    Ok(db)
}

fn ensure_writable_dir(dir: &Path) -> Result<(), StartError> {
    let fail = |e: io::Error| StartError::DataDir { path: dir.display().to_string(), reason: io_reason(&e) };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".zhengwu-write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
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
