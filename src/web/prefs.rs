//! `POST /prefs`: the language and 长者模式 switches. Plain form posts, so they work without
//! JavaScript; the choice is kept in a cookie for a year.

use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use serde::Deserialize;
use zhengwu_types::Lang;

use crate::ui::prefs::{CARE_COOKIE, LANG_COOKIE};

#[derive(Debug, Deserialize)]
pub struct PrefsForm {
    lang: Option<String>,
    care: Option<String>,
    back: Option<String>,
}

const ONE_YEAR: u32 = 365 * 24 * 3600;

pub async fn set(headers: HeaderMap, Form(form): Form<PrefsForm>) -> Response {
    let mut cookies = Vec::new();
    if let Some(lang) = form.lang.as_deref() {
        let Some(lang) = Lang::from_code(lang) else {
            return (StatusCode::BAD_REQUEST, "unknown language").into_response();
        };
        cookies.push(cookie(LANG_COOKIE, lang.code()));
    }
    if let Some(care) = form.care.as_deref() {
        let value = match care {
            "1" => "1",
            "0" => "0",
            _ => return (StatusCode::BAD_REQUEST, "care must be 0 or 1").into_response(),
        };
        cookies.push(cookie(CARE_COOKIE, value));
    }
    let secure = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let back = form.back.as_deref().filter(|b| is_local_path(b)).unwrap_or("/");
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, back.to_string())]).into_response();
    for c in cookies {
        let c = if secure { format!("{c}; Secure") } else { c };
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

fn cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; Max-Age={ONE_YEAR}; SameSite=Lax; HttpOnly")
}

/// Only paths on this site: no scheme, no `//host`, no backslashes browsers treat as slashes,
/// no control characters. Anything else goes home (no open redirect).
pub use crate::ui::url::is_local_path;

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_paths_on_this_site_are_accepted() {
        assert!(is_local_path("/"));
        assert!(is_local_path("/notices?category=publicity&page=2"));
        for bad in ["https://evil.example/", "//evil.example", "/\\evil.example", "evil", "", "/a\r\nSet-Cookie: x"] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
