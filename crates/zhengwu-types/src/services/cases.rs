//! Cases (办件) as pages and clients see them: their states, what the applicant and staff read,
//! and how the result is delivered; re-exported by `services`.

use serde::{Deserialize, Serialize};

use super::{DayKind, FieldKind, FormDef};
crate::code_enum! {
    /// How the applicant receives the result (结果送达方式), chosen when applying among those the
    /// item offers.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum DeliveryMethod {
        Window = "window",
        Post = "post",
        Electronic = "electronic",
    }
}

impl DeliveryMethod {
    pub fn name_zh(self) -> &'static str {
        match self {
            DeliveryMethod::Window => "窗口领取",
            DeliveryMethod::Post => "邮寄送达",
            DeliveryMethod::Electronic => "电子证照（网上下载）",
        }
    }

    /// A stored list (`window,post`): the methods in order, unknown codes skipped.
    pub fn parse_list(s: &str) -> Vec<DeliveryMethod> {
        let mut out = vec![];
        for m in s.split(',').filter_map(|c| DeliveryMethod::parse(c.trim())) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
        out
    }

    pub fn list_code(list: &[DeliveryMethod]) -> String {
        list.iter().map(|m| m.code()).collect::<Vec<_>>().join(",")
    }
}

crate::code_enum! {
    /// Where a case came from (受理渠道).
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum CaseChannel {
        Online = "online",
        Window = "window",
        Wechat = "wechat",
    }
}

impl CaseChannel {
    pub fn name_zh(self) -> &'static str {
        match self {
            CaseChannel::Online => "网上",
            CaseChannel::Window => "窗口",
            CaseChannel::Wechat => "微信",
        }
    }
}

/// The result's delivery as chosen for a case (the address only for the applicant and staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub method: DeliveryMethod,
    #[serde(default)]
    pub address: String,
}

crate::code_enum! {
    /// A case's status. Cases own it up to submission; the workflow engine from then on.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum CaseStatus {
        Draft = "draft",
        /// Submitted, waiting to be accepted (待受理).
        Submitted = "submitted",
        Supplement = "supplement",
        Withdrawn = "withdrawn",
        /// Accepted and being processed (办理中).
        Processing = "processing",
        /// Concluded: granted (办结·准予).
        Approved = "approved",
        /// Concluded: not accepted or refused (不予受理 / 不予许可).
        Rejected = "rejected",
        /// Ended by a permission holder (终止).
        Terminated = "terminated",
    }
}

impl CaseStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            CaseStatus::Draft => "草稿",
            CaseStatus::Submitted => "待受理",
            CaseStatus::Supplement => "待补正",
            CaseStatus::Withdrawn => "已撤回",
            CaseStatus::Processing => "办理中",
            CaseStatus::Approved => "已办结（准予）",
            CaseStatus::Rejected => "已办结（不予）",
            CaseStatus::Terminated => "已终止",
        }
    }

    /// Concluded one way or another: nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(self, CaseStatus::Withdrawn | CaseStatus::Approved | CaseStatus::Rejected | CaseStatus::Terminated)
    }
}

/// One step of a case's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: String,
    pub kind: crate::timeline::EventKind,
    pub title: String,
    pub actor: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFileInfo {
    pub id: i64,
    pub field: String,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sm3: String,
}

/// A case in a list (the citizen's own, or staff's incoming).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    pub id: i64,
    pub tracking_no: Option<String>,
    pub service_code: String,
    pub service_name: String,
    pub department: String,
    pub status: CaseStatus,
    pub updated_at: String,
    pub submitted_at: Option<String>,
}

/// One answer as shown back: label and the value as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub name: String,
    pub label: String,
    pub value: String,
    pub kind: FieldKind,
}

/// A case with everything its applicant (or allowed staff) may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseDetail {
    pub summary: CaseSummary,
    /// The form key of the case (for the applicant's own review step; empty for staff).
    pub client_key: String,
    pub form_version: i32,
    pub answers: Vec<Answer>,
    /// The form's attachment fields: (name, label).
    pub attachment_fields: Vec<(String, String)>,
    pub files: Vec<CaseFileInfo>,
    pub timeline: Vec<TimelineEntry>,
    pub supplement_note: Option<String>,
    pub supplement_fields: Vec<String>,
    pub promised_days: i32,
    pub day_kind: DayKind,
    /// How the applicant asked to receive the result (none for drafts saved before choosing).
    pub delivery: Option<Delivery>,
    pub channel: CaseChannel,
}

/// What the application page needs: the item, its form, the draft's answers and files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub service_code: String,
    pub service_name: String,
    pub department: String,
    pub case_id: Option<i64>,
    pub client_key: String,
    pub status: CaseStatus,
    pub form: FormDef,
    pub values: std::collections::BTreeMap<String, Vec<String>>,
    pub files: Vec<CaseFileInfo>,
    pub supplement_note: Option<String>,
    pub supplement_fields: Vec<String>,
    pub verified: bool,
    /// The delivery methods the item offers (never empty) and the draft's choice.
    pub delivery_options: Vec<DeliveryMethod>,
    pub delivery: Option<Delivery>,
}

/// The public look-up's answer: only what a passer-by with the number and digits may know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupResult {
    pub tracking_no: String,
    pub service_name: String,
    pub department: String,
    pub status: CaseStatus,
    pub timeline: Vec<TimelineEntry>,
}
