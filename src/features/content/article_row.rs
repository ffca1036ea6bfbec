//! One line of an article list: title link, date, and (in full lists) department and category.

use leptos::prelude::*;
use zhengwu_types::{ArticleSummary, Category};

use crate::ui::prefs::use_prefs;

#[component]
pub fn ArticleRow(article: ArticleSummary, #[prop(optional)] detailed: bool) -> impl IntoView {
    let prefs = use_prefs();
    let t = prefs.lang.text();
    let href = format!("{}/{}", article.channel.path(), article.id);
    let category = Category::parse(article.channel, &article.category).map(|c| c.name(prefs.lang));
    let attachments = article.attachment_count;
    view! {
        <li class="article-row">
            // Articles are written in Chinese whatever the interface language.
            <a href=href class="article-title" lang=(prefs.lang != zhengwu_types::Lang::Zh).then_some("zh-CN")>{article.title}</a>
            <span class="article-meta">
                {detailed.then(|| category.map(|c| view! { <span class="tag">{c}</span> }))}
                {detailed.then(|| view! { <span>{article.department.clone()}</span> })}
                {(detailed && attachments > 0).then(|| view! { <span>{t.attachment_count_label(attachments)}</span> })}
                <time datetime=article.published_on.clone()>{article.published_on.clone()}</time>
            </span>
        </li>
    }
}
