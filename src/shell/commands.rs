//! The operator's commands besides `serve`: the audit trail, the working-day calendar, staff
//! accounts (reset, unlock) and the blob store (check, sweep). Each opens the database (and the
//! keys it needs), does one thing, prints one result and exits with a status that says how it
//! went.

use zhengwu_core::{config::io_reason, Settings};

use crate::shell::cli::{AuditCommand, BlobsCommand, StaffCommand};
use crate::shell::start::{init_tracing, load_config, load_key, open_database, StartError};

/// `zhengwu calendar add|show|import`: against the database's calendar (shipped years plus
/// administrators' corrections and imported years).
pub async fn calendar(cmd: crate::shell::cli::CalendarCommand) -> Result<(), StartError> {
    use crate::shell::cli::CalendarCommand as C;
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
pub async fn audit(cmd: AuditCommand) -> Result<(), StartError> {
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

/// `zhengwu staff reset|unlock NAME`: the operator on the server, recorded as the command line.
pub async fn staff(cmd: StaffCommand) -> Result<(), StartError> {
    let (args, reset) = match &cmd {
        StaffCommand::Reset(a) => (a, true),
        StaffCommand::Unlock(a) => (a, false),
    };
    let config = load_config(args.common.settings(), args.common.config.as_deref())?;
    init_tracing(config.log_format);
    let master = load_key(&config)?;
    let audit_key = zhengwu_core::audit::AuditKey::from_master(&master);
    let staff_keys = zhengwu_core::identity::StaffKeys::from_master(&master);
    drop(master);
    let db = open_database(&config).await?;
    let result = if reset {
        zhengwu_core::identity::operator_reset(&db, &audit_key, &staff_keys, &args.name).await.map(|code| {
            println!("{}: password and second factor reset; every session ended.", args.name);
            println!("One-time code for the owner (valid 24 hours): {code}");
            println!("The owner chooses a new password at /login/reset with this code.");
        })
    } else {
        zhengwu_core::identity::operator_unlock(&db, &audit_key, &args.name)
            .await
            .map(|()| println!("{}: every sign-in lock cleared.", args.name))
    };
    db.close().await;
    result.map_err(|e| match e {
        zhengwu_core::identity::IdentityError::NotFound => {
            StartError::Usage(format!("no staff account named {:?}", args.name))
        }
        e => StartError::Serve(e.to_string()),
    })
}

/// `zhengwu blobs check [--sweep]`.
pub async fn blobs(cmd: BlobsCommand) -> Result<(), StartError> {
    use zhengwu_core::sweep;
    let BlobsCommand::Check(args) = cmd;
    let config = load_config(args.common.settings(), args.common.config.as_deref())?;
    init_tracing(config.log_format);
    let master = load_key(&config)?;
    let audit_key = zhengwu_core::audit::AuditKey::from_master(&master);
    let store = crate::shell::start::blob_store(&config, &master);
    drop(master);
    let db = open_database(&config).await?;
    let now = chrono::Utc::now();
    let result = async {
        let f = sweep::check(&db, &store, now, true).await.map_err(|e| StartError::Blobs(e.to_string()))?;
        println!("files referenced by cases and articles: {}", f.referenced);
        println!("missing (a row refers to a file the store does not have): {}", f.missing.len());
        for (which, key) in &f.missing {
            println!("  {which}: {key}");
        }
        println!(
            "orphans (stored, no row refers to them): {} ({} older than {} hours)",
            f.orphans.len(),
            f.old_orphans(now),
            sweep::GRACE.num_hours()
        );
        println!("removed by citizens and due for deletion: {}", f.removed_due.len());
        println!("stored unsealed (from before sealing): {}", f.unsealed.len());
        println!("partial uploads left in staging: {}", f.staging_leftovers);
        if args.sweep {
            let s = sweep::sweep(&db, &store, &audit_key, now).await.map_err(|e| StartError::Blobs(e.to_string()))?;
            println!("swept: {} removed files, {} orphans, {} partial uploads", s.removed, s.orphans, s.staging);
            return Ok(());
        }
        if f.clean(now) {
            Ok(())
        } else {
            Err(StartError::BlobsFound(
                "the store and the database disagree (above); `zhengwu blobs check --sweep` deletes what is left over"
                    .into(),
            ))
        }
    }
    .await;
    db.close().await;
    result
}

/// `zhengwu policy publish KIND FILE`: the operator on the server, recorded as the command line.
pub async fn policy(cmd: crate::shell::cli::PolicyCommand) -> Result<(), StartError> {
    use zhengwu_types::consent::PolicyKind;
    let crate::shell::cli::PolicyCommand::Publish(args) = cmd;
    let Some(kind) = PolicyKind::parse(&args.kind) else {
        return Err(StartError::Usage(format!("invalid KIND {:?}: expected terms, privacy or sensitive", args.kind)));
    };
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| StartError::Usage(format!("cannot read FILE {}: {e}", args.file.display())))?;
    let (title, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
    let config = load_config(args.common.settings(), args.common.config.as_deref())?;
    init_tracing(config.log_format);
    let master = load_key(&config)?;
    let audit_key = zhengwu_core::audit::AuditKey::from_master(&master);
    drop(master);
    let db = open_database(&config).await?;
    let by = zhengwu_core::audit::Actor::operator("zhengwu policy publish");
    let result =
        zhengwu_core::citizen::publish_policy(&db, &audit_key, &by, chrono::Utc::now(), kind, title, body).await;
    db.close().await;
    match result {
        Ok(v) => {
            println!(
                "{}: version {v} published; every citizen is asked to accept it at their next visit.",
                kind.name_zh()
            );
            Ok(())
        }
        Err(zhengwu_core::citizen::CitizenError::Invalid { message, .. }) => {
            Err(StartError::Usage(format!("FILE {}: {message}", args.file.display())))
        }
        Err(e) => Err(StartError::Serve(e.to_string())),
    }
}
