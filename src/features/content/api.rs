//! Reading published articles. Published articles are public: every caller, signed in or not,
//! may read them, so these functions need no actor.

use leptos::prelude::*;
use zhengwu_types::{ArticleDetail, ArticleSummary, Channel, Page};

use crate::error::ApiError;

/// The newest items of each channel, for the home page.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HomeLists {
    pub notices: Vec<ArticleSummary>,
    pub policies: Vec<ArticleSummary>,
    pub updates: Vec<ArticleSummary>,
}

#[server(prefix = "/sfn", endpoint = "articles/home")]
pub async fn home_feed() -> Result<HomeLists, ApiError> {
    let state = crate::web::state::use_app_state()?;
    let db = &state.db;
    use zhengwu_core::articles::latest_articles as latest;
    let (notices, policies, updates) = tokio::try_join!(
        latest(db, Channel::Notices, 8),
        latest(db, Channel::Policies, 5),
        latest(db, Channel::Updates, 5),
    )?;
    Ok(HomeLists { notices, policies, updates })
}

/// One page of a channel; `category` and `page` are the raw query values, validated here.
#[server(prefix = "/sfn", endpoint = "articles/list")]
pub async fn list_articles(
    channel: Channel,
    category: Option<String>,
    page: Option<String>,
) -> Result<Page<ArticleSummary>, ApiError> {
    let state = crate::web::state::use_app_state()?;
    let page = zhengwu_types::PageRequest::parse(page.as_deref(), None)
        .map_err(|e| ApiError::new(zhengwu_types::ErrorCode::BadRequest, format!("invalid {}", e.parameter())))?;
    Ok(zhengwu_core::articles::list_articles(&state.db, channel, category.as_deref(), page).await?)
}

/// One article of a channel; a malformed id is "not found", like a missing one.
#[server(prefix = "/sfn", endpoint = "articles/get")]
pub async fn get_article(channel: Channel, id: String) -> Result<ArticleDetail, ApiError> {
    let state = crate::web::state::use_app_state()?;
    let not_found = || ApiError::new(zhengwu_types::ErrorCode::NotFound, "no such article");
    let id: i64 = id.parse().ok().filter(|n| *n > 0).ok_or_else(not_found)?;
    Ok(zhengwu_core::articles::get_article(&state.db, channel, id).await?)
}
