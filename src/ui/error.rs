//! Error pages: a real 404 with status 404, and a page for other errors with their status.

use leptos::prelude::*;
use zhengwu_types::ErrorCode;

use crate::error::ApiError;
use crate::ui::meta::PageMeta;
use crate::ui::prefs::use_prefs;
use crate::ui::status::set_status;

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    let t = use_prefs().lang.text();
    view! {
        <PageMeta title=t.not_found_title />
        <section class="error-page">
            <h1>{t.not_found_title}</h1>
            <p>{t.not_found_body}</p>
            <p>
                <a href="/">{t.home}</a>
            </p>
        </section>
    }
}

/// The page for an error from a server function, with the matching HTTP status.
#[component]
pub fn ErrorPage(error: ApiError) -> impl IntoView {
    if error.code == ErrorCode::NotFound {
        return view! { <NotFound /> }.into_any();
    }
    set_status(error.code.status());
    let t = use_prefs().lang.text();
    // The server's message is for API clients and logs; people get text in their language.
    let (title, body) = match error.code {
        ErrorCode::BadRequest => (t.bad_request_title, t.bad_request_body),
        ErrorCode::Forbidden | ErrorCode::Unauthorized => (t.forbidden_title, t.forbidden_body),
        _ => (t.error_title, t.error_body),
    };
    view! {
        <PageMeta title=title />
        <section class="error-page">
            <h1>{title}</h1>
            <p>{body}</p>
            <p>
                <a href="/">{t.home}</a>
            </p>
        </section>
    }
    .into_any()
}
