//! Console pages for cases (办件) and the service catalogue (事项管理). The server functions
//! check permission and data scope; these pages only show what came back.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use zhengwu_types::{
    services::{CaseDetail, CaseStatus, CaseSummary, ItemStatus, ServiceSummary},
    Page,
};

use crate::{
    api::services::{staff_case, staff_cases, staff_service, staff_services, ItemEditor, StaffCatalogue},
    components::meta::{rcdata, PageMeta},
    components::{
        form::{CsrfField, ErrorSummary},
        pager::Pager,
    },
    pages::{
        console::ConsoleNav,
        console_workflow::{ItemWorkflowSection, WorkflowSection},
        services::{query, url_encode_pairs, CaseView},
        ErrorPage,
    },
    session::use_form_echo,
};

#[component]
pub fn StaffCasesPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (q.get("service"), q.get("status"), q.get("department"), q.get("from"), q.get("to"), q.get("page"))
        })
    };
    let data = Resource::new(params, |(service, status, department, from, to, page)| {
        staff_cases(service, status, department, from, to, page)
    });
    view! {
        <PageMeta title="办件" />
        <ConsoleNav />
        <h1>"办件"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => view! { <CaseTable p /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CaseTable(p: Page<CaseSummary>) -> impl IntoView {
    let keys = ["service", "status", "department", "from", "to"];
    let current: Vec<(String, String)> = keys.iter().filter_map(|k| query(k).map(|v| (k.to_string(), v))).collect();
    let value = |k: &str| current.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let base = if current.is_empty() {
        "/admin/cases".to_string()
    } else {
        format!("/admin/cases?{}", url_encode_pairs(&current))
    };
    let status = value("status");
    view! {
        <form method="get" action="/admin/cases" class="form filter-form">
            <div class="field"><label for="service">"事项编码"</label><input id="service" name="service" type="text" value=value("service") /></div>
            <div class="field">
                <label for="status">"状态"</label>
                <select id="status" name="status">
                    <option value="">"全部"</option>
                    {[CaseStatus::Submitted, CaseStatus::Processing, CaseStatus::Supplement].into_iter().map(|s| view! {
                        <option value=s.code() selected=status == s.code()>{s.name_zh()}</option>
                    }).collect_view()}
                    <option value="concluded" selected=status == "concluded">"已办结（全部）"</option>
                    {[CaseStatus::Approved, CaseStatus::Rejected, CaseStatus::Terminated, CaseStatus::Withdrawn].into_iter().map(|s| view! {
                        <option value=s.code() selected=status == s.code()>{s.name_zh()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field"><label for="department">"部门编码"</label><input id="department" name="department" type="text" value=value("department") /></div>
            <div class="field"><label for="from">"提交日期从"</label><input id="from" name="from" type="date" value=value("from") /></div>
            <div class="field"><label for="to">"至"</label><input id="to" name="to" type="date" value=value("to") /></div>
            <button type="submit" class="button">"筛选"</button>
        </form>
        {if p.items.is_empty() {
            view! { <p class="empty">"没有符合条件的办件。"</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data">
                        <thead><tr><th scope="col">"办件编号"</th><th scope="col">"事项"</th><th scope="col">"部门"</th><th scope="col">"状态"</th><th scope="col">"提交时间"</th></tr></thead>
                        <tbody>
                            {p.items.iter().map(|c| view! {
                                <tr>
                                    <td><a href=format!("/admin/cases/{}", c.id)>{c.tracking_no.clone().unwrap_or_default()}</a></td>
                                    <td>{c.service_name.clone()}</td>
                                    <td>{c.department.clone()}</td>
                                    <td>{c.status.name_zh()}</td>
                                    <td>{c.submitted_at.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <Pager base page=p.page total_pages=p.total_pages total=p.total />
    }
}

#[component]
pub fn StaffCasePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(id, staff_case);
    view! {
        <ConsoleNav />
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <StaffCaseView d /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StaffCaseView(d: CaseDetail) -> impl IntoView {
    let id = d.summary.id;
    let fields: Vec<(String, String)> = d
        .answers
        .iter()
        .map(|a| (a.name.clone(), a.label.clone()))
        .chain(d.attachment_fields.iter().map(|(n, l)| (n.clone(), format!("附件：{l}"))))
        .collect();
    view! {
        <WorkflowSection case_id=id fields />
        <CaseView d=d.clone() staff=true />
    }
}

#[component]
pub fn StaffServicesPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || query.with(|q| (q.get("status"), q.get("q"), q.get("page")));
    let data = Resource::new(params, |(status, text, page)| staff_services(status, text, page));
    view! {
        <PageMeta title="事项管理" />
        <ConsoleNav />
        <h1>"事项管理"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! { <ServiceTable c /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ServiceTable(c: StaffCatalogue) -> impl IntoView {
    let p: Page<ServiceSummary> = c.items;
    let echo = use_form_echo();
    let field_error = |k: &'static str| echo.error(k);
    let chosen_dept = echo.value("department_id");
    let chosen_object = echo.value("object");
    let status = query("status").unwrap_or_default();
    let text = query("q").unwrap_or_default();
    let mut current = vec![];
    if !status.is_empty() {
        current.push(("status".to_string(), status.clone()));
    }
    if !text.is_empty() {
        current.push(("q".to_string(), text.clone()));
    }
    let base = if current.is_empty() {
        "/admin/services".to_string()
    } else {
        format!("/admin/services?{}", url_encode_pairs(&current))
    };
    view! {
        <form method="get" action="/admin/services" class="form filter-form">
            <div class="field"><label for="q">"事项名称或编码"</label><input id="q" name="q" type="search" value=text /></div>
            <div class="field">
                <label for="status">"状态"</label>
                <select id="status" name="status">
                    <option value="">"全部"</option>
                    {[ItemStatus::Published, ItemStatus::Draft, ItemStatus::Retired].into_iter().map(|s| view! {
                        <option value=s.code() selected=status == s.code()>{s.name_zh()}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"筛选"</button>
        </form>
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th scope="col">"编码"</th><th scope="col">"事项名称"</th><th scope="col">"部门"</th><th scope="col">"状态"</th></tr></thead>
                <tbody>
                    {p.items.iter().map(|s| view! {
                        <tr>
                            <td>{s.code.clone()}</td>
                            <td><a href=format!("/admin/services/{}", s.code)>{s.name.clone()}</a></td>
                            <td>{s.department.clone()}</td>
                            <td>{s.status.name_zh()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <Pager base page=p.page total_pages=p.total_pages total=p.total />
        <section class="panel" aria-labelledby="new-item-heading">
            <h2 id="new-item-heading">"新建事项"</h2>
            <p class="hint">"新事项为未发布状态：填写办事指南、发布申请表单后再发布。"</p>
            <ErrorSummary labels=&[("code", "事项编码"), ("name", "事项名称"), ("department_id", "实施部门")] />
            <form method="post" action="/admin/services" class="form">
                <CsrfField />
                <div class="field" class:field-error=field_error("code").is_some()>
                    <label for="code">"事项编码"</label>
                    <p class="hint">"大写字母、数字和连字符，例如 QS-RS-0011"</p>
                    {field_error("code").map(|e| view! { <p class="error-message" id="code-error">{e}</p> })}
                    <input id="code" name="code" type="text" value=echo.value("code") autocomplete="off" />
                </div>
                <div class="field" class:field-error=field_error("name").is_some()>
                    <label for="name">"事项名称"</label>
                    {field_error("name").map(|e| view! { <p class="error-message" id="name-error">{e}</p> })}
                    <input id="name" name="name" type="text" value=echo.value("name") />
                </div>
                <div class="field" class:field-error=field_error("department_id").is_some()>
                    <label for="department_id">"实施部门"</label>
                    {field_error("department_id").map(|e| view! { <p class="error-message" id="department_id-error">{e}</p> })}
                    <select id="department_id" name="department_id">
                        <option value="">"请选择"</option>
                        {c.departments.iter().map(|(id, name)| {
                            let v = id.to_string();
                            let sel = v == chosen_dept;
                            view! { <option value=v selected=sel>{name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="object">"服务对象"</label>
                    <select id="object" name="object">
                        {zhengwu_types::services::ServiceObject::ALL.into_iter().map(|o| view! {
                            <option value=o.code() selected=chosen_object == o.code()>{o.name_zh()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button">"新建"</button>
            </form>
        </section>
    }
}

#[component]
pub fn StaffServicePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, staff_service);
    view! {
        <ConsoleNav />
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(e) => {
                        let code = e.guide.code.clone();
                        view! { <ServiceEditor e /> <ItemWorkflowSection code /> }.into_any()
                    }
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn done_text(done: &str) -> Option<&'static str> {
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
fn ServiceEditor(e: ItemEditor) -> impl IntoView {
    let echo = use_form_echo();
    let g = e.guide;
    let done = query("done").as_deref().and_then(done_text);
    let code = g.code.clone();
    // A field's value: as posted (when the form came back), else as stored.
    let val = |k: &str, stored: String| if echo.values.contains_key(k) { echo.value(k) } else { stored };
    let input = |k: &'static str, label: &'static str, stored: String| {
        let error = echo.error(k);
        view! {
            <div class="field" class:field-error=error.is_some()>
                <label for=k>{label}</label>
                {error.clone().map(|e| view! { <p class="error-message" id=format!("{k}-error")>{e}</p> })}
                <input id=k name=k type="text" value=val(k, stored) aria-invalid=error.is_some().then_some("true") />
            </div>
        }
    };
    let area = |k: &'static str, label: &'static str, stored: String| {
        let error = echo.error(k);
        view! {
            <div class="field" class:field-error=error.is_some()>
                <label for=k>{label}</label>
                {error.clone().map(|e| view! { <p class="error-message">{e}</p> })}
                <textarea id=k name=k rows="3">{rcdata(&val(k, stored))}</textarea>
            </div>
        }
    };
    let day_kind = val("day_kind", g.day_kind.code().to_string());
    // The structured editor's rows: every field with its section, and one empty row to add.
    let mut rows: Vec<(String, Option<zhengwu_types::services::FieldDef>)> = e
        .form
        .as_ref()
        .map(|f| f.sections.iter().flat_map(|s| s.fields.iter().map(|x| (s.title.clone(), Some(x.clone())))).collect())
        .unwrap_or_default();
    let last_section = rows.last().map(|r| r.0.clone()).unwrap_or_else(|| "申请信息".into());
    rows.push((last_section, None));
    let definition = val("definition", e.form_json.clone());
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
        <ErrorSummary labels=&[("status", "状态"), ("definition", "申请表单")] />
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
                <div class="field">
                    <label for="day_kind">"时限计算方式"</label>
                    <select id="day_kind" name="day_kind">
                        <option value="working" selected=day_kind == "working">"工作日"</option>
                        <option value="natural" selected=day_kind == "natural">"自然日"</option>
                    </select>
                </div>
                {input("online_depth", "网上办理深度（1–4）", g.online_depth.to_string())}
                {input("fees", "收费标准", g.fees.clone())}
                {area("venue", "办理地点", g.venue.clone())}
                {input("hours", "办理时间", g.hours.clone())}
                {input("phone", "咨询电话", g.phone.clone())}
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
                <div class="field" class:field-error=echo.error("definition").is_some()>
                    <label for="definition">"表单定义（JSON，可粘贴导入）"</label>
                    <p class="hint">"保存即发布为新版本；已开始的申请继续使用原版本。"</p>
                    {echo.error("definition").map(|e| view! { <p class="error-message">{e}</p> })}
                    <textarea id="definition" name="definition" rows="16" class="code">{rcdata(&definition)}</textarea>
                </div>
                <button type="submit" class="button">"发布新版本表单"</button>
            </form>
        </section>
    }
}

/// One row of the structured form editor: every property of a field as a plain input.
#[component]
fn FieldRow(i: usize, section: String, f: Option<zhengwu_types::services::FieldDef>) -> impl IntoView {
    use zhengwu_types::services::{FieldKind, FileType, Prefill};
    let is_new = f.is_none();
    let f = f.unwrap_or_default();
    let id = move |k: &str| format!("r{i}-{k}");
    let num = |v: Option<u32>| v.map(|v| v.to_string()).unwrap_or_default();
    let fnum = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let text = move |k: &'static str, label: &'static str, value: String| {
        view! {
            <div class="field">
                <label for=id(k)>{label}</label>
                <input id=id(k) name=format!("{k}_{i}") type="text" value=value />
            </div>
        }
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
            <div class="field">
                <label for=id("kind")>"类型"</label>
                <select id=id("kind") name=format!("kind_{i}")>
                    {FieldKind::ALL.into_iter().map(|k| view! { <option value=k.code() selected=k == f.kind>{k.name_zh()}</option> }).collect_view()}
                </select>
            </div>
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
            <div class="field">
                <p class="label">"附件类型"</p>
                {FileType::ALL.into_iter().map(|t| {
                    let cid = id(&format!("accept-{}", t.extension()));
                    view! {
                        <span class="choice inline-choice">
                            <input type="checkbox" id=cid.clone() name=format!("accept_{i}") value=t.extension() checked=f.accept.contains(&t) />
                            <label for=cid>{t.extension().to_uppercase()}</label>
                        </span>
                    }
                }).collect_view()}
            </div>
            {text("max_size_kb", "单个文件上限（KB）", num(f.max_size_kb))}
            {text("max_count", "文件数量上限", num(f.max_count))}
            <div class="field">
                <label for=id("prefill")>"自动填入"</label>
                <select id=id("prefill") name=format!("prefill_{i}")>
                    <option value="">"不填入"</option>
                    <option value="real_name" selected=f.prefill == Some(Prefill::RealName)>"实名姓名"</option>
                    <option value="id_number" selected=f.prefill == Some(Prefill::IdNumber)>"身份证号码"</option>
                    <option value="mobile" selected=f.prefill == Some(Prefill::Mobile)>"手机号码"</option>
                </select>
            </div>
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
