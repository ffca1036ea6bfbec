//! `<Loaded>`: a page's data once it has loaded, or the error page. Every page that reads
//! through a server function shows its content this way:
//!
//! ```ignore
//! let data = Resource::new(year, calendar_year);
//! view! { <Loaded data let:c><CalendarTable c /></Loaded> }
//! ```

use leptos::prelude::*;

use crate::{error::ApiError, ui::error::ErrorPage};

#[component]
pub fn Loaded<T, F, V>(
    /// What the page reads: a server function's answer.
    data: Resource<Result<T, ApiError>>,
    /// The content, from the loaded value.
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Suspense>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(value) => children(value).into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
