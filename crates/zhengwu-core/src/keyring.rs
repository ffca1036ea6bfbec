//! Loading the master key, the one secret from which the audit-chain, blind-index and
//! personal-data keys are derived ([`zhengwu_crypto::keys`]). It never goes into the database:
//! whoever copies the database file alone can neither read personal data nor forge the audit
//! trail.
//!
//! Sources, first match wins: `ZHENGWU_MASTER_KEY` (64 hex digits), `--master-key-file`
//! (must exist), else `<data-dir>/master.key`, generated with mode 0600 on first start so that
//! the one-command demo works. Every instance of a scaled-out installation needs the same key.

use std::{io::Write, path::Path};

use secrecy::ExposeSecret;
use zhengwu_crypto::keys::MasterKey;

use crate::config::{io_reason, ConfigError, MasterKeySource};

/// What happened when loading: for a log line at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOrigin {
    Environment,
    File,
    Generated,
}

pub fn load_master_key(source: &MasterKeySource) -> Result<(MasterKey, KeyOrigin), ConfigError> {
    match source {
        MasterKeySource::Value(v) => MasterKey::from_hex(v.expose_secret())
            .map(|k| (k, KeyOrigin::Environment))
            .ok_or_else(|| ConfigError::new("master_key", "is not 64 hexadecimal digits (32 bytes)")),
        MasterKeySource::File(path) => read_key_file(path, "master_key_file").map(|k| (k, KeyOrigin::File)),
        MasterKeySource::DataDir(path) => {
            if path.exists() {
                read_key_file(path, "data_dir").map(|k| (k, KeyOrigin::File))
            } else {
                generate_key_file(path).map(|k| (k, KeyOrigin::Generated))
            }
        }
    }
}

fn read_key_file(path: &Path, setting: &'static str) -> Result<MasterKey, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(setting, format!("cannot read the master key {}: {}", path.display(), io_reason(&e)))
    })?;
    MasterKey::from_hex(&text).ok_or_else(|| {
        ConfigError::new(setting, format!("{} does not hold a master key (64 hexadecimal digits)", path.display()))
    })
}

fn generate_key_file(path: &Path) -> Result<MasterKey, ConfigError> {
    let fail = |e: std::io::Error| {
        ConfigError::new("data_dir", format!("cannot create the master key {}: {}", path.display(), io_reason(&e)))
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let key = MasterKey::generate();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(format!("{}\n", key.to_hex().as_str()).as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("zw_keyring_{name}_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn a_missing_data_dir_key_is_generated_once_and_then_reused() {
        let dir = temp("gen");
        let path = dir.join("master.key");
        let (k1, o1) = load_master_key(&MasterKeySource::DataDir(path.clone())).unwrap();
        let (k2, o2) = load_master_key(&MasterKeySource::DataDir(path.clone())).unwrap();
        assert_eq!((o1, o2), (KeyOrigin::Generated, KeyOrigin::File));
        assert_eq!(k1.to_hex().as_str(), k2.to_hex().as_str());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bad_keys_name_their_setting() {
        let e = load_master_key(&MasterKeySource::Value("1234".to_string().into())).unwrap_err();
        assert_eq!(e.setting, "master_key");
        let e = load_master_key(&MasterKeySource::File("/nonexistent/zw.key".into())).unwrap_err();
        assert_eq!(e.setting, "master_key_file");
        assert!(e.to_string().contains("--master-key-file"), "{e}");
    }
}
