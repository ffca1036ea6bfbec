//! Server functions: the endpoints the UI calls. Each one is a public HTTP endpoint at a stable
//! path under `/sfn/`, so each checks access and calls exactly one core service.

pub mod admin;
pub mod articles;
pub mod error;
pub mod my;
pub mod services;
pub mod workflow;

pub use error::ApiError;
