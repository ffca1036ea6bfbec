//! One-off steps that change stored data in ways a SQL migration cannot (they need the keys),
//! run at start after the migrations. Each runs once per database, in one write transaction
//! with its `maintenance` row, so several instances starting together do it once, and a crash
//! half-way leaves nothing half-done.

use chrono::{DateTime, Utc};
use zhengwu_crypto::sm4gcm::{self, Sm4Key};

use crate::{citizen::PersonalKeys, db::Db, with_tx};

/// Sealed values whose associated data named only the column are sealed again with the row
/// bound in (table, column, row id), so a value copied into another row no longer decrypts.
pub const ROW_BOUND_AAD: &str = "row_bound_aad";

/// What [`reseal_row_bound`] did: values re-sealed, values that did not open (left alone).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    pub ran: bool,
    pub values: usize,
    pub unreadable: usize,
}

type CitizenRow = (i64, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Re-seals citizens' personal fields, cases' answers and staff TOTP secrets (see
/// [`ROW_BOUND_AAD`]).
pub async fn reseal_row_bound(
    db: &Db,
    personal: &PersonalKeys,
    totp: &Sm4Key,
    now: DateTime<Utc>,
) -> Result<Resealed, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let done: Option<String> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT step FROM maintenance WHERE step = $1")
        .bind(ROW_BOUND_AAD).fetch_optional(conn).await)?;
    if done.is_some() {
        return Ok(Resealed::default());
    }
    let mut r = Resealed { ran: true, ..Resealed::default() };
    let citizens: Vec<CitizenRow> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT id, phone_sealed, real_name_sealed, id_number_sealed FROM citizens").fetch_all(conn).await)?;
    for (id, phone, name, idn) in citizens {
        let mut again = |label: &[u8], v: Option<Vec<u8>>| -> Option<Vec<u8>> {
            let v = v?;
            match personal.open_legacy(label, &v) {
                Some(clear) => {
                    r.values += 1;
                    Some(personal.seal_bound(label, id, &clear))
                }
                None => {
                    r.unreadable += 1;
                    Some(v)
                }
            }
        };
        let phone = again(b"citizens.phone", Some(phone)).unwrap_or_default();
        let name = again(b"citizens.real_name", name);
        let idn = again(b"citizens.id_number", idn);
        with_tx!(&mut tx, conn => sqlx::query(
            "UPDATE citizens SET phone_sealed = $1, real_name_sealed = $2, id_number_sealed = $3 WHERE id = $4")
            .bind(phone).bind(name).bind(idn).bind(id).execute(conn).await.map(|_| ()))?;
    }
    let cases: Vec<(i64, Vec<u8>)> =
        with_tx!(&mut tx, conn => sqlx::query_as("SELECT id, data_sealed FROM cases").fetch_all(conn).await)?;
    for (id, data) in cases {
        match personal.open_legacy(b"cases.data", &data) {
            Some(clear) => {
                r.values += 1;
                with_tx!(&mut tx, conn => sqlx::query("UPDATE cases SET data_sealed = $1 WHERE id = $2")
                    .bind(personal.seal_bound(b"cases.data", id, &clear)).bind(id).execute(conn).await.map(|_| ()))?;
            }
            None => r.unreadable += 1,
        }
    }
    let staff: Vec<(i64, Vec<u8>)> = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT id, totp_sealed FROM staff WHERE totp_sealed IS NOT NULL").fetch_all(conn).await)?;
    for (id, sealed) in staff {
        match sm4gcm::open(totp, &sealed, b"staff.totp") {
            Ok(clear) => {
                r.values += 1;
                let bound = sm4gcm::seal(totp, &clear, &crate::identity::totp_aad(id));
                with_tx!(&mut tx, conn => sqlx::query("UPDATE staff SET totp_sealed = $1 WHERE id = $2")
                    .bind(bound).bind(id).execute(conn).await.map(|_| ()))?;
            }
            Err(_) => r.unreadable += 1,
        }
    }
    with_tx!(&mut tx, conn => sqlx::query("INSERT INTO maintenance (step, done_at) VALUES ($1, $2)")
        .bind(ROW_BOUND_AAD).bind(now).execute(conn).await.map(|_| ()))?;
    tx.commit().await?;
    Ok(r)
}

/// Forgets what has no use any more: sign-in failure counts of sources quiet for two days (and
/// not locked), expired image challenges. Returns the rows deleted.
pub async fn forget_stale(db: &Db, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let quiet = now - chrono::Duration::days(2);
    let a = crate::with_db!(db, pool => sqlx::query(
        "DELETE FROM login_throttle WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $2)")
        .bind(quiet).bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    let b = crate::with_db!(db, pool => sqlx::query("DELETE FROM challenges WHERE expires_at < $1")
        .bind(now).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(a + b)
}
