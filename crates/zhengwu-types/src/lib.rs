//! Types shared by the Zhengwu server and its WebAssembly islands.
//!
//! Everything here must compile for `wasm32-unknown-unknown`: no I/O, no database, no tokio.
//! Domain values validate on construction (parse, don't validate), so a `Category` in hand is
//! always one the portal knows.

pub mod articles;
pub mod codes;
pub mod consent;
pub mod error;
pub mod i18n;
pub mod page;
pub mod permission;
pub mod personal;
pub mod services;
pub mod timeline;
pub mod workflow;

pub use articles::{attachment_href, ArticleDetail, ArticleSummary, Attachment, Category, Channel};
pub use error::{ErrorCode, Failure};
pub use i18n::{Lang, Text};
pub use page::{Page, PageRequest};

#[cfg(feature = "sqlx")]
#[doc(hidden)]
pub use sqlx as __sqlx;
