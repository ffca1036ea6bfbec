//! Zhengwu's server-only core: configuration, database, and the domains.
//!
//! Each domain has the same files: `model` (types), `repo` (SQL only), `service` (rules and
//! transactions; what pages, server functions and the REST API call), `error`.
//! Nothing here knows about HTTP or Leptos.

pub mod articles;
pub mod audit;
pub mod blobs;
pub mod calendar;
pub mod cases;
pub mod citizen;
pub mod config;
pub mod db;
pub mod demo;
pub mod identity;
pub mod jobs;
pub mod keyring;
pub mod maintenance;
pub mod services;
pub mod sms;
pub mod sweep;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod time;
pub mod timeline;
pub mod workflow;

pub use config::{Config, ConfigError, DatabaseTarget, LogFormat, MasterKeySource, Settings};
pub use db::{Db, DbError};
