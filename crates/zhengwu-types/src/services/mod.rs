//! The service catalogue (事项清单), application forms defined as data, and cases (办件) as
//! pages and clients see them. Validation of answers lives on the server (zhengwu-core);
//! these are the shapes.

use serde::{Deserialize, Serialize};

mod cases;
pub use cases::*;

crate::code_enum! {
    /// Who a service is for (服务对象).
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum ServiceObject {
        Individual = "individual",
        Enterprise = "enterprise",
        Both = "both",
    }
}

impl ServiceObject {
    pub fn name_zh(self) -> &'static str {
        match self {
            ServiceObject::Individual => "自然人",
            ServiceObject::Enterprise => "法人",
            ServiceObject::Both => "自然人、法人",
        }
    }
}

crate::code_enum! {
    /// How a time limit counts (工作日 / 自然日).
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum DayKind {
        Working = "working",
        Natural = "natural",
    }
}

impl DayKind {
    pub fn unit_zh(self) -> &'static str {
        match self {
            DayKind::Working => "个工作日",
            DayKind::Natural => "个自然日",
        }
    }
}

crate::code_enum! {
    /// Where an item is in its life.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum ItemStatus {
        Draft = "draft",
        Published = "published",
        Retired = "retired",
    }
}

impl ItemStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            ItemStatus::Draft => "未发布",
            ItemStatus::Published => "已发布",
            ItemStatus::Retired => "已停用",
        }
    }
}

/// 网上办理深度: how far a service can be done online.
pub fn online_depth_zh(depth: i32) -> &'static str {
    match depth {
        1 => "一级：网上办事指南",
        2 => "二级：网上下载表格",
        3 => "三级：网上申请、窗口领取结果",
        _ => "四级：全程网办",
    }
}

/// 到现场次数: how many times the applicant must come in person.
pub fn visits_zh(visits: i32) -> &'static str {
    match visits {
        0 => "0 次（全程网上办理）",
        1 => "1 次",
        _ => "2 次",
    }
}

/// The questions in the staff editor's format: "问：…" and "答：…" lines, a blank line between
/// (read back by the core's `services::parse_faq`).
pub fn faq_text(faq: &[Faq]) -> String {
    faq.iter().map(|f| format!("问：{}\n答：{}", f.q, f.a)).collect::<Vec<_>>().join("\n\n")
}

/// A question and its answer (常见问题).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faq {
    pub q: String,
    pub a: String,
}

/// One required material (材料清单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub name: String,
    /// 原件 / 复印件 / 原件和复印件 / 电子材料.
    pub form: String,
    pub count: u32,
    pub required: bool,
    /// A blank form to download, if there is one (a path under /files/templates/).
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeInfo {
    pub code: String,
    pub name: String,
    /// `center` (政务服务中心 themes), `life` (个人生命周期), `enterprise` (法人主题).
    pub kind: String,
    pub items: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub code: String,
    pub name: String,
    pub department: String,
    pub object: ServiceObject,
    pub online_depth: i32,
    pub promised_days: i32,
    pub day_kind: DayKind,
    pub status: ItemStatus,
    pub summary: String,
}

/// The full guide (办事指南).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceGuide {
    pub code: String,
    pub name: String,
    pub department: String,
    pub department_id: i64,
    pub object: ServiceObject,
    pub status: ItemStatus,
    pub summary: String,
    pub eligibility: String,
    pub materials: Vec<Material>,
    pub legal_basis: String,
    pub statutory_days: i32,
    pub promised_days: i32,
    pub day_kind: DayKind,
    pub fees: String,
    pub venue: String,
    pub hours: String,
    pub online_depth: i32,
    pub phone: String,
    pub themes: Vec<(String, String)>,
    /// Words citizens search with besides the name (别名、关键词), separated by spaces or commas.
    pub keywords: String,
    /// 到现场次数 (0–2).
    pub visits: i32,
    pub complaint_phone: String,
    /// The legal basis of the fees (收费依据).
    pub fee_basis: String,
    /// 结果名称: the licence, certificate or decision the applicant receives.
    pub result_name: String,
    /// How the result may be delivered, in the order offered (never empty).
    pub delivery: Vec<DeliveryMethod>,
    pub faq: Vec<Faq>,
    /// Whether it can be applied for online now (published, depth ≥ 3, a form exists).
    pub online: bool,
    pub updated_at: String,
}

/// The catalogue's filter as the page and the API take it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFilter {
    pub theme: Option<String>,
    pub department: Option<String>,
    pub object: Option<ServiceObject>,
    pub q: Option<String>,
}

// ---- Application forms as data ---------------------------------------------------------

crate::code_enum! {
    /// A form field's kind: its name in form definitions (JSON) and in the pages' `data-kind`
    /// attributes is its code.
    #[derive(Default, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum FieldKind {
        #[default]
        Text = "text",
        LongText = "long_text",
        Number = "number",
        Date = "date",
        Choice = "choice",
        MultiChoice = "multi_choice",
        IdNumber = "id_number",
        Mobile = "mobile",
        Address = "address",
        Attachment = "attachment",
    }
}

impl FieldKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            FieldKind::Text => "单行文本",
            FieldKind::LongText => "多行文本",
            FieldKind::Number => "数字",
            FieldKind::Date => "日期",
            FieldKind::Choice => "单选",
            FieldKind::MultiChoice => "多选",
            FieldKind::IdNumber => "身份证号码",
            FieldKind::Mobile => "手机号码",
            FieldKind::Address => "地址",
            FieldKind::Attachment => "附件",
        }
    }
}

/// What the signed-in citizen's verified profile can fill in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    RealName,
    IdNumber,
    Mobile,
}

/// File types recognised by their content (magic bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
    Ofd,
}

impl FileType {
    pub const ALL: [FileType; 4] = [FileType::Pdf, FileType::Jpeg, FileType::Png, FileType::Ofd];

    pub fn media_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Ofd => "application/ofd",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Ofd => "ofd",
        }
    }

    pub fn from_media_type(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.media_type() == s)
    }

    /// What the content's first bytes say, if it is one of ours.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileType::Png)
        } else if head.starts_with(b"PK\x03\x04") {
            // OFD (GB/T 33190) is a ZIP container; the rest is checked by its reader.
            Some(FileType::Ofd)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub hint: String,
    #[serde(default)]
    pub min_len: Option<u32>,
    #[serde(default)]
    pub max_len: Option<u32>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// A regular expression the whole answer must match, with the message when it does not.
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub pattern_message: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    /// Attachments: allowed types (empty: PDF, JPEG, PNG), size per file, files per field.
    #[serde(default)]
    pub accept: Vec<FileType>,
    #[serde(default)]
    pub max_size_kb: Option<u32>,
    #[serde(default)]
    pub max_count: Option<u32>,
    #[serde(default)]
    pub prefill: Option<Prefill>,
}

impl FieldDef {
    pub fn accepted(&self) -> Vec<FileType> {
        if self.accept.is_empty() {
            vec![FileType::Pdf, FileType::Jpeg, FileType::Png]
        } else {
            self.accept.clone()
        }
    }

    /// The `accept` attribute of the file input (a hint; the server checks content).
    pub fn accept_attr(&self) -> String {
        self.accepted().iter().map(|t| format!(".{},{}", t.extension(), t.media_type())).collect::<Vec<_>>().join(",")
    }

    pub fn max_bytes(&self) -> u64 {
        u64::from(self.max_size_kb.unwrap_or(5 * 1024)) * 1024
    }

    pub fn max_files(&self) -> u32 {
        self.max_count.unwrap_or(3)
    }

    /// The longest answer accepted, in characters.
    pub fn max_chars(&self) -> u32 {
        self.max_len.unwrap_or(if self.kind == FieldKind::LongText { 2000 } else { 200 })
    }

    /// The message for a required field left empty.
    pub fn missing_message(&self) -> String {
        let verb =
            if matches!(self.kind, FieldKind::Choice | FieldKind::MultiChoice) { "请选择" } else { "请填写" };
        format!("{verb}{}", self.label)
    }

    /// What is wrong with a non-empty, trimmed answer under the rules both the server and the
    /// browser check (length, number range, mobile and ID number), worded once for both. Dates,
    /// choices and patterns are the server's (zhengwu_core::services::validate). `today` is
    /// (year, month, day) in Asia/Shanghai.
    pub fn check_plain(&self, value: &str, today: (i32, u32, u32)) -> Option<String> {
        let label = &self.label;
        match self.kind {
            FieldKind::Text | FieldKind::LongText | FieldKind::Address => {
                let chars = value.chars().count() as u32;
                if let Some(min) = self.min_len.filter(|m| chars < *m) {
                    return Some(format!("{label}至少需要 {min} 个字"));
                }
                let max = self.max_chars();
                if chars > max {
                    return Some(format!("{label}不能超过 {max} 个字"));
                }
                if self.kind != FieldKind::LongText && value.contains(['\n', '\r']) {
                    return Some(format!("{label}不能换行"));
                }
            }
            FieldKind::Number => {
                let Some(n) = value.parse::<f64>().ok().filter(|n| n.is_finite()) else {
                    return Some(format!("{label}请填写数字"));
                };
                if let Some(min) = self.min.filter(|m| n < *m) {
                    return Some(format!("{label}不能小于 {min}"));
                }
                if let Some(max) = self.max.filter(|m| n > *m) {
                    return Some(format!("{label}不能大于 {max}"));
                }
            }
            FieldKind::Mobile if crate::personal::validate_mobile(value).is_none() => {
                return Some(format!("{label}请填写 11 位手机号码"));
            }
            FieldKind::IdNumber => {
                if let Err(p) = crate::personal::validate_id_number(value, today) {
                    return Some(format!("{label}：{}", p.message_zh()));
                }
            }
            _ => {}
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormSection {
    pub title: String,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormDef {
    pub sections: Vec<FormSection>,
}

impl FormDef {
    pub fn fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields().find(|f| f.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type_not_the_name() {
        assert_eq!(FileType::sniff(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(FileType::sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileType::Png));
        assert_eq!(FileType::sniff(b"MZ\x90\x00"), None, "a Windows executable");
        assert_eq!(FileType::sniff(b"<html>"), None);
        assert_eq!(FileType::sniff(b""), None);
    }

    #[test]
    fn form_definitions_read_from_json() {
        let def: FormDef = serde_json::from_str(
            r#"{"sections":[{"title":"申请人","fields":[
                {"name":"name","label":"姓名","kind":"text","required":true,"prefill":"real_name"},
                {"name":"proof","label":"证明","kind":"attachment","accept":["pdf"],"max_size_kb":100}]}]}"#,
        )
        .unwrap();
        assert_eq!(def.fields().count(), 2);
        assert_eq!(def.field("name").unwrap().prefill, Some(Prefill::RealName));
        assert_eq!(def.field("proof").unwrap().max_bytes(), 100 * 1024);
        assert_eq!(def.field("proof").unwrap().accepted(), vec![FileType::Pdf]);
        assert!(serde_json::from_str::<FormDef>(
            r#"{"sections":[{"title":"x","fields":[{"name":"a","label":"b","kind":"blob"}]}]}"#
        )
        .is_err());
    }
}

/// A size for people: "2 MB", "500 KB", "1.5 MB" — one wording everywhere (form hints, error
/// messages, file lists).
pub fn size_text(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        if bytes.is_multiple_of(MB) {
            format!("{} MB", bytes / MB)
        } else {
            format!("{:.1} MB", bytes as f64 / MB as f64)
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024).max(1))
    }
}

/// The allowed file types as people know them: "PDF、JPG、PNG".
pub fn types_text(accept: &[FileType]) -> String {
    accept.iter().map(|t| t.extension().to_uppercase()).collect::<Vec<_>>().join("、")
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn sizes_and_types_read_the_same_everywhere() {
        assert_eq!(size_text(2 * 1024 * 1024), "2 MB");
        assert_eq!(size_text(2048 * 1024), "2 MB", "never “2048 KB”");
        assert_eq!(size_text(512 * 1024), "512 KB");
        assert_eq!(size_text(1536 * 1024), "1.5 MB");
        assert_eq!(size_text(10), "1 KB");
        assert_eq!(types_text(&[FileType::Pdf, FileType::Jpeg]), "PDF、JPG");
    }
}
