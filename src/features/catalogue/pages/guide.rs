//! An item's service guide (办事指南): what it is, who may apply, materials, limits, fees,
//! where and when, and the way to apply online.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use zhengwu_types::services::{online_depth_zh, ServiceGuide};

use crate::features::catalogue::api::guide_of_service;
use crate::ui::format::limit_text;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::print_button::PrintButton;

/// Telephone numbers in a text as `tel:` links (the rest kept as text): a tap calls.
pub(crate) fn phone_links(text: &str) -> impl IntoView {
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

/// `k=v&k=v`, percent-encoded (UTF-8) for links.
#[component]
pub fn ServiceGuidePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, guide_of_service);
    view! {
        <Loaded data=data let:g>
            <GuideView g />
        </Loaded>
    }
}

#[component]
pub(crate) fn GuideView(g: ServiceGuide) -> impl IntoView {
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
