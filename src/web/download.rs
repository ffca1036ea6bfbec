//! Stored files as downloads: the response every download shares (its real type, `attachment`,
//! the display name by RFC 6266, the caching its audience allows).

use axum::{
    body::Body,
    http::{header, HeaderValue},
    response::Response,
};

use crate::ui::url::encode;

/// How a download may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caching {
    /// Personal files: never stored by a browser or a proxy.
    Private,
    /// Published files: shared caches may keep them for an hour.
    Public,
}

/// `bytes` as a download named `name` of type `media_type`.
pub fn download(bytes: Vec<u8>, name: &str, media_type: &str, caching: Caching) -> Response {
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", encode(name));
    let mut res = Response::new(Body::from(bytes));
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(match caching {
            Caching::Private => "private, no-store",
            Caching::Public => "public, max-age=3600",
        }),
    );
    res
}
