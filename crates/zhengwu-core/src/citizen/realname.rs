//! Real-name registration (实名登记): the citizen's name and resident identity number, checked
//! per GB 11643 and sealed. One identity number belongs to one account.
//!
//! Two abuses are closed here: registration is not an oracle for "is this ID number
//! registered?" ([`REAL_NAME_TRIES_PER_DAY`] tries a day per account), and a number someone
//! else claimed is not a dead end: its owner files a dispute, window staff verify the person
//! with the identity card, and an upheld dispute moves the registration to the owner.

use chrono::{DateTime, Datelike, Utc};
use serde_json::json;
use zhengwu_types::personal::{self, mask_id_number, mask_name, IdNumberProblem};

use super::{count_actions, invalid, today_start, CitizenActor, CitizenError, Field, PersonalKeys};
use crate::{
    audit::{self, AuditEvent},
    identity::{Ctx, Permission, StaffActor},
    with_db, with_tx,
};

/// Registrations (and disputes) an account may try per day.
pub const REAL_NAME_TRIES_PER_DAY: i64 = 5;

fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (2..=30).contains(&n)
        && name.chars().all(|c| c.is_alphabetic() || c == '·' || c == '•' || c == ' ')
        && !name.starts_with(' ')
}

/// The name and number as typed, checked.
fn checked(name: &str, id_number: &str, now: DateTime<Utc>) -> Result<(String, String), CitizenError> {
    let name = name.trim();
    if !valid_name(name) {
        return Err(invalid("real_name", "请填写与身份证一致的姓名（2–30 个字）"));
    }
    let today = crate::time::shanghai_date(now);
    let idn = personal::validate_id_number(id_number, (today.year(), today.month(), today.day()))
        .map_err(|p: IdNumberProblem| invalid("id_number", p.message_zh()))?;
    Ok((name.to_string(), idn))
}

async fn tries_left(ctx: &Ctx<'_>, actor: &CitizenActor) -> Result<(), CitizenError> {
    let since = today_start(ctx.now);
    let a = actor.audit_actor();
    let n = count_actions(ctx, &a, "citizen.real_name", since).await?
        + count_actions(ctx, &a, "citizen.real_name_dispute", since).await?;
    if n >= REAL_NAME_TRIES_PER_DAY {
        return Err(CitizenError::TooMany(
            "今日实名登记尝试次数已达上限，请明天再试，或携带身份证到政务服务中心窗口办理",
        ));
    }
    Ok(())
}

/// Records the citizen's real name and identity number, sealed and bound to their row.
/// A number registered to another account answers [`CitizenError::Invalid`] on `id_number`
/// with the way to dispute it.
pub async fn set_real_name(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
    name: &str,
    id_number: &str,
) -> Result<(), CitizenError> {
    let (name, idn) = checked(name, id_number, ctx.now)?;
    tries_left(ctx, actor).await?;
    let index = keys.index(Field::IdNumber, &idn);
    let mut tx = ctx.db.begin_write().await?;
    let holder: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM citizens WHERE id_number_index = $1").bind(&index).fetch_optional(conn).await)?;
    if holder.is_some_and(|h| h != actor.id) {
        let e = AuditEvent::new("citizen.real_name", "citizen", actor.id)
            .failed()
            .with_detail(json!({ "reason": "taken" }));
        audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
        tx.commit().await?;
        return Err(CitizenError::IdTaken);
    }
    let had: Option<(Option<Vec<u8>>,)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT id_number_sealed FROM citizens WHERE id = $1").bind(actor.id).fetch_optional(conn).await)?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE citizens SET real_name_sealed = $1, id_number_sealed = $2, id_number_index = $3, verified_at = $4, \
         updated_at = $4 WHERE id = $5")
        .bind(keys.seal(Field::RealName, actor.id, &name)).bind(keys.seal(Field::IdNumber, actor.id, &idn)).bind(&index)
        .bind(ctx.now).bind(actor.id).execute(conn).await.map(|_| ()))?;
    // Which fields changed, never their values.
    let e = AuditEvent::new("citizen.real_name", "citizen", actor.id).with_detail(json!({
        "changed": ["real_name", "id_number"],
        "had_real_name": had.and_then(|h| h.0).is_some(),
    }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// The owner of an identity number registered to another account disputes it; window staff
/// verify in person. One pending dispute per account and number. Returns the dispute's id.
pub async fn dispute_real_name(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    actor: &CitizenActor,
    name: &str,
    id_number: &str,
) -> Result<i64, CitizenError> {
    let (name, idn) = checked(name, id_number, ctx.now)?;
    tries_left(ctx, actor).await?;
    let index = keys.index(Field::IdNumber, &idn);
    let mut tx = ctx.db.begin_write().await?;
    let holder: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM citizens WHERE id_number_index = $1").bind(&index).fetch_optional(conn).await)?;
    let Some(holder) = holder.filter(|h| *h != actor.id) else {
        return Err(invalid("id_number", "该身份证号码没有登记在其他账号，可以直接实名登记"));
    };
    let open: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT id FROM realname_disputes WHERE citizen_id = $1 AND id_number_index = $2 AND status = $3")
        .bind(actor.id).bind(&index).bind(DisputeStatus::Pending).fetch_optional(conn).await)?;
    if let Some(id) = open {
        return Ok(id);
    }
    let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "INSERT INTO realname_disputes (citizen_id, holder_id, id_number_index, real_name_sealed, id_number_sealed, status, created_at) \
         VALUES ($1, $2, $3, $4, $4, $6, $5) RETURNING id")
        .bind(actor.id).bind(holder).bind(&index).bind(Vec::<u8>::new()).bind(ctx.now).bind(DisputeStatus::Pending).fetch_one(conn).await)?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE realname_disputes SET real_name_sealed = $1, id_number_sealed = $2 WHERE id = $3")
        .bind(keys.seal_bound(b"realname_disputes.real_name", id, name.as_bytes()))
        .bind(keys.seal_bound(b"realname_disputes.id_number", id, idn.as_bytes()))
        .bind(id).execute(conn).await.map(|_| ()))?;
    let e = AuditEvent::new("citizen.real_name_dispute", "citizen", actor.id)
        .with_detail(json!({ "dispute": id, "holder": holder }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(id)
}

/// A dispute as window staff see it (masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    pub id: i64,
    pub citizen_id: i64,
    pub holder_id: i64,
    pub real_name: String,
    pub id_number: String,
    pub status: DisputeStatus,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

type DisputeRow = (i64, i64, i64, Vec<u8>, Vec<u8>, DisputeStatus, String, DateTime<Utc>);

zhengwu_types::code_enum! {
    /// A dispute's state (身份证号码被占用的申诉).
    pub enum DisputeStatus {
        /// Waiting for staff to check the documents.
        Pending = "pending",
        /// The filer is the holder: the number moved to them.
        Upheld = "upheld",
        Rejected = "rejected",
    }
}

impl DisputeStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            DisputeStatus::Pending => "待核实",
            DisputeStatus::Upheld => "已核实，已转给申诉人",
            DisputeStatus::Rejected => "未予支持",
        }
    }
}

fn open_field(keys: &PersonalKeys, label: &[u8], id: i64, v: &[u8]) -> String {
    keys.open_bound(label, id, v).unwrap_or_else(|| "（无法解密）".into())
}

/// Disputes for staff who verify identities (`personal:unmask`), pending first.
pub async fn list_disputes(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    staff: &StaffActor,
) -> Result<Vec<Dispute>, CitizenError> {
    if !staff.can(Permission::PersonalUnmask) {
        return Err(CitizenError::Forbidden);
    }
    let rows: Vec<DisputeRow> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT id, citizen_id, holder_id, real_name_sealed, id_number_sealed, status, note, created_at \
         FROM realname_disputes ORDER BY (status = $1) DESC, id DESC LIMIT 200")
        .bind(DisputeStatus::Pending).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, citizen_id, holder_id, name, idn, status, note, created_at)| Dispute {
            id,
            citizen_id,
            holder_id,
            real_name: mask_name(&open_field(keys, b"realname_disputes.real_name", id, &name)),
            id_number: mask_id_number(&open_field(keys, b"realname_disputes.id_number", id, &idn)),
            status,
            note,
            created_at,
        })
        .collect())
}

/// Window staff decide a dispute after checking the identity card in person. Upheld: the
/// registration moves to the disputing account (the other loses it). Audited for both.
pub async fn decide_dispute(
    ctx: &Ctx<'_>,
    keys: &PersonalKeys,
    staff: &StaffActor,
    id: i64,
    uphold: bool,
    note: &str,
) -> Result<(), CitizenError> {
    if !staff.can(Permission::PersonalUnmask) {
        return Err(CitizenError::Forbidden);
    }
    let note = note.trim();
    if !(2..=200).contains(&note.chars().count()) {
        return Err(invalid("note", "请填写核实情况（2–200 字），如：已核验身份证原件"));
    }
    let mut tx = ctx.db.begin_write().await?;
    let row: Option<DisputeRow> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT id, citizen_id, holder_id, real_name_sealed, id_number_sealed, status, note, created_at \
         FROM realname_disputes WHERE id = $1").bind(id).fetch_optional(conn).await)?;
    let (_, citizen, holder, name, idn, status, _, _) = row.ok_or(CitizenError::NotFound)?;
    if status != DisputeStatus::Pending {
        return Err(invalid("note", "该申诉已处理"));
    }
    let new_status = if uphold { DisputeStatus::Upheld } else { DisputeStatus::Rejected };
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE realname_disputes SET status = $1, note = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
        .bind(new_status).bind(note).bind(staff.id).bind(ctx.now).bind(id).execute(conn).await.map(|_| ()))?;
    if uphold {
        let name = keys.open_bound(b"realname_disputes.real_name", id, &name).ok_or(CitizenError::NotFound)?;
        let idn = keys.open_bound(b"realname_disputes.id_number", id, &idn).ok_or(CitizenError::NotFound)?;
        let index = keys.index(Field::IdNumber, &idn);
        // Decided on the registrations as they are now, not as they were when the dispute was
        // filed: the holder may have changed their number since, or someone else holds it.
        let holder_now: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar(
            "SELECT id FROM citizens WHERE id_number_index = $1").bind(&index).fetch_optional(conn).await)?;
        let disputer_index: Option<String> = with_tx!(&mut tx, conn => sqlx::query_scalar(
            "SELECT id_number_index FROM citizens WHERE id = $1").bind(citizen).fetch_one(conn).await)?;
        if disputer_index.is_some_and(|i| i != index) {
            return Err(invalid("note", "申诉人现已登记了另一身份证号码，请驳回本申诉，需要时由申诉人重新申诉"));
        }
        match holder_now {
            Some(h) if h == citizen => {}
            Some(h) if h != holder => {
                return Err(invalid(
                    "note",
                    "该身份证号码现由另一账号登记，与申诉时不同；请驳回本申诉，由申诉人重新申诉",
                ));
            }
            Some(_) => {
                with_tx!(&mut tx, conn => sqlx::query(
                    "UPDATE citizens SET real_name_sealed = NULL, id_number_sealed = NULL, id_number_index = NULL, \
                     verified_at = NULL, updated_at = $1 WHERE id = $2")
                    .bind(ctx.now).bind(holder).execute(conn).await.map(|_| ()))?;
                let lost = AuditEvent::new("citizen.real_name_revoked", "citizen", holder)
                    .with_detail(json!({ "dispute": id }));
                audit::append(&mut tx, ctx.audit, &staff.audit_actor(), ctx.meta, &lost, ctx.now).await?;
            }
            // The holder gave the number up meanwhile: it is free to register.
            None => {}
        }
        with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE citizens SET real_name_sealed = $1, id_number_sealed = $2, id_number_index = $3, verified_at = $4, \
             updated_at = $4 WHERE id = $5")
            .bind(keys.seal(Field::RealName, citizen, &name)).bind(keys.seal(Field::IdNumber, citizen, &idn))
            .bind(&index).bind(ctx.now).bind(citizen).execute(conn).await.map(|_| ()))?;
    }
    let e = AuditEvent::new("citizen.real_name_dispute_decided", "citizen", citizen)
        .with_detail(json!({ "dispute": id, "upheld": uphold, "holder": holder }));
    audit::append(&mut tx, ctx.audit, &staff.audit_actor(), ctx.meta, &e, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}
