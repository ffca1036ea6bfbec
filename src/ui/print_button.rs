//! A "print" button: an island, because printing needs script. Rendered hidden, and shown only
//! once the island is awake, so a visitor without JavaScript never sees a button that does nothing.

use leptos::prelude::*;

#[island]
pub fn PrintButton(label: String) -> impl IntoView {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    view! {
        <button
            type="button"
            class="print-button"
            hidden=move || !ready.get()
            on:click=move |_| {
                let _ = window().print();
            }
        >
            {label}
        </button>
    }
}
