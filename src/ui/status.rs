//! Setting the HTTP status of the page being rendered (404, 400, 500).

/// Sets the response status during server rendering; does nothing in the browser.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    {
        if let (Some(opts), Ok(status)) =
            (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(code))
        {
            opts.set_status(status);
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}
