use chrono::{DateTime, Utc};
use zhengwu_types::{ArticleSummary, Attachment, Channel};

use crate::time::shanghai_date;

/// A row of the article list query.
#[derive(Debug, sqlx::FromRow)]
pub struct SummaryRow {
    pub id: i64,
    pub channel: String,
    pub category: String,
    pub title: String,
    pub summary: String,
    pub document_number: Option<String>,
    pub department: String,
    pub published_at: DateTime<Utc>,
    pub attachment_count: i64,
}

impl SummaryRow {
    pub fn into_summary(self) -> ArticleSummary {
        ArticleSummary {
            id: self.id,
            // The CHECK constraint allows only known channels.
            channel: Channel::from_slug(&self.channel).unwrap_or(Channel::Notices),
            category: self.category,
            title: self.title,
            summary: self.summary,
            document_number: self.document_number,
            department: self.department,
            published_on: shanghai_date(self.published_at).to_string(),
            attachment_count: self.attachment_count,
        }
    }
}

/// A row of the list query: the summary and the total of all matching rows.
#[derive(Debug, sqlx::FromRow)]
pub struct ListRow {
    #[sqlx(flatten)]
    pub summary: SummaryRow,
    pub total: i64,
}

/// A row of the single-article query: the list columns plus the body.
#[derive(Debug, sqlx::FromRow)]
pub struct DetailRow {
    #[sqlx(flatten)]
    pub summary: SummaryRow,
    pub body: String,
}

#[derive(Debug, sqlx::FromRow)]
pub struct AttachmentRow {
    pub position: i32,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub blob_key: Option<String>,
}

impl AttachmentRow {
    /// The listed attachment, with its download address when the file is stored.
    pub fn into_attachment(self, channel: Channel, article_id: i64) -> Attachment {
        let href = self.blob_key.is_some().then(|| zhengwu_types::attachment_href(channel, article_id, self.position));
        Attachment { file_name: self.file_name, media_type: self.media_type, size_bytes: self.size_bytes, href }
    }
}

/// An attachment's stored file, as the download needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentFile {
    pub file_name: String,
    pub media_type: String,
    pub blob_key: String,
    pub sm3: String,
}

/// An attachment listed without its file (the demo fills these in), with what its file says.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnfiledAttachment {
    pub id: i64,
    pub file_name: String,
    pub media_type: String,
    pub article_title: String,
    pub department: String,
    pub published_at: DateTime<Utc>,
}

/// An article to insert (demo data now; the staff editor later).
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub channel: Channel,
    pub category: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub document_number: Option<String>,
    pub department_id: i64,
    pub published_at: DateTime<Utc>,
    pub attachments: Vec<Attachment>,
}
