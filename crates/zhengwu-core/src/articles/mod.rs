//! Published articles: notices (通知公告), policy documents (政策法规), work updates (工作动态).

pub mod error;
pub mod model;
pub mod repo;
pub mod service;

pub use error::ArticleError;
pub use model::{AttachmentFile, NewArticle};
pub use service::{attachment_file, get_article, latest_articles, list_articles};
