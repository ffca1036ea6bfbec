//! The service catalogue (办事服务), a service's guide (办事指南), the online application
//! (网上申办), the citizen's cases (我的办件) with receipt and timeline, and the public case
//! look-up (办件查询). Plain links and form posts throughout: all of it works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use zhengwu_types::services::{
    online_depth_zh, ApplicationView, CaseDetail, CaseFileInfo, CaseStatus, CaseSummary, FieldDef, FieldKind,
    LookupResult, ServiceGuide, TimelineEntry,
};

use crate::{
    api::services::{guide_of_service, my_application, my_case, my_cases, service_catalogue, Catalogue},
    components::meta::{rcdata, PageMeta},
    components::{enhance::FormEnhancer, pager::Pager, print_button::PrintButton},
    pages::ErrorPage,
    session::{use_citizen, use_form_echo, FormEcho, CSRF_FIELD},
};

pub(crate) fn query(name: &'static str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(name)).filter(|v| !v.is_empty())
}

/// Telephone numbers in a text as `tel:` links (the rest kept as text): a tap calls.
fn phone_links(text: &str) -> impl IntoView {
    let mut parts: Vec<(bool, String)> = vec![];
    let mut cur = String::new();
    let flush = |cur: &mut String, parts: &mut Vec<(bool, String)>| {
        if !cur.is_empty() {
            let digits = cur.chars().filter(|c| c.is_ascii_digit()).count();
            parts.push((digits >= 5, std::mem::take(cur)));
        }
    };
    let mut in_number = false;
    for c in text.chars() {
        let numberish = c.is_ascii_digit() || (in_number && c == '-');
        if numberish != in_number {
            flush(&mut cur, &mut parts);
            in_number = numberish;
        }
        cur.push(c);
    }
    flush(&mut cur, &mut parts);
    parts
        .into_iter()
        .map(|(is_phone, t)| {
            if is_phone {
                let dial: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
                view! { <a href=format!("tel:{dial}")>{t}</a> }.into_any()
            } else {
                t.into_any()
            }
        })
        .collect_view()
}

fn limit_text(days: i32, unit: &str) -> String {
    if days == 0 {
        "即办（当场办结）".to_string()
    } else {
        format!("{days} {unit}")
    }
}

#[component]
pub fn ServicesPage() -> impl IntoView {
    let q = use_query_map();
    let params = move || q.with(|q| (q.get("theme"), q.get("department"), q.get("object"), q.get("q"), q.get("page")));
    let data = Resource::new(params, |(theme, department, object, text, page)| {
        service_catalogue(theme, department, object, text, page)
    });
    view! {
        <PageMeta title="办事服务" />
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! { <CatalogueView c /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CatalogueView(c: Catalogue) -> impl IntoView {
    let theme = query("theme");
    let department = query("department");
    let object = query("object");
    let text = query("q");
    // The list's own link with the current filters (for the pager and the theme links).
    let mut base_q: Vec<(String, String)> = vec![];
    for (k, v) in [("theme", &theme), ("department", &department), ("object", &object), ("q", &text)] {
        if let Some(v) = v {
            base_q.push((k.to_string(), v.clone()));
        }
    }
    let encode = |pairs: &[(String, String)]| {
        let mut s = url_encode_pairs(pairs);
        if !s.is_empty() {
            s.insert(0, '?');
        }
        format!("/services{s}")
    };
    let base = encode(&base_q);
    let theme_link = |code: &str| {
        let mut p: Vec<(String, String)> = base_q.iter().filter(|(k, _)| k != "theme").cloned().collect();
        p.push(("theme".into(), code.to_string()));
        encode(&p)
    };
    let all_themes_link = encode(&base_q.iter().filter(|(k, _)| k != "theme").cloned().collect::<Vec<_>>());
    let groups = [("center", "政务服务中心"), ("life", "个人办事 · 生命周期"), ("enterprise", "法人办事")];
    let current_theme = theme.clone();
    let title = match theme.as_ref().and_then(|t| c.themes.iter().find(|x| &x.code == t)) {
        Some(t) => format!("办事服务 · {}", t.name),
        None => "办事服务".to_string(),
    };
    let empty = c.items.items.is_empty();
    view! {
        <h1>{title}</h1>
        <p class="lead">"按主题、部门或服务对象查找事项，查看办事指南，在线申请。"</p>
        <nav class="theme-groups" aria-label="按主题浏览">
            <p><a href=all_themes_link aria-current=current_theme.is_none().then_some("page")>"全部主题"</a></p>
            {groups.into_iter().map(|(kind, label)| {
                let items = c.themes.iter().filter(|t| t.kind == kind).map(|t| {
                    let active = current_theme.as_deref() == Some(t.code.as_str());
                    view! {
                        <li><a href=theme_link(&t.code) aria-current=active.then_some("page")>{t.name.clone()}" ("{t.items}")"</a></li>
                    }
                }).collect_view();
                view! { <section><h2>{label}</h2><ul class="theme-list">{items}</ul></section> }
            }).collect_view()}
        </nav>
        <form method="get" action="/services" class="form filter-form" role="search">
            {theme.clone().map(|t| view! { <input type="hidden" name="theme" value=t /> })}
            <div class="field">
                <label for="q">"事项名称"</label>
                <input id="q" name="q" type="search" value=text.clone().unwrap_or_default() />
            </div>
            <div class="field">
                <label for="department">"实施部门"</label>
                <select id="department" name="department">
                    <option value="">"全部部门"</option>
                    {c.departments.iter().map(|(code, name)| {
                        let selected = department.as_deref() == Some(code.as_str());
                        view! { <option value=code.clone() selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="object">"服务对象"</label>
                <select id="object" name="object">
                    <option value="">"全部"</option>
                    <option value="individual" selected=object.as_deref() == Some("individual")>"个人（自然人）"</option>
                    <option value="enterprise" selected=object.as_deref() == Some("enterprise")>"企业（法人）"</option>
                </select>
            </div>
            <button type="submit" class="button">"查找"</button>
        </form>
        {empty.then(|| view! { <p class="empty">"没有找到符合条件的事项。请换个条件再试，或拨打 12345 咨询。"</p> })}
        <ul class="service-list">
            {c.items.items.into_iter().map(|s| {
                let href = format!("/services/{}", s.code);
                view! {
                    <li class="service-row">
                        <h3><a href=href>{s.name.clone()}</a></h3>
                        <p class="meta">
                            <span>{s.department.clone()}</span>
                            <span>{s.object.name_zh()}</span>
                            <span>"承诺时限 "{limit_text(s.promised_days, s.day_kind.unit_zh())}</span>
                            {(s.online_depth >= 3).then(|| view! { <span class="tag">"可网上办理"</span> })}
                        </p>
                        <p>{s.summary.clone()}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
        <Pager base page=c.items.page total_pages=c.items.total_pages total=c.items.total />
    }
}

/// `k=v&k=v`, percent-encoded (UTF-8) for links.
pub fn url_encode_pairs(pairs: &[(String, String)]) -> String {
    fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

#[component]
pub fn ServiceGuidePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, guide_of_service);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(g) => view! { <GuideView g /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GuideView(g: ServiceGuide) -> impl IntoView {
    let apply = format!("/my/apply/{}", g.code);
    let code = g.code.clone();
    let unit = g.day_kind.unit_zh();
    let fact = |dt: &'static str, dd: String| view! { <div><dt>{dt}</dt><dd>{dd}</dd></div> };
    view! {
        <PageMeta title=g.name.clone() description=format!("{}：{}（{}）", g.name, g.summary, g.department) />
        <nav class="breadcrumb" aria-label="当前位置"><a href="/services">"办事服务"</a>" › "{g.name.clone()}</nav>
        <article class="guide">
            <h1>{g.name.clone()}</h1>
            <p class="lead">{g.summary.clone()}</p>
            {if g.online {
                view! { <p><a class="button start" href=apply>"在线办理"</a></p> }.into_any()
            } else {
                view! { <p class="notice-inline">"本事项暂不支持网上申请，请按下方地点和时间到窗口办理。"</p> }.into_any()
            }}
            <PrintButton label="打印办事指南".to_string() />
            <h2>"基本信息"</h2>
            <dl class="facts">
                {fact("事项编码", g.code.clone())}
                {fact("实施部门", g.department.clone())}
                {fact("服务对象", g.object.name_zh().to_string())}
                {fact("法定办结时限", limit_text(g.statutory_days, unit))}
                {fact("承诺办结时限", limit_text(g.promised_days, unit))}
                {fact("网上办理深度", online_depth_zh(g.online_depth).to_string())}
                {fact("收费标准", g.fees.clone())}
                <div><dt>"咨询电话"</dt><dd>{phone_links(&g.phone)}</dd></div>
            </dl>
            <h2>"受理条件"</h2>
            <p>{g.eligibility.clone()}</p>
            <h2>"申请材料"</h2>
            {if g.materials.is_empty() {
                view! { <p>"无需提交材料。"</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="materials">
                            <thead><tr><th scope="col">"材料名称"</th><th scope="col">"形式"</th><th scope="col">"份数"</th><th scope="col">"是否必需"</th></tr></thead>
                            <tbody>
                                {g.materials.iter().map(|m| view! {
                                    <tr>
                                        <td>{m.name.clone()}
                                            {(!m.note.is_empty()).then(|| view! { <br /><small>{m.note.clone()}</small> })}
                                            {m.template.clone().map(|t| view! {
                                                <br /><small>"空白表格："<a href=format!("/services/{}/blank-form", code)>{format!("下载 {t}")}</a>"（也可到窗口领取）"</small>
                                            })}
                                        </td>
                                        <td>{m.form.clone()}</td>
                                        <td>{m.count}</td>
                                        <td>{if m.required { "必需" } else { "视情况" }}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <h2>"办理地点和时间"</h2>
            <p>{g.venue.clone()}</p>
            <p>{g.hours.clone()}</p>
            <h2>"设定依据"</h2>
            <p>{g.legal_basis.clone()}</p>
            <p class="meta">"主题："{g.themes.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>().join("、")}" · 更新时间："{g.updated_at.clone()}</p>
        </article>
    }
}

/// One form field from its definition, with its message and the answer kept.
#[component]
fn AnswerField(
    def: FieldDef,
    values: Vec<String>,
    error: Option<String>,
    files: Vec<CaseFileInfo>,
    highlight: bool,
) -> impl IntoView {
    let name = def.name.clone();
    let id = format!("f-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let mut hint = def.hint.clone();
    if def.kind == FieldKind::Attachment {
        let types = zhengwu_types::services::types_text(&def.accepted());
        let extra = format!(
            "格式 {types}，每个不超过 {}，最多 {} 个",
            zhengwu_types::services::size_text(def.max_bytes()),
            def.max_files()
        );
        // The staff's own hint may repeat the limits in other words: ours are the rule.
        hint = if hint.is_empty() { extra } else { format!("{hint}。要求：{extra}") };
    }
    let described = [(!hint.is_empty()).then(|| hint_id.clone()), error.as_ref().map(|_| error_id.clone())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let described = (!described.is_empty()).then_some(described);
    let invalid = error.is_some().then_some("true");
    let value = values.first().cloned().unwrap_or_default();
    let required = def.required;
    let label = format!("{}{}", def.label, if required { "" } else { "（选填）" });
    let input = match def.kind {
        FieldKind::LongText => view! {
            <textarea id=id.clone() name=name.clone() rows="5" aria-invalid=invalid aria-describedby=described.clone()
                data-kind="long_text" data-label=def.label.clone() data-required=required.then_some("1")
                data-min-len=def.min_len.map(|v| v.to_string()) data-max-len=def.max_chars().to_string()>{rcdata(&value)}</textarea>
        }.into_any(),
        FieldKind::Choice => view! {
            <select id=id.clone() name=name.clone() aria-invalid=invalid aria-describedby=described.clone()>
                <option value="">"请选择"</option>
                {def.options.iter().map(|o| view! { <option value=o.clone() selected=value == *o>{o.clone()}</option> }).collect_view()}
            </select>
        }.into_any(),
        FieldKind::MultiChoice => view! {
            <div class="choices" id=id.clone()>
                {def.options.iter().enumerate().map(|(i, o)| {
                    let cid = format!("{id}-{i}");
                    let checked = values.contains(o);
                    view! {
                        <div class="choice">
                            <input type="checkbox" id=cid.clone() name=name.clone() value=o.clone() checked=checked />
                            <label for=cid>{o.clone()}</label>
                        </div>
                    }
                }).collect_view()}
            </div>
        }.into_any(),
        FieldKind::Attachment => {
            let mine: Vec<CaseFileInfo> = files.into_iter().filter(|f| f.field == name).collect();
            view! {
                {(!mine.is_empty()).then(|| view! {
                    <ul class="file-list">
                        {mine.into_iter().map(|f| {
                            let rid = format!("rm-{}", f.id);
                            view! {
                                <li>
                                    <a href=format!("/my/files/{}", f.id)>{f.name.clone()}</a>
                                    <span class="file-size">{format!("（{}）", zhengwu_types::services::size_text(f.size_bytes.max(0) as u64))}</span>
                                    <span class="remove-file">
                                        <input type="checkbox" id=rid.clone() name="remove_file" value=f.id.to_string() />
                                        <label for=rid>"删除此文件"</label>
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
                <input type="file" id=id.clone() name=name.clone() accept=def.accept_attr() multiple={def.max_files() > 1}
                    aria-invalid=invalid aria-describedby=described.clone() />
            }.into_any()
        }
        kind => {
            let (ty, mode, auto) = match kind {
                FieldKind::Number => ("text", Some("decimal"), None),
                FieldKind::Date => ("date", None, None),
                FieldKind::Mobile => ("tel", Some("numeric"), Some("tel")),
                FieldKind::IdNumber => ("text", None, Some("off")),
                // `street-address` is for a multi-line control; one line is `address-line1`.
                FieldKind::Address => ("text", None, Some("address-line1")),
                _ => ("text", None, None),
            };
            let checked = matches!(kind, FieldKind::Text | FieldKind::Number | FieldKind::Mobile | FieldKind::IdNumber | FieldKind::Address);
            let max_len = checked.then(|| def.max_chars().to_string());
            view! {
                <input type=ty id=id.clone() name=name.clone() value=value inputmode=mode autocomplete=auto
                    aria-invalid=invalid aria-describedby=described.clone()
                    data-kind=checked.then(|| kind.code()) data-label=checked.then(|| def.label.clone())
                    data-required=(checked && required).then_some("1")
                    data-min-len=def.min_len.filter(|_| checked).map(|v| v.to_string()) data-max-len=max_len
                    data-min=def.min.filter(|_| kind == FieldKind::Number).map(|v| v.to_string())
                    data-max=def.max.filter(|_| kind == FieldKind::Number).map(|v| v.to_string()) />
            }.into_any()
        }
    };
    let is_group = matches!(def.kind, FieldKind::MultiChoice);
    view! {
        <div class="field" class:field-error=error.is_some() class:field-supplement=highlight>
            {if is_group {
                view! { <p class="label" id=format!("{id}-label")>{label.clone()}</p> }.into_any()
            } else {
                view! { <label for=id.clone()>{label.clone()}</label> }.into_any()
            }}
            {highlight.then(|| view! { <p class="supplement-flag">"需要补正"</p> })}
            {(!hint.is_empty()).then(|| view! { <p class="hint" id=hint_id.clone()>{hint.clone()}</p> })}
            {error.clone().map(|e| view! { <p class="error-message" id=error_id.clone()><span class="visually-hidden">"错误："</span>{e}</p> })}
            {input}
        </div>
    }
}

#[component]
pub fn ApplyPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let case = use_query_map().with_untracked(|q| q.get("case"));
    let data = Resource::new(code, move |code| my_application(code, case.clone()));
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <ApplyView v /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ApplyView(v: ApplicationView) -> impl IntoView {
    let echo: FormEcho = use_form_echo();
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    let saved = query("saved").is_some();
    let action = format!("/my/apply/{}", v.service_code);
    let labels: Vec<(String, String)> = v.form.fields().map(|f| (f.name.clone(), f.label.clone())).collect();
    let errors: Vec<(String, String)> = echo.errors.iter().map(|(k, m)| (k.clone(), m.clone())).collect();
    let supplement = v.status == CaseStatus::Supplement;
    view! {
        <PageMeta title=format!("在线申请 · {}", v.service_name) />
        <nav class="breadcrumb" aria-label="当前位置">
            <a href="/services">"办事服务"</a>" › "<a href=format!("/services/{}", v.service_code)>{v.service_name.clone()}</a>" › 在线申请"
        </nav>
        <h1>{v.service_name.clone()}</h1>
        <p class="meta">{v.department.clone()}</p>
        {saved.then(|| view! { <div class="notice" role="status"><p>"草稿已保存。您可以稍后在"<a href="/my/cases?status=draft">"我的办件 · 草稿"</a>"中继续填写。"</p></div> })}
        {query("from").is_some_and(|f| f == "real_name").then(|| view! { <div class="notice" role="status"><p>"已返回您的申请，之前填写的内容都在。"</p></div> })}
        {supplement.then(|| view! {
            <div class="notice warning" role="status">
                <h2>"请补正材料"</h2>
                <p>{v.supplement_note.clone().unwrap_or_default()}</p>
                <p>"请修改标有“需要补正”的内容，然后重新提交。"</p>
            </div>
        })}
        {(!v.verified).then(|| view! {
            <div class="notice warning" role="status">
                <p>"提交申请前需要完成实名登记。点击下面表格末尾的“保存并去实名登记”，已填写的内容会保存为草稿，登记后自动回到这里。"</p>
            </div>
        })}
        {(!errors.is_empty()).then(|| view! {
            <div class="error-summary" role="alert" tabindex="-1">
                <h2>"请修改以下问题"</h2>
                <ul>
                    {errors.iter().map(|(k, m)| {
                        let label = labels.iter().find(|(n, _)| n == k).map(|(_, l)| l.clone());
                        let text = match label { Some(l) if !m.contains(&l) => format!("{l}：{m}"), _ => m.clone() };
                        let href = if k.starts_with('_') { "#application".to_string() } else { format!("#f-{k}") };
                        view! { <li><a href=href>{text}</a></li> }
                    }).collect_view()}
                </ul>
            </div>
        })}
        <form id="application" method="post" action=action enctype="multipart/form-data" class="form application">
            <input type="hidden" name=CSRF_FIELD value=csrf />
            <input type="hidden" name="client_key" value=v.client_key.clone() />
            {v.form.sections.iter().map(|s| view! {
                <fieldset>
                    <legend>{s.title.clone()}</legend>
                    {s.fields.iter().map(|f| view! {
                        <AnswerField
                            def=f.clone()
                            values=v.values.get(&f.name).cloned().unwrap_or_default()
                            error=echo.error(&f.name)
                            files=v.files.clone()
                            highlight=v.supplement_fields.contains(&f.name)
                        />
                    }).collect_view()}
                </fieldset>
            }).collect_view()}
            <p class="hint">"下一步将显示您填写的全部内容，核对无误后再提交。提交后将生成办件编号，可在“我的办件”中查看进度。"</p>
            <FormEnhancer form_id="application".to_string() />
            <div class="actions">
                {if v.verified {
                    view! { <button type="submit" name="action" value="review" class="button">"下一步：核对填写内容"</button> }.into_any()
                } else {
                    view! { <button type="submit" name="action" value="verify" class="button">"保存并去实名登记"</button> }.into_any()
                }}
                <button type="submit" name="action" value="save" class="button secondary">"保存草稿"</button>
            </div>
        </form>
        {v.case_id.filter(|_| v.status == CaseStatus::Draft).map(|id| view! {
            <p><a href=format!("/my/cases/{id}?confirm=delete")>"删除这份草稿"</a></p>
        })}
    }
}

fn status_class(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Draft => "status status-draft",
        CaseStatus::Submitted => "status status-submitted",
        CaseStatus::Supplement => "status status-supplement",
        CaseStatus::Withdrawn | CaseStatus::Terminated => "status status-closed",
        CaseStatus::Processing => "status status-submitted",
        CaseStatus::Approved => "status status-approved",
        CaseStatus::Rejected => "status status-rejected",
    }
}

#[component]
pub fn MyCasesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_cases());
    let drafts = query("status").is_some_and(|s| s == "draft");
    let deleted = query("done").is_some_and(|d| d == "deleted");
    let title = if drafts { "草稿" } else { "我的办件" };
    view! {
        <PageMeta title=title />
        <nav class="breadcrumb" aria-label="当前位置"><a href="/my">"我的"</a>" › "{title}</nav>
        <h1>{title}</h1>
        <nav class="tabs" aria-label="办件分类">
            <ul>
                <li><a href="/my/cases" aria-current=(!drafts).then_some("page")>"全部"</a></li>
                <li><a href="/my/cases?status=draft" aria-current=drafts.then_some("page")>"草稿"</a></li>
            </ul>
        </nav>
        {deleted.then(|| view! { <div class="notice" role="status"><p>"草稿已删除。"</p></div> })}
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(list) => {
                        let list: Vec<CaseSummary> = list.into_iter().filter(|c| !drafts || c.status == CaseStatus::Draft).collect();
                        if list.is_empty() {
                            view! { <p class="empty">{if drafts { "没有草稿。" } else { "您还没有办件。" }}<a href="/services">"去办事"</a></p> }.into_any()
                        } else {
                            view! { <CaseList list /> }.into_any()
                        }
                    }
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CaseList(list: Vec<CaseSummary>) -> impl IntoView {
    view! {
        <ul class="case-list">
            {list.into_iter().map(|c| {
                let href = match c.status {
                    CaseStatus::Draft => format!("/my/apply/{}?case={}", c.service_code, c.id),
                    _ => format!("/my/cases/{}", c.id),
                };
                view! {
                    <li class="case-row">
                        <h2><a href=href>{c.service_name.clone()}</a></h2>
                        <p class="meta">
                            <span class=status_class(c.status)>{c.status.name_zh()}</span>
                            {c.tracking_no.clone().map(|n| view! { <span>"办件编号 "<strong>{n}</strong></span> })}
                            <span>{c.department.clone()}</span>
                            <span>"更新于 "{c.updated_at.clone()}</span>
                        </p>
                        {(c.status == CaseStatus::Draft).then(|| view! {
                            <p>"草稿，尚未提交。点击标题继续填写。"<a href=format!("/my/cases/{}?confirm=delete#delete", c.id)>"删除草稿"</a></p>
                        })}
                        {(c.status == CaseStatus::Supplement).then(|| view! { <p><strong>"需要补正材料。"</strong>"点击标题查看要求。"</p> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn MyCasePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(id, my_case);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <CaseView d staff=false /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn Timeline(entries: Vec<TimelineEntry>) -> impl IntoView {
    view! {
        <ol class="timeline">
            {entries.into_iter().map(|t| view! {
                <li>
                    <p class="when">{t.at.clone()}</p>
                    <p class="what"><strong>{t.title.clone()}</strong>" · "{t.actor.clone()}</p>
                    {(!t.message.is_empty()).then(|| view! { <p class="message">{t.message.clone()}</p> })}
                </li>
            }).collect_view()}
        </ol>
    }
}

/// A case: the receipt (回执) after submitting, and the tracking page. `staff` shows the
/// staff download links instead of the citizen's.
#[component]
pub fn CaseView(d: CaseDetail, staff: bool) -> impl IntoView {
    let receipt = !staff && query("receipt").is_some();
    let s = d.summary.clone();
    let editable = matches!(s.status, CaseStatus::Draft | CaseStatus::Supplement);
    let review = !staff && editable && query("review").is_some();
    let title = if receipt {
        "申请已提交".to_string()
    } else if review {
        "请核对填写内容".to_string()
    } else {
        s.service_name.clone()
    };
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    let client_key = d.client_key.clone();
    let file_href = move |id: i64| if staff { format!("/admin/case-files/{id}") } else { format!("/my/files/{id}") };
    let supplement = s.status == CaseStatus::Supplement;
    let edit = format!("/my/apply/{}?case={}", s.service_code, s.id);
    view! {
        <PageMeta title=title.clone() />
        {(!staff).then(|| view! { <nav class="breadcrumb" aria-label="当前位置"><a href="/my">"我的"</a>" › "<a href="/my/cases">"我的办件"</a>" › 办件详情"</nav> })}
        {if receipt {
            view! {
                <div class="panel-confirmation">
                    <h1>"申请已提交"</h1>
                    <p>"办件编号"</p>
                    <p class="tracking-no">{s.tracking_no.clone().unwrap_or_default()}</p>
                </div>
                <p>"请记下办件编号。您可以在"<a href="/my/cases">"我的办件"</a>"中查看进度，也可以在"<a href="/cases/lookup">"办件查询"</a>"中用办件编号和身份证号码或手机号码后四位查询。"</p>
            }.into_any()
        } else {
            view! { <h1>{title.clone()}</h1> }.into_any()
        }}
        {(supplement && !staff && !review).then(|| view! {
            <div class="notice warning" role="status">
                <h2>"需要补正材料"</h2>
                <p>{d.supplement_note.clone().unwrap_or_default()}</p>
                <p><a class="button" href=edit.clone()>"去补正"</a></p>
            </div>
        })}
        {(!staff && query("done").is_some_and(|d| d == "withdrawn")).then(|| view! {
            <div class="notice" role="status"><p>"申请已撤回。"</p></div>
        }.into_any())}
        {review.then(|| view! {
            <p class="lead">{s.service_name.clone()}" · 以下是您填写的内容和上传的材料。核对无误后点击页面底部的“确认提交”；需要修改，点该项旁边的“修改”。"</p>
        })}
        <PrintButton label=if receipt { "打印回执".to_string() } else { "打印".to_string() } />
        <dl class="facts">
            <div><dt>"办理事项"</dt><dd>{s.service_name.clone()}</dd></div>
            <div><dt>"办件编号"</dt><dd>{s.tracking_no.clone().unwrap_or_else(|| "（提交后生成）".into())}</dd></div>
            <div><dt>"受理部门"</dt><dd>{s.department.clone()}</dd></div>
            <div><dt>"状态"</dt><dd><span class=status_class(s.status)>{s.status.name_zh()}</span></dd></div>
            <div><dt>"提交时间"</dt><dd>{s.submitted_at.clone().unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>"承诺时限"</dt><dd>{limit_text(d.promised_days, d.day_kind.unit_zh())}</dd></div>
        </dl>
        {(!review).then(|| view! {
            <h2>"办理进度"</h2>
            {if d.timeline.is_empty() {
                view! { <p>"尚未提交。"</p> }.into_any()
            } else {
                view! { <Timeline entries=d.timeline.clone() /> }.into_any()
            }}
        })}
        <h2>"申请内容"</h2>
        <dl class="answers">
            {d.answers.iter().map(|a| view! {
                <div class:answer-supplement=d.supplement_fields.contains(&a.name)>
                    <dt>{a.label.clone()}</dt>
                    <dd>{if a.value.is_empty() { "—".to_string() } else { a.value.clone() }}</dd>
                    {review.then(|| view! {
                        <dd class="change"><a href=format!("{edit}#f-{}", a.name)>"修改"<span class="visually-hidden">{a.label.clone()}</span></a></dd>
                    })}
                </div>
            }).collect_view()}
        </dl>
        <h2>{if review { "上传的材料" } else { "已收材料" }}</h2>
        {if d.files.is_empty() {
            view! { <p>"未上传材料。"</p> }.into_any()
        } else {
            view! {
                <ul class="file-list">
                    {d.files.iter().map(|f| view! {
                        <li>
                            <a href=file_href(f.id)>{f.name.clone()}</a>
                            <span class="file-size">{format!("（{}）", zhengwu_types::services::size_text(f.size_bytes.max(0) as u64))}</span>
                            // The digest is for staff checking a file; it means nothing to an applicant.
                            {staff.then(|| view! { <small class="digest">"SM3 "{f.sm3.chars().take(16).collect::<String>()}"…"</small> })}
                            {review.then(|| view! { " "<a href=format!("{edit}#f-{}", f.field)>"修改"</a> })}
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {staff.then(|| view! { <p class="meta">"表单版本 "{d.form_version}</p> })}
        {(!staff && !review && s.status == CaseStatus::Submitted).then(|| {
            let withdraw_error = use_form_echo().error("withdraw");
            let confirming = query("confirm").is_some_and(|c| c == "withdraw") || withdraw_error.is_some();
            if confirming {
                view! {
                    <form method="post" action=format!("/my/cases/{}/withdraw", s.id) class="form confirm" id="withdraw">
                        <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                        {withdraw_error.map(|e| view! { <p class="error-message">{e}</p> })}
                        <h2>"确定撤回这份申请吗？"</h2>
                        <p>"撤回后，这份申请不再办理；如需办理，请重新申请。"</p>
                        <div class="actions">
                            <button type="submit" class="button warning">"确定撤回"</button>
                            <a class="button secondary" href=format!("/my/cases/{}", s.id)>"不撤回"</a>
                        </div>
                    </form>
                }.into_any()
            } else {
                view! {
                    <p class="hint">"受理前可以撤回申请。撤回后如需办理，请重新申请。"</p>
                    <p><a class="button secondary" href=format!("/my/cases/{}?confirm=withdraw#withdraw", s.id)>"撤回申请"</a></p>
                }.into_any()
            }
        })}
        {(!staff && s.status == CaseStatus::Draft && query("confirm").is_some_and(|c| c == "delete")).then(|| view! {
            <form method="post" action=format!("/my/cases/{}/delete", s.id) class="form confirm" id="delete">
                <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                <h2>"确定删除这份草稿吗？"</h2>
                <p>"删除后，已填写的内容和上传的材料都会删除，不能恢复。"</p>
                <div class="actions">
                    <button type="submit" class="button warning">"确定删除"</button>
                    <a class="button secondary" href=edit.clone()>"不删除，继续填写"</a>
                </div>
            </form>
        })}
        {review.then(|| view! {
            <form method="post" action=format!("/my/apply/{}", s.service_code) enctype="multipart/form-data" class="form">
                <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                <input type="hidden" name="client_key" value=client_key.clone() />
                <div class="actions">
                    <button type="submit" name="action" value="confirm" class="button">{if supplement { "确认重新提交" } else { "确认提交" }}</button>
                </div>
            </form>
        })}
    }
}

#[component]
pub fn LookupPage() -> impl IntoView {
    let echo = use_form_echo();
    // Pages render on the server only (islands); the browser build never runs this.
    #[cfg(feature = "ssr")]
    let found: Option<LookupResult> = echo.payload.as_deref().and_then(|p| serde_json::from_str(p).ok());
    #[cfg(not(feature = "ssr"))]
    let found: Option<LookupResult> = None;
    let field = |name: &'static str, label: &'static str, hint: &'static str, mode: Option<&'static str>| {
        let error = echo.error(name);
        let value = echo.value(name);
        let hint_id = format!("{name}-hint");
        view! {
            <div class="field" class:field-error=error.is_some()>
                <label for=name>{label}</label>
                <p class="hint" id=hint_id.clone()>{hint}</p>
                {error.clone().map(|e| view! { <p class="error-message" id=format!("{name}-error")><span class="visually-hidden">"错误："</span>{e}</p> })}
                <input id=name name=name type="text" value=value inputmode=mode autocomplete="off"
                    aria-invalid=error.is_some().then_some("true") aria-describedby=hint_id />
            </div>
        }
    };
    view! {
        <PageMeta title="办件查询" />
        <section class="narrow">
            <h1>"办件查询"</h1>
            <p>"输入办件编号和申请人身份证号码或手机号码的后四位，查看办理进度。"</p>
            {echo.notice.clone().map(|n| view! { <div class="notice" role="status"><p>{n}</p></div> })}
            <form method="post" action="/cases/lookup" class="form">
                {field("tracking_no", "办件编号", "例如 QSRSJ-20261129-00001，见申请回执", None)}
                {field("digits", "号码后四位", "申请人身份证号码或手机号码的最后 4 位", Some("text"))}
                <button type="submit" class="button">"查询"</button>
            </form>
            {found.map(|f| view! {
                <section class="lookup-result" aria-labelledby="result-heading">
                    <h2 id="result-heading">"查询结果"</h2>
                    <dl class="facts">
                        <div><dt>"办件编号"</dt><dd>{f.tracking_no.clone()}</dd></div>
                        <div><dt>"办理事项"</dt><dd>{f.service_name.clone()}</dd></div>
                        <div><dt>"受理部门"</dt><dd>{f.department.clone()}</dd></div>
                        <div><dt>"状态"</dt><dd><span class=status_class(f.status)>{f.status.name_zh()}</span></dd></div>
                    </dl>
                    <Timeline entries=f.timeline.clone() />
                </section>
            })}
        </section>
    }
}

/// `/services/:code/blank-form`: the application form on paper (空白表格), drawn from the item's
/// form definition, to print and fill in by hand for the window (线下办理).
#[component]
pub fn BlankFormPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, crate::api::services::blank_form);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok((g, form)) => view! {
                        <PageMeta title=format!("{} · 空白申请表", g.name) description=format!("{}的空白申请表，可打印后手写填写，到窗口办理。", g.name) />
                        <nav class="breadcrumb no-print" aria-label="当前位置"><a href="/services">"办事服务"</a>" › "<a href=format!("/services/{}", g.code)>{g.name.clone()}</a>" › 空白申请表"</nav>
                        <article class="blank-form">
                            <h1>{format!("{}申请表", g.name)}</h1>
                            <p class="meta">{format!("{} · 事项编码 {}", g.department, g.code)}</p>
                            <p class="no-print"><PrintButton label="打印空白表格".to_string() />" 没有打印机？可以到"{g.venue.clone()}"领取。"</p>
                            {match form {
                                None => view! { <p>"本事项没有统一的申请表，请按办事指南准备材料。"</p> }.into_any(),
                                Some(f) => f.sections.into_iter().map(|s| view! {
                                    <section>
                                        <h2>{s.title.clone()}</h2>
                                        <table class="blank-fields">
                                            <tbody>
                                                {s.fields.into_iter().filter(|d| d.kind != FieldKind::Attachment).map(|d| view! {
                                                    <tr>
                                                        <th scope="row">{d.label.clone()}{d.required.then_some("（必填）")}</th>
                                                        <td>{if d.options.is_empty() { String::new() } else { d.options.iter().map(|o| format!("□ {o}")).collect::<Vec<_>>().join("　") }}</td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </section>
                                }).collect_view().into_any(),
                            }}
                            <h2>"随表提交的材料"</h2>
                            <ul>{g.materials.iter().map(|m| view! { <li>{format!("{}（{}，{} 份）", m.name, m.form, m.count)}</li> }).collect_view()}</ul>
                            <p class="signature">"申请人签名：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"</p>
                        </article>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
