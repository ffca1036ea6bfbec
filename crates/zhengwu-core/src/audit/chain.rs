use chrono::{DateTime, SubsecRound, Utc};
use zeroize::Zeroizing;
use zhengwu_crypto::{hmac_sm3, keys::MasterKey, keys::Purpose, to_hex, verify_hmac_sm3, SM3_LEN};

use super::{Actor, AuditEvent, AuditRecord, RequestMeta, MIN_RETENTION_DAYS};
use crate::{
    db::{Db, WriteTx},
    with_db, with_tx,
};

const RECORD_DOMAIN: &[u8] = b"zhengwu-audit-v1";
const HEAD_DOMAIN: &[u8] = b"zhengwu-audit-head-v1";
const BATCH: i64 = 1000;

/// The key that chains audit records, derived from the master key.
#[derive(Clone)]
pub struct AuditKey(Zeroizing<[u8; SM3_LEN]>);

impl AuditKey {
    pub fn from_master(master: &MasterKey) -> Self {
        AuditKey(master.mac_key(Purpose::AuditChain))
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

/// Why the chain does not verify: the first thing found wrong, naming the record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    #[error("the audit head row is missing while {records} records exist")]
    HeadMissing { records: i64 },
    #[error("the audit head row was altered")]
    HeadAltered,
    #[error("record {seq} was altered (or replaced)")]
    Altered { seq: i64 },
    #[error("record {seq} was deleted")]
    Deleted { seq: i64 },
    #[error("record {seq} was inserted")]
    Inserted { seq: i64 },
    #[error("records after {last_kept} were deleted (the chain should end at {expected_last})")]
    TailDeleted { last_kept: i64, expected_last: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub records: u64,
    /// `(first, last)` sequence numbers; `None` for an empty trail.
    pub range: Option<(i64, i64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the audit trail does not verify ({0}); run `zhengwu audit verify`")]
    Damaged(Tamper),
    #[error("retention must be at least {MIN_RETENTION_DAYS} days, not {0}")]
    RetentionTooShort(u32),
}

struct Head {
    last_seq: i64,
    last_mac: String,
    first_seq: i64,
    anchor_mac: String,
    head_mac: String,
}

fn head_mac(key: &AuditKey, last_seq: i64, last_mac: &str, first_seq: i64, anchor_mac: &str) -> String {
    to_hex(&hmac_sm3(
        key.0.as_ref(),
        &[
            HEAD_DOMAIN,
            &last_seq.to_be_bytes(),
            &field(Some(last_mac)),
            &first_seq.to_be_bytes(),
            &field(Some(anchor_mac)),
        ],
    ))
}

fn head_is_genuine(key: &AuditKey, h: &Head) -> bool {
    constant_eq(&head_mac(key, h.last_seq, &h.last_mac, h.first_seq, &h.anchor_mac), &h.head_mac)
}

fn constant_eq(a: &str, b: &str) -> bool {
    zhengwu_crypto::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// Length-prefixed, so no two different records have the same encoding.
fn field(v: Option<&str>) -> Vec<u8> {
    match v {
        None => u32::MAX.to_be_bytes().to_vec(),
        Some(s) => {
            let mut out = (s.len() as u32).to_be_bytes().to_vec();
            out.extend_from_slice(s.as_bytes());
            out
        }
    }
}

/// The canonical bytes of a record (everything but its MAC).
fn canonical(r: &AuditRecord) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(&r.seq.to_be_bytes());
    out.extend(field(Some(&timestamp_text(r.occurred_at))));
    out.extend(field(Some(&r.actor_kind)));
    out.extend(field(r.actor_id.map(|id| id.to_string()).as_deref()));
    out.extend(field(Some(&r.actor_name)));
    out.extend(field(Some(&r.action)));
    out.extend(field(Some(&r.object_type)));
    out.extend(field(r.object_id.as_deref()));
    out.extend(field(Some(&r.outcome)));
    out.extend(field(r.ip.as_deref()));
    out.extend(field(r.user_agent.as_deref()));
    out.extend(field(r.request_id.as_deref()));
    out.extend(field(Some(&r.detail)));
    out
}

fn timestamp_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn record_parts<'a>(canonical: &'a [u8], prev_mac: &'a str) -> [&'a [u8]; 3] {
    [RECORD_DOMAIN, canonical, prev_mac.as_bytes()]
}

fn record_mac(key: &AuditKey, r: &AuditRecord, prev_mac: &str) -> String {
    let c = canonical(r);
    to_hex(&hmac_sm3(key.0.as_ref(), &record_parts(&c, prev_mac)))
}

fn record_is_genuine(key: &AuditKey, r: &AuditRecord, prev_mac: &str) -> bool {
    let c = canonical(r);
    match zhengwu_crypto::from_hex(&r.mac) {
        Some(tag) => verify_hmac_sm3(key.0.as_ref(), &record_parts(&c, prev_mac), &tag),
        None => false,
    }
}

/// Appends one record inside `tx`, the transaction of the change it records. Returns its
/// sequence number. Refuses (and so fails the change) when the head has been tampered with.
pub async fn append(
    tx: &mut WriteTx,
    key: &AuditKey,
    actor: &Actor,
    meta: &RequestMeta,
    event: &AuditEvent,
    at: DateTime<Utc>,
) -> Result<i64, AuditError> {
    let genesis = head_mac(key, 0, "", 1, "");
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_head (id, last_seq, last_mac, first_seq, anchor_mac, head_mac) \
         VALUES (1, 0, '', 1, '', $1) ON CONFLICT (id) DO NOTHING")
        .bind(&genesis).execute(conn).await.map(|r| r.rows_affected()))?;
    // Takes the head's row lock on PostgreSQL until commit: appends are serial.
    let (last_seq, last_mac, first_seq, anchor_mac, stored): (i64, String, i64, String, String) = with_tx!(tx, conn =>
        sqlx::query_as("UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 \
                        RETURNING last_seq, last_mac, first_seq, anchor_mac, head_mac")
        .fetch_one(conn).await)?;
    let seq = last_seq;
    let before = Head { last_seq: seq - 1, last_mac, first_seq, anchor_mac, head_mac: stored };
    if !head_is_genuine(key, &before) {
        return Err(AuditError::Damaged(Tamper::HeadAltered));
    }
    let mut record = AuditRecord {
        seq,
        occurred_at: at.trunc_subsecs(6),
        actor_kind: actor.kind.code().to_string(),
        actor_id: actor.id,
        actor_name: actor.name.clone(),
        action: event.action.to_string(),
        object_type: event.object_type.to_string(),
        object_id: event.object_id.clone(),
        outcome: event.outcome.as_str().to_string(),
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.as_ref().map(|ua| ua.chars().take(300).collect()),
        request_id: meta.request_id.clone(),
        detail: event.detail.to_string(),
        mac: String::new(),
    };
    record.mac = record_mac(key, &record, &before.last_mac);
    let r = &record;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO audit_log (seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, \
         object_id, outcome, ip, user_agent, request_id, detail, mac) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
        .bind(r.seq).bind(r.occurred_at).bind(&r.actor_kind).bind(r.actor_id).bind(&r.actor_name)
        .bind(&r.action).bind(&r.object_type).bind(&r.object_id).bind(&r.outcome).bind(&r.ip)
        .bind(&r.user_agent).bind(&r.request_id).bind(&r.detail).bind(&r.mac)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    let new_head = head_mac(key, seq, &record.mac, before.first_seq, &before.anchor_mac);
    with_tx!(tx, conn => sqlx::query("UPDATE audit_head SET last_mac = $1, head_mac = $2 WHERE id = 1")
        .bind(&record.mac).bind(&new_head).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(seq)
}

const RECORD_COLUMNS: &str = "seq, occurred_at, actor_kind, actor_id, actor_name, action, object_type, object_id, \
     outcome, ip, user_agent, request_id, detail, mac";

async fn read_head(db: &Db) -> Result<Option<Head>, sqlx::Error> {
    let row: Option<(i64, String, i64, String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT last_seq, last_mac, first_seq, anchor_mac, head_mac FROM audit_head WHERE id = 1")
        .fetch_optional(pool).await)?;
    Ok(row.map(|(last_seq, last_mac, first_seq, anchor_mac, head_mac)| Head {
        last_seq,
        last_mac,
        first_seq,
        anchor_mac,
        head_mac,
    }))
}

/// Walks the whole chain. `Ok(Err(tamper))` names the first record found altered, deleted or
/// inserted; `Err` is a database failure.
pub async fn verify(db: &Db, key: &AuditKey) -> Result<Result<VerifyReport, Tamper>, sqlx::Error> {
    let (count, min_seq): (i64, Option<i64>) =
        with_db!(db, pool => sqlx::query_as("SELECT COUNT(*), MIN(seq) FROM audit_log").fetch_one(pool).await)?;
    let Some(head) = read_head(db).await? else {
        return Ok(if count == 0 {
            Ok(VerifyReport { records: 0, range: None })
        } else {
            Err(Tamper::HeadMissing { records: count })
        });
    };
    if !head_is_genuine(key, &head) {
        return Ok(Err(Tamper::HeadAltered));
    }
    if let Some(min) = min_seq.filter(|m| *m < head.first_seq) {
        return Ok(Err(Tamper::Inserted { seq: min }));
    }
    let mut expected = head.first_seq;
    let mut prev = head.anchor_mac.clone();
    let mut seen = 0u64;
    loop {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2");
        let batch: Vec<AuditRecord> =
            with_db!(db, pool => sqlx::query_as(&sql).bind(expected).bind(BATCH).fetch_all(pool).await)?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            if r.seq > head.last_seq {
                return Ok(Err(Tamper::Inserted { seq: r.seq }));
            }
            if r.seq != expected {
                return Ok(Err(Tamper::Deleted { seq: expected }));
            }
            if !record_is_genuine(key, r, &prev) {
                return Ok(Err(Tamper::Altered { seq: r.seq }));
            }
            prev = r.mac.clone();
            expected += 1;
            seen += 1;
        }
    }
    if expected - 1 != head.last_seq || !constant_eq(&prev, &head.last_mac) {
        return Ok(Err(Tamper::TailDeleted { last_kept: expected - 1, expected_last: head.last_seq }));
    }
    let range = (head.last_seq >= head.first_seq).then_some((head.first_seq, head.last_seq));
    Ok(Ok(VerifyReport { records: seen, range }))
}

/// Deletes records older than `cutoff`, which must lie at least `retention_days` (≥ 186) before
/// `now`. The chain's start moves to the first kept record and the purge itself is recorded,
/// so the rest still verifies. Returns how many records were removed.
pub async fn purge_before(
    db: &Db,
    key: &AuditKey,
    actor: &Actor,
    meta: &RequestMeta,
    retention_days: u32,
    now: DateTime<Utc>,
) -> Result<u64, AuditError> {
    if retention_days < MIN_RETENTION_DAYS {
        return Err(AuditError::RetentionTooShort(retention_days));
    }
    let cutoff = now - chrono::Duration::days(i64::from(retention_days));
    let mut tx = db.begin_write().await?;
    // Lock and check the head first (appends wait behind us on PostgreSQL).
    let head: Option<(i64, String, i64, String, String)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "UPDATE audit_head SET last_seq = last_seq WHERE id = 1 \
         RETURNING last_seq, last_mac, first_seq, anchor_mac, head_mac")
        .fetch_optional(conn).await)?;
    let Some((last_seq, last_mac, first_seq, anchor_mac, head_mac_stored)) = head else { return Ok(0) };
    let head = Head { last_seq, last_mac, first_seq, anchor_mac, head_mac: head_mac_stored };
    if !head_is_genuine(key, &head) {
        return Err(AuditError::Damaged(Tamper::HeadAltered));
    }
    let last_old: Option<(i64, String)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT seq, mac FROM audit_log WHERE occurred_at < $1 ORDER BY seq DESC LIMIT 1")
        .bind(cutoff).fetch_optional(conn).await)?;
    let Some((through, anchor)) = last_old else { return Ok(0) };
    let removed = with_tx!(&mut tx, conn => sqlx::query("DELETE FROM audit_log WHERE seq <= $1")
        .bind(through).execute(conn).await.map(|r| r.rows_affected()))?;
    let new_first = through + 1;
    let new_head = head_mac(key, head.last_seq, &head.last_mac, new_first, &anchor);
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE audit_head SET first_seq = $1, anchor_mac = $2, head_mac = $3 WHERE id = 1")
        .bind(new_first).bind(&anchor).bind(&new_head).execute(conn).await.map(|r| r.rows_affected()))?;
    let event = AuditEvent::new("audit.purge", "audit_log", format!("..{through}")).with_detail(serde_json::json!({
        "through_seq": through, "removed": removed, "retention_days": retention_days,
        "cutoff": timestamp_text(cutoff),
    }));
    append(&mut tx, key, actor, meta, &event, now).await?;
    tx.commit().await?;
    Ok(removed)
}
