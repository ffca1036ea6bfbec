//! Demo data for `zhengwu serve --demo`: a fictional county government (青山县).
//!
//! The data lives in TOML next to this file, compiled in. Seeding happens in one write
//! transaction and only into an empty database, so it never mixes with real data and a crash
//! half-way leaves nothing behind.

mod documents;
mod services;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use zhengwu_types::{services::FileType, Attachment, Category, Channel};

use crate::{
    articles::{repo as article_repo, NewArticle},
    blobs::{BlobError, BlobStore, StoredBlob},
    db::{Db, WriteTx},
    with_db, with_tx,
};

const DEPARTMENTS: &str = include_str!("departments.toml");
const ARTICLES: &str = include_str!("articles.toml");

#[derive(Deserialize)]
struct DepartmentFile {
    department: Vec<DepartmentData>,
}

#[derive(Deserialize)]
struct DepartmentData {
    code: String,
    parent: Option<String>,
    name: String,
    name_en: String,
    level: String,
}

#[derive(Deserialize)]
struct ArticleFile {
    article: Vec<ArticleData>,
}

#[derive(Deserialize)]
struct ArticleData {
    channel: String,
    category: String,
    department: String,
    published_at: DateTime<FixedOffset>,
    title: String,
    summary: String,
    body: String,
    document_number: Option<String>,
    #[serde(default)]
    attachments: Vec<AttachmentData>,
}

#[derive(Deserialize)]
struct AttachmentData {
    name: String,
}

/// What seeding did.
#[derive(Debug, PartialEq, Eq)]
pub enum SeedOutcome {
    Seeded {
        departments: usize,
        articles: usize,
    },
    /// The database already had content; nothing was written.
    AlreadyHasData,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("demo data file is invalid: {0}")]
    Data(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("storing the demo's attachment files: {0}")]
    Files(String),
}

pub use services::seed_services;

/// Fills an empty database with the demo county. Leaves a database with any content untouched.
pub async fn seed(db: &Db) -> Result<SeedOutcome, SeedError> {
    let departments: DepartmentFile = toml::from_str(DEPARTMENTS).map_err(|e| SeedError::Data(e.to_string()))?;
    let articles: ArticleFile = toml::from_str(ARTICLES).map_err(|e| SeedError::Data(e.to_string()))?;

    let mut tx = db.begin_write().await?;
    // Checked inside the write transaction: two instances starting at once seed only once.
    let existing: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM departments) + (SELECT COUNT(*) FROM articles)")
        .fetch_one(conn).await)?;
    if existing > 0 {
        return Ok(SeedOutcome::AlreadyHasData);
    }

    let ids = insert_departments(&mut tx, &departments.department).await?;
    let names = department_names(&departments);
    for a in &articles.article {
        let new = to_new_article(a, &ids, &names)?;
        article_repo::insert(&mut tx, &new).await?;
    }
    tx.commit().await?;
    Ok(SeedOutcome::Seeded { departments: departments.department.len(), articles: articles.article.len() })
}

async fn insert_departments(
    tx: &mut WriteTx,
    departments: &[DepartmentData],
) -> Result<HashMap<String, i64>, SeedError> {
    let mut ids = HashMap::new();
    let now = Utc::now();
    for d in departments {
        let parent = match &d.parent {
            None => None,
            Some(code) => Some(
                *ids.get(code)
                    .ok_or_else(|| SeedError::Data(format!("department {} names unknown parent {code}", d.code)))?,
            ),
        };
        let id: i64 = with_tx!(&mut *tx, conn => sqlx::query_scalar(
            "INSERT INTO departments (code, name, name_en, parent_id, level, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
            .bind(&d.code)
            .bind(&d.name)
            .bind(&d.name_en)
            .bind(parent)
            .bind(&d.level)
            .bind(now)
            .fetch_one(conn)
            .await)?;
        ids.insert(d.code.clone(), id);
    }
    Ok(ids)
}

fn department_names(file: &DepartmentFile) -> HashMap<String, String> {
    file.department.iter().map(|d| (d.code.clone(), d.name.clone())).collect()
}

fn to_new_article(
    a: &ArticleData,
    departments: &HashMap<String, i64>,
    names: &HashMap<String, String>,
) -> Result<NewArticle, SeedError> {
    let channel = Channel::from_slug(&a.channel)
        .ok_or_else(|| SeedError::Data(format!("'{}': unknown channel {}", a.title, a.channel)))?;
    let category = Category::parse(channel, &a.category)
        .ok_or_else(|| SeedError::Data(format!("'{}': unknown category {}", a.title, a.category)))?;
    let department_id = *departments
        .get(&a.department)
        .ok_or_else(|| SeedError::Data(format!("'{}': unknown department {}", a.title, a.department)))?;
    let published_at = a.published_at.with_timezone(&Utc);
    Ok(NewArticle {
        channel,
        category: category.slug.to_string(),
        title: a.title.clone(),
        summary: a.summary.clone(),
        body: a.body.trim().to_string(),
        document_number: a.document_number.clone(),
        department_id,
        published_at,
        // Listed with the size of the file `attach_files` stores for it.
        attachments: a
            .attachments
            .iter()
            .map(|x| {
                let department = names.get(&a.department).map_or("", String::as_str);
                let pdf = documents::attachment_pdf(&x.name, &a.title, department, published_at);
                Attachment {
                    file_name: x.name.clone(),
                    media_type: FileType::Pdf.media_type().to_string(),
                    size_bytes: i64::try_from(pdf.len()).unwrap_or(i64::MAX),
                    href: None,
                }
            })
            .collect(),
    })
}

/// Stores the file of every attachment listed without one (the demo's generated PDFs); returns
/// how many it stored. Run after [`seed`] with `--demo`; does nothing once every file is there.
/// Two instances racing store each file once: the loser deletes its copy.
pub async fn attach_files(db: &Db, store: &BlobStore) -> Result<usize, SeedError> {
    let mut stored = 0;
    for a in article_repo::unfiled(db).await? {
        let pdf = documents::attachment_pdf(&a.file_name, &a.article_title, &a.department, a.published_at);
        let blob = store_bytes(store, &pdf).await?;
        let size = i64::try_from(blob.size).unwrap_or(i64::MAX);
        if article_repo::set_file(db, a.id, &blob.key, &blob.sm3, size).await? {
            stored += 1;
        } else {
            store.delete(&blob.key).await.map_err(|e| SeedError::Files(e.to_string()))?;
        }
    }
    Ok(stored)
}

async fn store_bytes(store: &BlobStore, bytes: &[u8]) -> Result<StoredBlob, SeedError> {
    let files = |e: BlobError| SeedError::Files(e.to_string());
    let mut w = store.writer(bytes.len() as u64, &[FileType::Pdf]).await.map_err(files)?;
    w.write(bytes).await.map_err(files)?;
    w.finish().await.map_err(files)
}

/// Counts articles per channel (used by tests and the start-up log).
pub async fn article_count(db: &Db) -> Result<i64, sqlx::Error> {
    with_db!(db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM articles").fetch_one(pool).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_is_complete_and_consistent() {
        let deps: DepartmentFile = toml::from_str(DEPARTMENTS).unwrap();
        let arts: ArticleFile = toml::from_str(ARTICLES).unwrap();
        let mut ids = HashMap::new();
        for (i, d) in deps.department.iter().enumerate() {
            if let Some(p) = &d.parent {
                assert!(ids.contains_key(p), "{} listed before its parent", d.code);
            }
            ids.insert(d.code.clone(), i as i64);
        }
        assert!(deps.department.len() >= 8);
        let mut per_channel: HashMap<String, usize> = HashMap::new();
        let mut categories = std::collections::HashSet::new();
        for a in &arts.article {
            to_new_article(a, &ids, &department_names(&deps)).unwrap();
            *per_channel.entry(a.channel.clone()).or_default() += 1;
            categories.insert((a.channel.clone(), a.category.clone()));
        }
        assert!(per_channel["notices"] >= 20, "the issue asks for 20+ notices");
        assert!(per_channel["policies"] >= 5 && per_channel["updates"] >= 5);
        // Every category of every channel has at least one article, so filters show something.
        for channel in Channel::ALL {
            for c in channel.categories() {
                assert!(categories.contains(&(channel.slug().to_string(), c.slug.to_string())), "{}", c.slug);
            }
        }
        assert!(arts.article.iter().any(|a| !a.attachments.is_empty()));
    }
}
