//! One case: the receipt (回执) after submitting and the tracking page, with its timeline; the
//! same view serves the staff case page.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use zhengwu_types::services::{CaseDetail, CaseStatus, TimelineEntry};

use crate::features::cases::api::my_case;
use crate::features::cases::pages::my_cases::status_class;
use crate::ui::format::limit_text;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::print_button::PrintButton;
use crate::ui::session::{use_citizen, use_form_echo, CSRF_FIELD};
use crate::ui::url::query;

#[component]
pub fn MyCasePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(id, my_case);
    view! {
        <Loaded data=data let:d>
            <CaseView d staff=false />
        </Loaded>
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
            {d.delivery.clone().map(|dl| view! {
                <div><dt>"结果领取方式"</dt><dd>{dl.method.name_zh()}
                    {(!dl.address.is_empty()).then(|| view! { <br /><span class="address">"收件地址："{dl.address.clone()}</span> })}
                    {review.then(|| view! { " "<a href=format!("{edit}#_delivery")>"修改"<span class="visually-hidden">"结果领取方式"</span></a> })}
                </dd></div>
            })}
            {staff.then(|| view! { <div><dt>"受理渠道"</dt><dd>{d.channel.name_zh()}</dd></div> })}
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
                <Pledge />
                <div class="actions">
                    <button type="submit" name="action" value="confirm" class="button">{if supplement { "确认重新提交" } else { "确认提交" }}</button>
                </div>
            </form>
        })}
    }
}

/// 承诺书: what the applicant confirms before submitting (required; the server checks it and
/// records when it was given).
#[component]
fn Pledge() -> impl IntoView {
    let error = use_form_echo().error("_pledge");
    let described = error.as_ref().map(|_| "pledge-error".to_string());
    let bad = error.is_some();
    view! {
        <fieldset id="pledge" class="field pledge" class:field-error=bad aria-describedby=described>
            <legend>"承诺书"</legend>
            <p>"本人承诺：所填报的信息和提交的材料真实、准确、完整、有效，复印件与原件一致；如有虚假，本人愿意承担相应的法律责任，并接受有关部门依法处理。"</p>
            {error.map(|e| view! { <p class="error-message" id="pledge-error"><span class="visually-hidden">"错误："</span>{e}</p> })}
            <div class="choice">
                <input type="checkbox" id="pledge-yes" name="_pledge" value="1" required=true />
                <label for="pledge-yes">"本人已阅读并承诺以上内容"</label>
            </div>
        </fieldset>
    }
}
