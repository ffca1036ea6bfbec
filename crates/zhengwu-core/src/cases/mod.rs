//! Cases (办件): a citizen's application to a service item, from draft to submission, with its
//! attachments, timeline, supplement requests (补正) and the public look-up; and the staff's
//! view of incoming cases in their data scope.
//!
//! Rules kept here, for pages, server functions and form posts alike:
//! - a case belongs to one citizen; another citizen's case answers "not found";
//! - answers are sealed (SM4-GCM) — they hold names, ID numbers, addresses;
//! - submitting is idempotent: the form carries a key chosen when it was first shown, the case
//!   is unique per (citizen, key), and the submitting transaction holds the case's row, so a
//!   double tap or a retry gives the same case and one tracking number;
//! - every change is one transaction with its timeline entry and audit record.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;
use zhengwu_types::{
    services::{
        Answer, ApplicationView, CaseDetail, CaseFileInfo, CaseStatus, CaseSummary, FieldKind, FileType, FormDef,
        LookupResult, Prefill, TimelineEntry,
    },
    Page, PageRequest,
};

use crate::{
    audit::{self, Actor, AuditError, AuditEvent},
    blobs::{BlobError, StoredBlob},
    citizen::{self, CitizenActor, PersonalKeys},
    db::{Db, WriteTx},
    identity::{Ctx, Permission, StaffActor},
    services::{self, validate, ItemRow},
    with_db, with_tx,
};

mod uploads;

pub use uploads::{
    delete_draft, quota_message, too_many_files_message, upload_allowance, Allowance, CASE_QUOTA, CITIZEN_QUOTA,
};
pub use validate::{Answers, Problems};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// Missing, someone else's, or outside the staff member's scope: one answer.
    #[error("不存在")]
    NotFound,
    #[error("没有权限")]
    Forbidden,
    /// Submitting needs a verified (real-name) account.
    #[error("提交申请前请先完成实名登记")]
    NotVerified,
    /// The case is no longer editable (submitted, withdrawn).
    #[error("该申请已提交，不能再修改")]
    NotEditable { case_id: i64 },
    /// The answers have problems; the draft was saved as it was.
    #[error("请修改标出的内容")]
    Invalid { case_id: i64, problems: Problems },
    #[error("{message}")]
    BadRequest { field: &'static str, message: String },
    #[error("{0}")]
    Blob(#[from] BlobError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
    #[error("{0}")]
    Workflow(#[from] crate::workflow::WorkflowError),
}

fn random_key() -> String {
    let mut b = [0u8; 16];
    zhengwu_crypto::random_bytes(&mut b);
    zhengwu_crypto::to_hex(&b)
}

fn valid_client_key(k: &str) -> bool {
    (16..=64).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A file received for a field, already in the blob store.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub field: String,
    pub blob: StoredBlob,
    /// The name shown to people: the uploaded name cleaned, never used for storage.
    pub display_name: String,
}

/// A display name from an uploaded file name: no path, no control characters, at most 80
/// characters, with the extension of the type the content really is.
pub fn display_name(uploaded: &str, t: FileType) -> String {
    let base = uploaded.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let clean: String = stem
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .take(80)
        .collect();
    let clean = clean.trim();
    format!("{}.{}", if clean.is_empty() { "附件" } else { clean }, t.extension())
}

// ---- Applying -----------------------------------------------------------------------------

async fn online_item(db: &Db, code: &str) -> Result<(ItemRow, i32, FormDef), CaseError> {
    let row = services::item_row(db, code).await?.filter(ItemRow::online).ok_or(CaseError::NotFound)?;
    let version = row.form_version.ok_or(CaseError::NotFound)?;
    let form = services::form_at(db, row.id, version).await?.ok_or(CaseError::NotFound)?;
    Ok((row, version, form))
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    item_id: i64,
    form_version: i32,
    citizen_id: i64,
    department_id: i64,
    status: String,
    client_key: String,
    data_sealed: Vec<u8>,
    supplement_note: Option<String>,
    supplement_fields: Option<String>,
}

const CASE_COLUMNS: &str = "id, item_id, form_version, citizen_id, department_id, status, client_key, data_sealed, \
     supplement_note, supplement_fields";

impl CaseRow {
    fn status(&self) -> CaseStatus {
        CaseStatus::parse(&self.status).unwrap_or(CaseStatus::Draft)
    }

    fn answers(&self, keys: &PersonalKeys) -> Answers {
        keys.open_answers(self.id, &self.data_sealed).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default()
    }

    fn supplement_fields(&self) -> Vec<String> {
        self.supplement_fields.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default()
    }
}

async fn case_by_id(db: &Db, id: i64) -> Result<Option<CaseRow>, sqlx::Error> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
    with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

async fn files_of(db: &Db, case_id: i64) -> Result<Vec<CaseFileInfo>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, i64, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, field, display_name, media_type, size_bytes, sm3 FROM case_files \
         WHERE case_id = $1 AND removed_at IS NULL ORDER BY id")
        .bind(case_id).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, field, name, media_type, size_bytes, sm3)| CaseFileInfo {
            id,
            field,
            name,
            media_type,
            size_bytes,
            sm3,
        })
        .collect())
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
                 AND status IN ('draft', 'supplement') ORDER BY updated_at DESC LIMIT 1"
            );
            with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).bind(item.id).fetch_optional(pool).await)?
        }
    };
    if let Some(c) = &open {
        if !matches!(c.status(), CaseStatus::Draft | CaseStatus::Supplement) {
            return Err(CaseError::NotEditable { case_id: c.id });
        }
    }
    let verified = actor.verified;
    Ok(match open {
        Some(c) => {
            let form = services::form_at(ctx.db, item.id, c.form_version).await?.ok_or(CaseError::NotFound)?;
            // What the citizen left empty and their verified profile knows (e.g. registered
            // their real name after saving the draft) is filled in; nothing typed is replaced.
            let mut values = c.answers(keys);
            if verified && c.status() == CaseStatus::Draft {
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
                status: c.status(),
                values,
                files: files_of(ctx.db, c.id).await?,
                supplement_note: c.supplement_note.clone(),
                supplement_fields: c.supplement_fields(),
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
    pub clock: crate::workflow::ClockPolicy,
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
        Some(crate::workflow::prepare(ctx.db, item.id, started_workflow, posted.clock).await?)
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
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $7) \
         ON CONFLICT (citizen_id, client_key) DO NOTHING")
        .bind(item.id).bind(current_version).bind(actor.id).bind(item.department_id).bind(&posted.client_key)
        .bind(&empty).bind(ctx.now).execute(conn).await.map(|r| r.rows_affected()))?;
    // Holds the case's row until commit (PostgreSQL row lock; SQLite's write lock): a second
    // submission of the same key waits here and then finds the case submitted.
    let held: Option<(i64, i64, i32, String)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "UPDATE cases SET updated_at = $1 WHERE citizen_id = $2 AND client_key = $3 \
         AND status IN ('draft', 'supplement') RETURNING id, item_id, form_version, status")
        .bind(ctx.now).bind(actor.id).bind(&posted.client_key).fetch_optional(conn).await)?;
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
    let was_supplement = status == "supplement";
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
        saved_answers =
            keys.open_answers(case_id, &sealed).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
        &saved_answers
    } else {
        &posted.answers
    };
    let complete = posted.submit || posted.review;
    let (clean, mut problems) = validate::check_answers(&form, answers, &counts, today, complete);
    if complete && !actor.verified {
        problems.insert("_account".into(), CaseError::NotVerified.to_string());
    }
    let sealed = keys.seal_answers(case_id, &serde_json::to_string(&clean).unwrap_or_else(|_| "{}".into()));
    with_tx!(&mut tx, conn => sqlx::query("UPDATE cases SET data_sealed = $1 WHERE id = $2")
        .bind(&sealed).bind(case_id).execute(conn).await.map(|_| ()))?;
    let citizen_actor = actor.audit_actor();
    let files_detail = json!({
        "added": new_files.iter().map(|f| json!({ "field": f.field, "sm3": f.blob.sm3, "size": f.blob.size })).collect::<Vec<_>>(),
        "removed": posted.remove_files,
    });
    if !posted.submit || !problems.is_empty() {
        if created == 1 {
            event(&mut tx, case_id, ctx.now, "created", &citizen_actor, false, "").await?;
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
    // Submitting: the tracking number, the look-up MACs, the status, the timeline, the audit.
    let existing: Option<String> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT tracking_no FROM cases WHERE id = $1").bind(case_id).fetch_one(conn).await)?;
    let tracking_no = match existing {
        Some(t) => t,
        None => next_tracking_no(&mut tx, &item.department_code, ctx.now).await?,
    };
    let profile = profile.ok_or(CaseError::NotFound)?;
    let id_mac = profile.id_number.as_deref().map(|n| keys.lookup_mac(&tracking_no, "id", last4(n)));
    let phone_mac = keys.lookup_mac(&tracking_no, "phone", last4(&profile.phone));
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE cases SET status = 'submitted', tracking_no = $1, lookup_id_mac = $2, lookup_phone_mac = $3, \
         submitted_at = COALESCE(submitted_at, $4), supplement_note = NULL, supplement_fields = NULL WHERE id = $5")
        .bind(&tracking_no).bind(&id_mac).bind(&phone_mac).bind(ctx.now).bind(case_id)
        .execute(conn).await.map(|_| ()))?;
    let kind = if was_supplement { "resubmitted" } else { "submitted" };
    event(&mut tx, case_id, ctx.now, kind, &citizen_actor, true, "").await?;
    // Tasks for the step the case is at; back from 补正 the clock resumes where it stopped.
    if let Some(prepared) = &prepared {
        crate::workflow::on_submitted(&mut tx, prepared, case_id, ctx.now).await?;
    }
    let ev = AuditEvent::new(if was_supplement { "case.resubmit" } else { "case.submit" }, "case", case_id)
        .with_detail(
            json!({ "service": item.code, "tracking_no": tracking_no, "form_version": version, "files": files_detail }),
        );
    audit::append(&mut tx, ctx.audit, &citizen_actor, ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(Saved::Submitted { case_id, tracking_no })
}

fn last4(s: &str) -> &str {
    let n = s.len();
    &s[n.saturating_sub(4)..]
}

/// `QSMZJ-20261129-00042`: the department's code, the day (Asia/Shanghai), and that day's
/// sequence for the department, taken from a counter row inside the submitting transaction.
async fn next_tracking_no(tx: &mut WriteTx, dept_code: &str, now: DateTime<Utc>) -> Result<String, sqlx::Error> {
    let day = crate::time::shanghai_date(now).format("%Y%m%d").to_string();
    let dept: String = dept_code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase();
    let n: i32 = with_tx!(tx, conn => sqlx::query_scalar(
        "INSERT INTO case_sequences (day, dept_code, last) VALUES ($1, $2, 1) \
         ON CONFLICT (day, dept_code) DO UPDATE SET last = case_sequences.last + 1 RETURNING last")
        .bind(&day).bind(&dept).fetch_one(conn).await)?;
    Ok(format!("{dept}-{day}-{n:05}"))
}

/// Appends a step to the case's timeline (inside the caller's transaction); the applicant is
/// named "申请人", never by account.
pub(crate) async fn event(
    tx: &mut WriteTx,
    case_id: i64,
    at: DateTime<Utc>,
    kind: &str,
    actor: &Actor,
    public: bool,
    message: &str,
) -> Result<(), sqlx::Error> {
    let name = match actor.kind {
        audit::ActorKind::Citizen => "申请人".to_string(),
        _ => actor.name.clone(),
    };
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO case_events (case_id, at, kind, actor_kind, actor_name, public, message) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(case_id).bind(at).bind(kind).bind(actor.kind.as_str()).bind(name).bind(public).bind(message)
        .execute(conn).await.map(|_| ()))
}

fn event_title(kind: &str) -> &'static str {
    match kind {
        "created" => "创建草稿",
        "submitted" => "提交申请",
        "supplement_requested" => "要求补正材料",
        "resubmitted" => "补正后重新提交",
        "withdrawn" => "撤回申请",
        "accepted" => "受理",
        "not_accepted" => "不予受理",
        "approved" => "办结（准予）",
        "rejected" => "办结（不予许可）",
        "terminated" => "终止办理",
        "suspended" => "特别程序（不计入办理期限）",
        "resumed" => "特别程序结束，恢复计时",
        "extended" => "延长办理期限",
        "step_approved" => "环节审批通过",
        "countersigned" => "会签同意",
        "returned" => "退回上一环节",
        "transferred" => "转办",
        "delegated" => "委派",
        "taken_back" => "收回委派",
        "assigned" => "督办指派",
        "extension_requested" => "申请延期",
        "copied" => "抄送",
        "extension_refused" => "延期申请未获批准",
        "reminded" => "催办",
        "supervision_note" => "督办记录",
        "warning_yellow" => "黄牌预警",
        "warning_red" => "红牌超期",
        _ => "办理",
    }
}

async fn timeline(
    db: &Db,
    case_id: i64,
    public_only: bool,
    staff_names: bool,
) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, String, String, String, bool, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT at, kind, actor_kind, actor_name, public, message FROM case_events WHERE case_id = $1 ORDER BY id")
        .bind(case_id).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.4 || !public_only)
        .map(|(at, kind, actor_kind, actor_name, _, message)| TimelineEntry {
            at: crate::time::local_minute(at),
            title: event_title(&kind).to_string(),
            kind,
            // The public sees "工作人员", not a staff member's user name.
            actor: match actor_kind.as_str() {
                "citizen" => "申请人".into(),
                "staff" if staff_names => actor_name,
                "staff" => "工作人员".into(),
                _ => "系统".into(),
            },
            message,
        })
        .collect())
}

// ---- Reading cases ------------------------------------------------------------------------

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    tracking_no: Option<String>,
    service_code: String,
    service_name: String,
    department: String,
    status: String,
    updated_at: DateTime<Utc>,
    submitted_at: Option<DateTime<Utc>>,
    total: i64,
}

impl SummaryRow {
    fn into_summary(self) -> CaseSummary {
        CaseSummary {
            id: self.id,
            tracking_no: self.tracking_no,
            service_code: self.service_code,
            service_name: self.service_name,
            department: self.department,
            status: CaseStatus::parse(&self.status).unwrap_or(CaseStatus::Draft),
            updated_at: crate::time::local_minute(self.updated_at),
            submitted_at: self.submitted_at.map(crate::time::local_minute),
        }
    }
}

const SUMMARY: &str = "SELECT c.id, c.tracking_no, i.code AS service_code, i.name AS service_name, \
     d.name AS department, c.status, c.updated_at, c.submitted_at, COUNT(*) OVER () AS total \
     FROM cases c JOIN service_items i ON i.id = c.item_id JOIN departments d ON d.id = c.department_id";

/// The citizen's own cases, drafts included, newest first.
pub async fn my_cases(ctx: &Ctx<'_>, actor: &CitizenActor) -> Result<Vec<CaseSummary>, CaseError> {
    let sql = format!("{SUMMARY} WHERE c.citizen_id = $1 ORDER BY c.updated_at DESC, c.id DESC LIMIT 200");
    let rows: Vec<SummaryRow> = with_db!(ctx.db, pool => sqlx::query_as(&sql).bind(actor.id).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(SummaryRow::into_summary).collect())
}

async fn summary_of(db: &Db, id: i64) -> Result<CaseSummary, CaseError> {
    let sql = format!("{SUMMARY} WHERE c.id = $1");
    let row: Option<SummaryRow> = with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    Ok(row.ok_or(CaseError::NotFound)?.into_summary())
}

async fn detail_of(db: &Db, keys: &PersonalKeys, c: CaseRow, staff: bool) -> Result<CaseDetail, CaseError> {
    let form = services::form_at(db, c.item_id, c.form_version).await?.ok_or(CaseError::NotFound)?;
    let values = c.answers(keys);
    let answers = form
        .fields()
        .filter(|f| f.kind != FieldKind::Attachment)
        .map(|f| Answer {
            name: f.name.clone(),
            label: f.label.clone(),
            value: values.get(&f.name).map(|v| v.join("、")).unwrap_or_default(),
            kind: f.kind,
        })
        .collect();
    let (promised_days, day_kind): (i32, String) = with_db!(db, pool => sqlx::query_as(
        "SELECT promised_days, day_kind FROM service_items WHERE id = $1").bind(c.item_id).fetch_one(pool).await)?;
    let attachment_fields =
        form.fields().filter(|f| f.kind == FieldKind::Attachment).map(|f| (f.name.clone(), f.label.clone())).collect();
    Ok(CaseDetail {
        client_key: if staff { String::new() } else { c.client_key.clone() },
        summary: summary_of(db, c.id).await?,
        form_version: c.form_version,
        answers,
        attachment_fields,
        files: files_of(db, c.id).await?,
        timeline: timeline(db, c.id, !staff, staff).await?,
        supplement_note: c.supplement_note.clone(),
        supplement_fields: c.supplement_fields(),
        promised_days,
        day_kind: zhengwu_types::services::DayKind::parse(&day_kind)
            .unwrap_or(zhengwu_types::services::DayKind::Working),
    })
}

/// One of the citizen's own cases with everything in it (the receipt and the tracking page).
pub async fn my_case(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
    id: i64,
) -> Result<CaseDetail, CaseError> {
    let c = case_by_id(ctx.db, id).await?.filter(|c| c.citizen_id == actor.id).ok_or(CaseError::NotFound)?;
    detail_of(ctx.db, keys, c, false).await
}

/// A tracking number as typed: spaces dropped, letters upper-case.
pub fn normalise_tracking_no(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

/// The public look-up: the tracking number and the last four characters of the applicant's
/// ID number or phone. `None` both for "no such case" and "wrong digits", computed the same
/// way either way; the caller limits the rate.
pub async fn lookup(
    db: &Db,
    keys: &PersonalKeys,
    tracking_no: &str,
    last4: &str,
) -> Result<Option<LookupResult>, CaseError> {
    let no = normalise_tracking_no(tracking_no);
    let digits = last4.trim().to_ascii_uppercase();
    let row: Option<(i64, Option<String>, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, lookup_id_mac, lookup_phone_mac FROM cases WHERE tracking_no = $1")
        .bind(&no).fetch_optional(pool).await)?;
    let id_mac = keys.lookup_mac(&no, "id", &digits);
    let phone_mac = keys.lookup_mac(&no, "phone", &digits);
    let Some((id, stored_id, stored_phone)) = row else { return Ok(None) };
    let eq = |a: &str, b: &str| zhengwu_crypto::constant_time_eq(a.as_bytes(), b.as_bytes());
    let matches = stored_id.as_deref().is_some_and(|s| eq(s, &id_mac)) | eq(&stored_phone, &phone_mac);
    if digits.len() != 4 || !matches {
        return Ok(None);
    }
    let s = summary_of(db, id).await?;
    Ok(Some(LookupResult {
        tracking_no: no,
        service_name: s.service_name,
        department: s.department,
        status: s.status,
        timeline: timeline(db, id, true, false).await?,
    }))
}

/// Where a file can be read from: its store key, type and display name.
#[derive(Debug, Clone)]
pub struct FileRef {
    pub blob_key: String,
    pub media_type: String,
    pub name: String,
    /// The SM3 digest taken at upload; the file read back must match it.
    pub sm3: String,
}

async fn file_row(db: &Db, id: i64) -> Result<Option<(i64, FileRef)>, sqlx::Error> {
    let row: Option<(i64, String, String, String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT case_id, blob_key, media_type, display_name, sm3 FROM case_files WHERE id = $1 AND removed_at IS NULL")
        .bind(id).fetch_optional(pool).await)?;
    Ok(row.map(|(case_id, blob_key, media_type, name, sm3)| (case_id, FileRef { blob_key, media_type, name, sm3 })))
}

/// A file of the citizen's own case.
pub async fn my_file(ctx: &Ctx<'_>, actor: &CitizenActor, file_id: i64) -> Result<FileRef, CaseError> {
    let (case_id, f) = file_row(ctx.db, file_id).await?.ok_or(CaseError::NotFound)?;
    let owner: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT citizen_id FROM cases WHERE id = $1")
        .bind(case_id).fetch_optional(pool).await)?;
    if owner != Some(actor.id) {
        return Err(CaseError::NotFound);
    }
    Ok(f)
}

// ---- Staff --------------------------------------------------------------------------------

/// Filters of the staff case list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub service: Option<String>,
    pub status: Option<CaseStatus>,
    /// Only concluded cases (办结: approved, refused or terminated), whatever `status` says.
    pub concluded: bool,
    pub department: Option<String>,
    /// Submitted on or after / before the end of (Asia/Shanghai dates).
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

fn day_start(d: chrono::NaiveDate) -> DateTime<Utc> {
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    DateTime::<Utc>::from_naive_utc_and_offset(local - chrono::Duration::hours(8), Utc)
}

fn staff_covers(actor: &StaffActor, department_id: i64) -> bool {
    actor.scope.covers(department_id, None, actor.id)
}

/// Incoming cases (never drafts) in the staff member's data scope.
pub async fn list_for_staff(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    f: &CaseFilter,
    page: PageRequest,
) -> Result<Page<CaseSummary>, CaseError> {
    actor.require(Permission::CaseRead).map_err(|_| CaseError::Forbidden)?;
    let scope = services::scope_clause(actor, "c.department_id");
    let sql = format!(
        "{SUMMARY} WHERE c.status <> 'draft' {scope} \
         AND ($1 IS NULL OR i.code = $1) AND ($2 IS NULL OR c.status = $2) AND ($3 IS NULL OR d.code = $3) \
         AND ($4 IS NULL OR c.submitted_at >= $4) AND ($5 IS NULL OR c.submitted_at < $5) \
         AND ($8 = FALSE OR c.status IN ('approved', 'rejected', 'terminated')) \
         ORDER BY c.submitted_at DESC, c.id DESC LIMIT $6 OFFSET $7"
    );
    let from = f.from.map(day_start);
    let to = f.to.map(|d| day_start(d + chrono::Duration::days(1)));
    let rows: Vec<SummaryRow> = with_db!(ctx.db, pool => sqlx::query_as(&sql)
        .bind(f.service.as_deref()).bind(f.status.map(|s| s.code())).bind(f.department.as_deref())
        .bind(from).bind(to).bind(page.limit()).bind(page.offset()).bind(f.concluded)
        .fetch_all(pool).await)?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    Ok(Page::new(rows.into_iter().map(SummaryRow::into_summary).collect(), page, total))
}

/// A case for staff, in full (they process it); reading it is recorded in the audit trail.
pub async fn case_for_staff(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &StaffActor,
    id: i64,
) -> Result<CaseDetail, CaseError> {
    actor.require(Permission::CaseRead).map_err(|_| CaseError::Forbidden)?;
    let c = case_by_id(ctx.db, id)
        .await?
        .filter(|c| c.status() != CaseStatus::Draft && staff_covers(actor, c.department_id))
        .ok_or(CaseError::NotFound)?;
    let mut tx = ctx.db.begin_write().await?;
    audit::append(
        &mut tx,
        ctx.audit,
        &actor.audit_actor(),
        ctx.meta,
        &AuditEvent::new("case.view", "case", id),
        ctx.now,
    )
    .await?;
    tx.commit().await?;
    detail_of(ctx.db, keys, c, true).await
}

/// A file of a case the staff member may see.
pub async fn staff_file(ctx: &Ctx<'_>, actor: &StaffActor, file_id: i64) -> Result<FileRef, CaseError> {
    actor.require(Permission::CaseRead).map_err(|_| CaseError::Forbidden)?;
    let (case_id, f) = file_row(ctx.db, file_id).await?.ok_or(CaseError::NotFound)?;
    let c = case_by_id(ctx.db, case_id).await?.ok_or(CaseError::NotFound)?;
    if c.status() == CaseStatus::Draft || !staff_covers(actor, c.department_id) {
        return Err(CaseError::NotFound);
    }
    let mut tx = ctx.db.begin_write().await?;
    let ev = AuditEvent::new("case.file_download", "case", case_id).with_detail(json!({ "file": file_id }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(f)
}

/// Asks the applicant for missing or corrected materials (补正): the message, and the fields
/// to change. Done through the staff member's open task on the case (the workflow decides
/// whether the step allows it); the clock stops until the applicant resubmits.
pub async fn request_supplement(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    id: i64,
    message: &str,
    fields: &[String],
) -> Result<(), CaseError> {
    actor.require(Permission::CaseApprove).map_err(|_| CaseError::Forbidden)?;
    let c = case_by_id(ctx.db, id)
        .await?
        .filter(|c| c.status() != CaseStatus::Draft && staff_covers(actor, c.department_id))
        .ok_or(CaseError::NotFound)?;
    let task: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar(
        "SELECT id FROM case_tasks WHERE case_id = $1 AND assignee_id = $2 AND status = 'open' ORDER BY id LIMIT 1")
        .bind(c.id).bind(actor.id).fetch_optional(pool).await)?;
    let Some(task) = task else {
        return Err(CaseError::BadRequest {
            field: "message", message: "您没有该办件的待办任务，不能要求补正".into()
        });
    };
    let act = crate::workflow::Act::Supplement { message: message.to_string(), fields: fields.to_vec() };
    match crate::workflow::act(ctx, actor, task, act, crate::workflow::ClockPolicy::default()).await {
        Ok(_) => Ok(()),
        Err(crate::workflow::WorkflowError::Invalid { field, message }) => {
            Err(CaseError::BadRequest { field, message })
        }
        Err(e) => Err(e.into()),
    }
}
