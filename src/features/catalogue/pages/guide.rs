//! An item's service guide (办事指南): what it is, who may apply, materials, limits, fees,
//! where and when, and the way to apply online.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use zhengwu_types::services::{online_depth_zh, visits_zh};

use crate::features::catalogue::api::{guide_of_service, GuidePage};
use crate::features::catalogue::pages::process::ProcessDiagram;
use crate::ui::format::limit_text;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::print_button::PrintButton;
use crate::ui::session::{use_citizen, CSRF_FIELD};
use crate::ui::url::query;

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

#[component]
pub fn ServiceGuidePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, guide_of_service);
    view! {
        <Loaded data=data let:g>
            <GuideView p=g />
        </Loaded>
    }
}

/// 收藏: a plain form posting to /my/favourites; for visitors, a link to sign in.
#[component]
fn FavouriteButton(code: String, favourite: Option<bool>) -> impl IntoView {
    let Some(on) = favourite else {
        return view! { <a class="button secondary" href="/my/login">"登录后收藏"</a> }.into_any();
    };
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    view! {
        <form method="post" action="/my/favourites" class="inline-form">
            <input type="hidden" name=CSRF_FIELD value=csrf />
            <input type="hidden" name="code" value=code />
            <input type="hidden" name="action" value=if on { "remove" } else { "add" } />
            <button type="submit" class="button secondary" aria-pressed=if on { "true" } else { "false" }>
                {if on { "★ 已收藏（取消）" } else { "☆ 收藏" }}
            </button>
        </form>
    }
    .into_any()
}

#[component]
pub(crate) fn GuideView(p: GuidePage) -> impl IntoView {
    let GuidePage { guide: g, process, favourite } = p;
    let apply = format!("/my/apply/{}", g.code);
    let code = g.code.clone();
    let unit = g.day_kind.unit_zh();
    let fact = |dt: &'static str, dd: String| view! { <div><dt>{dt}</dt><dd>{dd}</dd></div> };
    let done = query("done");
    let delivery = g.delivery.iter().map(|m| m.name_zh()).collect::<Vec<_>>().join("、");
    let has_template = g.materials.iter().any(|m| m.template.is_some());
    view! {
        <PageMeta title=g.name.clone() description=format!("{}：{}（{}）", g.name, g.summary, g.department) />
        <nav class="breadcrumb" aria-label="当前位置"><a href="/services">"办事服务"</a>" › "{g.name.clone()}</nav>
        <article class="guide">
            {done.map(|d| view! {
                <div class="notice" role="status"><p>{if d == "favourited" { "已收藏。可在“我的”中找到它。" } else { "已取消收藏。" }}</p></div>
            })}
            <h1>{g.name.clone()}</h1>
            <p class="lead">{g.summary.clone()}</p>
            <ul class="guide-badges" aria-label="办理要点">
                <li>{online_depth_zh(g.online_depth)}</li>
                <li>"到现场 "{visits_zh(g.visits)}</li>
                <li>"承诺 "{limit_text(g.promised_days, unit)}</li>
            </ul>
            <div class="guide-actions">
                {if g.online {
                    view! { <a class="button start" href=apply>"在线办理"</a> }.into_any()
                } else {
                    view! { <p class="notice-inline">"本事项暂不支持网上申请，请按下方地点和时间到窗口办理。"</p> }.into_any()
                }}
                <FavouriteButton code=code.clone() favourite />
                <PrintButton label="打印办事指南".to_string() />
            </div>
            <nav class="guide-toc" aria-label="本页内容">
                <a href="#basic">"基本信息"</a><a href="#process">"办理流程"</a><a href="#materials">"申请材料"</a>
                <a href="#where">"地点和时间"</a><a href="#result">"办理结果"</a>
                {(!g.faq.is_empty()).then(|| view! { <a href="#faq">"常见问题"</a> })}
            </nav>
            <h2 id="basic">"基本信息"</h2>
            <dl class="facts">
                {fact("事项编码", g.code.clone())}
                {fact("实施部门", g.department.clone())}
                {fact("服务对象", g.object.name_zh().to_string())}
                {fact("法定办结时限", limit_text(g.statutory_days, unit))}
                {fact("承诺办结时限", limit_text(g.promised_days, unit))}
                {fact("网上办理深度", online_depth_zh(g.online_depth).to_string())}
                {fact("到现场次数", visits_zh(g.visits).to_string())}
                {fact("收费标准", g.fees.clone())}
                {(!g.fee_basis.is_empty()).then(|| fact("收费依据", g.fee_basis.clone()))}
                <div><dt>"咨询电话"</dt><dd>{phone_links(&g.phone)}</dd></div>
                <div><dt>"投诉电话"</dt><dd>{if g.complaint_phone.is_empty() {
                    view! { <a href="tel:12345">"12345"</a>"（政务服务便民热线）" }.into_any()
                } else {
                    phone_links(&g.complaint_phone).into_any()
                }}</dd></div>
            </dl>
            <h2>"受理条件"</h2>
            <p>{g.eligibility.clone()}</p>
            <h2 id="process">"办理流程"</h2>
            <ProcessDiagram steps=process visits=g.visits />
            <h2 id="materials">"申请材料"</h2>
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
                                                <br /><small>
                                                    <a href=format!("/services/{}/blank-form", code)>{format!("空白表格：{t}")}</a>
                                                    " · "
                                                    <a href=format!("/services/{}/blank-form?sample=1", code)>"示例样表"</a>
                                                    "（也可到窗口领取）"
                                                </small>
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
            {(!has_template && g.online).then(|| view! {
                <p><a href=format!("/services/{}/blank-form", g.code)>"申请表（空白表格）"</a>" · "
                   <a href=format!("/services/{}/blank-form?sample=1", g.code)>"示例样表"</a></p>
            })}
            <h2 id="where">"办理地点和时间"</h2>
            <dl class="facts">
                {fact("办理地点", g.venue.clone())}
                {fact("办公时间", g.hours.clone())}
            </dl>
            <h2 id="result">"办理结果"</h2>
            <dl class="facts">
                {fact("结果名称", if g.result_name.is_empty() { "办理结果通知".to_string() } else { g.result_name.clone() })}
                {fact("送达方式", delivery)}
            </dl>
            <h2>"设定依据"</h2>
            <p>{g.legal_basis.clone()}</p>
            {(!g.faq.is_empty()).then(|| view! {
                <h2 id="faq">"常见问题"</h2>
                <div class="faq">
                    {g.faq.iter().map(|f| view! {
                        <details><summary>{f.q.clone()}</summary><p class="answer">{f.a.clone()}</p></details>
                    }).collect_view()}
                </div>
            })}
            <p class="meta">"主题："{g.themes.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>().join("、")}" · 更新时间："{g.updated_at.clone()}</p>
        </article>
    }
}
