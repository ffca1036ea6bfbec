//! The one place where domain errors become responses. Each domain error says once, next to
//! its definition, what it means ([`Failure`]: the shared code and the field it is about);
//! here that becomes
//! - a server function's [`ApiError`] (`?` in any server function),
//! - a form post's [`Refused`]: the form comes back with the message at its field, or a page
//!   for what no form can fix,
//! - a REST [`Problem`] (RFC 9457 `application/problem+json`).
//!
//! Faults of ours (database, audit) are logged here, with the request's span, and the caller is
//! told only the code's title.

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use serde_json::json;
use zhengwu_types::{ErrorCode, Failure};

use crate::{error::ApiError, ui::session::FormEcho, web::request::RequestId};

/// What may be shown of `e`, after logging it when it is a fault.
fn public_message<E: Failure + ?Sized>(e: &E) -> String {
    let code = e.code();
    if e.is_fault() {
        tracing::error!(error = %e, code = code.slug(), kind = std::any::type_name::<E>(), "request failed");
        code.title().to_string()
    } else {
        e.to_string()
    }
}

fn status(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl<E: Failure> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError::new(e.code(), public_message(&e))
    }
}

/// What a form post does with a refused action.
pub enum Refused {
    /// The form comes back, with `status`, and `message` next to `field` (`None`: at the top
    /// of the form).
    Form { field: Option<&'static str>, message: String, status: StatusCode },
    /// Nothing in the form can fix it (not found, not allowed, our fault): a plain page.
    Page(Response),
}

impl<E: Failure> From<E> for Refused {
    fn from(e: E) -> Self {
        let code = e.code();
        match code {
            ErrorCode::BadRequest | ErrorCode::Unauthorized | ErrorCode::TooMany => Refused::Form {
                field: e.field(),
                message: e.to_string(),
                status: if code == ErrorCode::BadRequest { StatusCode::UNPROCESSABLE_ENTITY } else { status(code) },
            },
            // A dependency that is down for now (SMS gateway, the hashing pool): the form keeps
            // what was typed and says so.
            ErrorCode::Unavailable if !e.is_fault() => {
                tracing::warn!(error = %e, "a dependency refused");
                Refused::Form { field: None, message: e.to_string(), status: StatusCode::SERVICE_UNAVAILABLE }
            }
            ErrorCode::NotFound => Refused::Page(not_found()),
            ErrorCode::Forbidden => Refused::Page(forbidden()),
            ErrorCode::Unavailable | ErrorCode::Internal => {
                public_message(&e);
                Refused::Page(plain(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE))
            }
        }
    }
}

impl Refused {
    /// For a handler that has no form to come back to: a refusal as a plain page with its
    /// message.
    pub fn into_page(self) -> Response {
        match self {
            Refused::Form { message, status, .. } => {
                let status = if status == StatusCode::UNPROCESSABLE_ENTITY { StatusCode::BAD_REQUEST } else { status };
                (status, message).into_response()
            }
            Refused::Page(r) => r,
        }
    }
}

impl Refused {
    /// Into the page's form echo: the message at its field, or as the page's notice without
    /// one; the status to render the page with. A refusal no form can fix is the `Err` page.
    #[allow(clippy::result_large_err)] // the Err is the response itself, sent at once
    pub fn in_echo(self, echo: &mut FormEcho) -> Result<StatusCode, Response> {
        match self {
            Refused::Form { field: Some(field), message, status } => {
                echo.errors.insert(field.into(), message);
                Ok(status)
            }
            Refused::Form { field: None, message, status } => {
                echo.notice = Some(message);
                Ok(status)
            }
            Refused::Page(r) => Err(r),
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        self.into_page()
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

/// A post about something that does not exist (or is someone else's): a plain 404.
pub fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "不存在")
}

/// A failure of the machinery outside any domain (session store, blob files): logged here,
/// a plain 503 for the browser.
pub fn unavailable(what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what} failed");
    plain(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE)
}

const UNAVAILABLE: &str = "服务暂时不可用，请稍后再试";

/// A post the signed-in person may not make: a plain 403.
pub fn forbidden() -> Response {
    plain(StatusCode::FORBIDDEN, "没有权限")
}

/// A post that is malformed in a way no form field explains (an unknown action): a plain 400.
pub fn bad_request(text: &'static str) -> Response {
    plain(StatusCode::BAD_REQUEST, text)
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
        Problem { status: status(code), code, detail: detail.into(), invalid_params: Vec::new(), request_id: None }
    }

    /// The problem a domain error is; a fault says only to quote the request id.
    pub fn of<E: Failure>(e: E) -> Self {
        let detail = if e.is_fault() {
            public_message(&e);
            "The request could not be completed; quote the request id when reporting it.".to_string()
        } else {
            e.to_string()
        };
        let mut p = Problem::new(e.code(), detail);
        p.invalid_params.extend(e.field());
        p
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_invalid_param(mut self, name: &'static str) -> Self {
        self.invalid_params.push(name);
        self
    }

    pub fn with_request_id(mut self, rid: Option<Extension<RequestId>>) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A domain error as any domain writes one.
    #[derive(Debug)]
    enum Sample {
        Invalid,
        Busy,
        Limit,
        Gone,
        Denied,
        Db,
    }

    impl std::fmt::Display for Sample {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(match self {
                Sample::Invalid => "请填写名称",
                Sample::Busy => "短信发送失败，请稍后再试",
                Sample::Limit => "今日次数已用完",
                Sample::Gone => "不存在",
                Sample::Denied => "没有权限",
                Sample::Db => "database: SELECT secret FROM keys failed at /var/lib/x",
            })
        }
    }

    impl Failure for Sample {
        fn code(&self) -> ErrorCode {
            match self {
                Sample::Invalid => ErrorCode::BadRequest,
                Sample::Busy => ErrorCode::Unavailable,
                Sample::Limit => ErrorCode::TooMany,
                Sample::Gone => ErrorCode::NotFound,
                Sample::Denied => ErrorCode::Forbidden,
                Sample::Db => ErrorCode::Internal,
            }
        }
        fn field(&self) -> Option<&'static str> {
            matches!(self, Sample::Invalid).then_some("name")
        }
    }

    fn form(e: Sample) -> (Option<&'static str>, String, StatusCode) {
        match Refused::from(e) {
            Refused::Form { field, message, status } => (field, message, status),
            Refused::Page(r) => panic!("a page ({}), not the form", r.status()),
        }
    }

    fn page(e: Sample) -> StatusCode {
        match Refused::from(e) {
            Refused::Form { message, .. } => panic!("the form ({message}), not a page"),
            Refused::Page(r) => r.status(),
        }
    }

    #[test]
    fn what_a_person_can_fix_comes_back_in_the_form() {
        assert_eq!(form(Sample::Invalid), (Some("name"), "请填写名称".into(), StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(form(Sample::Limit), (None, "今日次数已用完".into(), StatusCode::TOO_MANY_REQUESTS));
        // A dependency that said no (not our fault): the form, with what was typed, says so.
        assert_eq!(form(Sample::Busy), (None, "短信发送失败，请稍后再试".into(), StatusCode::SERVICE_UNAVAILABLE));
        let mut echo = FormEcho::default();
        assert_eq!(Refused::from(Sample::Invalid).in_echo(&mut echo).ok(), Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(echo.error("name").as_deref(), Some("请填写名称"));
        assert_eq!(Refused::from(Sample::Limit).in_echo(&mut echo).ok(), Some(StatusCode::TOO_MANY_REQUESTS));
        assert_eq!(echo.notice.as_deref(), Some("今日次数已用完"));
    }

    #[test]
    fn what_no_form_can_fix_is_a_page() {
        assert_eq!(page(Sample::Gone), StatusCode::NOT_FOUND);
        assert_eq!(page(Sample::Denied), StatusCode::FORBIDDEN);
        assert_eq!(page(Sample::Db), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(Refused::from(Sample::Invalid).into_page().status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_fault_of_ours_shows_no_internals() {
        let api = ApiError::from(Sample::Db);
        assert_eq!((api.code, api.message.as_str()), (ErrorCode::Internal, "Internal server error"));
        let api = ApiError::from(Sample::Invalid);
        assert_eq!((api.code, api.message.as_str()), (ErrorCode::BadRequest, "请填写名称"));
        let p = Problem::of(Sample::Db);
        assert_eq!(
            (p.status, p.detail.contains("SELECT"), p.detail.contains("request id")),
            (StatusCode::INTERNAL_SERVER_ERROR, false, true)
        );
        let p = Problem::of(Sample::Invalid);
        assert_eq!((p.status, p.invalid_params.as_slice()), (StatusCode::BAD_REQUEST, &["name"][..]));
        assert_eq!(Problem::of(Sample::Limit).status, StatusCode::TOO_MANY_REQUESTS);
    }
}
