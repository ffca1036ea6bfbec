//! The catalogue (办事服务): themes, departments and the items, filtered and paged.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::features::catalogue::api::{service_catalogue, Catalogue};
use crate::ui::form::{Field, Select};
use crate::ui::format::limit_text;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::pager::Pager;
use crate::ui::url::{encode_pairs, query};

#[component]
pub fn ServicesPage() -> impl IntoView {
    let q = use_query_map();
    let params = move || q.with(|q| (q.get("theme"), q.get("department"), q.get("object"), q.get("q"), q.get("page")));
    let data = Resource::new(params, |(theme, department, object, text, page)| {
        service_catalogue(theme, department, object, text, page)
    });
    view! {
        <PageMeta title="办事服务" />
        <Loaded data=data let:c>
            <CatalogueView c />
        </Loaded>
    }
}

#[component]
pub(crate) fn CatalogueView(c: Catalogue) -> impl IntoView {
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
        let mut s = encode_pairs(pairs);
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
        None => match object.as_deref() {
            Some("individual") => "个人办事".to_string(),
            Some("enterprise") => "法人办事".to_string(),
            _ => "办事服务".to_string(),
        },
    };
    let searched = text.clone().filter(|t| !t.trim().is_empty());
    let total = c.items.total;
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
            <Field name="q" label="事项名称或关键词" kind="search" value=text.clone().unwrap_or_default() required=false />
            <Select name="department" label="实施部门" value=department.clone().unwrap_or_default()
                options=std::iter::once((String::new(), "全部部门".to_string())).chain(c.departments.iter().cloned()).collect() />
            <Select name="object" label="服务对象" value=object.clone().unwrap_or_default() options=vec![
                (String::new(), "全部".to_string()),
                ("individual".to_string(), "个人（自然人）".to_string()),
                ("enterprise".to_string(), "企业（法人）".to_string()),
            ] />
            <button type="submit" class="button">"查找"</button>
        </form>
        {searched.map(|q| view! { <p class="result-count" role="status">{format!("“{q}”：找到 {total} 个事项（按事项名称、别名和关键词查找）")}</p> })}
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
                            <span class="tag">{online_depth_short(s.online_depth)}</span>
                        </p>
                        <p>{s.summary.clone()}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
        <Pager base page=c.items.page total_pages=c.items.total_pages total=c.items.total />
    }
}

/// The online depth in a word or two, for the list.
fn online_depth_short(depth: i32) -> &'static str {
    match depth {
        1 => "网上查看指南",
        2 => "网上下载表格",
        3 => "网上申请",
        _ => "全程网办",
    }
}
