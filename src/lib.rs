//! The Zhengwu portal and console: Leptos UI, server functions and the HTTP shell.
//!
//! This crate is compiled twice: with `ssr` into the server, and with `hydrate` into the small
//! WebAssembly bundle that enhances islands in the browser. Everything else on the server lives
//! in `crates/zhengwu-core`, which the browser build never sees.
//!
//! The shape (see `docs/architecture.md`), each layer importing only the ones below it:
//! - `shell` (server only): start-up, the command line, the router, middleware, scheduled jobs;
//! - `app`: the document and the page route table;
//! - `features::<domain>`: one folder per domain — its pages, server functions (`api`), form
//!   posts (`posts`) and REST handlers (`rest`);
//! - `web` (server only): the state, the request's signed-in person, form reading, rendering a
//!   page again with its form, the one place errors become responses;
//! - `ui`: layout, the form kit, shared views; `error`: the server functions' error.

// Leptos views are nested types; the staff case page with its action forms is deeper than
// the default limit allows when compiled for the browser.
#![recursion_limit = "256"]

pub mod app;
pub mod error;
pub mod features;
#[cfg(feature = "ssr")]
pub mod shell;
pub mod ui;
#[cfg(feature = "ssr")]
pub mod web;

/// Entry point called by `public/islands.js` once the bundle is loaded: wakes the islands.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
