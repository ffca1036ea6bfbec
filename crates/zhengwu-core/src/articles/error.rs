use zhengwu_types::{ErrorCode, Failure};

#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("No article has this id.")]
    NotFound,
    #[error("'{0}' is not a category of this channel.")]
    UnknownCategory(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl Failure for ArticleError {
    fn code(&self) -> ErrorCode {
        match self {
            ArticleError::NotFound => ErrorCode::NotFound,
            ArticleError::UnknownCategory(_) => ErrorCode::BadRequest,
            ArticleError::Db(sqlx::Error::PoolTimedOut) => ErrorCode::Unavailable,
            ArticleError::Db(_) => ErrorCode::Internal,
        }
    }
    fn field(&self) -> Option<&'static str> {
        matches!(self, ArticleError::UnknownCategory(_)).then_some("category")
    }
    fn is_fault(&self) -> bool {
        matches!(self, ArticleError::Db(_))
    }
}
