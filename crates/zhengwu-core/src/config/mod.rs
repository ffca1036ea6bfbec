//! One typed configuration, loaded once at start.
//!
//! Precedence: built-in defaults < config file < environment (`ZHENGWU_*`, `DATABASE_URL`) <
//! command-line flags. The command line and the environment are merged by the caller (clap);
//! this module receives them as raw [`Settings`] and turns them, with the file, into a [`Config`]
//! or a [`ConfigError`] that names the setting in one line.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Raw values as given on the command line, in the environment or in the config file.
/// Every field is optional; `None` means "not given here".
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub addr: Option<String>,
    pub data_dir: Option<String>,
    pub database_url: Option<String>,
    pub demo: Option<bool>,
    pub log_format: Option<String>,
    pub site_root: Option<String>,
    pub db_max_connections: Option<String>,
    pub site_name: Option<String>,
    pub site_name_en: Option<String>,
    pub page_cache_ttl: Option<String>,
    /// File holding the master key as 64 hex digits.
    pub master_key_file: Option<String>,
    /// The master key itself (64 hex digits); for the environment, not for files.
    pub master_key: Option<String>,
    pub audit_retention_days: Option<String>,
    /// How citizens' sign-in codes are sent: `log` (development), `http`, or `none`.
    pub sms_provider: Option<String>,
    pub sms_http_url: Option<String>,
    /// Bearer token for the SMS gateway; for the environment, not for files.
    pub sms_http_token: Option<String>,
    /// Sign-in attempts allowed per IP address per minute (staff and citizens).
    pub login_rate_limit: Option<String>,
    pub lookup_rate_limit: Option<String>,
    /// Yellow deadline warning when at most this percentage of a case's time is left.
    pub warning_percent: Option<String>,
    /// Where uploaded files go: `local` (the data directory) or `s3`.
    pub blob_store: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_bucket: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key: Option<String>,
    /// For the environment, not for files.
    pub s3_secret_key: Option<String>,
    /// Whether administrator accounts must use a TOTP second factor (`true`/`false`).
    pub require_totp_for_admins: Option<String>,
    /// `redis://…`: keep staff sessions in Redis (shared by several instances).
    pub redis_url: Option<String>,
    /// Prefix of Zhengwu's Redis keys (several installations may share one Redis).
    pub redis_prefix: Option<String>,
    /// Security policy (等保 2.0 defaults): shortest staff password, failures before a lock,
    /// length of a lock and of the idle timeout in minutes.
    pub password_min_length: Option<String>,
    pub lockout_failures: Option<String>,
    pub lockout_minutes: Option<String>,
    pub session_idle_minutes: Option<String>,
    /// SMS codes a day from one address before the image challenge is asked for.
    pub sms_challenge_after: Option<String>,
    /// `/metrics` needs `Authorization: Bearer <token>`; for the environment, not for files.
    pub metrics_token: Option<String>,
    /// `/metrics` (only) on its own address, e.g. `127.0.0.1:9100` for a local Prometheus.
    pub metrics_addr: Option<String>,
}

impl Settings {
    /// Values from `self` win; missing ones come from `lower`.
    pub fn over(self, lower: Settings) -> Settings {
        Settings {
            addr: self.addr.or(lower.addr),
            data_dir: self.data_dir.or(lower.data_dir),
            database_url: self.database_url.or(lower.database_url),
            demo: self.demo.or(lower.demo),
            log_format: self.log_format.or(lower.log_format),
            site_root: self.site_root.or(lower.site_root),
            db_max_connections: self.db_max_connections.or(lower.db_max_connections),
            site_name: self.site_name.or(lower.site_name),
            site_name_en: self.site_name_en.or(lower.site_name_en),
            page_cache_ttl: self.page_cache_ttl.or(lower.page_cache_ttl),
            master_key_file: self.master_key_file.or(lower.master_key_file),
            master_key: self.master_key.or(lower.master_key),
            audit_retention_days: self.audit_retention_days.or(lower.audit_retention_days),
            sms_provider: self.sms_provider.or(lower.sms_provider),
            sms_http_url: self.sms_http_url.or(lower.sms_http_url),
            sms_http_token: self.sms_http_token.or(lower.sms_http_token),
            login_rate_limit: self.login_rate_limit.or(lower.login_rate_limit),
            lookup_rate_limit: self.lookup_rate_limit.or(lower.lookup_rate_limit),
            warning_percent: self.warning_percent.or(lower.warning_percent),
            blob_store: self.blob_store.or(lower.blob_store),
            s3_endpoint: self.s3_endpoint.or(lower.s3_endpoint),
            s3_bucket: self.s3_bucket.or(lower.s3_bucket),
            s3_region: self.s3_region.or(lower.s3_region),
            s3_access_key: self.s3_access_key.or(lower.s3_access_key),
            s3_secret_key: self.s3_secret_key.or(lower.s3_secret_key),
            require_totp_for_admins: self.require_totp_for_admins.or(lower.require_totp_for_admins),
            metrics_token: self.metrics_token.or(lower.metrics_token),
            sms_challenge_after: self.sms_challenge_after.or(lower.sms_challenge_after),
            metrics_addr: self.metrics_addr.or(lower.metrics_addr),
            redis_url: self.redis_url.or(lower.redis_url),
            redis_prefix: self.redis_prefix.or(lower.redis_prefix),
            password_min_length: self.password_min_length.or(lower.password_min_length),
            lockout_failures: self.lockout_failures.or(lower.lockout_failures),
            lockout_minutes: self.lockout_minutes.or(lower.lockout_minutes),
            session_idle_minutes: self.session_idle_minutes.or(lower.session_idle_minutes),
        }
    }

    /// Reads a TOML config file (keys as the field names above).
    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new("config", format!("cannot read {}: {}", path.display(), io_reason(&e))))?;
        toml::from_str(&text).map_err(|e| {
            let msg = e.message().replace('\n', " ");
            ConfigError::new("config", format!("{}: {}", path.display(), msg.trim()))
        })
    }
}

/// Where the data lives.
#[derive(Clone)]
pub enum DatabaseTarget {
    /// An embedded SQLite file (the default: `<data-dir>/zhengwu.db`).
    Sqlite { path: PathBuf },
    /// A PostgreSQL server. The URL may hold a password, so it is kept secret.
    Postgres { url: SecretString },
}

impl DatabaseTarget {
    /// A description safe for logs: the password is never shown.
    pub fn describe(&self) -> String {
        match self {
            DatabaseTarget::Sqlite { path } => format!("sqlite {}", path.display()),
            DatabaseTarget::Postgres { url } => redact_url(url.expose_secret()),
        }
    }
}

impl fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseTarget,
    pub demo: bool,
    pub log_format: LogFormat,
    /// Directory with the built site (`pkg/` with the WASM bundle and CSS, plus public files).
    pub site_root: PathBuf,
    pub db_max_connections: u32,
    /// The government's name in the header (zh-CN and English).
    pub site_name: String,
    pub site_name_en: String,
    /// How long public pages are served from memory for anonymous visitors; zero turns it off.
    pub page_cache_ttl: Duration,
    /// Where the master key comes from (see [`crate::keyring`]).
    pub master_key: MasterKeySource,
    /// Audit records older than this many days may be purged (never fewer than 186).
    pub audit_retention_days: u32,
    pub sms: SmsConfig,
    pub login_rate_limit: u32,
    /// Public case look-ups per address per minute.
    pub lookup_rate_limit: u32,
    /// Yellow warning when at most this percentage of a case's limit is left (1–90).
    pub warning_percent: u32,
    /// Where uploaded files are stored.
    pub blobs: BlobConfig,
    pub require_totp_for_admins: bool,
    /// Staff sessions in Redis at this URL; `None`: in the database.
    pub redis_url: Option<SecretString>,
    pub redis_prefix: String,
    pub password_min_length: u32,
    pub lockout_failures: u32,
    pub lockout_minutes: u32,
    pub session_idle_minutes: u32,
    /// SMS codes a day from one address before the image challenge (1–1000, default 2).
    pub sms_challenge_after: u32,
    /// `/metrics` only with this bearer token; `None` and no `metrics_addr`: not served.
    pub metrics_token: Option<SecretString>,
    /// `/metrics` on its own listener.
    pub metrics_addr: Option<SocketAddr>,
}

/// Where citizens' sign-in codes go.
#[derive(Clone, Debug)]
pub enum SmsConfig {
    /// Not configured: citizens cannot sign in (the page says so).
    None,
    /// Development only: codes are written to the log.
    Log,
    Http {
        url: String,
        token: Option<SecretString>,
    },
}

/// Where uploaded files are stored.
#[derive(Clone, Debug)]
pub enum BlobConfig {
    /// `<data-dir>/blobs`.
    Local,
    S3(S3Config),
}

/// Where the master key is read from, in order of preference.
#[derive(Clone)]
pub enum MasterKeySource {
    /// `ZHENGWU_MASTER_KEY`: the key itself.
    Value(SecretString),
    /// `--master-key-file`: an operator-provided file; it must exist.
    File(PathBuf),
    /// Nothing configured: `<data-dir>/master.key`, created on first start.
    DataDir(PathBuf),
}

impl fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MasterKeySource::Value(_) => f.write_str("Value(…)"),
            MasterKeySource::File(p) => write!(f, "File({})", p.display()),
            MasterKeySource::DataDir(p) => write!(f, "DataDir({})", p.display()),
        }
    }
}

/// A setting that cannot be used. Displays as one line naming the setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, message: impl Into<String>) -> Self {
        ConfigError { setting, message: message.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid setting {}: {}", source_names(self.setting), self.message)
    }
}

impl std::error::Error for ConfigError {}

/// How a setting is spelled on the command line and in the environment, for error messages.
pub fn source_names(setting: &str) -> String {
    match setting {
        "addr" => "--addr / ZHENGWU_ADDR".into(),
        "data_dir" => "--data-dir / ZHENGWU_DATA_DIR".into(),
        "database_url" => "--database-url / DATABASE_URL".into(),
        "log_format" => "--log-format / ZHENGWU_LOG_FORMAT".into(),
        "site_root" => "--site-root / ZHENGWU_SITE_ROOT".into(),
        "db_max_connections" => "ZHENGWU_DB_MAX_CONNECTIONS".into(),
        "config" => "--config / ZHENGWU_CONFIG".into(),
        "page_cache_ttl" => "--page-cache-ttl / ZHENGWU_PAGE_CACHE_TTL".into(),
        "master_key_file" => "--master-key-file / ZHENGWU_MASTER_KEY_FILE".into(),
        "master_key" => "ZHENGWU_MASTER_KEY".into(),
        "audit_retention_days" => "--audit-retention-days / ZHENGWU_AUDIT_RETENTION_DAYS".into(),
        "sms_provider" => "ZHENGWU_SMS_PROVIDER".into(),
        "sms_http_url" => "ZHENGWU_SMS_HTTP_URL".into(),
        "login_rate_limit" => "ZHENGWU_LOGIN_RATE_LIMIT".into(),
        "metrics_token" => "ZHENGWU_METRICS_TOKEN".into(),
        "sms_challenge_after" => "ZHENGWU_SMS_CHALLENGE_AFTER".into(),
        "metrics_addr" => "ZHENGWU_METRICS_ADDR".into(),
        "lookup_rate_limit" => "ZHENGWU_LOOKUP_RATE_LIMIT".into(),
        "warning_percent" => "ZHENGWU_WARNING_PERCENT".into(),
        "blob_store" => "ZHENGWU_BLOB_STORE".into(),
        "s3_endpoint" => "ZHENGWU_S3_ENDPOINT".into(),
        "s3_bucket" => "ZHENGWU_S3_BUCKET".into(),
        "s3_region" => "ZHENGWU_S3_REGION".into(),
        "s3_access_key" => "ZHENGWU_S3_ACCESS_KEY".into(),
        "s3_secret_key" => "ZHENGWU_S3_SECRET_KEY".into(),
        "require_totp_for_admins" => "ZHENGWU_REQUIRE_TOTP_FOR_ADMINS".into(),
        "redis_url" => "--redis-url / ZHENGWU_REDIS_URL".into(),
        "password_min_length" => "ZHENGWU_PASSWORD_MIN_LENGTH".into(),
        "lockout_failures" => "ZHENGWU_LOCKOUT_FAILURES".into(),
        "lockout_minutes" => "ZHENGWU_LOCKOUT_MINUTES".into(),
        "session_idle_minutes" => "ZHENGWU_SESSION_IDLE_MINUTES".into(),
        other => other.to_string(),
    }
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const SQLITE_FILE: &str = "zhengwu.db";
pub const MASTER_KEY_FILE: &str = "master.key";

/// An I/O error's reason without the "(os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    // "Permission denied (os error 13)" → "Permission denied"
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Where and how to reach an S3 bucket (the blob store's S3 backend).
#[derive(Debug, Clone)]
pub struct S3Config {
    /// `http(s)://host[:port]`, no path.
    pub endpoint: url::Url,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: secrecy::SecretString,
}

/// The shortest audit retention the law allows (等保 2.0: at least six months).
pub const MIN_RETENTION_DAYS: u32 = 186;

/// SMS-code requests a day from one address before the image challenge is asked for (the
/// default of `ZHENGWU_SMS_CHALLENGE_AFTER`; behind a NAT many people share an address).
pub const CHALLENGE_AFTER: u32 = 2;

mod check;
#[cfg(test)]
mod tests;

pub use check::redact_url;
