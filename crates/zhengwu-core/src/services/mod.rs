//! The service catalogue (事项清单): items with their guides, themes, and application forms
//! defined as data and versioned. Public reading needs nothing; every change needs
//! `service:manage` within the staff member's data scope and is audited.

mod edit;
mod read;
pub mod validate;

pub use edit::{
    create_item, departments_for_staff, item_for_staff, list_for_staff, parse_faq, publish_form, set_status,
    update_item, ItemEdit, NewItem,
};
pub use read::{
    departments_with_items, form_at, list_published, popular, published_form, published_guide, themes, Popular,
};
pub(crate) use read::{item_row, ItemRow};

use zhengwu_types::Failure;

use crate::{
    audit::AuditError,
    identity::{Permission, StaffActor},
};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Missing, not published (for the public), or outside the caller's scope.
    #[error("不存在")]
    NotFound,
    #[error("没有权限")]
    Forbidden,
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
}

impl Failure for ServiceError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        use zhengwu_types::ErrorCode::*;
        match self {
            ServiceError::NotFound => NotFound,
            ServiceError::Forbidden => Forbidden,
            ServiceError::Invalid { .. } => BadRequest,
            ServiceError::Db(_) | ServiceError::Audit(_) => Internal,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            ServiceError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid { field, message: message.into() }
}

pub(crate) fn manage_scope(actor: &StaffActor) -> Result<Option<Vec<i64>>, ServiceError> {
    actor.require(Permission::ServiceManage).map_err(|_| ServiceError::Forbidden)?;
    Ok(scope_departments(actor))
}

/// `None`: every department.
pub(crate) fn scope_departments(actor: &StaffActor) -> Option<Vec<i64>> {
    (!actor.scope.all).then(|| actor.scope.departments.iter().copied().collect())
}

/// The SQL condition limiting `column` (a department id) to the staff member's data scope:
/// empty for "all", never true for no departments. Ids are integers, safe to inline.
pub(crate) fn scope_clause(actor: &StaffActor, column: &str) -> String {
    match scope_departments(actor) {
        None => String::new(),
        Some(ids) if ids.is_empty() => "AND 1 = 0".into(),
        Some(ids) => format!("AND {column} IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
    }
}

pub(crate) fn covers(actor: &StaffActor, department_id: i64) -> bool {
    actor.scope.covers(department_id, None, actor.id)
}

/// A JSON value stored by this program, read back: one that does not parse is an error that is
/// logged (the item and what), never an empty value.
pub(crate) fn stored_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
    item: &str,
) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| {
        tracing::error!(item, what, error = %e, "catalogue: a stored value does not parse");
        sqlx::Error::Decode(Box::new(e))
    })
}
