//! The console's case list (办件): incoming cases in the data scope, filtered.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use zhengwu_types::{
    services::{CaseStatus, CaseSummary},
    Page,
};

use crate::features::cases::api::staff_cases;
use crate::features::identity::ConsoleNav;
use crate::ui::form::{Field, Select};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::pager::Pager;
use crate::ui::url::{encode_pairs, query};

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
        <Loaded data=data let:p>
            <CaseTable p />
        </Loaded>
    }
}

#[component]
pub(crate) fn CaseTable(p: Page<CaseSummary>) -> impl IntoView {
    let keys = ["service", "status", "department", "from", "to"];
    let current: Vec<(String, String)> = keys.iter().filter_map(|k| query(k).map(|v| (k.to_string(), v))).collect();
    let value = |k: &str| current.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let base = if current.is_empty() {
        "/admin/cases".to_string()
    } else {
        format!("/admin/cases?{}", encode_pairs(&current))
    };
    let status = value("status");
    view! {
        <form method="get" action="/admin/cases" class="form filter-form">
            <Field name="service" label="事项编码" value=value("service") required=false />
            <Select name="status" label="状态" value=status.clone() options=std::iter::once((String::new(), "全部".to_string()))
                .chain([CaseStatus::Submitted, CaseStatus::Processing, CaseStatus::Supplement].into_iter().map(|s| (s.code().to_string(), s.name_zh().to_string())))
                .chain(std::iter::once(("concluded".to_string(), "已办结（全部）".to_string())))
                .chain([CaseStatus::Approved, CaseStatus::Rejected, CaseStatus::Terminated, CaseStatus::Withdrawn].into_iter().map(|s| (s.code().to_string(), s.name_zh().to_string())))
                .collect() />
            <Field name="department" label="部门编码" value=value("department") required=false />
            <Field name="from" label="提交日期从" kind="date" value=value("from") required=false />
            <Field name="to" label="至" kind="date" value=value("to") required=false />
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
