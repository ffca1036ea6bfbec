//! Where domain errors become the server functions' [`ApiError`]: one impl per domain error,
//! here and nowhere else. A safe message for what the user can act on; for failures of the
//! machinery (database, audit) a log line with the request's span and only the code's title.

use zhengwu_core::{
    articles::ArticleError, cases::CaseError, citizen::CitizenError, identity::IdentityError, services::ServiceError,
    workflow::WorkflowError,
};
use zhengwu_types::ErrorCode;

use crate::error::ApiError;

impl From<ArticleError> for ApiError {
    fn from(e: ArticleError) -> Self {
        let code = e.code();
        let message = match &e {
            ArticleError::NotFound | ArticleError::UnknownCategory(_) => e.to_string(),
            ArticleError::Db(_) => {
                // Logged once here with the request's span (request id); the caller gets the code only.
                tracing::error!(error = %e, "article query failed");
                code.title().to_string()
            }
        };
        ApiError::new(code, message)
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed"),
            IdentityError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            IdentityError::InvalidCredentials => ApiError::new(ErrorCode::Unauthorized, e.to_string()),
            IdentityError::Invalid { .. } | IdentityError::SeparationOfDuties(_) => {
                ApiError::new(ErrorCode::BadRequest, e.to_string())
            }
            IdentityError::Busy => ApiError::new(ErrorCode::Unavailable, e.to_string()),
            IdentityError::Delivery(_) => ApiError::new(ErrorCode::Unavailable, e.to_string()),
            IdentityError::Db(_) | IdentityError::Audit(_) | IdentityError::Sessions(_) => {
                tracing::error!(error = %e, "identity operation failed");
                ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
            }
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            ServiceError::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed"),
            ServiceError::Invalid { .. } => ApiError::new(ErrorCode::BadRequest, e.to_string()),
            other => {
                tracing::error!(error = %other, "catalogue operation failed");
                ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
            }
        }
    }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            CaseError::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed"),
            CaseError::NotVerified
            | CaseError::NotEditable { .. }
            | CaseError::Invalid { .. }
            | CaseError::BadRequest { .. } => ApiError::new(ErrorCode::BadRequest, e.to_string()),
            other => {
                tracing::error!(error = %other, "case operation failed");
                ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
            }
        }
    }
}

impl From<CitizenError> for ApiError {
    fn from(e: CitizenError) -> Self {
        match e {
            CitizenError::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed"),
            CitizenError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            CitizenError::Invalid { .. }
            | CitizenError::BadCode
            | CitizenError::CodeGone
            | CitizenError::TooSoon(_)
            | CitizenError::DailyLimit
            | CitizenError::ChallengeNeeded
            | CitizenError::IdTaken
            | CitizenError::TooMany(_) => ApiError::new(ErrorCode::BadRequest, e.to_string()),
            other => {
                tracing::error!(error = %other, "citizen operation failed");
                ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
            }
        }
    }
}

impl From<WorkflowError> for ApiError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            WorkflowError::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed"),
            WorkflowError::Invalid { .. } | WorkflowError::AlreadyHandled { .. } | WorkflowError::BadDefinition(_) => {
                ApiError::new(ErrorCode::BadRequest, e.to_string())
            }
            other => {
                tracing::error!(error = %other, "workflow operation failed");
                ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
            }
        }
    }
}
