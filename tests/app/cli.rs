//! The `zhengwu` binary as an operator meets it: help, bad settings, migrations, signals.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use zhengwu_core::testing::temp_dir;

const BIN: &str = env!("CARGO_BIN_EXE_zhengwu");

/// Runs the binary with a clean environment (no ZHENGWU_* or DATABASE_URL from the caller).
fn zhengwu(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    c
}

struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

fn run(mut c: Command) -> Outcome {
    let started = Instant::now();
    let out = c.stdin(Stdio::null()).output().expect("run zhengwu");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// A bad setting: non-zero exit within 10 s, exactly one `error:` line naming the setting, no panic.
fn assert_refused(o: &Outcome, names: &str) {
    assert_ne!(o.code, Some(0), "must fail: {}", o.stderr);
    assert!(o.code.is_some(), "must exit, not be killed");
    assert!(o.elapsed < Duration::from_secs(10), "took {:?}", o.elapsed);
    assert!(!o.stderr.contains("panicked") && !o.stderr.contains("RUST_BACKTRACE"), "{}", o.stderr);
    let errors: Vec<_> = o.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "one error line: {}", o.stderr);
    assert!(errors[0].contains(names), "'{}' should name {names}", errors[0]);
}

#[test]
fn help_lists_the_subcommands_and_options() {
    let out = zhengwu(&["--help"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("serve") && text.contains("migrate"), "{text}");
    let out = zhengwu(&["serve", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for opt in ["--addr", "--data-dir", "--database-url", "--demo", "ZHENGWU_ADDR", "DATABASE_URL"] {
        assert!(text.contains(opt), "serve --help lacks {opt}");
    }
}

#[test]
fn a_malformed_address_is_refused() {
    let dir = temp_dir("zw_cli");
    let o = run(zhengwu(&["serve", "--addr", "localhost", "--data-dir", dir.to_str().unwrap()]));
    assert_refused(&o, "--addr / ZHENGWU_ADDR");
    // The same from the environment.
    let mut c = zhengwu(&["serve", "--data-dir", dir.to_str().unwrap()]);
    c.env("ZHENGWU_ADDR", "300.1.1.1:80");
    assert_refused(&run(c), "ZHENGWU_ADDR");
}

#[test]
fn a_port_in_use_is_refused() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = temp_dir("zw_cli");
    let o = run(zhengwu(&["serve", "--addr", &addr, "--data-dir", dir.to_str().unwrap()]));
    assert_refused(&o, "--addr / ZHENGWU_ADDR");
    assert!(o.stderr.contains("cannot listen"), "{}", o.stderr);
}

#[test]
fn an_unreachable_database_is_refused_quickly() {
    let dir = temp_dir("zw_cli");
    let o = run(zhengwu(&[
        "migrate",
        "--data-dir",
        dir.to_str().unwrap(),
        "--database-url",
        "postgres://zw:secret-pw@127.0.0.1:1/zw",
    ]));
    assert_refused(&o, "--database-url / DATABASE_URL");
    assert!(!o.stderr.contains("secret-pw"), "password leaked: {}", o.stderr);
    assert!(o.stderr.to_lowercase().contains("refused"), "says why: {}", o.stderr);
}

#[test]
fn a_malformed_database_url_is_refused() {
    let dir = temp_dir("zw_cli");
    let mut c = zhengwu(&["serve", "--data-dir", dir.to_str().unwrap()]);
    c.env("DATABASE_URL", "mysql://u:pw@host/db");
    let o = run(c);
    assert_refused(&o, "DATABASE_URL");
    assert!(o.stderr.contains("postgres://"), "says what would work: {}", o.stderr);
}

#[test]
fn an_unwritable_data_dir_is_refused() {
    // A directory under a regular file cannot be created, even by root.
    let dir = temp_dir("zw_cli");
    let file = dir.join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let o = run(zhengwu(&["migrate", "--data-dir", file.join("data").to_str().unwrap()]));
    assert_refused(&o, "--data-dir / ZHENGWU_DATA_DIR");
}

#[test]
fn a_config_file_with_an_unknown_key_is_refused() {
    let dir = temp_dir("zw_cli");
    let cfg = dir.join("zhengwu.toml");
    std::fs::write(&cfg, "adress = \"127.0.0.1:1\"\n").unwrap();
    let o = run(zhengwu(&["migrate", "--config", cfg.to_str().unwrap()]));
    assert_refused(&o, "--config / ZHENGWU_CONFIG");
}

#[test]
fn a_failing_migration_is_named_and_leaves_the_database_as_it_was() {
    let dir = temp_dir("zw_cli");
    let db_path = dir.join("zhengwu.db");
    // A table the first migration wants to create already exists: the migration must fail.
    let setup = std::process::Command::new("python3")
        .args([
            "-c",
            &format!(
                "import sqlite3; c=sqlite3.connect({:?}); c.execute('CREATE TABLE articles (x INTEGER)'); c.commit()",
                db_path.display().to_string()
            ),
        ])
        .status()
        .expect("python3 for setup");
    assert!(setup.success());
    let o = run(zhengwu(&["migrate", "--data-dir", dir.to_str().unwrap()]));
    assert_refused(&o, "migration 0001_portal_content");
    let tables = std::process::Command::new("python3")
        .args(["-c", &format!(
            "import sqlite3; c=sqlite3.connect({:?}); print(sorted(r[0] for r in c.execute(\"SELECT name FROM sqlite_master WHERE type='table'\")))",
            db_path.display().to_string()
        )])
        .output()
        .unwrap();
    let tables = String::from_utf8_lossy(&tables.stdout);
    assert!(!tables.contains("departments"), "the failed migration left tables behind: {tables}");
    assert!(tables.contains("articles"));
}

#[test]
fn migrate_applies_and_serve_stops_cleanly_on_sigterm() {
    let dir = temp_dir("zw_cli");
    let d = dir.to_str().unwrap();
    let o = run(zhengwu(&["migrate", "--data-dir", d]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(dir.join("zhengwu.db").is_file());

    let mut child = zhengwu(&["serve", "--addr", "127.0.0.1:0", "--data-dir", d, "--demo"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let started = Instant::now();
    let mut listening = false;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("listening on http://") {
            listening = true;
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no start-up line");
    }
    assert!(listening, "server said where it listens");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM ends with exit 0; log: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
    // Closed cleanly: SQLite folded the WAL back into the database file.
    let wal = dir.join("zhengwu.db-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0, "WAL left behind; log: {rest:?}");
}

/// Starts `serve` on a free port; returns the child, its address and its stderr lines.
fn start_server(extra: &[&str]) -> (std::process::Child, String, std::io::Lines<BufReader<std::process::ChildStderr>>) {
    start_server_in(&temp_dir("zw_cli"), extra)
}

/// A raw HTTP/1.1 GET (the binary tests need no async client).
fn http_get(addr: &str, path_and_query: &str, request_id: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nX-Request-Id: {request_id}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn json_logs_carry_the_request_id_and_route_but_no_query_or_path_values() {
    let (mut child, addr, lines) = start_server(&["--log-format", "json"]);
    let reply = http_get(&addr, "/notices?phone=13800001111&page=1", "trace-me-42");
    assert!(reply.starts_with("HTTP/1.1 200"), "{}", &reply[..40.min(reply.len())]);
    assert!(reply.to_ascii_lowercase().contains("x-request-id: trace-me-42"));
    http_get(&addr, "/notices/110101199003070016", "trace-me-43");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let log: Vec<String> = lines.map_while(Result::ok).collect();
    child.wait().unwrap();
    let access: Vec<&String> = log.iter().filter(|l| l.contains("trace-me-42")).collect();
    assert!(!access.is_empty(), "a log line with the request id: {log:?}");
    for line in &access {
        let v: serde_json::Value = serde_json::from_str(line).expect("each log line is JSON");
        assert_eq!(v["span"]["route"], "/notices", "{line}");
    }
    let all = log.join("\n");
    assert!(all.contains("trace-me-43") && all.contains("/notices/{id}"), "route template logged: {all}");
    assert!(!all.contains("13800001111"), "query values must not reach the log");
    assert!(!all.contains("110101199003070016"), "path values must not reach the log");
}

/// `zhengwu audit verify`: exit 0 for an intact trail, 2 naming the first tampered record, 1
/// (one line naming the setting) for an unusable key.
#[test]
fn audit_verify_passes_an_intact_trail_and_names_a_tampered_record() {
    use zhengwu_core::audit::{self, Actor, AuditEvent, AuditKey, RequestMeta};
    let dir = temp_dir("zw_cli_audit");
    let data = dir.to_str().unwrap();
    let key = zhengwu_crypto::keys::MasterKey::from_bytes([0x11; 32]);
    std::fs::write(dir.join("master.key"), key.to_hex().as_str()).unwrap();
    let o = run(zhengwu(&["migrate", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let o = run(zhengwu(&["audit", "verify", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("intact: no records yet"), "{}", o.stdout);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let db_path = dir.join("zhengwu.db");
    let db = rt.block_on(async {
        let db = zhengwu_core::Db::connect(&zhengwu_core::DatabaseTarget::Sqlite { path: db_path }, 1).await.unwrap();
        for i in 0..3 {
            let mut tx = db.begin_write().await.unwrap();
            let event = AuditEvent::new("staff.update", "staff", i);
            audit::append(
                &mut tx,
                &AuditKey::from_master(&key),
                &Actor::system(),
                &RequestMeta::default(),
                &event,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        db
    });
    let o = run(zhengwu(&["audit", "verify", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("intact: 3 records, 1 to 3"), "{}", o.stdout);

    rt.block_on(db.execute_unprepared("UPDATE audit_log SET detail = '{\"forged\":true}' WHERE seq = 2")).unwrap();
    let o = run(zhengwu(&["audit", "verify", "--data-dir", data]));
    assert_eq!(o.code, Some(2), "tampering has its own exit code: {}", o.stderr);
    let errors: Vec<_> = o.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors, ["error: audit trail NOT intact: record 2 was altered (or replaced)"], "{}", o.stderr);

    let mut with_bad_key = zhengwu(&["audit", "verify", "--data-dir", data]);
    with_bad_key.env("ZHENGWU_MASTER_KEY", "not-hex");
    let o = run(with_bad_key);
    assert_refused(&o, "ZHENGWU_MASTER_KEY");
    assert_eq!(o.code, Some(1));
    rt.block_on(db.close());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_operator_resets_and_unlocks_staff_accounts_on_the_server() {
    let dir = temp_dir("zw_cli_staff");
    let data = dir.to_str().unwrap();
    // A demo database: serve once (it seeds), then stop.
    let (mut child, _, _) = start_server_in(&dir, &[]);
    stop_server(&mut child);
    let o = run(zhengwu(&["staff", "reset", "auditor", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let code = o.stdout.lines().find_map(|l| l.split("valid 24 hours): ").nth(1)).expect("a code").trim().to_string();
    assert_eq!(code.len(), 14, "{}", o.stdout);
    assert!(o.stdout.contains("/login/reset"), "says where the owner uses it");
    assert!(!o.stderr.contains(&code), "the code goes to the operator's terminal, not the log");
    let o = run(zhengwu(&["staff", "unlock", "auditor", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("every sign-in lock cleared"));
    let o = run(zhengwu(&["staff", "reset", "nobody", "--data-dir", data]));
    assert_refused(&o, "nobody");
    let o = run(zhengwu(&["staff", "reset", "--data-dir", data]));
    assert_ne!(o.code, Some(0), "a name is required");
    // Both are in the audit trail, as the command line.
    let o = run(zhengwu(&["audit", "verify", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn blobs_check_reports_orphans_and_the_sweep_removes_them() {
    let dir = temp_dir("zw_cli_blobs");
    let data = dir.to_str().unwrap();
    let (mut child, _, _) = start_server_in(&dir, &[]);
    stop_server(&mut child);
    let o = run(zhengwu(&["blobs", "check", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "a fresh store is clean: {} {}", o.stdout, o.stderr);
    assert!(o.stdout.contains("orphans (stored, no row refers to them): 0"), "{}", o.stdout);
    // A file nobody refers to, older than the grace period.
    let orphan = dir.join("blobs").join("ab").join(format!("ab{}", "0".repeat(30)));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"ZWB\x01left over").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(25 * 3600);
    std::fs::File::options().write(true).open(&orphan).unwrap().set_modified(old).unwrap();
    let o = run(zhengwu(&["blobs", "check", "--data-dir", data]));
    assert_eq!(o.code, Some(2), "found something: {} {}", o.stdout, o.stderr);
    assert!(o.stdout.contains("orphans (stored, no row refers to them): 1 (1 older than 24 hours)"), "{}", o.stdout);
    let errors: Vec<_> = o.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", o.stderr);
    let o = run(zhengwu(&["blobs", "check", "--sweep", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("swept: 0 removed files, 1 orphans"), "{}", o.stdout);
    assert!(!orphan.exists());
    // The demo notices' attachment files are referenced: the sweep left them all.
    let o = run(zhengwu(&["blobs", "check", "--data-dir", data]));
    assert_eq!(o.code, Some(0), "{} {}", o.stdout, o.stderr);
    assert!(o.stdout.contains("missing (a row refers to a file the store does not have): 0"), "{}", o.stdout);
    let referenced: usize = o
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("files referenced by cases and articles: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("a count");
    assert!(referenced >= 16, "the demo's 16 attachment files: {}", o.stdout);
    let _ = std::fs::remove_dir_all(dir);
}

/// `start_server` in a chosen data directory.
fn start_server_in(
    dir: &std::path::Path,
    extra: &[&str],
) -> (std::process::Child, String, std::io::Lines<BufReader<std::process::ChildStderr>>) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut args = vec!["serve", "--addr", &addr, "--data-dir", dir.to_str().unwrap(), "--demo"];
    args.extend_from_slice(extra);
    let mut child = zhengwu(&args).stderr(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("listening on http://") {
            break;
        }
    }
    (child, addr, lines)
}

/// Stops a server with SIGTERM and waits for it (the database closed cleanly).
fn stop_server(child: &mut std::process::Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}
