//! What every form post here needs, written once: reading the url-encoded body, the signed-in
//! staff member or citizen with the session's anti-forgery check, the cookie-bound token of the
//! forms used before signing in, re-rendering a page at another path, and the 503 answer.

use axum::{
    body::Body,
    extract::Request,
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode, Uri},
    response::{IntoResponse, Redirect, Response},
};

use crate::ui::session::CSRF_FIELD;
use crate::web::auth::{cookie_value, csrf_ok, CurrentStaff};
use crate::web::citizen::CurrentCitizen;
use crate::web::request::is_https;
use crate::web::state::AppState;

/// The largest form accepted (no uploads here).
const MAX_FORM: usize = 64 * 1024;

/// A posted form: its fields in order, repeated names kept.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub async fn read(body: Body) -> Result<Form, Response> {
        let bytes = axum::body::to_bytes(body, MAX_FORM)
            .await
            .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response())?;
        Ok(Form(url::form_urlencoded::parse(&bytes).into_owned().collect()))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The field's value, empty when absent.
    pub fn value(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A post without the session's anti-forgery token: a plain 403, nothing read further.
pub fn forged() -> Response {
    (StatusCode::FORBIDDEN, "anti-forgery token missing or wrong").into_response()
}

/// A form post of a signed-in staff member, its anti-forgery token checked.
pub struct StaffPost {
    pub parts: Parts,
    pub form: Form,
    pub staff: CurrentStaff,
}

impl StaffPost {
    pub async fn read(req: Request) -> Result<StaffPost, Response> {
        let (parts, body) = req.into_parts();
        let staff =
            parts.extensions.get::<CurrentStaff>().cloned().ok_or_else(|| Redirect::to("/login").into_response())?;
        let form = Form::read(body).await?;
        if !csrf_ok(&staff, form.get(CSRF_FIELD)) {
            return Err(forged());
        }
        Ok(StaffPost { parts, form, staff })
    }

    pub fn meta(&self) -> zhengwu_core::audit::RequestMeta {
        crate::web::auth::request_meta(&self.parts.headers, &self.parts.extensions)
    }
}

/// A form post of a signed-in citizen, its anti-forgery token checked.
pub struct CitizenPost {
    pub parts: Parts,
    pub form: Form,
    pub citizen: CurrentCitizen,
}

impl CitizenPost {
    pub async fn read(req: Request) -> Result<CitizenPost, Response> {
        let (parts, body) = req.into_parts();
        let citizen = parts
            .extensions
            .get::<CurrentCitizen>()
            .cloned()
            .ok_or_else(|| Redirect::to("/my/login").into_response())?;
        let form = Form::read(body).await?;
        let token_ok = form
            .get(CSRF_FIELD)
            .is_some_and(|g| zhengwu_crypto::constant_time_eq(g.as_bytes(), citizen.0 .1.csrf_token.as_bytes()));
        if !token_ok {
            return Err(forged());
        }
        Ok(CitizenPost { parts, form, citizen })
    }

    pub fn meta(&self) -> zhengwu_core::audit::RequestMeta {
        crate::web::auth::request_meta(&self.parts.headers, &self.parts.extensions)
    }
}

/// The anti-forgery token of a form used before signing in: an HMAC (under the CSRF key) of a
/// random cookie scoped to the form's path, so another site can neither read nor set it.
pub struct PreSessionForm {
    pub cookie: &'static str,
    pub path: &'static str,
    pub label: &'static [u8],
}

impl PreSessionForm {
    fn token(&self, state: &AppState, cookie: &str) -> String {
        zhengwu_crypto::to_hex(&zhengwu_crypto::hmac_sm3(state.keys.csrf.as_ref(), &[self.label, cookie.as_bytes()]))
    }

    /// The token for the form being shown, and the cookie to set when the browser has none.
    pub fn issue(&self, state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
        if let Some(existing) = cookie_value(headers, self.cookie) {
            return (self.token(state, existing), None);
        }
        let mut b = [0u8; 24];
        zhengwu_crypto::random_bytes(&mut b);
        let cookie = zhengwu_crypto::to_hex(&b);
        let secure = if is_https(headers) { "; Secure" } else { "" };
        let set = format!("{}={cookie}; Path={}; HttpOnly; SameSite=Strict{secure}", self.cookie, self.path);
        (self.token(state, &cookie), HeaderValue::from_str(&set).ok())
    }

    /// The token again when `given` is right for the browser's cookie.
    pub fn check(&self, state: &AppState, headers: &HeaderMap, given: &str) -> Option<String> {
        let expected = self.token(state, cookie_value(headers, self.cookie)?);
        zhengwu_crypto::constant_time_eq(expected.as_bytes(), given.as_bytes()).then_some(expected)
    }
}

/// Adds a `Set-Cookie` header when there is one.
pub fn with_cookie(mut res: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Whether the request's address is over the sign-in limit (counting this attempt); refusals
/// are audited in aggregate.
pub async fn over_limit(state: &AppState, parts: &Parts) -> bool {
    crate::web::limits::over_limit(state, &state.login_limiter, parts, "auth.rate_limited").await
}

/// The request re-aimed at `path`, to render that page with a form's messages.
pub fn at_path(mut parts: Parts, path: &str) -> Parts {
    if let Ok(uri) = path.parse::<Uri>() {
        parts.uri = uri;
    }
    parts
}

pub use crate::web::errors::{bad_request, forbidden, not_found, unavailable, Refused};
