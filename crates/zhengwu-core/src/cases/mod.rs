//! Cases (办件): a citizen's application to a service item, from draft to submission, with its
//! attachments, timeline, supplement requests (补正) and the public look-up; and the staff's
//! view of incoming cases in their data scope.
//!
//! Rules kept here, for pages, server functions and form posts alike:
//! - a case belongs to one citizen; another citizen's case answers "not found";
//! - answers are sealed (SM4-GCM) — they hold names, ID numbers, addresses;
//! - submitting is idempotent: the form carries a key chosen when it was first shown, the case
//!   is unique per (citizen, key), and the submitting transaction holds the case's row, so a
//!   double tap or a retry gives the same case and one tracking number;
//! - every change is one transaction with its timeline entry and audit record.

//!
//! Files: `apply` (the application and saving), `tracking` (numbers and the look-up), `read`
//! (the citizen's cases and the shared detail), `staff` (the staff side), `uploads` (limits and
//! quotas). The timeline is written through [`crate::timeline`]; from submission on, the case's
//! status belongs to the workflow engine.

use zhengwu_types::services::{CaseFileInfo, CaseStatus, FileType};
use zhengwu_types::Failure;

use crate::{
    audit::AuditError,
    blobs::{BlobError, StoredBlob},
    citizen::PersonalKeys,
    db::Db,
    services::validate,
    with_db,
};

mod apply;
mod delivery;
mod export;
mod read;
mod staff;
mod tracking;
mod uploads;

pub use apply::{application, form_for_post, save, Posted, Saved};
pub use delivery::DeliveryPost;
pub use export::my_data;
pub use read::{my_case, my_cases, my_file, FileRef};
pub use staff::{case_for_staff, list_for_staff, request_supplement, staff_file, CaseFilter};
pub use tracking::{lookup, normalise_tracking_no};

pub use uploads::{
    delete_draft, quota_message, too_many_files_message, upload_allowance, Allowance, CASE_QUOTA, CITIZEN_QUOTA,
};
pub use validate::{Answers, Problems};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// Missing, someone else's, or outside the staff member's scope: one answer.
    #[error("不存在")]
    NotFound,
    #[error("没有权限")]
    Forbidden,
    /// Submitting needs a verified (real-name) account.
    #[error("提交申请前请先完成实名登记")]
    NotVerified,
    /// The case is no longer editable (submitted, withdrawn).
    #[error("该申请已提交，不能再修改")]
    NotEditable { case_id: i64 },
    /// The answers have problems; the draft was saved as it was.
    #[error("请修改标出的内容")]
    Invalid { case_id: i64, problems: Problems },
    #[error("{message}")]
    BadRequest { field: &'static str, message: String },
    /// What is stored for the case cannot be read (a seal that does not open, a damaged
    /// value): an error that is logged, never shown as an empty form.
    #[error("该申请的数据暂时无法读取，请联系工作人员")]
    Unreadable { case_id: i64 },
    #[error("{0}")]
    Blob(#[from] BlobError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
    #[error("{0}")]
    Workflow(#[from] crate::workflow::WorkflowError),
}

impl Failure for CaseError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        use zhengwu_types::ErrorCode::*;
        match self {
            CaseError::NotFound => NotFound,
            CaseError::Forbidden => Forbidden,
            CaseError::NotVerified
            | CaseError::NotEditable { .. }
            | CaseError::Invalid { .. }
            | CaseError::BadRequest { .. } => BadRequest,
            CaseError::Workflow(e) => e.code(),
            CaseError::Unreadable { .. } | CaseError::Blob(_) | CaseError::Db(_) | CaseError::Audit(_) => Internal,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            CaseError::BadRequest { field, .. } => Some(field),
            CaseError::Workflow(e) => e.field(),
            _ => None,
        }
    }
    fn is_fault(&self) -> bool {
        match self {
            CaseError::Workflow(e) => e.is_fault(),
            _ => self.code() == zhengwu_types::ErrorCode::Internal,
        }
    }
}

fn random_key() -> String {
    let mut b = [0u8; 16];
    zhengwu_crypto::random_bytes(&mut b);
    zhengwu_crypto::to_hex(&b)
}

fn valid_client_key(k: &str) -> bool {
    (16..=64).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A file received for a field, already in the blob store.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub field: String,
    pub blob: StoredBlob,
    /// The name shown to people: the uploaded name cleaned, never used for storage.
    pub display_name: String,
}

/// A display name from an uploaded file name: no path, no control characters, at most 80
/// characters, with the extension of the type the content really is.
pub fn display_name(uploaded: &str, t: FileType) -> String {
    let base = uploaded.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let clean: String = stem
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '*' | '?' | '|'))
        .take(80)
        .collect();
    let clean = clean.trim();
    format!("{}.{}", if clean.is_empty() { "附件" } else { clean }, t.extension())
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: i64,
    item_id: i64,
    form_version: i32,
    citizen_id: i64,
    department_id: i64,
    status: CaseStatus,
    client_key: String,
    data_sealed: Vec<u8>,
    supplement_note: Option<String>,
    supplement_fields: Option<String>,
    delivery: Option<zhengwu_types::services::DeliveryMethod>,
    delivery_address_sealed: Option<Vec<u8>>,
    channel: zhengwu_types::services::CaseChannel,
}

const CASE_COLUMNS: &str = "id, item_id, form_version, citizen_id, department_id, status, client_key, data_sealed, \
     supplement_note, supplement_fields, delivery, delivery_address_sealed, channel";

impl CaseRow {
    fn answers(&self, keys: &PersonalKeys) -> Result<Answers, CaseError> {
        open_answers(keys, self.id, &self.data_sealed)
    }

    fn supplement_fields(&self) -> Result<Vec<String>, CaseError> {
        match self.supplement_fields.as_deref() {
            None => Ok(vec![]),
            Some(s) => serde_json::from_str(s).map_err(|_| unreadable(self.id, "supplement fields")),
        }
    }
}

/// The case's answers from their seal. A new case's row holds an empty value until its first
/// save seals the answers (in the same transaction).
fn open_answers(keys: &PersonalKeys, case_id: i64, sealed: &[u8]) -> Result<Answers, CaseError> {
    if sealed.is_empty() {
        return Ok(Answers::new());
    }
    keys.open_answers(case_id, sealed)
        .and_then(|j| serde_json::from_str(&j).ok())
        .ok_or_else(|| unreadable(case_id, "sealed answers"))
}

fn unreadable(case_id: i64, what: &str) -> CaseError {
    tracing::error!(case_id, what, "cases: stored data cannot be read");
    CaseError::Unreadable { case_id }
}

async fn case_by_id(db: &Db, id: i64) -> Result<Option<CaseRow>, sqlx::Error> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = $1");
    with_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

async fn files_of(db: &Db, case_id: i64) -> Result<Vec<CaseFileInfo>, sqlx::Error> {
    let rows: Vec<(i64, String, String, String, i64, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT id, field, display_name, media_type, size_bytes, sm3 FROM case_files \
         WHERE case_id = $1 AND removed_at IS NULL ORDER BY id")
        .bind(case_id).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, field, name, media_type, size_bytes, sm3)| CaseFileInfo {
            id,
            field,
            name,
            media_type,
            size_bytes,
            sm3,
        })
        .collect())
}
