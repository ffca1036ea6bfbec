//! A small cache of public responses (pages and `/api/v1` JSON) for anonymous visitors.
//!
//! Why: a notice list costs one SQLite query (~50 µs of CPU through sqlx's worker thread) and a
//! Leptos render (~60 µs); most visitors ask for the same few pages. Public content changes
//! only when staff publish, so a few seconds of staleness are harmless.
//!
//! Rules:
//! - only `GET`, only `200` responses of HTML or JSON, only up to [`MAX_BODY`] bytes;
//! - the key is the path and query plus the display preferences (language, 长者模式);
//! - any other cookie or an `Authorization` header bypasses the cache entirely, so pages for a
//!   signed-in user are never stored or served from here;
//! - entries live `ttl` (configurable; 0 turns the cache off) and at most [`MAX_ENTRIES`] are
//!   kept, so random query strings cannot grow memory without bound;
//! - [`PageCache::clear`] drops everything (for publishing, when it arrives).
//!   Several instances each keep their own copy: staleness across instances is bounded by `ttl`.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use zhengwu_types::Channel;

use crate::ui::prefs::{Prefs, CARE_COOKIE, LANG_COOKIE};
use crate::web::request::CspNonce;
use crate::web::state::AppState;

pub const MAX_ENTRIES: usize = 512;
pub const MAX_BODY: usize = 512 * 1024;
pub const X_CACHE: &str = "x-cache";

struct Entry {
    stored: Instant,
    content_type: HeaderValue,
    body: Bytes,
    /// The CSP nonce the body was rendered with; replaced by each response's own on a hit.
    nonce: Option<String>,
}

pub struct PageCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl PageCache {
    pub fn new(ttl: Duration) -> Self {
        PageCache { ttl, entries: Mutex::new(HashMap::new()) }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    fn get(&self, key: &str) -> Option<(HeaderValue, Bytes, Option<String>)> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .filter(|e| e.stored.elapsed() < self.ttl)
            .map(|e| (e.content_type.clone(), e.body.clone(), e.nonce.clone()))
    }

    fn put(&self, key: String, content_type: HeaderValue, body: Bytes, nonce: Option<String>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES && !map.contains_key(&key) {
            let ttl = self.ttl;
            map.retain(|_, e| e.stored.elapsed() < ttl);
            if map.len() >= MAX_ENTRIES {
                // Still full of fresh entries: drop the oldest.
                if let Some(oldest) = map.iter().min_by_key(|(_, e)| e.stored).map(|(k, _)| k.clone()) {
                    map.remove(&oldest);
                }
            }
        }
        map.insert(key, Entry { stored: Instant::now(), content_type, body, nonce });
    }

    /// Forgets every stored response.
    pub fn clear(&self) {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The cache key of a request, or `None` when it must not be cached.
fn cache_key(req: &Request) -> Option<String> {
    if req.method() != Method::GET || req.headers().contains_key(header::AUTHORIZATION) {
        return None;
    }
    let path = req.uri().path();
    if !is_public_content(path) {
        return None;
    }
    let mut prefs = Prefs::default();
    for value in req.headers().get_all(header::COOKIE) {
        let cookies = value.to_str().ok()?;
        // Only the display preferences may be present; anything else (a session) bypasses.
        let only_prefs = cookies
            .split(';')
            .filter_map(|c| c.trim().split_once('=').map(|(name, _)| name))
            .all(|name| name == LANG_COOKIE || name == CARE_COOKIE);
        if !only_prefs {
            return None;
        }
        prefs = Prefs::from_cookie_header(cookies);
    }
    let pq = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(path);
    Some(format!("{}|{}|{pq}", prefs.lang.code(), u8::from(prefs.care)))
}

/// Pages and API resources that show published content to everyone: the home page, each
/// channel's list and detail pages, and the public notices API.
fn is_public_content(path: &str) -> bool {
    let under = |prefix: &str| path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'));
    path == "/" || under("/api/v1/notices") || under("/services") || Channel::ALL.iter().any(|c| under(c.path()))
}

pub async fn serve_cached(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let cache = &state.page_cache;
    let key = if cache.enabled() { cache_key(&req) } else { None };
    let Some(key) = key else { return next.run(req).await };
    let nonce = req.extensions().get::<CspNonce>().map(|n| n.0.clone());
    if let Some((content_type, body, stored_nonce)) = cache.get(&key) {
        // A nonce must never repeat across responses: swap the stored one for this response's.
        let body = match (stored_nonce, &nonce) {
            (Some(old), Some(new)) => match std::str::from_utf8(&body) {
                Ok(text) if text.contains(&old) => Bytes::from(text.replace(&old, new)),
                _ => body,
            },
            _ => body,
        };
        let mut res = ([(header::CONTENT_TYPE, content_type)], body).into_response();
        res.headers_mut().insert(X_CACHE, HeaderValue::from_static("hit"));
        return res;
    }
    let res = next.run(req).await;
    let content_type = res.headers().get(header::CONTENT_TYPE).cloned();
    let cacheable = res.status() == StatusCode::OK
        && content_type
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    let Some(content_type) = content_type.filter(|_| cacheable) else { return res };
    let (mut parts, body) = res.into_parts();
    match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            cache.put(key, content_type, bytes.clone(), nonce);
            parts.headers.insert(X_CACHE, HeaderValue::from_static("miss"));
            Response::from_parts(parts, Body::from(bytes))
        }
        // Larger than a page should be, or the body failed: answer without caching.
        Err(e) => {
            tracing::warn!(error = %e, "response not cached");
            (StatusCode::INTERNAL_SERVER_ERROR, "response too large").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, cookie: Option<&str>) -> Request {
        let mut b = Request::builder().uri(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::empty()).unwrap()
    }

    #[test]
    fn keys_separate_languages_and_care_mode() {
        assert_eq!(cache_key(&req("/notices?page=2", None)).unwrap(), "zh|0|/notices?page=2");
        assert_eq!(cache_key(&req("/notices", Some("zw_lang=en; zw_care=1"))).unwrap(), "en|1|/notices");
    }

    #[test]
    fn sessions_other_paths_and_other_methods_bypass() {
        assert!(cache_key(&req("/notices", Some("zw_lang=en; sid=abc"))).is_none());
        assert!(cache_key(&req("/metrics", None)).is_none());
        assert!(cache_key(&req("/noticesx", None)).is_none());
        assert!(cache_key(&req("/prefs", None)).is_none());
        let post = Request::builder().method(Method::POST).uri("/notices").body(Body::empty()).unwrap();
        assert!(cache_key(&post).is_none());
        let auth =
            Request::builder().uri("/api/v1/notices").header(header::AUTHORIZATION, "x").body(Body::empty()).unwrap();
        assert!(cache_key(&auth).is_none());
    }

    #[test]
    fn entries_expire_and_the_size_is_bounded() {
        let c = PageCache::new(Duration::from_millis(50));
        c.put("a".into(), HeaderValue::from_static("text/html"), Bytes::from_static(b"x"), None);
        assert!(c.get("a").is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(c.get("a").is_none(), "expired");
        let c = PageCache::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 50 {
            c.put(format!("k{i}"), HeaderValue::from_static("text/html"), Bytes::from_static(b"x"), None);
        }
        assert_eq!(c.len(), MAX_ENTRIES);
        assert!(c.get(&format!("k{}", MAX_ENTRIES + 49)).is_some(), "newest kept");
        c.clear();
        assert!(c.is_empty());
    }
}
