//! Checking a form definition (when staff publish it) and the answers to it (when a citizen
//! submits). Messages are in Chinese, each for one field, as the form shows them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use zhengwu_types::{
    personal,
    services::{FieldDef, FieldKind, FormDef},
};

/// Answers as posted: every value of every field (multiple choice has several).
pub type Answers = BTreeMap<String, Vec<String>>;

/// Messages by field name.
pub type Problems = BTreeMap<String, String>;

const MAX_FIELDS: usize = 100;
const MAX_TEXT: u32 = 5000;

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_lowercase()
}

/// Whether a definition can be published: names unique and plain, choices with options,
/// patterns that compile, limits that make sense. Returns every problem found.
pub fn check_definition(def: &FormDef) -> Result<(), Vec<String>> {
    let mut problems = vec![];
    let mut names = BTreeSet::new();
    if def.sections.is_empty() {
        problems.push("表单至少需要一个分组".to_string());
    }
    let count = def.fields().count();
    if count == 0 || count > MAX_FIELDS {
        problems.push(format!("字段数量须在 1–{MAX_FIELDS} 之间（现有 {count} 个）"));
    }
    for s in &def.sections {
        if s.title.trim().is_empty() {
            problems.push("每个分组都需要标题".into());
        }
    }
    for f in def.fields() {
        let at = format!("字段 {}", f.name);
        if !is_name(&f.name) {
            problems.push(format!("{at}：名称只能用小写字母、数字和下划线，以字母开头"));
        }
        if !names.insert(f.name.as_str()) {
            problems.push(format!("{at}：名称重复"));
        }
        if f.label.trim().is_empty() {
            problems.push(format!("{at}：缺少标签"));
        }
        if matches!(f.kind, FieldKind::Choice | FieldKind::MultiChoice) && f.options.is_empty() {
            problems.push(format!("{at}：选择题需要选项"));
        }
        if let (Some(a), Some(b)) = (f.min_len, f.max_len) {
            if a > b {
                problems.push(format!("{at}：最短长度大于最长长度"));
            }
        }
        if f.max_len.is_some_and(|m| m > MAX_TEXT) {
            problems.push(format!("{at}：最长长度不能超过 {MAX_TEXT}"));
        }
        if let (Some(a), Some(b)) = (f.min, f.max) {
            if a > b {
                problems.push(format!("{at}：最小值大于最大值"));
            }
        }
        if let Some(p) = &f.pattern {
            if regex::Regex::new(&format!("^(?:{p})$")).is_err() || p.len() > 200 {
                problems.push(format!("{at}：格式规则（正则表达式）无效"));
            }
        }
        if f.kind == FieldKind::Attachment {
            if f.max_size_kb.is_some_and(|k| k == 0 || k > 20 * 1024) {
                problems.push(format!("{at}：单个文件大小限制须在 1 KB–20 MB 之间"));
            }
            if f.max_count.is_some_and(|c| c == 0 || c > 10) {
                problems.push(format!("{at}：文件数量限制须在 1–10 之间"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// What was wrong with one value, if anything. `value` is trimmed already and not empty.
fn check_value(f: &FieldDef, value: &str, today: NaiveDate) -> Option<String> {
    use chrono::Datelike;
    if let Some(m) = f.check_plain(value, (today.year(), today.month(), today.day())) {
        return Some(m);
    }
    match f.kind {
        FieldKind::Date => {
            let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") else {
                return Some(format!("{}请按 年-月-日 填写，例如 2026-03-01", f.label));
            };
            // min/max on dates are days relative to today (e.g. max 0: not in the future).
            if let Some(max) = f.max {
                if d > today + chrono::Duration::days(max as i64) {
                    return Some(format!("{}不能晚于 {}", f.label, today + chrono::Duration::days(max as i64)));
                }
            }
            if let Some(min) = f.min {
                if d < today + chrono::Duration::days(min as i64) {
                    return Some(format!("{}不能早于 {}", f.label, today + chrono::Duration::days(min as i64)));
                }
            }
        }
        FieldKind::Choice | FieldKind::MultiChoice if !f.options.iter().any(|o| o == value) => {
            return Some(format!("{}请从给出的选项中选择", f.label));
        }
        _ => {}
    }
    if let Some(p) = &f.pattern {
        let ok = regex::Regex::new(&format!("^(?:{p})$")).map(|r| r.is_match(value)).unwrap_or(false);
        if !ok {
            return Some(f.pattern_message.clone().unwrap_or_else(|| format!("{}的格式不正确", f.label)));
        }
    }
    None
}

/// The answers cleaned (trimmed, ID numbers and mobile numbers in their canonical form, only
/// fields of the form kept) and, when `complete`, every required field checked. A draft is
/// checked only for what is filled in, so half a form can be saved.
pub fn check_answers(
    def: &FormDef,
    posted: &Answers,
    files_per_field: &BTreeMap<String, usize>,
    today: NaiveDate,
    complete: bool,
) -> (Answers, Problems) {
    let mut clean = Answers::new();
    let mut problems = Problems::new();
    for f in def.fields() {
        if f.kind == FieldKind::Attachment {
            let n = files_per_field.get(&f.name).copied().unwrap_or(0);
            if complete && f.required && n == 0 {
                problems.insert(f.name.clone(), format!("请上传{}", f.label));
            } else if n as u32 > f.max_files() {
                problems.insert(f.name.clone(), format!("{}最多 {} 个文件", f.label, f.max_files()));
            }
            continue;
        }
        let values: Vec<String> = posted
            .get(&f.name)
            .map(|vs| vs.iter().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect())
            .unwrap_or_default();
        if values.is_empty() {
            if complete && f.required {
                problems.insert(f.name.clone(), f.missing_message());
            }
            continue;
        }
        if f.kind != FieldKind::MultiChoice && values.len() > 1 {
            problems.insert(f.name.clone(), format!("{}只能有一个值", f.label));
            continue;
        }
        let mut kept = vec![];
        for v in values {
            if let Some(msg) = check_value(f, &v, today) {
                problems.entry(f.name.clone()).or_insert(msg);
                kept.push(v);
                continue;
            }
            kept.push(match f.kind {
                FieldKind::IdNumber => v.to_ascii_uppercase(),
                FieldKind::Mobile => personal::validate_mobile(&v).unwrap_or(v),
                _ => v,
            });
        }
        clean.insert(f.name.clone(), kept);
    }
    (clean, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhengwu_types::services::FormSection;

    fn field(name: &str, kind: FieldKind) -> FieldDef {
        serde_json::from_value(serde_json::json!({"name": name, "label": name.to_uppercase(), "kind": kind})).unwrap()
    }

    fn form(fields: Vec<FieldDef>) -> FormDef {
        FormDef { sections: vec![FormSection { title: "申请信息".into(), fields }] }
    }

    fn one(name: &str, v: &str) -> Answers {
        [(name.to_string(), vec![v.to_string()])].into()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn problem(f: FieldDef, v: &str) -> Option<String> {
        let name = f.name.clone();
        let (_, p) = check_answers(&form(vec![f]), &one(&name, v), &Default::default(), today(), true);
        p.get(&name).cloned()
    }

    #[test]
    fn every_rule_refuses_with_its_message() {
        let mut t = field("t", FieldKind::Text);
        t.min_len = Some(2);
        t.max_len = Some(4);
        assert_eq!(problem(t.clone(), "a").unwrap(), "T至少需要 2 个字");
        assert_eq!(problem(t.clone(), "abcde").unwrap(), "T不能超过 4 个字");
        assert_eq!(problem(t.clone(), "四个汉字"), None, "length counts characters, not bytes");
        let mut n = field("n", FieldKind::Number);
        n.min = Some(1.0);
        n.max = Some(10.0);
        assert_eq!(problem(n.clone(), "x").unwrap(), "N请填写数字");
        assert_eq!(problem(n.clone(), "0").unwrap(), "N不能小于 1");
        assert_eq!(problem(n.clone(), "11").unwrap(), "N不能大于 10");
        assert_eq!(problem(n.clone(), "NaN").unwrap(), "N请填写数字");
        assert_eq!(problem(n, "5"), None);
        let mut d = field("d", FieldKind::Date);
        d.max = Some(0.0);
        assert!(problem(d.clone(), "2026/11/01").unwrap().contains("年-月-日"));
        assert_eq!(problem(d.clone(), "2026-11-30").unwrap(), "D不能晚于 2026-11-29");
        assert_eq!(problem(d, "2026-11-29"), None);
        let mut c = field("c", FieldKind::Choice);
        c.options = vec!["是".into(), "否".into()];
        assert_eq!(problem(c.clone(), "也许").unwrap(), "C请从给出的选项中选择");
        assert_eq!(problem(c, "是"), None);
        assert!(problem(field("i", FieldKind::IdNumber), "110101199003070012").unwrap().starts_with("I："));
        assert_eq!(problem(field("i", FieldKind::IdNumber), "11010519491231002x"), None);
        assert_eq!(problem(field("m", FieldKind::Mobile), "1380013800").unwrap(), "M请填写 11 位手机号码");
        let mut p = field("p", FieldKind::Text);
        p.pattern = Some("[0-9]{6}".into());
        p.pattern_message = Some("邮政编码为 6 位数字".into());
        assert_eq!(problem(p.clone(), "12345").unwrap(), "邮政编码为 6 位数字");
        assert_eq!(problem(p.clone(), "1234567").unwrap(), "邮政编码为 6 位数字", "the whole value must match");
        assert_eq!(problem(p, "100000"), None);
        assert_eq!(problem(field("a", FieldKind::Address), "一行\n两行").unwrap(), "A不能换行");
    }

    #[test]
    fn required_fields_only_when_complete_and_values_are_cleaned() {
        let mut name = field("name", FieldKind::Text);
        name.required = true;
        let mut idn = field("idn", FieldKind::IdNumber);
        idn.required = true;
        let mut proof = field("proof", FieldKind::Attachment);
        proof.required = true;
        proof.max_count = Some(1);
        let mut kids = field("kids", FieldKind::MultiChoice);
        kids.options = vec!["甲".into(), "乙".into()];
        let def = form(vec![name, idn, proof, kids]);
        let posted: Answers = [
            ("idn".to_string(), vec![" 11010519491231002x ".to_string()]),
            ("kids".to_string(), vec!["甲".to_string(), "乙".to_string()]),
            ("not_in_form".to_string(), vec!["x".to_string()]),
        ]
        .into();
        let (clean, p) = check_answers(&def, &posted, &Default::default(), today(), false);
        assert!(p.is_empty(), "a draft may be incomplete: {p:?}");
        assert_eq!(clean["idn"], vec!["11010519491231002X"]);
        assert_eq!(clean["kids"].len(), 2);
        assert!(!clean.contains_key("not_in_form"));
        let (_, p) = check_answers(&def, &posted, &Default::default(), today(), true);
        assert_eq!(p["name"], "请填写NAME");
        assert_eq!(p["proof"], "请上传PROOF");
        let files = [("proof".to_string(), 2usize)].into();
        let (_, p) = check_answers(&def, &posted, &files, today(), true);
        assert_eq!(p["proof"], "PROOF最多 1 个文件");
    }

    #[test]
    fn definitions_are_checked_before_publishing() {
        let mut bad = field("Bad Name", FieldKind::Choice);
        bad.pattern = Some("(".into());
        let dup = field("x", FieldKind::Text);
        let errors = check_definition(&form(vec![bad, dup.clone(), dup])).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("名称只能用")));
        assert!(errors.iter().any(|e| e.contains("选择题需要选项")));
        assert!(errors.iter().any(|e| e.contains("正则表达式")));
        assert!(errors.iter().any(|e| e.contains("名称重复")));
        assert!(check_definition(&form(vec![field("ok", FieldKind::Text)])).is_ok());
        assert!(check_definition(&FormDef { sections: vec![] }).is_err());
    }
}
