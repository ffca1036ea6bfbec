//! `/notices`, `/policies`, `/updates` and their detail pages: one component per shape,
//! parameterised by channel.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use zhengwu_types::{ArticleDetail, ArticleSummary, Category, Channel, Page};

use crate::features::content::api::{get_article, list_articles};
use crate::features::content::article_row::ArticleRow;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::pager::Pager;
use crate::ui::prefs::use_prefs;
use crate::ui::print_button::PrintButton;

/// A channel's list, newest first, with category tabs and a pager (all plain links).
#[component]
pub fn ArticleListPage(channel: Channel) -> impl IntoView {
    let query = use_query_map();
    let params = move || query.with(|q| (q.get("category"), q.get("page")));
    let data = Resource::new(params, move |(category, page)| list_articles(channel, category, page));
    view! {
        <Loaded data=data let:page>
            <ArticleList channel category=params().0 page />
        </Loaded>
    }
}

#[component]
fn ArticleList(channel: Channel, category: Option<String>, page: Page<ArticleSummary>) -> impl IntoView {
    let prefs = use_prefs();
    let t = prefs.lang.text();
    let selected = category.as_deref().and_then(|c| Category::parse(channel, c));
    let title = match selected {
        Some(c) => format!("{} · {}", channel.name(prefs.lang), c.name(prefs.lang)),
        None => channel.name(prefs.lang).to_string(),
    };
    let base = match selected {
        Some(c) => format!("{}?category={}", channel.path(), c.slug),
        None => channel.path().to_string(),
    };
    let tab = move |href: String, label: &'static str, active: bool| {
        view! {
            <li>
                <a href=href aria-current=active.then_some("page")>{label}</a>
            </li>
        }
    };
    let empty = page.items.is_empty();
    view! {
        <PageMeta title=title.clone() />
        <Breadcrumb channel current=None />
        <h1>{title}</h1>
        <nav class="tabs" aria-label=t.category>
            <ul>
                {tab(channel.path().to_string(), t.all_categories, selected.is_none())}
                {channel
                    .categories()
                    .map(|c| tab(format!("{}?category={}", channel.path(), c.slug), c.name(prefs.lang), selected == Some(c)))
                    .collect_view()}
            </ul>
        </nav>
        {empty.then(|| view! { <p class="empty">{t.nothing_here}</p> })}
        <ul class="article-list detailed">
            {page.items.into_iter().map(|a| view! { <ArticleRow article=a detailed=true /> }).collect_view()}
        </ul>
        <Pager base page=page.page total_pages=page.total_pages total=page.total />
    }
}

/// One article: title, publisher, date, document number, body, attachments.
#[component]
pub fn ArticleDetailPage(channel: Channel) -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(id, move |id| get_article(channel, id));
    view! {
        <Loaded data=data let:article>
            <ArticleView article />
        </Loaded>
    }
}

#[component]
fn ArticleView(article: ArticleDetail) -> impl IntoView {
    let prefs = use_prefs();
    let t = prefs.lang.text();
    let s = &article.summary;
    let channel = s.channel;
    let category = Category::parse(channel, &s.category).map(|c| c.name(prefs.lang));
    let paragraphs: Vec<String> = article.paragraphs().map(str::to_string).collect();
    let title = s.title.clone();
    view! {
        <PageMeta title=title.clone() description=s.summary.clone() />
        <Breadcrumb channel current=Some(title.clone()) />
        <article class="article" lang=(prefs.lang != zhengwu_types::Lang::Zh).then_some("zh-CN")>
            <h1>{title}</h1>
            <dl class="article-facts">
                <div>
                    <dt>{t.publisher}</dt>
                    <dd>{s.department.clone()}</dd>
                </div>
                <div>
                    <dt>{t.published}</dt>
                    <dd>
                        <time datetime=s.published_on.clone()>{s.published_on.clone()}</time>
                    </dd>
                </div>
                {s.document_number.clone().map(|n| view! {
                    <div>
                        <dt>{t.document_number}</dt>
                        <dd>{n}</dd>
                    </div>
                })}
                {category.map(|c| view! {
                    <div>
                        <dt>{t.category}</dt>
                        <dd>{c}</dd>
                    </div>
                })}
            </dl>
            <div class="article-body">
                {paragraphs.into_iter().map(|p| view! { <p>{p}</p> }).collect_view()}
            </div>
            <section class="attachments" aria-labelledby="attachments-heading">
                <h2 id="attachments-heading">{t.attachments}</h2>
                {if article.attachments.is_empty() {
                    view! { <p>{t.no_attachments}</p> }.into_any()
                } else {
                    view! {
                        <ul>
                            {article.attachments.iter().map(|a| {
                                let name = match a.href.clone() {
                                    Some(href) => view! {
                                        <a class="file-name" href=href download=a.file_name.clone()>{a.file_name.clone()}</a>
                                    }.into_any(),
                                    None => view! { <span class="file-name">{a.file_name.clone()}</span> }.into_any(),
                                };
                                view! {
                                    <li>
                                        {name}
                                        " "
                                        <span class="file-size">{format!("({} {})", a.kind_label(), a.size_label())}</span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <p class="article-actions">
                <a href=channel.path()>{t.back_to_list}</a>
                <PrintButton label=t.print.to_string() />
            </p>
        </article>
    }
}

#[component]
fn Breadcrumb(channel: Channel, current: Option<String>) -> impl IntoView {
    let prefs = use_prefs();
    let t = prefs.lang.text();
    view! {
        <nav class="breadcrumb" aria-label=t.breadcrumb>
            <ol>
                <li>
                    <a href="/">{t.home}</a>
                </li>
                {match current {
                    None => view! { <li aria-current="page">{channel.name(prefs.lang)}</li> }.into_any(),
                    Some(title) => view! {
                        <li>
                            <a href=channel.path()>{channel.name(prefs.lang)}</a>
                        </li>
                        <li aria-current="page" class="crumb-current">{title}</li>
                    }.into_any(),
                }}
            </ol>
        </nav>
    }
}
