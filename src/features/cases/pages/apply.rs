//! Applying online: the form drawn from the item's definition (each field with its message and
//! the answer kept), drafts, and the check-your-answers step.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use zhengwu_types::services::{
    ApplicationView, CaseFileInfo, CaseStatus, Delivery, DeliveryMethod, FieldDef, FieldKind,
};

use crate::features::cases::api::my_application;
use crate::ui::enhance::FormEnhancer;
use crate::ui::form::{Field, Radios};
use crate::ui::loaded::Loaded;
use crate::ui::meta::{rcdata, PageMeta};
use crate::ui::session::{use_citizen, use_form_echo, FormEcho, CSRF_FIELD};
use crate::ui::url::query;

/// One form field from its definition, with its message and the answer kept.
#[component]
pub(crate) fn AnswerField(
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
        <Loaded data=data let:v>
            <ApplyView v />
        </Loaded>
    }
}

#[component]
pub(crate) fn ApplyView(v: ApplicationView) -> impl IntoView {
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
                        let href = match k.as_str() {
                            "_delivery" => "#_delivery".to_string(),
                            "_delivery_address" => "#f-_delivery_address".to_string(),
                            k if k.starts_with('_') => "#application".to_string(),
                            k => format!("#f-{k}"),
                        };
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
            <DeliveryChoice options=v.delivery_options.clone() chosen=v.delivery.clone() />
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

/// 结果领取方式: the methods the item offers (one offered: said, not asked) and, for postal
/// delivery, the address. Without JavaScript the address field is always there, marked as
/// needed only for postal delivery.
#[component]
fn DeliveryChoice(options: Vec<DeliveryMethod>, chosen: Option<Delivery>) -> impl IntoView {
    // The saved choice while the item still offers it, else the item's first method.
    let method = chosen
        .as_ref()
        .map(|d| d.method)
        .filter(|m| options.contains(m))
        .or(options.first().copied())
        .unwrap_or(DeliveryMethod::Window);
    let address = chosen.map(|d| d.address).unwrap_or_default();
    let post = options.contains(&DeliveryMethod::Post);
    view! {
        <fieldset>
            <legend>"结果领取方式"</legend>
            {if options.len() > 1 {
                view! {
                    <Radios name="_delivery" legend="办理结果怎样送达给您" value=method.code()
                        options=options.iter().map(|m| (m.code().to_string(), m.name_zh().to_string())).collect() />
                }.into_any()
            } else {
                view! {
                    <input type="hidden" name="_delivery" value=method.code() />
                    <p>"本事项的办理结果："{method.name_zh()}"。"</p>
                }.into_any()
            }}
            {post.then(|| view! {
                <Field name="_delivery_address" id="f-_delivery_address" label="收件地址（选择邮寄送达时填写）"
                    hint="写到门牌号，例如：青山县人民大道 88 号 3 栋 2 单元 501 室。"
                    autocomplete="street-address" value=address required=false maxlength=200u32 />
            })}
        </fieldset>
    }
}
