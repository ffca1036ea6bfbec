//! The home page's service hub (办事大厅): the search box first, the entries for individuals
//! and enterprises, 热门服务 by real application counts, life events and enterprise themes,
//! and 办件查询 — every card a plain link, whole card tappable.

use leptos::prelude::*;

use crate::features::catalogue::api::{service_hub, Hub, POPULAR_DAYS};
use crate::ui::loaded::Loaded;
use crate::ui::url::encode_pairs;

/// The search box (it searches the catalogue: names, aliases and keywords).
#[component]
pub fn ServiceSearch(#[prop(optional, into)] value: Option<String>) -> impl IntoView {
    view! {
        <form method="get" action="/services" class="hub-search" role="search">
            <label for="hub-q" class="visually-hidden">"搜索办事事项"</label>
            <input id="hub-q" name="q" type="search" value=value.unwrap_or_default()
                placeholder="搜索事项，如：低保、社保卡、营业执照" enterkeyhint="search" maxlength="50" />
            <button type="submit" class="button">"搜索"</button>
        </form>
        <p class="hub-hot-words">
            "大家都在搜："
            {["低保", "社保卡", "生育登记", "营业执照", "异地就医", "身份证"].into_iter().map(|w| view! {
                <a href=format!("/services?{}", encode_pairs(&[("q".to_string(), w.to_string())]))>{w}</a>
            }).collect_view()}
        </p>
    }
}

#[component]
pub fn ServiceHub() -> impl IntoView {
    let data = Resource::new(|| (), |_| service_hub());
    // The hub's texts are Chinese (the catalogue has no English); said so for the English page.
    view! {
        <div class="service-hub" lang="zh-CN">
        <section class="hub-top" aria-labelledby="hub-title">
            <h2 id="hub-title" class="visually-hidden">"办事服务"</h2>
            <ServiceSearch />
            <ul class="hub-entries">
                <li><a class="card entry-person" href="/services?object=individual"><strong>"个人办事"</strong><span>"生育、就业、社保、救助、婚姻、住房……"</span></a></li>
                <li><a class="card entry-company" href="/services?object=enterprise"><strong>"法人办事"</strong><span>"开办企业、经营许可、工程建设……"</span></a></li>
                <li><a class="card entry-lookup" href="/cases/lookup"><strong>"办件查询"</strong><span>"用办件编号查进度"</span></a></li>
                <li><a class="card entry-my" href="/my/cases"><strong>"我的办件"</strong><span>"草稿、进度、补正"</span></a></li>
            </ul>
        </section>
        <Loaded data=data let:hub>
            <HubSections hub />
        </Loaded>
        </div>
    }
}

#[component]
fn HubSections(hub: Hub) -> impl IntoView {
    let themes = |kind: &str| {
        hub.themes
            .iter()
            .filter(|t| t.kind == kind && t.items > 0)
            .map(|t| {
                let href = format!("/services?{}", encode_pairs(&[("theme".to_string(), t.code.clone())]));
                view! { <li><a class="chip" href=href>{t.name.clone()}<span class="count">{t.items}</span></a></li> }
            })
            .collect_view()
    };
    let counted = hub.popular.iter().any(|p| p.applications > 0);
    let life = themes("life");
    let enterprise = themes("enterprise");
    view! {
        <section class="hub-section" aria-labelledby="hub-popular">
            <div class="section-head">
                <h2 id="hub-popular">"热门服务"</h2>
                <a href="/services" class="more">"全部事项"</a>
            </div>
            <p class="hint">{if counted {
                format!("按近 {POPULAR_DAYS} 天的网上申请件数排列")
            } else {
                format!("近 {POPULAR_DAYS} 天尚无网上申请，先列出可在网上办理的事项")
            }}</p>
            <ol class="popular">
                {hub.popular.into_iter().map(|p| view! {
                    <li>
                        <a class="card" href=format!("/services/{}", p.item.code)>
                            <strong>{p.item.name.clone()}</strong>
                            <span class="meta-line">{p.item.department.clone()}</span>
                            {(p.applications > 0).then(|| view! { <span class="meta-line">{format!("{} 件申请", p.applications)}</span> })}
                        </a>
                    </li>
                }).collect_view()}
            </ol>
        </section>
        <div class="hub-themes">
            <section class="hub-section" aria-labelledby="hub-life">
                <h2 id="hub-life">"个人 · 生命周期"</h2>
                <ul class="chips">{life}</ul>
            </section>
            <section class="hub-section" aria-labelledby="hub-enterprise">
                <h2 id="hub-enterprise">"法人 · 企业主题"</h2>
                <ul class="chips">{enterprise}</ul>
            </section>
        </div>
    }
}
