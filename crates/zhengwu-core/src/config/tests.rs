//! The settings' checks: defaults, each setting's errors, precedence.

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
    assert_eq!((c.password_min_length, c.lockout_failures, c.lockout_minutes, c.session_idle_minutes), (12, 3, 30, 15));
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
    let c = Config::from_settings(Settings { database_url: Some("postgres://u:hunter2@h/db".into()), ..settings() })
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
