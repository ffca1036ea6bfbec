//! Previous/next links with "page x of y": plain links, so paging works without JavaScript.

use leptos::prelude::*;

use crate::ui::prefs::use_prefs;

/// `base` is the list path with any filter already in its query (`/notices?category=publicity`).
#[component]
pub fn Pager(base: String, page: u32, total_pages: u32, total: i64) -> impl IntoView {
    let t = use_prefs().lang.text();
    let sep = if base.contains('?') { '&' } else { '?' };
    let link = move |p: u32| if p == 1 { base.clone() } else { format!("{base}{sep}page={p}") };
    let prev = (page > 1).then(|| link(page - 1));
    let next = (page < total_pages).then(|| link(page + 1));
    view! {
        <nav class="pager" aria-label=t.page_label(page, total_pages.max(1))>
            {prev.map(|href| view! { <a rel="prev" href=href>{t.previous_page}</a> })}
            <span class="pager-status">
                {t.page_label(page, total_pages.max(1))}" · "{t.total_label(total)}
            </span>
            {next.map(|href| view! { <a rel="next" href=href>{t.next_page}</a> })}
        </nav>
    }
}
