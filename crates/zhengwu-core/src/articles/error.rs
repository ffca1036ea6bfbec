use zhengwu_types::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("no such article")]
    NotFound,
    #[error("unknown category '{0}'")]
    UnknownCategory(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl ArticleError {
    /// What the caller may be told.
    pub fn code(&self) -> ErrorCode {
        match self {
            ArticleError::NotFound => ErrorCode::NotFound,
            ArticleError::UnknownCategory(_) => ErrorCode::BadRequest,
            ArticleError::Db(sqlx::Error::PoolTimedOut) => ErrorCode::Unavailable,
            ArticleError::Db(_) => ErrorCode::Internal,
        }
    }
}
