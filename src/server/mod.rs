//! The server: command line, start-up, HTTP routing and middleware. Compiled only with `ssr`.

pub mod account;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod cases;
pub mod citizen;
pub mod cli;
pub mod commands;
pub mod files;
pub mod form;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod middleware;
pub mod page_cache;
pub mod pages;
pub mod prefs;
pub mod rest;
pub mod router;
pub mod security;
pub mod start;
pub mod state;
pub mod workflow;

pub use start::{spawn, RunningServer, StartError};
