//! One item in the console: its guide, its form (as rows or as JSON), its status and its
//! workflow.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use zhengwu_types::services::{faq_text, DeliveryMethod, ItemStatus};

use crate::features::catalogue::api::{staff_service, ItemEditor};
use crate::features::identity::ConsoleNav;
use crate::features::workflow::ItemWorkflowSection;
use crate::ui::form::{Checkboxes, CsrfField, ErrorSummary, Field, Select, TextArea};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::url::query;

#[component]
pub fn StaffServicePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, staff_service);
    view! {
        <ConsoleNav />
        <Loaded data=data let:e>
            {
                let code = e.guide.code.clone();
                view! { <ServiceEditor e /> <ItemWorkflowSection code /> }.into_any()
            }
        </Loaded>
    }
}

pub(crate) fn done_text(done: &str) -> Option<&'static str> {
    Some(match done {
        "saved" => "办事指南已保存。",
        "created" => "事项已新建（未发布）。请填写办事指南；网上办理的事项还需发布申请表单。",
        "published" => "事项已发布，公众可以查看和申请。",
        "retired" => "事项已停用，已从公开目录中移除。",
        "draft" => "事项已撤回为未发布。",
        "form" => "新版本表单已发布。已开始的申请仍使用原版本。",
        _ => return None,
    })
}

#[component]
pub(crate) fn ServiceEditor(e: ItemEditor) -> impl IntoView {
    let g = e.guide;
    let done = query("done").as_deref().and_then(done_text);
    let code = g.code.clone();
    // The kit shows a field as posted when the form came back, else as stored.
    let input = |k: &'static str, label: &'static str, stored: String| {
        view! { <Field name=k label value=stored required=false /> }
    };
    let area = |k: &'static str, label: &'static str, stored: String| {
        view! { <TextArea name=k label value=stored /> }
    };
    // The structured editor's rows: every field with its section, and one empty row to add.
    let mut rows: Vec<(String, Option<zhengwu_types::services::FieldDef>)> = e
        .form
        .as_ref()
        .map(|f| f.sections.iter().flat_map(|s| s.fields.iter().map(|x| (s.title.clone(), Some(x.clone())))).collect())
        .unwrap_or_default();
    let last_section = rows.last().map(|r| r.0.clone()).unwrap_or_else(|| "申请信息".into());
    rows.push((last_section, None));
    let status = g.status;
    view! {
        <PageMeta title=format!("事项管理 · {}", g.name) />
        <nav class="breadcrumb" aria-label="当前位置"><a href="/admin/services">"事项管理"</a>" › "{g.name.clone()}</nav>
        <h1>{g.name.clone()}</h1>
        {done.map(|d| view! { <div class="notice" role="status"><p>{d}</p></div> })}
        <dl class="facts">
            <div><dt>"编码"</dt><dd>{g.code.clone()}</dd></div>
            <div><dt>"部门"</dt><dd>{g.department.clone()}</dd></div>
            <div><dt>"状态"</dt><dd>{status.name_zh()}</dd></div>
            <div><dt>"表单版本"</dt><dd>{e.form_version.map(|v| v.to_string()).unwrap_or_else(|| "无".into())}</dd></div>
        </dl>
        <ErrorSummary labels=&[("status", "状态"), ("definition", "申请表单"), ("visits", "到现场次数"), ("delivery", "结果送达方式"), ("faq", "常见问题"), ("keywords", "别名和关键词")] />
        <section class="panel">
            <h2>"发布状态"</h2>
            <form method="post" action=format!("/admin/services/{code}/status") class="form inline">
                <CsrfField />
                {match status {
                    ItemStatus::Published => view! { <button type="submit" name="status" value="retired" class="button secondary">"停用事项"</button> }.into_any(),
                    _ => view! { <button type="submit" name="status" value="published" class="button">"发布事项"</button> }.into_any(),
                }}
            </form>
        </section>
        <section class="panel">
            <h2>"办事指南"</h2>
            <form method="post" action=format!("/admin/services/{code}") class="form">
                <CsrfField />
                {input("name", "事项名称", g.name.clone())}
                {area("summary", "简介", g.summary.clone())}
                {area("eligibility", "受理条件", g.eligibility.clone())}
                {area("legal_basis", "设定依据", g.legal_basis.clone())}
                {input("statutory_days", "法定时限（天）", g.statutory_days.to_string())}
                {input("promised_days", "承诺时限（天，不长于法定时限）", g.promised_days.to_string())}
                <Select name="day_kind" label="时限计算方式" value=g.day_kind.code() options=vec![
                    ("working".to_string(), "工作日".to_string()),
                    ("natural".to_string(), "自然日".to_string()),
                ] />
                {input("online_depth", "网上办理深度（1–4）", g.online_depth.to_string())}
                {input("fees", "收费标准", g.fees.clone())}
                {area("venue", "办理地点", g.venue.clone())}
                {input("hours", "办理时间", g.hours.clone())}
                {input("phone", "咨询电话", g.phone.clone())}
                {input("complaint_phone", "投诉电话（空：12345）", g.complaint_phone.clone())}
                {input("fee_basis", "收费依据", g.fee_basis.clone())}
                <Select name="visits" label="到现场次数" value=g.visits.to_string() options=vec![
                    ("0".to_string(), "0 次（全程网办，须四级深度）".to_string()),
                    ("1".to_string(), "1 次".to_string()),
                    ("2".to_string(), "2 次".to_string()),
                ] />
                {input("result_name", "结果名称（如：营业执照、准予许可决定书）", g.result_name.clone())}
                <Checkboxes name="delivery" legend="结果送达方式（申请人在申请时选择）"
                    checked=g.delivery.iter().map(|m| m.code().to_string()).collect()
                    options=DeliveryMethod::ALL.iter().map(|m| (m.code().to_string(), m.name_zh().to_string())).collect() />
                <Field name="keywords" label="别名和关键词" value=g.keywords.clone() required=false
                    hint="群众搜索时常用的叫法，用空格或逗号分隔，例如：低保 低保金 最低生活保障金" />
                <TextArea name="faq" label="常见问题" value=faq_text(&g.faq)
                    hint="每个问题一行以“问：”开头，下一行以“答：”开头写回答；问题之间空一行。" />
                <button type="submit" class="button">"保存办事指南"</button>
            </form>
        </section>
        <section class="panel">
            <h2>"申请表单"</h2>
            <h3>"逐项编辑"</h3>
            <p class="hint">"每行一个字段；“顺序”决定先后，分组名相同的字段在同一组。勾选“删除”去掉该字段；最后一行可新增字段。保存即发布为新版本。"</p>
            <form method="post" action=format!("/admin/services/{code}/fields") class="form field-editor">
                <CsrfField />
                {rows.into_iter().enumerate().map(|(i, (section, f))| view! { <FieldRow i section f /> }).collect_view()}
                <button type="submit" class="button">"保存并发布新版本表单"</button>
            </form>
            <h3>"JSON 导入导出"</h3>
            {e.form_version.map(|_| view! { <p><a href=format!("/admin/services/{code}/form.json")>"导出当前表单（JSON）"</a></p> })}
            <form method="post" action=format!("/admin/services/{code}/form") class="form">
                <CsrfField />
                <TextArea name="definition" form="form" label="表单定义（JSON，可粘贴导入）" hint="保存即发布为新版本；已开始的申请继续使用原版本。"
                    rows=16 class="code" value=e.form_json.clone() />
                <button type="submit" class="button">"发布新版本表单"</button>
            </form>
        </section>
    }
}

/// One row of the structured form editor: every property of a field as a plain input.
#[component]
pub(crate) fn FieldRow(i: usize, section: String, f: Option<zhengwu_types::services::FieldDef>) -> impl IntoView {
    use zhengwu_types::services::{FieldKind, FileType, Prefill};
    let is_new = f.is_none();
    let f = f.unwrap_or_default();
    let id = move |k: &str| format!("r{i}-{k}");
    let num = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
    let fnum = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let text = move |k: &'static str, label: &'static str, value: String| {
        view! { <Field name=format!("{k}_{i}") id=id(k) label value required=false /> }
    };
    view! {
        <details class="field-row-wrap" open=is_new>
        <summary>{if is_new { "新增字段".to_string() } else { format!("{}. {} · {}{}", i + 1, f.label, f.kind.name_zh(), if f.required { " · 必填" } else { "" }) }}</summary>
        <fieldset class="field-row">
            <legend class="visually-hidden">{if is_new { "新增字段".to_string() } else { format!("字段 {}：{}", i + 1, f.label) }}</legend>
            <input type="hidden" name="row" value=i.to_string() />
            {text("order", "顺序", if is_new { String::new() } else { (i + 1).to_string() })}
            {text("section", "分组", section)}
            {text("name", "名称（英文，如 applicant_name）", f.name.clone())}
            {text("label", "标签", f.label.clone())}
            <Select name=format!("kind_{i}") id=id("kind") label="类型" value=f.kind.code()
                options=FieldKind::ALL.into_iter().map(|k| (k.code().to_string(), k.name_zh().to_string())).collect() />
            <div class="choice">
                <input type="checkbox" id=id("required") name=format!("required_{i}") value="1" checked=f.required />
                <label for=id("required")>"必填"</label>
            </div>
            {text("hint", "提示", f.hint.clone())}
            {text("min_len", "最短字数", num(f.min_len))}
            {text("max_len", "最长字数", num(f.max_len))}
            {text("min", "最小值（日期：相对今天的天数）", fnum(f.min))}
            {text("max", "最大值（日期：相对今天的天数）", fnum(f.max))}
            {text("pattern", "格式（正则表达式）", f.pattern.clone().unwrap_or_default())}
            {text("pattern_message", "格式不符时的提示", f.pattern_message.clone().unwrap_or_default())}
            {text("options", "选项（用“|”分隔）", f.options.join("|"))}
            <Checkboxes name=format!("accept_{i}") id=id("accept") legend="附件类型"
                options=FileType::ALL.into_iter().map(|t| (t.extension().to_string(), t.extension().to_uppercase())).collect()
                checked=f.accept.iter().map(|t| t.extension().to_string()).collect()
                classes=vec!["inline-choice".to_string(); FileType::ALL.len()] />
            {text("max_size_kb", "单个文件上限（KB）", num(f.max_size_kb))}
            {text("max_count", "文件数量上限", num(f.max_count))}
            <Select name=format!("prefill_{i}") id=id("prefill") label="自动填入" value=match f.prefill {
                Some(Prefill::RealName) => "real_name",
                Some(Prefill::IdNumber) => "id_number",
                Some(Prefill::Mobile) => "mobile",
                None => "",
            }
                options=[("", "不填入"), ("real_name", "实名姓名"), ("id_number", "身份证号码"), ("mobile", "手机号码")]
                    .into_iter()
                    .map(|(v, l)| (v.to_string(), l.to_string()))
                    .collect() />
            {(!is_new).then(|| view! {
                <div class="choice">
                    <input type="checkbox" id=id("delete") name=format!("delete_{i}") value="1" />
                    <label for=id("delete")>"删除此字段"</label>
                </div>
            })}
        </fieldset>
        </details>
    }
}
