//! Security headers on every response, and refusal of cross-site state changes.
//!
//! - A fresh CSP nonce per response: scripts run only from this site or with the nonce (no
//!   `unsafe-inline`); WebAssembly may compile (`wasm-unsafe-eval`); nothing may frame us.
//! - `nosniff`, a strict referrer policy, `X-Frame-Options` for old browsers, HSTS when the
//!   request came over HTTPS (as the TLS-terminating proxy says in `X-Forwarded-Proto`).
//! - `Cache-Control: no-store` on everything a signed-in person sees and on the sign-in and
//!   console pages, so shared computers and proxies keep no copy.
//! - A state-changing request (anything but GET/HEAD/OPTIONS) that a browser marks as coming
//!   from another site (`Sec-Fetch-Site: cross-site`, or an `Origin` other than ours) is
//!   refused before any handler runs. Forms additionally carry a per-session token
//!   ([`super::auth`]); this header check also covers forms used before signing in.

use axum::{
    extract::Request,
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::ui::session::{CITIZEN_COOKIE, SESSION_COOKIE};

use crate::web::request::{is_https, CspNonce};

/// Paths whose responses are never stored by browsers or proxies.
fn private_path(path: &str) -> bool {
    ["/admin", "/login", "/logout", "/account", "/my"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

pub fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).any(|c| {
        c.split(';').any(|p| {
            p.trim().split_once('=').is_some_and(|(n, v)| (n == SESSION_COOKIE || n == CITIZEN_COOKIE) && !v.is_empty())
        })
    })
}

fn cross_site(req: &Request) -> bool {
    let h = req.headers();
    if h.get("sec-fetch-site").is_some_and(|v| v.as_bytes() == b"cross-site") {
        return true;
    }
    match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), h.get(header::HOST).and_then(|v| v.to_str().ok())) {
        // "null" (sandboxed or privacy-redirected) is not us either.
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
            !origin_host.eq_ignore_ascii_case(host)
        }
        (Some(_), None) => true,
        (None, _) => false,
    }
}

pub async fn headers(mut req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && cross_site(&req) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    let nonce = CspNonce::fresh();
    req.extensions_mut().insert(nonce.clone());
    let https = is_https(req.headers());
    let private = private_path(req.uri().path()) || has_session_cookie(req.headers());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        nonce.0
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: Method, headers: &[(&str, &str)]) -> Request {
        let mut r = Request::builder().method(method).uri("/x");
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn only_other_sites_are_cross_site() {
        assert!(!cross_site(&req(Method::POST, &[("host", "gov.example"), ("origin", "https://gov.example")])));
        assert!(cross_site(&req(Method::POST, &[("host", "gov.example"), ("origin", "https://evil.example")])));
        assert!(cross_site(&req(Method::POST, &[("host", "gov.example"), ("origin", "null")])));
        assert!(cross_site(&req(Method::POST, &[("host", "gov.example"), ("sec-fetch-site", "cross-site")])));
        assert!(!cross_site(&req(Method::POST, &[("host", "gov.example"), ("sec-fetch-site", "same-origin")])));
        // Old WebViews send neither header: the per-session token still guards them.
        assert!(!cross_site(&req(Method::POST, &[("host", "gov.example")])));
    }

    #[test]
    fn console_and_sign_in_paths_are_private() {
        assert!(private_path("/admin") && private_path("/admin/staff/3") && private_path("/login"));
        assert!(!private_path("/notices") && !private_path("/administration-notices"));
    }
}
