//! The console's catalogue (事项管理): the items in the data scope.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use zhengwu_types::{
    services::{ItemStatus, ServiceSummary},
    Page,
};

use crate::features::catalogue::api::{staff_services, StaffCatalogue};
use crate::features::identity::ConsoleNav;
use crate::ui::form::{CsrfField, ErrorSummary, Field, Select};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::pager::Pager;
use crate::ui::url::{encode_pairs, query};

#[component]
pub fn StaffServicesPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || query.with(|q| (q.get("status"), q.get("q"), q.get("page")));
    let data = Resource::new(params, |(status, text, page)| staff_services(status, text, page));
    view! {
        <PageMeta title="事项管理" />
        <ConsoleNav />
        <h1>"事项管理"</h1>
        <Loaded data=data let:c>
            <ServiceTable c />
        </Loaded>
    }
}

#[component]
pub(crate) fn ServiceTable(c: StaffCatalogue) -> impl IntoView {
    let p: Page<ServiceSummary> = c.items;
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
        format!("/admin/services?{}", encode_pairs(&current))
    };
    view! {
        <form method="get" action="/admin/services" class="form filter-form">
            <Field name="q" label="事项名称或编码" kind="search" value=text.clone() required=false />
            <Select name="status" label="状态" value=status.clone() options=std::iter::once((String::new(), "全部".to_string()))
                .chain([ItemStatus::Published, ItemStatus::Draft, ItemStatus::Retired].into_iter().map(|s| (s.code().to_string(), s.name_zh().to_string())))
                .collect() />
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
                <Field name="code" label="事项编码" hint="大写字母、数字和连字符，例如 QS-RS-0011" autocomplete="off" required=false />
                <Field name="name" label="事项名称" required=false />
                <Select name="department_id" label="实施部门" options=std::iter::once((String::new(), "请选择".to_string()))
                    .chain(c.departments.iter().map(|(id, name)| (id.to_string(), name.clone())))
                    .collect() />
                <Select name="object" label="服务对象" options=zhengwu_types::services::ServiceObject::ALL
                    .into_iter()
                    .map(|o| (o.code().to_string(), o.name_zh().to_string()))
                    .collect() />
                <button type="submit" class="button">"新建"</button>
            </form>
        </section>
    }
}
