//! `/api/v1`: the public REST API. It calls the same core services as the pages, and answers
//! errors as RFC 9457 problem details (`application/problem+json`).

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Extension, Json, Router,
};
use serde_json::json;
use zhengwu_core::articles::{self, ArticleError};
use zhengwu_types::{Channel, ErrorCode, PageRequest};

use crate::web::request::RequestId;
use crate::web::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notices", get(list_notices))
        .route("/notices/{id}", get(get_notice))
        .fallback(|rid: Option<Extension<RequestId>>| async move {
            Problem::new(ErrorCode::NotFound, "No such API resource.").with_request_id(rid)
        })
        .method_not_allowed_fallback(|rid: Option<Extension<RequestId>>| async move {
            let mut p =
                Problem::new(ErrorCode::BadRequest, "Method not allowed on this resource.").with_request_id(rid);
            p.status = StatusCode::METHOD_NOT_ALLOWED;
            p
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
    let p = match &e {
        ArticleError::NotFound => Problem::new(ErrorCode::NotFound, "No notice has this id."),
        ArticleError::UnknownCategory(_) => {
            let known: Vec<_> = Channel::Notices.categories().map(|c| c.slug).collect();
            Problem::new(ErrorCode::BadRequest, format!("category must be one of: {}.", known.join(", ")))
                .with_invalid_param("category")
        }
        ArticleError::Db(_) => {
            tracing::error!(error = %e, "notice query failed");
            Problem::new(e.code(), "The request could not be completed; quote the request id when reporting it.")
        }
    };
    p.with_request_id(rid)
}

/// An RFC 9457 problem detail. `type` is `about:blank` (the status says it all); the `code`
/// member carries our stable error code and `invalid_params` names the offending parameter.
pub struct Problem {
    status: StatusCode,
    code: ErrorCode,
    detail: String,
    invalid_params: Vec<&'static str>,
    request_id: Option<String>,
}

impl Problem {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Problem {
            status: StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            detail: detail.into(),
            invalid_params: Vec::new(),
            request_id: None,
        }
    }
    fn with_invalid_param(mut self, name: &'static str) -> Self {
        self.invalid_params.push(name);
        self
    }
    fn with_request_id(mut self, rid: Option<Extension<RequestId>>) -> Self {
        self.request_id = rid.map(|Extension(r)| r.0);
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or(self.code.title()),
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code.slug(),
        });
        if !self.invalid_params.is_empty() {
            body["invalid_params"] =
                json!(self.invalid_params.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>());
        }
        if let Some(id) = self.request_id {
            body["request_id"] = json!(id);
        }
        (self.status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
    }
}
