//! Turning the raw [`Settings`] into a [`Config`]: every setting parsed and checked, each
//! refusal naming its setting in one line.

use super::*;

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
