//! SQL for articles. Each statement is one text for both SQLite and PostgreSQL.

use chrono::Utc;
use zhengwu_types::{Channel, PageRequest};

use super::model::{AttachmentFile, AttachmentRow, DetailRow, ListRow, NewArticle, UnfiledAttachment};
use crate::{
    db::{Db, WriteTx},
    with_db, with_tx,
};

/// The columns of [`super::model::SummaryRow`], shared by the list and the single-article query.
macro_rules! summary_select {
    () => {
        "SELECT a.id, a.channel, a.category, a.title, a.summary, a.document_number,
       d.name AS department, a.published_at,
       (SELECT COUNT(*) FROM article_attachments t WHERE t.article_id = a.id) AS attachment_count"
    };
}

// `$2 IS NULL OR …`: one statement serves "all categories" and "one category".
// `COUNT(*) OVER ()` brings the total with the page: one round trip instead of two.
const LIST: &str = concat!(
    summary_select!(),
    ",
       COUNT(*) OVER () AS total
FROM articles a
JOIN departments d ON d.id = a.department_id
WHERE a.channel = $1 AND ($2 IS NULL OR a.category = $2)
ORDER BY a.published_at DESC, a.id DESC
LIMIT $3 OFFSET $4"
);

const COUNT: &str = "SELECT COUNT(*) FROM articles a WHERE a.channel = $1 AND ($2 IS NULL OR a.category = $2)";

const GET: &str = concat!(
    summary_select!(),
    ",
       a.body
FROM articles a
JOIN departments d ON d.id = a.department_id
WHERE a.id = $1 AND a.channel = $2"
);

const ATTACHMENTS: &str = "
SELECT position, file_name, media_type, size_bytes, blob_key FROM article_attachments
WHERE article_id = $1 ORDER BY position";

const FILE: &str = "
SELECT t.file_name, t.media_type, t.blob_key, t.sm3
FROM article_attachments t JOIN articles a ON a.id = t.article_id
WHERE a.id = $1 AND a.channel = $2 AND t.position = $3 AND t.blob_key IS NOT NULL AND t.sm3 IS NOT NULL";

const UNFILED: &str = "
SELECT t.id, t.file_name, t.media_type, a.title AS article_title, d.name AS department, a.published_at
FROM article_attachments t
JOIN articles a ON a.id = t.article_id
JOIN departments d ON d.id = a.department_id
WHERE t.blob_key IS NULL ORDER BY t.id";

/// One page of rows, each carrying the total number of matching rows.
pub async fn list(
    db: &Db,
    channel: Channel,
    category: Option<&str>,
    page: PageRequest,
) -> Result<Vec<ListRow>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as::<_, ListRow>(LIST)
        .bind(channel.slug())
        .bind(category)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(pool)
        .await)
}

pub async fn count(db: &Db, channel: Channel, category: Option<&str>) -> Result<i64, sqlx::Error> {
    with_db!(db, pool => sqlx::query_scalar::<_, i64>(COUNT)
        .bind(channel.slug())
        .bind(category)
        .fetch_one(pool)
        .await)
}

pub async fn get(db: &Db, channel: Channel, id: i64) -> Result<Option<DetailRow>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as::<_, DetailRow>(GET)
        .bind(id)
        .bind(channel.slug())
        .fetch_optional(pool)
        .await)
}

/// The stored file of one attachment of an article of `channel`.
pub async fn file(
    db: &Db,
    channel: Channel,
    article_id: i64,
    position: i32,
) -> Result<Option<AttachmentFile>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as::<_, AttachmentFile>(FILE)
        .bind(article_id)
        .bind(channel.slug())
        .bind(position)
        .fetch_optional(pool)
        .await)
}

/// Attachments listed without a stored file.
pub async fn unfiled(db: &Db) -> Result<Vec<UnfiledAttachment>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as::<_, UnfiledAttachment>(UNFILED).fetch_all(pool).await)
}

/// Records an attachment's stored file; `false` when another instance recorded one first.
pub async fn set_file(db: &Db, id: i64, blob_key: &str, sm3: &str, size: i64) -> Result<bool, sqlx::Error> {
    with_db!(db, pool => sqlx::query(
        "UPDATE article_attachments SET blob_key = $1, sm3 = $2, size_bytes = $3 WHERE id = $4 AND blob_key IS NULL")
        .bind(blob_key)
        .bind(sm3)
        .bind(size)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected() == 1))
}

/// Every stored attachment file: (article id, position, blob key), for the blob sweep.
pub async fn blob_keys(db: &Db) -> Result<Vec<(i64, i32, String)>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as(
        "SELECT article_id, position, blob_key FROM article_attachments WHERE blob_key IS NOT NULL")
        .fetch_all(pool)
        .await)
}

pub async fn attachments(db: &Db, article_id: i64) -> Result<Vec<AttachmentRow>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as::<_, AttachmentRow>(ATTACHMENTS)
        .bind(article_id)
        .fetch_all(pool)
        .await)
}

const INSERT: &str = "
INSERT INTO articles (channel, category, title, summary, body, document_number, department_id,
                      published_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
RETURNING id";

const INSERT_ATTACHMENT: &str = "
INSERT INTO article_attachments (article_id, position, file_name, media_type, size_bytes)
VALUES ($1, $2, $3, $4, $5)";

/// Inserts an article and its attachment list inside the caller's transaction.
pub async fn insert(tx: &mut WriteTx, a: &NewArticle) -> Result<i64, sqlx::Error> {
    let now = Utc::now();
    let id: i64 = with_tx!(tx, conn => sqlx::query_scalar(INSERT)
        .bind(a.channel.slug())
        .bind(&a.category)
        .bind(&a.title)
        .bind(&a.summary)
        .bind(&a.body)
        .bind(&a.document_number)
        .bind(a.department_id)
        .bind(a.published_at)
        .bind(now)
        .fetch_one(conn)
        .await)?;
    for (position, att) in a.attachments.iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        with_tx!(tx, conn => sqlx::query(INSERT_ATTACHMENT)
            .bind(id)
            .bind(position)
            .bind(&att.file_name)
            .bind(&att.media_type)
            .bind(att.size_bytes)
            .execute(conn)
            .await
            .map(|_| ()))?;
    }
    Ok(id)
}
