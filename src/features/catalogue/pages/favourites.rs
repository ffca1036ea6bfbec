//! 我的收藏 on 我的: the citizen's saved services, each with a link to its guide and a button to
//! remove it (a plain form); a retired service says so.

use leptos::prelude::*;

use crate::features::catalogue::api::my_favourites;
use crate::ui::loaded::Loaded;
use crate::ui::session::{use_citizen, CSRF_FIELD};

#[component]
pub fn MyFavourites() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_favourites());
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    view! {
        <section aria-labelledby="my-favourites">
            <h2 id="my-favourites">"我的收藏"</h2>
            <Loaded data=data let:list>
                {if list.is_empty() {
                    view! { <p>"还没有收藏的事项。在办事指南页点“收藏”，常办的事项就会列在这里。"</p> }.into_any()
                } else {
                    let csrf = csrf.clone();
                    view! {
                        <ul class="favourites">
                            {list.into_iter().map(|(code, name, department, published)| view! {
                                <li>
                                    <a href=format!("/services/{code}")>{name.clone()}</a>
                                    " "<span class="meta-inline">{department}</span>
                                    {(!published).then(|| view! { " "<span class="tag">"已停止办理"</span> })}
                                    <form method="post" action="/my/favourites" class="inline-form">
                                        <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                                        <input type="hidden" name="code" value=code.clone() />
                                        <input type="hidden" name="action" value="remove" />
                                        <input type="hidden" name="back" value="my" />
                                        <button type="submit" class="link-button">"取消收藏"<span class="visually-hidden">{name}</span></button>
                                    </form>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </Loaded>
        </section>
    }
}
