//! `/api/v1`: the public REST API. It calls the same core services as the pages, and answers
//! errors as RFC 9457 problem details (`application/problem+json`).

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Extension, Json, Router,
};
use zhengwu_core::articles::{self, ArticleError};
use zhengwu_types::{Channel, ErrorCode, PageRequest};

use crate::web::{errors::Problem, request::RequestId, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notices", get(list_notices))
        .route("/notices/{id}", get(get_notice))
        .fallback(|rid: Option<Extension<RequestId>>| async move {
            Problem::new(ErrorCode::NotFound, "No such API resource.").with_request_id(rid)
        })
        .method_not_allowed_fallback(|rid: Option<Extension<RequestId>>| async move {
            Problem::new(ErrorCode::BadRequest, "Method not allowed on this resource.")
                .with_status(StatusCode::METHOD_NOT_ALLOWED)
                .with_request_id(rid)
        })
}

/// `GET /api/v1/notices?page=&per_page=&category=`
async fn list_notices(
    State(state): State<AppState>,
    rid: Option<Extension<RequestId>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let page = match PageRequest::parse(q.get("page").map(String::as_str), q.get("per_page").map(String::as_str)) {
        Ok(p) => p,
        Err(e) => {
            let detail = format!(
                "{} must be a whole number from 1 to {}.",
                e.parameter(),
                match e {
                    zhengwu_types::page::PageError::Page => PageRequest::MAX_PAGE,
                    zhengwu_types::page::PageError::PerPage => PageRequest::MAX_PER_PAGE,
                }
            );
            return Problem::new(ErrorCode::BadRequest, detail)
                .with_invalid_param(e.parameter())
                .with_request_id(rid)
                .into_response();
        }
    };
    match articles::list_articles(&state.db, Channel::Notices, q.get("category").map(String::as_str), page).await {
        Ok(page) => Json(page).into_response(),
        Err(e) => article_problem(e, rid).into_response(),
    }
}

/// `GET /api/v1/notices/{id}`
async fn get_notice(
    State(state): State<AppState>,
    rid: Option<Extension<RequestId>>,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = id.parse::<i64>().ok().filter(|n| *n > 0) else {
        return Problem::new(ErrorCode::BadRequest, "The notice id must be a positive whole number.")
            .with_invalid_param("id")
            .with_request_id(rid)
            .into_response();
    };
    match articles::get_article(&state.db, Channel::Notices, id).await {
        Ok(a) => Json(a).into_response(),
        Err(e) => article_problem(e, rid).into_response(),
    }
}

fn article_problem(e: ArticleError, rid: Option<Extension<RequestId>>) -> Problem {
    Problem::of(e).with_request_id(rid)
}
