//! What pages, server functions and `/api/v1` call to read articles.
//!
//! Articles are public once published: anonymous callers may read them, so there is no actor
//! argument yet. Staff editing (with authorisation and audit) arrives with the identity work.

use zhengwu_types::{ArticleDetail, ArticleSummary, Category, Channel, Page, PageRequest};

use super::{error::ArticleError, model::AttachmentFile, repo};
use crate::db::Db;

/// One page of a channel, newest first, optionally one category of it.
pub async fn list_articles(
    db: &Db,
    channel: Channel,
    category: Option<&str>,
    page: PageRequest,
) -> Result<Page<ArticleSummary>, ArticleError> {
    let category = match category.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(slug) => {
            Some(Category::parse(channel, slug).ok_or_else(|| ArticleError::UnknownCategory(slug.to_string()))?)
        }
    };
    let slug = category.map(|c| c.slug);
    let rows = repo::list(db, channel, slug, page).await?;
    let total = match rows.first() {
        Some(r) => r.total,
        // Past the last page (or nothing at all): the rows cannot say how many there are.
        None => repo::count(db, channel, slug).await?,
    };
    Ok(Page::new(rows.into_iter().map(|r| r.summary.into_summary()).collect(), page, total))
}

/// The newest `n` articles of a channel (home page).
pub async fn latest_articles(db: &Db, channel: Channel, n: u32) -> Result<Vec<ArticleSummary>, ArticleError> {
    let rows = repo::list(db, channel, None, PageRequest::first().with_per_page(n)).await?;
    Ok(rows.into_iter().map(|r| r.summary.into_summary()).collect())
}

/// One article of a channel with its body and attachment list. An id from another channel is
/// "not found" here, so `/notices/7` never shows a policy document.
pub async fn get_article(db: &Db, channel: Channel, id: i64) -> Result<ArticleDetail, ArticleError> {
    let row = repo::get(db, channel, id).await?.ok_or(ArticleError::NotFound)?;
    let attachments = repo::attachments(db, id).await?.into_iter().map(|a| a.into_attachment(channel, id)).collect();
    Ok(ArticleDetail { summary: row.summary.into_summary(), body: row.body, attachments })
}

/// The stored file of an attachment of a published article (public, like the article).
pub async fn attachment_file(
    db: &Db,
    channel: Channel,
    article_id: i64,
    position: i32,
) -> Result<AttachmentFile, ArticleError> {
    repo::file(db, channel, article_id, position).await?.ok_or(ArticleError::NotFound)
}
