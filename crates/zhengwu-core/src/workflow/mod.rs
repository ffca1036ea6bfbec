//! The workflow engine (工作流): versioned definitions per service item, tasks, the actions staff
//! take on them, and the case's clock. From submission on, the engine owns the case's status.
//!
//! Rules kept here:
//! - every action is one write transaction that first takes the case's row (`revision + 1`), so
//!   actions on one case run one after another on SQLite and PostgreSQL alike; the task is then
//!   read again inside the transaction and must still be open and the actor's — of two people
//!   acting at once, exactly one applies and the other is told who handled it;
//! - the transaction carries the task changes, the case's state and clock, the timeline entry
//!   and the audit record: nothing is half-applied;
//! - everything read from the pool (definition, calendar) is read before the transaction (a
//!   transaction waiting for a second pool connection can starve the pool under load);
//! - a step nobody matches goes to the department's dispatcher (or, without one, to nobody) and
//!   raises an alert: never silently stuck.
//!
//! Files: `definitions` (versions, the editor), `start` (submission), `case_row` (the locked
//! row and task rows), `assign` (who gets a step), `clock` (the limit, stopping, extending),
//! `act` with `decide` and `hand` (what assignees do), `supervise` (督办, 撤回), `queries`
//! (inbox, done, copied, supervision) and `panel` (the staff case page), `warnings` (the daily
//! job).

mod act;
mod assign;
mod case_row;
pub mod clock;
mod decide;
mod definitions;
mod hand;
mod panel;
mod queries;
mod start;
mod supervise;
pub mod warnings;

pub use act::{act, Act, Outcome};
pub use assign::assignable;
pub use clock::{clock_view, ClockRow};
pub use definitions::{current, default_definition, definition, editor_choices, for_editor, public_process, publish};
pub use panel::panel;
pub use queries::{copied, done, inbox, supervision, CopiedRow, InboxFilter, Supervised, SupervisionData};
pub(crate) use start::on_submitted;
pub use start::{prepare, Prepared};
pub use supervise::{supervise, withdraw, Supervise};

use zhengwu_types::workflow::DefProblem;
use zhengwu_types::Failure;

use crate::{audit::AuditError, calendar::CalendarError};

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("不存在")]
    NotFound,
    #[error("没有权限")]
    Forbidden,
    /// Somebody acted first.
    #[error("该任务已由{by}处理")]
    AlreadyHandled { by: String },
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("流程定义有误")]
    BadDefinition(Vec<DefProblem>),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
    #[error("{0}")]
    Calendar(#[from] CalendarError),
}

impl Failure for WorkflowError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        use zhengwu_types::ErrorCode::*;
        match self {
            WorkflowError::NotFound => NotFound,
            WorkflowError::Forbidden => Forbidden,
            WorkflowError::Invalid { .. } | WorkflowError::AlreadyHandled { .. } | WorkflowError::BadDefinition(_) => {
                BadRequest
            }
            WorkflowError::Calendar(e) => e.code(),
            WorkflowError::Db(_) | WorkflowError::Audit(_) => Internal,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            WorkflowError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> WorkflowError {
    WorkflowError::Invalid { field, message: message.into() }
}

/// A trimmed text of `min`–`max` characters, or the field's error.
fn text(s: &str, field: &'static str, min: usize, max: usize, what: &str) -> Result<String, WorkflowError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max {
        return Err(invalid(field, format!("请填写{what}（{min}–{max} 字）")));
    }
    Ok(t.to_string())
}

/// Settings of the clock.
#[derive(Debug, Clone, Copy)]
pub struct ClockPolicy {
    /// Yellow warning when at most this percentage of the limit is left.
    pub yellow_percent: u32,
}

impl Default for ClockPolicy {
    fn default() -> Self {
        ClockPolicy { yellow_percent: 20 }
    }
}
