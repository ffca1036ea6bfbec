//! The console's catalogue (事项管理): the items in the data scope.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use zhengwu_types::{
    services::{ItemStatus, ServiceSummary},
    Page,
};

use crate::features::catalogue::api::{staff_services, StaffCatalogue};
use crate::features::identity::ConsoleNav;
use crate::ui::error::ErrorPage;
use crate::ui::form::{CsrfField, ErrorSummary};
use crate::ui::meta::PageMeta;
use crate::ui::pager::Pager;
use crate::ui::session::use_form_echo;
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
pub(crate) fn ServiceTable(c: StaffCatalogue) -> impl IntoView {
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
        format!("/admin/services?{}", encode_pairs(&current))
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
