//! The citizen's cases (我的办件), drafts included.

use leptos::prelude::*;
use zhengwu_types::services::{CaseStatus, CaseSummary};

use crate::features::cases::api::my_cases;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::url::query;

pub(crate) fn status_class(s: CaseStatus) -> &'static str {
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
        <Loaded data=data let:list>
            {
                let list: Vec<CaseSummary> = list.into_iter().filter(|c| !drafts || c.status == CaseStatus::Draft).collect();
                if list.is_empty() {
                    view! { <p class="empty">{if drafts { "没有草稿。" } else { "您还没有办件。" }}<a href="/services">"去办事"</a></p> }.into_any()
                } else {
                    view! { <CaseList list /> }.into_any()
                }
            }
        </Loaded>
    }
}

#[component]
pub(crate) fn CaseList(list: Vec<CaseSummary>) -> impl IntoView {
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
