//! Keeping the blob store and the database in step: files citizens removed (and drafts they
//! deleted) are deleted from the store after a grace period, objects no row refers to
//! (orphans: a crash between storing an upload and committing its row) likewise, and partial
//! uploads left in the staging directory. `zhengwu blobs check` reports the same without
//! changing anything, plus rows whose file is missing and files stored before sealing.
//!
//! The sweep runs once a day across all instances (claimed like the deadline job).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::blobs::{BlobError, BlobStore};
use crate::{
    audit::{self, Actor, AuditEvent, AuditKey, RequestMeta},
    db::Db,
    with_db,
};

/// How long a removed or unreferenced file is kept before it is deleted.
pub const GRACE: Duration = Duration::hours(24);
/// Partial uploads older than this are left over from a crash.
pub const STAGING_GRACE: Duration = Duration::hours(1);
pub const SWEEP_JOB: &str = "blob_sweep";

/// What the store and the database disagree on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Objects rows refer to.
    pub referenced: usize,
    /// Rows (which: "case file 12", "article 3 attachment 0"; key) whose object is not in the store.
    pub missing: Vec<(String, String)>,
    /// Objects no row refers to, with their last write; `old` ones are past the grace period.
    pub orphans: Vec<(String, DateTime<Utc>)>,
    /// Removed files past the grace period still in the store.
    pub removed_due: Vec<(i64, String)>,
    /// Objects stored in clear (before sealing existed).
    pub unsealed: Vec<String>,
    /// Partial uploads left in the staging directory.
    pub staging_leftovers: usize,
}

impl Findings {
    pub fn old_orphans(&self, now: DateTime<Utc>) -> usize {
        self.orphans.iter().filter(|(_, at)| *at + GRACE < now).count()
    }

    /// Nothing needs doing (orphans within their grace period are uploads in flight).
    pub fn clean(&self, now: DateTime<Utc>) -> bool {
        self.missing.is_empty() && self.old_orphans(now) == 0 && self.removed_due.is_empty() && self.unsealed.is_empty()
    }
}

type FileRow = (i64, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

async fn staging_files(store: &BlobStore) -> Result<Vec<(std::path::PathBuf, DateTime<Utc>)>, BlobError> {
    let mut out = vec![];
    let mut d = match tokio::fs::read_dir(store.staging()).await {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e.into()),
    };
    while let Some(f) = d.next_entry().await? {
        if f.file_type().await?.is_file() {
            let at = f.metadata().await?.modified().map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now());
            out.push((f.path(), at));
        }
    }
    Ok(out)
}

/// Compares the store with the rows. `deep`: also read every referenced object to see whether
/// it is sealed (slow on a large bucket; the command line does it).
pub async fn check(db: &Db, store: &BlobStore, now: DateTime<Utc>, deep: bool) -> Result<Findings, BlobError> {
    let rows: Vec<FileRow> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, blob_key, removed_at, blob_deleted_at FROM case_files").fetch_all(pool).await)
    .map_err(|e| BlobError::Io(e.to_string()))?;
    // Published articles' attachments: referenced for as long as their row exists.
    let article_files = crate::articles::repo::blob_keys(db).await.map_err(|e| BlobError::Io(e.to_string()))?;
    let stored: HashMap<String, DateTime<Utc>> = store.list().await?.into_iter().collect();
    let known: BTreeSet<&str> =
        rows.iter().map(|r| r.1.as_str()).chain(article_files.iter().map(|a| a.2.as_str())).collect();
    let mut f = Findings::default();
    for (article, position, key) in &article_files {
        f.referenced += 1;
        if !stored.contains_key(key) {
            f.missing.push((format!("article {article} attachment {position}"), key.clone()));
        } else if deep && !store.is_sealed(key).await? {
            f.unsealed.push(key.clone());
        }
    }
    for (id, key, removed, deleted) in &rows {
        if deleted.is_some() {
            continue;
        }
        f.referenced += 1;
        if !stored.contains_key(key) {
            f.missing.push((format!("case file {id}"), key.clone()));
        } else if removed.is_some_and(|r| r + GRACE < now) {
            f.removed_due.push((*id, key.clone()));
        } else if deep && !store.is_sealed(key).await? {
            f.unsealed.push(key.clone());
        }
    }
    let deleted_rows: BTreeSet<&str> = rows.iter().filter(|r| r.3.is_some()).map(|r| r.1.as_str()).collect();
    for (key, at) in &stored {
        if !known.contains(key.as_str()) || deleted_rows.contains(key.as_str()) {
            f.orphans.push((key.clone(), *at));
        }
    }
    f.orphans.sort();
    f.staging_leftovers = staging_files(store).await?.iter().filter(|(_, at)| *at + STAGING_GRACE < now).count();
    Ok(f)
}

/// What a sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub removed: usize,
    pub orphans: usize,
    pub staging: usize,
}

/// Deletes what is past its grace period (see the module) and records it.
pub async fn sweep(db: &Db, store: &BlobStore, key: &AuditKey, now: DateTime<Utc>) -> Result<Swept, BlobError> {
    let f = check(db, store, now, false).await?;
    let mut s = Swept::default();
    for (id, k) in &f.removed_due {
        store.delete(k).await?;
        with_db!(db, pool => sqlx::query("UPDATE case_files SET blob_deleted_at = $1 WHERE id = $2")
            .bind(now).bind(id).execute(pool).await.map(|_| ()))
        .map_err(|e| BlobError::Io(e.to_string()))?;
        s.removed += 1;
    }
    for (k, at) in &f.orphans {
        if *at + GRACE < now {
            store.delete(k).await?;
            s.orphans += 1;
        }
    }
    for (path, at) in staging_files(store).await? {
        if at + STAGING_GRACE < now && tokio::fs::remove_file(&path).await.is_ok() {
            s.staging += 1;
        }
    }
    if s != Swept::default() {
        let mut tx = db.begin_write().await.map_err(|e| BlobError::Io(e.to_string()))?;
        let e = AuditEvent::new("blobs.sweep", "blob_store", "sweep")
            .with_detail(json!({ "removed": s.removed, "orphans": s.orphans, "staging": s.staging }));
        audit::append(&mut tx, key, &Actor::system(), &RequestMeta::default(), &e, now)
            .await
            .map_err(|e| BlobError::Io(e.to_string()))?;
        tx.commit().await.map_err(|e| BlobError::Io(e.to_string()))?;
    }
    Ok(s)
}

/// The day's sweep, run by the one instance that claims it. `None`: another instance has it.
pub async fn sweep_once_a_day(
    db: &Db,
    store: &BlobStore,
    key: &AuditKey,
    instance: &str,
    now: DateTime<Utc>,
) -> Result<Option<Swept>, BlobError> {
    let period = crate::time::shanghai_date(now).to_string();
    let io = |e: sqlx::Error| BlobError::Io(e.to_string());
    if !crate::jobs::claim(db, SWEEP_JOB, &period, instance, now).await.map_err(io)? {
        return Ok(None);
    }
    let s = sweep(db, store, key, now).await?;
    let detail = json!({ "removed": s.removed, "orphans": s.orphans, "staging": s.staging }).to_string();
    crate::jobs::finish(db, SWEEP_JOB, &period, &detail, now).await.map_err(io)?;
    Ok(Some(s))
}
