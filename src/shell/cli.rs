//! The command line. Every option can also come from the environment or a config file;
//! precedence is flag > environment > file > default.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use zhengwu_core::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "zhengwu",
    version,
    about = "Zhengwu (政务): e-government portal, back office, WeChat service and data-exchange gateway",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, then serve the portal over HTTP.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(CommonArgs),
    /// Check or maintain the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The working-day calendar: count working days, list a year's holidays, import a year.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Staff accounts, for the operator on the server: reset credentials, clear locks.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The store of uploaded files: compare it with the database, sweep what is left over.
    #[command(subcommand)]
    Blobs(BlobsCommand),
    /// The user agreement and the privacy policy: publish a new version (citizens are asked again).
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Publish FILE as the new version of KIND (terms, privacy or sensitive): its first line is
    /// the title, the rest the text.
    Publish(PolicyPublishArgs),
}

#[derive(Debug, Args)]
pub struct PolicyPublishArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    pub kind: String,
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Reset NAME's password and second factor; prints a one-time code to give the owner, who
    /// chooses a new password at /login/reset (no second administrator needed: this is the
    /// operator on the server).
    Reset(StaffArgs),
    /// Clear every sign-in lock of NAME.
    Unlock(StaffArgs),
}

#[derive(Debug, Args)]
pub struct StaffArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The account's user name.
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum BlobsCommand {
    /// Report files without a row (orphans), rows without a file (missing), removed files due
    /// for deletion and files stored unsealed; exit 0 when nothing is wrong, 2 otherwise.
    Check(BlobsArgs),
}

#[derive(Debug, Args)]
pub struct BlobsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Also delete what the daily sweep would (orphans and removed files past 24 hours).
    #[arg(long)]
    pub sweep: bool,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print the date N working days after DATE (DATE itself not counted, as the law counts).
    Add(CalendarAddArgs),
    /// List YEAR's holidays and make-up workdays; exit 3 when the year has no data.
    Show(CalendarShowArgs),
    /// Load a year file (format: crates/zhengwu-core/calendar/2026.toml), replacing that year.
    Import(CalendarImportArgs),
}

#[derive(Debug, Args)]
pub struct CalendarAddArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Start date, YYYY-MM-DD (Asia/Shanghai).
    pub date: String,
    /// Number of working days.
    pub n: String,
    /// Count natural days instead of working days.
    #[arg(long)]
    pub natural: bool,
}

#[derive(Debug, Args)]
pub struct CalendarShowArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    pub year: String,
}

#[derive(Debug, Args)]
pub struct CalendarImportArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the HMAC-SM3 chain: exit 0 when intact, 2 naming the first record altered,
    /// deleted or inserted.
    Verify(CommonArgs),
    /// Delete records older than the retention period (never below 186 days); the rest of the
    /// chain stays verifiable and the purge itself is recorded.
    Purge(PurgeArgs),
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Keep records of this many days [default: 365; minimum 186].
    #[arg(long, env = "ZHENGWU_AUDIT_RETENTION_DAYS", value_name = "DAYS")]
    pub retention_days: Option<String>,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    /// TOML config file with the same settings (keys: addr, data_dir, database_url, …).
    #[arg(long, env = "ZHENGWU_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and other local data [default: ./data].
    #[arg(long, env = "ZHENGWU_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<String>,
    /// postgres://user:pass@host/db for PostgreSQL, or sqlite:PATH [default: SQLite in the data dir].
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Log format: text or json [default: text].
    #[arg(long, env = "ZHENGWU_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Maximum database connections in the pool [default: 8].
    #[arg(long, env = "ZHENGWU_DB_MAX_CONNECTIONS", value_name = "N")]
    pub db_max_connections: Option<String>,
    /// File with the master key (64 hex digits), from which the audit and personal-data keys
    /// derive; ZHENGWU_MASTER_KEY may hold the key itself [default: <data-dir>/master.key,
    /// created on first start].
    #[arg(long, env = "ZHENGWU_MASTER_KEY_FILE", value_name = "FILE")]
    pub master_key_file: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "ZHENGWU_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<String>,
    /// Fill an empty database with demo data (a fictional county government).
    #[arg(long, env = "ZHENGWU_DEMO")]
    pub demo: bool,
    /// redis://host:6379/0 to keep staff sessions in Redis, shared by several instances
    /// [default: sessions in the database].
    #[arg(long, env = "ZHENGWU_REDIS_URL", value_name = "URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Directory of the built site (CSS, WebAssembly, public files) [default: target/site].
    #[arg(long, env = "ZHENGWU_SITE_ROOT", value_name = "DIR")]
    pub site_root: Option<String>,
    /// The government's name in the header [default: 青山县人民政府].
    #[arg(long, env = "ZHENGWU_SITE_NAME", value_name = "NAME")]
    pub site_name: Option<String>,
    /// The government's name in English.
    #[arg(long, env = "ZHENGWU_SITE_NAME_EN", value_name = "NAME")]
    pub site_name_en: Option<String>,
    /// Seconds public pages are served from memory to anonymous visitors; 0 turns it off [default: 5].
    #[arg(long, env = "ZHENGWU_PAGE_CACHE_TTL", value_name = "SECONDS")]
    pub page_cache_ttl: Option<String>,
}

impl CommonArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            log_format: self.log_format.clone(),
            db_max_connections: self.db_max_connections.clone(),
            master_key_file: self.master_key_file.clone(),
            // Environment only: a key on the command line would show in the process list.
            master_key: std::env::var("ZHENGWU_MASTER_KEY").ok(),
            // The blob store's settings, for `zhengwu blobs check`.
            blob_store: std::env::var("ZHENGWU_BLOB_STORE").ok(),
            s3_endpoint: std::env::var("ZHENGWU_S3_ENDPOINT").ok(),
            s3_bucket: std::env::var("ZHENGWU_S3_BUCKET").ok(),
            s3_region: std::env::var("ZHENGWU_S3_REGION").ok(),
            s3_access_key: std::env::var("ZHENGWU_S3_ACCESS_KEY").ok(),
            s3_secret_key: std::env::var("ZHENGWU_S3_SECRET_KEY").ok(),
            ..Settings::default()
        }
    }
}

impl ServeArgs {
    pub fn settings(&self) -> Settings {
        Settings {
            addr: self.addr.clone(),
            demo: self.demo.then_some(true),
            site_root: self.site_root.clone(),
            site_name: self.site_name.clone(),
            site_name_en: self.site_name_en.clone(),
            page_cache_ttl: self.page_cache_ttl.clone(),
            sms_provider: std::env::var("ZHENGWU_SMS_PROVIDER").ok(),
            sms_http_url: std::env::var("ZHENGWU_SMS_HTTP_URL").ok(),
            sms_http_token: std::env::var("ZHENGWU_SMS_HTTP_TOKEN").ok(),
            login_rate_limit: std::env::var("ZHENGWU_LOGIN_RATE_LIMIT").ok(),
            lookup_rate_limit: std::env::var("ZHENGWU_LOOKUP_RATE_LIMIT").ok(),
            warning_percent: std::env::var("ZHENGWU_WARNING_PERCENT").ok(),
            require_totp_for_admins: std::env::var("ZHENGWU_REQUIRE_TOTP_FOR_ADMINS").ok(),
            redis_url: self.redis_url.clone(),
            redis_prefix: std::env::var("ZHENGWU_REDIS_PREFIX").ok(),
            password_min_length: std::env::var("ZHENGWU_PASSWORD_MIN_LENGTH").ok(),
            lockout_failures: std::env::var("ZHENGWU_LOCKOUT_FAILURES").ok(),
            lockout_minutes: std::env::var("ZHENGWU_LOCKOUT_MINUTES").ok(),
            session_idle_minutes: std::env::var("ZHENGWU_SESSION_IDLE_MINUTES").ok(),
            metrics_token: std::env::var("ZHENGWU_METRICS_TOKEN").ok(),
            sms_challenge_after: std::env::var("ZHENGWU_SMS_CHALLENGE_AFTER").ok(),
            metrics_addr: std::env::var("ZHENGWU_METRICS_ADDR").ok(),
            ..self.common.settings()
        }
    }
}
