//! The HTTP shell (server only): start-up and the command line, the router and its middleware,
//! security headers, assets, health. Nothing else imports it.

pub mod assets;
pub mod cli;
pub mod commands;
pub mod health;
pub mod middleware;
pub mod router;
pub mod security;
pub mod start;

pub use start::{spawn, RunningServer, StartError};
