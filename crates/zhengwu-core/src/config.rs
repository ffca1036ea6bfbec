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

fn blob_config(s: &Settings) -> Result<BlobConfig, ConfigError> {
    let setting = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    match setting(&s.blob_store).as_deref() {
        None | Some("local") => Ok(BlobConfig::Local),
        Some("s3") => {
            let endpoint = setting(&s.s3_endpoint)
                .ok_or_else(|| ConfigError::new("s3_endpoint", "is required with ZHENGWU_BLOB_STORE=s3"))?;
            let endpoint = url::Url::parse(&endpoint)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && u.path() == "/")
                .ok_or_else(|| {
                    ConfigError::new("s3_endpoint", format!("'{endpoint}' is not an http(s)://host[:port] URL"))
                })?;
            let bucket = setting(&s.s3_bucket)
                .ok_or_else(|| ConfigError::new("s3_bucket", "is required with ZHENGWU_BLOB_STORE=s3"))?;
            let valid_bucket = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
                && bucket.as_bytes()[0].is_ascii_alphanumeric();
            if !valid_bucket {
                return Err(ConfigError::new("s3_bucket", format!("'{bucket}' is not a valid bucket name")));
            }
            let access_key = setting(&s.s3_access_key)
                .ok_or_else(|| ConfigError::new("s3_access_key", "is required with ZHENGWU_BLOB_STORE=s3"))?;
            let secret_key = setting(&s.s3_secret_key)
                .ok_or_else(|| ConfigError::new("s3_secret_key", "is required with ZHENGWU_BLOB_STORE=s3"))?;
            Ok(BlobConfig::S3(S3Config {
                endpoint,
                bucket,
                region: setting(&s.s3_region).unwrap_or_else(|| "us-east-1".into()),
                access_key,
                secret_key: SecretString::from(secret_key),
            }))
        }
        Some(other) => Err(ConfigError::new("blob_store", format!("'{other}' is not one of local, s3"))),
    }
}

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const SQLITE_FILE: &str = "zhengwu.db";
pub const MASTER_KEY_FILE: &str = "master.key";

impl Config {
    /// Validates merged settings. Does no I/O: checking that the data directory is writable and
    /// the database reachable happens when they are opened.
    pub fn from_settings(s: Settings) -> Result<Config, ConfigError> {
        let blobs = blob_config(&s)?;
        let addr_raw = s.addr.unwrap_or_else(|| DEFAULT_ADDR.into());
        let addr = SocketAddr::from_str(addr_raw.trim())
            .map_err(|_| ConfigError::new("addr", format!("'{addr_raw}' is not an address like {DEFAULT_ADDR}")))?;

        let data_dir = PathBuf::from(s.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into()));
        if data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new("data_dir", "must not be empty"));
        }

        let database = match s.database_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => DatabaseTarget::Sqlite { path: data_dir.join(SQLITE_FILE) },
            Some(url) => parse_database_url(url)?,
        };

        let log_format = match s.log_format.as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => return Err(ConfigError::new("log_format", format!("'{other}' is not one of text, json"))),
        };

        let db_max_connections = match s.db_max_connections.as_deref() {
            None => 8,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (1..=1000).contains(&n) => n,
                _ => {
                    return Err(ConfigError::new(
                        "db_max_connections",
                        format!("'{v}' is not a whole number from 1 to 1000"),
                    ))
                }
            },
        };

        let page_cache_ttl = match s.page_cache_ttl.as_deref() {
            None => Duration::from_secs(5),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if n <= 3600 => Duration::from_secs(n),
                _ => {
                    return Err(ConfigError::new(
                        "page_cache_ttl",
                        format!("'{v}' is not a number of seconds from 0 (off) to 3600"),
                    ))
                }
            },
        };

        let master_key = match (s.master_key.filter(|k| !k.trim().is_empty()), s.master_key_file) {
            (Some(key), _) => MasterKeySource::Value(SecretString::from(key)),
            (None, Some(file)) if !file.trim().is_empty() => MasterKeySource::File(PathBuf::from(file)),
            _ => MasterKeySource::DataDir(data_dir.join(MASTER_KEY_FILE)),
        };

        let audit_retention_days = match s.audit_retention_days.as_deref() {
            None => 365,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if (MIN_RETENTION_DAYS..=36500).contains(&n) => n,
                _ => {
                    return Err(ConfigError::new(
                        "audit_retention_days",
                        format!("'{v}' is not a number of days from {} (等保 2.0) to 36500", MIN_RETENTION_DAYS),
                    ))
                }
            },
        };

        let demo = s.demo.unwrap_or(false);
        let sms = match s.sms_provider.as_deref().map(str::trim) {
            None | Some("") if demo => SmsConfig::Log,
            None | Some("") | Some("none") => SmsConfig::None,
            Some("log") => SmsConfig::Log,
            Some("http") => {
                let url = s.sms_http_url.as_deref().map(str::trim).unwrap_or_default();
                let scheme_len = if url.starts_with("https://") { 8 } else { 7 };
                if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() <= scheme_len {
                    return Err(ConfigError::new(
                        "sms_http_url",
                        format!("'{url}' is not an http(s):// URL (required with ZHENGWU_SMS_PROVIDER=http)"),
                    ));
                }
                SmsConfig::Http {
                    url: url.to_string(),
                    token: s.sms_http_token.filter(|t| !t.is_empty()).map(SecretString::from),
                }
            }
            Some(other) => {
                return Err(ConfigError::new("sms_provider", format!("'{other}' is not one of none, log, http")))
            }
        };

        // Per address, so behind a NAT or a proxy that hides addresses many people share one
        // budget: operators may raise it, up to a cap that still stops a script (the lock per
        // account and source, not this, is what 等保 asks of sign-in).
        let login_rate_limit =
            bounded(s.login_rate_limit.as_deref(), "login_rate_limit", 10, 1..=1000, "sign-in attempts per minute")?;
        let lookup_rate_limit =
            bounded(s.lookup_rate_limit.as_deref(), "lookup_rate_limit", 10, 1..=1000, "case look-ups per minute")?;
        let sms_challenge_after = bounded(
            s.sms_challenge_after.as_deref(),
            "sms_challenge_after",
            CHALLENGE_AFTER,
            1..=1000,
            "codes a day from one address",
        )?;
        let metrics_token = match s.metrics_token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) if t.len() >= 16 && t.bytes().all(|b| b.is_ascii_graphic()) => {
                Some(SecretString::from(t.to_string()))
            }
            Some(_) => return Err(ConfigError::new("metrics_token", "at least 16 printable characters, no spaces")),
        };
        let metrics_addr = match s.metrics_addr.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => Some(a.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new("metrics_addr", format!("'{a}' is not HOST:PORT, e.g. 127.0.0.1:9100"))
            })?),
        };
        let warning_percent =
            bounded(s.warning_percent.as_deref(), "warning_percent", 20, 1..=90, "percent of the time limit left")?;
        // 等保 2.0 level 3 sets the floor: 8 characters, lock after at most 5 failures, and an
        // idle timeout; an operator may be stricter, not laxer.
        let password_min_length =
            bounded(s.password_min_length.as_deref(), "password_min_length", 8, 8..=64, "characters")?;
        let lockout_failures = bounded(s.lockout_failures.as_deref(), "lockout_failures", 5, 1..=5, "failures")?;
        let lockout_minutes = bounded(s.lockout_minutes.as_deref(), "lockout_minutes", 30, 10..=1440, "minutes")?;
        let session_idle_minutes =
            bounded(s.session_idle_minutes.as_deref(), "session_idle_minutes", 30, 5..=30, "minutes")?;

        let require_totp_for_admins = match s.require_totp_for_admins.as_deref().map(str::trim) {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(other) => {
                return Err(ConfigError::new("require_totp_for_admins", format!("'{other}' is not true or false")))
            }
        };

        let redis_url = match s.redis_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u) if u.starts_with("redis://") || u.starts_with("rediss://") => {
                Some(SecretString::from(u.to_string()))
            }
            Some(u) => return Err(ConfigError::new("redis_url", format!("'{}' is not a redis:// URL", redact_url(u)))),
        };

        Ok(Config {
            addr,
            data_dir,
            database,
            demo,
            log_format,
            site_root: PathBuf::from(s.site_root.unwrap_or_else(|| DEFAULT_SITE_ROOT.into())),
            db_max_connections,
            site_name: s.site_name.unwrap_or_else(|| "青山县人民政府".into()),
            site_name_en: s.site_name_en.unwrap_or_else(|| "Qingshan County People's Government".into()),
            page_cache_ttl,
            master_key,
            audit_retention_days,
            sms,
            login_rate_limit,
            lookup_rate_limit,
            warning_percent,
            blobs,
            require_totp_for_admins,
            redis_url,
            redis_prefix: s.redis_prefix.unwrap_or_else(|| "zw:".into()),
            password_min_length,
            lockout_failures,
            lockout_minutes,
            session_idle_minutes,
            metrics_token,
            metrics_addr,
            sms_challenge_after,
        })
    }
}

/// A whole number within `range`, or the default; else an error naming the setting.
fn bounded(
    value: Option<&str>,
    setting: &'static str,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
    unit: &str,
) -> Result<u32, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError::new(
                setting,
                format!("'{v}' is not a whole number of {unit} from {} to {}", range.start(), range.end()),
            )),
        },
    }
}

fn parse_database_url(raw: &str) -> Result<DatabaseTarget, ConfigError> {
    let bad = |why: &str| ConfigError::new("database_url", format!("'{}' {why}", redact_url(raw)));
    if let Some(rest) = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")) {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(bad("names no SQLite file"));
        }
        return Ok(DatabaseTarget::Sqlite { path: PathBuf::from(path) });
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("is not a valid URL ({e})")))?;
    match url.scheme() {
        "postgres" | "postgresql" => {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(bad("names no host"));
            }
            Ok(DatabaseTarget::Postgres { url: SecretString::from(raw.to_string()) })
        }
        other => Err(bad(&format!("has scheme '{other}'; use postgres:// or sqlite:"))),
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        // Unparseable: show only up to an '@' so a password cannot leak.
        Err(_) => match raw.rfind('@') {
            Some(at) => format!("***{}", &raw[at..]),
            None => raw.to_string(),
        },
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::default()
    }

    #[test]
    fn defaults_give_sqlite_in_the_data_dir() {
        let c = Config::from_settings(settings()).unwrap();
        assert_eq!(c.addr.to_string(), DEFAULT_ADDR);
        match c.database {
            DatabaseTarget::Sqlite { path } => assert_eq!(path, Path::new("./data/zhengwu.db")),
            other => panic!("expected sqlite, got {other:?}"),
        }
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(!c.demo);
    }

    #[test]
    fn higher_layers_win_and_lower_layers_fill_gaps() {
        let file = Settings { addr: Some("127.0.0.1:1".into()), demo: Some(true), ..settings() };
        let env = Settings { addr: Some("127.0.0.1:2".into()), ..settings() };
        let c = Config::from_settings(env.over(file)).unwrap();
        assert_eq!(c.addr.port(), 2);
        assert!(c.demo);
    }

    #[test]
    fn the_security_policy_may_be_stricter_but_not_laxer_than_the_floor() {
        let c = Config::from_settings(Settings {
            password_min_length: Some("12".into()),
            lockout_failures: Some("3".into()),
            session_idle_minutes: Some("15".into()),
            ..settings()
        })
        .unwrap();
        assert_eq!(
            (c.password_min_length, c.lockout_failures, c.lockout_minutes, c.session_idle_minutes),
            (12, 3, 30, 15)
        );
        for (setting, s) in [
            ("password_min_length", Settings { password_min_length: Some("6".into()), ..settings() }),
            ("lockout_failures", Settings { lockout_failures: Some("10".into()), ..settings() }),
            ("session_idle_minutes", Settings { session_idle_minutes: Some("120".into()), ..settings() }),
        ] {
            let e = Config::from_settings(s).unwrap_err();
            assert_eq!(e.setting, setting);
            assert!(e.to_string().starts_with("invalid setting ZHENGWU_"), "{e}");
        }
    }

    #[test]
    fn a_malformed_address_names_the_setting() {
        let e = Config::from_settings(Settings { addr: Some("localhost".into()), ..settings() }).unwrap_err();
        assert_eq!(e.setting, "addr");
        let line = e.to_string();
        assert!(line.contains("--addr / ZHENGWU_ADDR") && line.contains("'localhost'"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn database_urls_are_recognised_or_refused() {
        let pg = |u: &str| Config::from_settings(Settings { database_url: Some(u.into()), ..settings() });
        assert!(matches!(pg("postgres://postgres@127.0.0.1/zw").unwrap().database, DatabaseTarget::Postgres { .. }));
        assert!(matches!(pg("postgresql://h/db").unwrap().database, DatabaseTarget::Postgres { .. }));
        match pg("sqlite:///tmp/x.db").unwrap().database {
            DatabaseTarget::Sqlite { path } => assert_eq!(path, Path::new("/tmp/x.db")),
            _ => panic!("expected sqlite"),
        }
        for bad in ["mysql://h/db", "postgres//nohost", "not a url", "postgres:///db", "sqlite:"] {
            let e = pg(bad).unwrap_err();
            assert_eq!(e.setting, "database_url", "{bad}");
        }
    }

    #[test]
    fn passwords_never_appear_in_messages() {
        let e = Config::from_settings(Settings { database_url: Some("mysql://u:hunter2@h/db".into()), ..settings() })
            .unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let c =
            Config::from_settings(Settings { database_url: Some("postgres://u:hunter2@h/db".into()), ..settings() })
                .unwrap();
        assert!(!format!("{:?}", c.database).contains("hunter2"));
        assert!(!redact_url("postgres://u:hunter2@[bad").contains("hunter2"));
    }

    #[test]
    fn unknown_log_format_and_pool_size_are_refused() {
        let e = Config::from_settings(Settings { log_format: Some("xml".into()), ..settings() }).unwrap_err();
        assert_eq!(e.setting, "log_format");
        let e = Config::from_settings(Settings { db_max_connections: Some("0".into()), ..settings() }).unwrap_err();
        assert_eq!(e.setting, "db_max_connections");
        let e = Config::from_settings(Settings { page_cache_ttl: Some("-1".into()), ..settings() }).unwrap_err();
        assert_eq!(e.setting, "page_cache_ttl");
        let c = Config::from_settings(Settings { page_cache_ttl: Some("0".into()), ..settings() }).unwrap();
        assert!(c.page_cache_ttl.is_zero());
    }

    #[test]
    fn config_file_keys_are_checked() {
        let dir = std::env::temp_dir().join(format!("zw-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "addr = \"127.0.0.1:4000\"\ndemo = true\n").unwrap();
        let s = Settings::from_file(&good).unwrap();
        assert_eq!(s.addr.as_deref(), Some("127.0.0.1:4000"));
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "adr = \"x\"\n").unwrap();
        let e = Settings::from_file(&bad).unwrap_err();
        assert_eq!(e.setting, "config");
        assert!(e.to_string().contains("adr"), "{e}");
        let e = Settings::from_file(&dir.join("missing.toml")).unwrap_err();
        assert!(e.to_string().contains("cannot read"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
