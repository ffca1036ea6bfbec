//! `/`: the service hub first (search, entries, popular services, themes), then the newest
//! notices, policy documents and work updates.

use leptos::prelude::*;
use zhengwu_types::{ArticleSummary, Channel};

use crate::features::catalogue::ServiceHub;
use crate::features::content::api::home_feed;
use crate::features::content::article_row::ArticleRow;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::prefs::{use_prefs, use_site};

#[component]
pub fn HomePage() -> impl IntoView {
    let prefs = use_prefs();
    let site = use_site();
    let feed = Resource::new(|| (), |_| home_feed());
    view! {
        <PageMeta title=site.name(prefs.lang).to_string() />
        <h1 class="visually-hidden">{site.name(prefs.lang).to_string()}</h1>
        <ServiceHub />
        <Loaded data=feed let:feed>
            <div class="home-grid">
                <Section channel=Channel::Notices items=feed.notices wide=true />
                <Section channel=Channel::Policies items=feed.policies wide=false />
                <Section channel=Channel::Updates items=feed.updates wide=false />
            </div>
        </Loaded>
    }
}

#[component]
fn Section(channel: Channel, items: Vec<ArticleSummary>, wide: bool) -> impl IntoView {
    let prefs = use_prefs();
    let t = prefs.lang.text();
    let heading_id = format!("home-{}", channel.slug());
    let labelled_by = heading_id.clone();
    let empty = items.is_empty();
    view! {
        <section class="home-section" class:wide=wide aria-labelledby=labelled_by>
            <div class="section-head">
                <h2 id=heading_id>{channel.name(prefs.lang)}</h2>
                <a href=channel.path() class="more">
                    {t.more}
                    " "
                    <span class="visually-hidden">{channel.name(prefs.lang)}</span>
                </a>
            </div>
            {empty.then(|| view! { <p>{t.nothing_here}</p> })}
            <ul class="article-list">
                {items.into_iter().map(|a| view! { <ArticleRow article=a /> }).collect_view()}
            </ul>
        </section>
    }
}
