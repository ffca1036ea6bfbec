//! Applying: the application page's data (a draft, a correction, or a new form prefilled from
//! the verified profile), and saving — drafts, the check-your-answers step, and submission,
//! which hands the case to the workflow engine in the same transaction.

use std::collections::BTreeMap;

use serde_json::json;
use zhengwu_types::{
    services::{ApplicationView, CaseStatus, FieldKind, FormDef, Prefill},
    timeline::EventKind,
};

use super::{
    case_by_id, delivery, delivery::DeliveryPost, files_of, random_key, tracking, uploads, valid_client_key, CaseError,
    CaseRow, NewFile, CASE_COLUMNS,
};
use crate::{
    audit::{self, AuditEvent},
    citizen::{self, CitizenActor, PersonalKeys},
    db::Db,
    identity::Ctx,
    services::{self, validate, ItemRow},
    timeline, with_db, with_tx, workflow,
};
use validate::Answers;

async fn online_item(db: &Db, code: &str) -> Result<(ItemRow, i32, FormDef), CaseError> {
    let row = services::item_row(db, code).await?.filter(ItemRow::online).ok_or(CaseError::NotFound)?;
    let version = row.form_version.ok_or(CaseError::NotFound)?;
    let form = services::form_at(db, row.id, version).await?.ok_or(CaseError::NotFound)?;
    Ok((row, version, form))
}

fn prefilled(form: &FormDef, profile: Option<&citizen::ClearProfile>) -> Answers {
    let mut values = Answers::new();
    let Some(p) = profile else { return values };
    for f in form.fields() {
        let v = match f.prefill {
            Some(Prefill::RealName) => p.real_name.clone(),
            Some(Prefill::IdNumber) => p.id_number.clone(),
            Some(Prefill::Mobile) => Some(p.phone.clone()),
            None => None,
        };
        if let Some(v) = v {
            values.insert(f.name.clone(), vec![v]);
        }
    }
    values
}

/// What the application page shows: the citizen's open draft (or supplement) of this item,
/// or a new form prefilled from the verified profile with a fresh key.
pub async fn application(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
    code: &str,
    case_id: Option<i64>,
) -> Result<ApplicationView, CaseError> {
    let (item, _, current_form) = online_item(ctx.db, code).await?;
    let open: Option<CaseRow> = match case_id {
        Some(id) => {
            let c = case_by_id(ctx.db, id).await?.filter(|c| c.citizen_id == actor.id && c.item_id == item.id);
            Some(c.ok_or(CaseError::NotFound)?)
        }
        None => {
            let sql = format!(
                "SELECT {CASE_COLUMNS} FROM cases WHERE citizen_id = $1 AND item_id = $2 \
                 AND status IN ($3, $4) ORDER BY updated_at DESC LIMIT 1"
            );
            with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).bind(item.id)
                .bind(CaseStatus::Draft).bind(CaseStatus::Supplement).fetch_optional(pool).await)?
        }
    };
    if let Some(c) = &open {
        if !matches!(c.status, CaseStatus::Draft | CaseStatus::Supplement) {
            return Err(CaseError::NotEditable { case_id: c.id });
        }
    }
    let verified = actor.verified;
    let delivery_options = item.delivery_methods();
    Ok(match open {
        Some(c) => {
            let form = services::form_at(ctx.db, item.id, c.form_version).await?.ok_or(CaseError::NotFound)?;
            // What the citizen left empty and their verified profile knows (e.g. registered
            // their real name after saving the draft) is filled in; nothing typed is replaced.
            let mut values = c.answers(keys)?;
            if verified && c.status == CaseStatus::Draft {
                let profile = citizen::clear_profile(ctx.db, keys, actor.id).await?;
                for (k, v) in prefilled(&form, profile.as_ref()) {
                    let empty = values.get(&k).is_none_or(|old| old.iter().all(|x| x.trim().is_empty()));
                    if empty {
                        values.insert(k, v);
                    }
                }
            }
            ApplicationView {
                service_code: item.code,
                service_name: item.name,
                department: item.department,
                case_id: Some(c.id),
                client_key: c.client_key.clone(),
                status: c.status,
                values,
                files: files_of(ctx.db, c.id).await?,
                supplement_note: c.supplement_note.clone(),
                supplement_fields: c.supplement_fields()?,
                delivery: c.delivery(keys)?,
                delivery_options: delivery_options.clone(),
                form,
                verified,
            }
        }
        None => {
            let profile = citizen::clear_profile(ctx.db, keys, actor.id).await?;
            ApplicationView {
                service_code: item.code,
                service_name: item.name,
                department: item.department,
                case_id: None,
                client_key: random_key(),
                status: CaseStatus::Draft,
                values: prefilled(&current_form, profile.as_ref()),
                files: vec![],
                supplement_note: None,
                supplement_fields: vec![],
                form: current_form,
                verified,
                delivery: None,
                delivery_options: delivery_options.clone(),
            }
        }
    })
}

/// The form a post with `client_key` answers: the version its case started with, or the
/// item's current one for a new application. Used to check uploads while they stream in.
pub async fn form_for_post(db: &Db, actor: &CitizenActor, code: &str, client_key: &str) -> Result<FormDef, CaseError> {
    let (item, _, current) = online_item(db, code).await?;
    let version: Option<i32> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT form_version FROM cases WHERE citizen_id = $1 AND client_key = $2 AND item_id = $3")
        .bind(actor.id).bind(client_key).bind(item.id).fetch_optional(pool).await)?;
    match version {
        Some(v) => services::form_at(db, item.id, v).await?.ok_or(CaseError::NotFound),
        None => Ok(current),
    }
}

/// A posted application: its key, the answers, files to remove, and whether to submit.
#[derive(Debug, Clone, Default)]
pub struct Posted {
    pub client_key: String,
    pub answers: Answers,
    pub remove_files: Vec<i64>,
    pub submit: bool,
    /// Check the answers as for submitting, but keep the draft (the "check your answers" step).
    pub review: bool,
    /// Use the answers saved in the draft, not `answers` (submitting from the review page).
    pub use_saved: bool,
    /// The clock's settings, for a resubmission that restarts it.
    pub clock: workflow::ClockPolicy,
    /// How the result is to be delivered (nothing posted: the saved choice, else the first the
    /// item offers).
    pub delivery: DeliveryPost,
    /// The applicant confirmed the 承诺书 (required to submit).
    pub pledged: bool,
}

/// What saving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Draft {
        case_id: i64,
    },
    Submitted {
        case_id: i64,
        tracking_no: String,
    },
    /// The same key was submitted before (double tap, retry): nothing changed.
    AlreadySubmitted {
        case_id: i64,
        tracking_no: String,
    },
}

/// Saves the application (new files are in the blob store already; on any error the caller
/// deletes them) and, when asked and the answers are complete and valid, submits it.
pub async fn save(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
    code: &str,
    posted: &Posted,
    new_files: &[NewFile],
) -> Result<Saved, CaseError> {
    if !valid_client_key(&posted.client_key) {
        return Err(CaseError::BadRequest {
            field: "client_key", message: "表单已过期，请重新打开申请页面".into()
        });
    }
    // Everything read from the pool is read before the write transaction starts: a
    // transaction holding the write lock (SQLite) or a row lock while waiting for a second pool
    // connection would, under load, wait on connections held by writers queued behind it.
    let (item, current_version, current_form) = online_item(ctx.db, code).await?;
    let started: Option<(i32, Option<i32>)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT form_version, workflow_version FROM cases WHERE citizen_id = $1 AND client_key = $2")
        .bind(actor.id).bind(&posted.client_key).fetch_optional(pool).await)?;
    let started_workflow = started.and_then(|s| s.1);
    let started = started.map(|s| s.0);
    // A case keeps the version it started with, even if a newer one was published since.
    let form = match started {
        Some(v) if v != current_version => services::form_at(ctx.db, item.id, v).await?.ok_or(CaseError::NotFound)?,
        _ => current_form,
    };
    let profile = if posted.submit { citizen::clear_profile(ctx.db, keys, actor.id).await? } else { None };
    // The workflow the case runs on (its own version on resubmission) and the calendar.
    let prepared = if posted.submit {
        Some(workflow::prepare(ctx.db, item.id, started_workflow, posted.clock).await?)
    } else {
        None
    };
    // Limits checked at every save, drafts included: files per field, bytes per case and per
    // citizen. The form post refuses extra files one by one (the rest of the post is kept);
    // here, a post that still breaks a limit is refused whole.
    uploads::check_upload_limits(ctx.db, actor, &posted.client_key, &form, new_files, &posted.remove_files).await?;
    let mut tx = ctx.db.begin_write().await?;
    if !new_files.is_empty() {
        // One file-adding save at a time per citizen (PostgreSQL row lock; SQLite's writers are
        // serial), so the limits checked again below, inside the transaction, see every
        // parallel post's files: the check above only spares the work of a hopeless post.
        with_tx!(&mut tx, conn => sqlx::query("UPDATE citizens SET id = id WHERE id = $1")
            .bind(actor.id).execute(conn).await.map(|_| ()))?;
    }
    // The answers are sealed bound to the case's row, which has no id yet: an empty value now,
    // the sealed answers below, in this transaction.
    let empty: Vec<u8> = Vec::new();
    let created: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO cases (item_id, form_version, citizen_id, department_id, status, client_key, data_sealed, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (citizen_id, client_key) DO NOTHING")
        .bind(item.id).bind(current_version).bind(actor.id).bind(item.department_id).bind(CaseStatus::Draft)
        .bind(&posted.client_key).bind(&empty).bind(ctx.now).execute(conn).await.map(|r| r.rows_affected()))?;
    // Holds the case's row until commit (PostgreSQL row lock; SQLite's write lock): a second
    // submission of the same key waits here and then finds the case submitted.
    let held: Option<(i64, i64, i32, CaseStatus)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "UPDATE cases SET updated_at = $1 WHERE citizen_id = $2 AND client_key = $3 \
         AND status IN ($4, $5) RETURNING id, item_id, form_version, status")
        .bind(ctx.now).bind(actor.id).bind(&posted.client_key).bind(CaseStatus::Draft).bind(CaseStatus::Supplement)
        .fetch_optional(conn).await)?;
    let Some((case_id, item_id, version, status)) = held else {
        let done: Option<(i64, Option<String>)> = with_tx!(&mut tx, conn => sqlx::query_as(
            "SELECT id, tracking_no FROM cases WHERE citizen_id = $1 AND client_key = $2")
            .bind(actor.id).bind(&posted.client_key).fetch_optional(conn).await)?;
        return match done {
            Some((case_id, Some(tracking_no))) => Ok(Saved::AlreadySubmitted { case_id, tracking_no }),
            Some((case_id, None)) => Err(CaseError::NotEditable { case_id }),
            None => Err(CaseError::NotFound),
        };
    };
    if item_id != item.id {
        return Err(CaseError::NotFound);
    }
    let was_supplement = status == CaseStatus::Supplement;
    if started.is_some_and(|v| v != version) || (started.is_none() && version != current_version) {
        // Only if the key's case was created between the read above and the lock.
        return Err(CaseError::BadRequest {
            field: "client_key", message: "表单已更新，请刷新页面后重试".into()
        });
    }
    for f in new_files {
        let known = form.field(&f.field).is_some_and(|d| d.kind == FieldKind::Attachment);
        if !known {
            return Err(CaseError::BadRequest {
                field: "file", message: "上传的文件不属于表单中的任何附件项".into()
            });
        }
        with_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO case_files (case_id, field, blob_key, sm3, size_bytes, media_type, display_name, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(case_id).bind(&f.field).bind(&f.blob.key).bind(&f.blob.sm3).bind(f.blob.size as i64)
            .bind(f.blob.file_type.media_type()).bind(&f.display_name).bind(ctx.now)
            .execute(conn).await.map(|_| ()))?;
    }
    for id in &posted.remove_files {
        with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE case_files SET removed_at = $1 WHERE id = $2 AND case_id = $3 AND removed_at IS NULL")
            .bind(ctx.now).bind(id).bind(case_id).execute(conn).await.map(|_| ()))?;
    }
    let counts: Vec<(String, i64)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT field, COUNT(*) FROM case_files WHERE case_id = $1 AND removed_at IS NULL GROUP BY field")
        .bind(case_id).fetch_all(conn).await)?;
    let counts: BTreeMap<String, usize> = counts.into_iter().map(|(f, n)| (f, n as usize)).collect();
    if !new_files.is_empty() {
        uploads::check_stored(&mut tx, actor, case_id, &form, new_files, &counts).await?;
    }
    let today = crate::time::shanghai_date(ctx.now);
    let saved_answers;
    let answers = if posted.use_saved {
        let sealed: Vec<u8> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT data_sealed FROM cases WHERE id = $1")
            .bind(case_id).fetch_one(conn).await)?;
        saved_answers = super::open_answers(keys, case_id, &sealed)?;
        &saved_answers
    } else {
        &posted.answers
    };
    let complete = posted.submit || posted.review;
    let (clean, mut problems) = validate::check_answers(&form, answers, &counts, today, complete);
    if complete && !actor.verified {
        problems.insert("_account".into(), CaseError::NotVerified.to_string());
    }
    let saved_delivery = {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
        let row: CaseRow = with_tx!(&mut tx, conn => sqlx::query_as(&sql).bind(case_id).fetch_one(conn).await)?;
        row.delivery(keys)?
    };
    let posted_delivery = if posted.use_saved { DeliveryPost::default() } else { posted.delivery.clone() };
    let chosen = delivery::choose(&item.delivery_methods(), &posted_delivery, saved_delivery, complete, &mut problems);
    if posted.submit && !posted.pledged {
        problems.insert("_pledge".into(), "请阅读承诺书并勾选“本人承诺”后再提交".into());
    }
    let sealed = keys.seal_answers(case_id, &serde_json::to_string(&clean).expect("answers serialise"));
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE cases SET data_sealed = $1, delivery = $3, delivery_address_sealed = $4 WHERE id = $2")
        .bind(&sealed).bind(case_id).bind(chosen.method).bind(delivery::seal_address(keys, case_id, &chosen.address))
        .execute(conn).await.map(|_| ()))?;
    let citizen_actor = actor.audit_actor();
    let files_detail = json!({
        "added": new_files.iter().map(|f| json!({ "field": f.field, "sm3": f.blob.sm3, "size": f.blob.size })).collect::<Vec<_>>(),
        "removed": posted.remove_files,
    });
    if !posted.submit || !problems.is_empty() {
        if created == 1 {
            timeline::record(&mut tx, case_id, ctx.now, EventKind::Created, &citizen_actor, false, "").await?;
        }
        let ev = AuditEvent::new("case.draft_save", "case", case_id)
            .with_detail(json!({ "service": item.code, "files": files_detail, "problems": problems.len() }));
        audit::append(&mut tx, ctx.audit, &citizen_actor, ctx.meta, &ev, ctx.now).await?;
        tx.commit().await?;
        return if problems.is_empty() {
            Ok(Saved::Draft { case_id })
        } else {
            Err(CaseError::Invalid { case_id, problems })
        };
    }
    // Submitting: the tracking number, the look-up MACs, the timeline, the audit; the status
    // and the first tasks are the workflow engine's.
    let existing: Option<String> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT tracking_no FROM cases WHERE id = $1").bind(case_id).fetch_one(conn).await)?;
    let tracking_no = match existing {
        Some(t) => t,
        None => tracking::next_tracking_no(&mut tx, &item.department_code, ctx.now).await?,
    };
    let profile = profile.ok_or(CaseError::NotFound)?;
    let id_mac = profile.id_number.as_deref().map(|n| keys.lookup_mac(&tracking_no, "id", tracking::last4(n)));
    let phone_mac = keys.lookup_mac(&tracking_no, "phone", tracking::last4(&profile.phone));
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE cases SET tracking_no = $1, lookup_id_mac = $2, lookup_phone_mac = $3, \
         submitted_at = COALESCE(submitted_at, $4), pledged_at = $4, supplement_note = NULL, supplement_fields = NULL \
         WHERE id = $5")
        .bind(&tracking_no).bind(&id_mac).bind(&phone_mac).bind(ctx.now).bind(case_id)
        .execute(conn).await.map(|_| ()))?;
    let kind = if was_supplement { EventKind::Resubmitted } else { EventKind::Submitted };
    timeline::record(&mut tx, case_id, ctx.now, kind, &citizen_actor, true, "").await?;
    // The status, and tasks for the step the case is at; back from 补正 the clock resumes
    // where it stopped.
    let prepared = prepared.ok_or(CaseError::NotFound)?;
    workflow::on_submitted(&mut tx, &prepared, case_id, ctx.now).await?;
    let ev = AuditEvent::new(if was_supplement { "case.resubmit" } else { "case.submit" }, "case", case_id)
        .with_detail(
            json!({ "service": item.code, "tracking_no": tracking_no, "form_version": version, "files": files_detail,
                    "pledged": true, "delivery": chosen.method.code() }),
        );
    audit::append(&mut tx, ctx.audit, &citizen_actor, ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(Saved::Submitted { case_id, tracking_no })
}
