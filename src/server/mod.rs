//! The server: command line, start-up, HTTP routing and middleware. Compiled only with `ssr`.

pub mod admin;
pub mod auth;
pub mod cases;
pub mod citizen;
pub mod cli;
pub mod form;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod page_cache;
pub mod prefs;
pub mod rest;
pub mod router;
pub mod security;
pub mod start;
pub mod state;
pub mod workflow;

pub use start::{spawn, RunningServer, StartError};
