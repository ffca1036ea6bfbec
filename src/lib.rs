//! The Zhengwu portal: Leptos UI and thin server functions.
//!
//! This crate is compiled twice: with `ssr` into the server, and with `hydrate` into the small
//! WebAssembly bundle that enhances islands in the browser. Everything else on the server lives
//! in `crates/zhengwu-core`, which the browser build never sees.

// Leptos views are nested types; the staff case page with its action forms is deeper than
// the default limit allows when compiled for the browser.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod pages;
pub mod prefs;
#[cfg(feature = "ssr")]
pub mod server;
pub mod session;

/// Entry point called by `public/islands.js` once the bundle is loaded: wakes the islands.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
