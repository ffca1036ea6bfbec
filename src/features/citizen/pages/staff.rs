//! Citizens as staff see them: a citizen's page with audited unmasking, and the real-name
//! disputes window staff verify.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::ui::loaded::Loaded;
use crate::{
    features::{
        citizen::api::{dispute_list, staff_citizen},
        identity::ConsoleNav,
    },
    ui::{
        error::ErrorPage,
        form::{CsrfField, ErrorSummary, Field, Notice, Select},
        meta::PageMeta,
        session::use_form_echo,
    },
};

/// A citizen for staff who verify identities: masked, with an audited "show in full" for a
/// reason chosen from the list and explained.
#[component]
pub fn StaffCitizenPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(id, staff_citizen);
    view! {
        <PageMeta title="群众信息" />
        <ConsoleNav />
        <h1>"群众信息"</h1>
        <Notice />
        <ErrorSummary labels=&[("reason_code", "查看事由"), ("reason", "具体情况")] />
        <Loaded data=data let:p>
            {
                view! {
                    <dl class="facts">
                        <div><dt>"账号编号"</dt><dd>{p.id}</dd></div>
                        <div><dt>"手机号码"</dt><dd>{p.phone.clone()}</dd></div>
                        <div><dt>"姓名"</dt><dd>{p.real_name.clone().unwrap_or_else(|| "未实名".into())}</dd></div>
                        <div><dt>"身份证号码"</dt><dd>{p.id_number.clone().unwrap_or_else(|| "未实名".into())}</dd></div>
                    </dl>
                    <section aria-labelledby="unmask-heading">
                        <h2 id="unmask-heading">"查看完整信息"</h2>
                        <p class="hint">"只能查看您数据范围内有办件的申请人。每次查看都会记录操作人、时间和事由，供安全审计员检查；每人每小时最多 10 次、每天 30 次。"</p>
                        <form method="post" action=format!("/admin/citizens/{}/unmask", p.id) class="form">
                            <CsrfField />
                            <Select name="field" label="要查看的信息" options=vec![
                                ("id_number".to_string(), "身份证号码".to_string()),
                                ("real_name".to_string(), "姓名".to_string()),
                                ("phone".to_string(), "手机号码".to_string()),
                            ] />
                            <Select name="reason_code" label="查看事由" required=true
                                options=std::iter::once(("", "请选择")).chain(REASONS.iter().copied()).map(|(c, n)| (c.to_string(), n.to_string())).collect() />
                            <Field name="reason" label="具体情况" hint="如办件编号、来电人、调查文书编号" />
                            <button type="submit" class="button secondary">"查看完整信息"</button>
                        </form>
                    </section>
                }.into_any()
            }
        </Loaded>
    }
}

/// The reasons staff choose from (codes as in `zhengwu_core::citizen::UnmaskReason`).
const REASONS: &[(&str, &str)] = &[
    ("identity_check", "窗口核验申请人身份"),
    ("contact", "联系申请人"),
    ("case_review", "审核办件材料"),
    ("legal_request", "依法协助调查（须有书面依据）"),
    ("other", "其他"),
];

/// Real-name disputes for window staff: verify the person with the identity card, then decide.
#[component]
pub fn DisputesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| dispute_list());
    let done = use_query_map().with_untracked(|q| q.get("done").is_some());
    let echo = use_form_echo();
    view! {
        <PageMeta title="实名申诉" />
        <ConsoleNav />
        <h1>"实名申诉"</h1>
        <p class="lead">"有人用他人的身份证号码实名登记时，号码的主人可以申诉。请核验申诉人的居民身份证原件后处理：支持申诉后，实名信息转到申诉人的账号，原账号失去实名。"</p>
        {done.then(|| view! { <div class="notice" role="status"><p>"申诉已处理。"</p></div> })}
        <ErrorSummary labels=&[("note", "核实情况")] />
        <Suspense>
            {move || {
                let echo = echo.clone();
                Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"暂无申诉。"</p> }.into_any(),
                    Ok(rows) => view! {
                        <ul class="case-list">
                            {rows.into_iter().map(|d| {
                                let pending = d.status == "待核实";
                                // The dispute that was posted and came back holds the id the summary links to.
                                let posted = echo.value("dispute") == d.id.to_string();
                                let note_id = if posted { "note".to_string() } else { format!("note-{}", d.id) };
                                let form = format!("dispute-{}", d.id);
                                view! {
                                    <li class="case-row">
                                        <h2>{format!("申诉 {} · {}", d.id, d.status)}</h2>
                                        <p class="meta"><span>{format!("申诉人账号 {}", d.citizen_id)}</span><span>{format!("现登记账号 {}", d.holder_id)}</span><span>{d.created_at.clone()}</span></p>
                                        <p>{format!("姓名 {} · 身份证号码 {}", d.real_name, d.id_number)}</p>
                                        {(!d.note.is_empty()).then(|| view! { <p>{format!("核实情况：{}", d.note)}</p> })}
                                        {pending.then(|| view! {
                                            <form method="post" action=format!("/admin/disputes/{}", d.id) class="form">
                                                <CsrfField />
                                                <Field name="note" id=note_id.clone() form=form.clone() label="核实情况" />
                                                <div class="actions">
                                                    <button type="submit" name="decision" value="uphold" class="button">"已核验，支持申诉"</button>
                                                    <button type="submit" name="decision" value="reject" class="button secondary">"不予支持"</button>
                                                </div>
                                            </form>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}}
        </Suspense>
    }
}
