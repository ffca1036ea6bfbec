//! The built bundle (`target/site/pkg`: stylesheet, island loader, WebAssembly) under a
//! fingerprinted path, `/pkg/v/<hash>/<file>`, served `immutable` for a year: a browser never
//! asks again until a new build changes the hash (the pages then link the new one). The hash
//! is taken over the directory's files at start. A request for another hash (a page rendered
//! by an older build, during a deploy) gets the current file with `no-cache`.
//!
//! Also the compression of pages: HTML and JSON are compressed (br, gzip) only when they are
//! public — a response marked `no-store` (anything for a signed-in person, the sign-in and
//! console pages) goes uncompressed, so secrets in it (anti-forgery tokens) cannot be guessed
//! byte by byte from compressed sizes next to text an attacker reflects into the page (BREACH).

use std::path::{Path, PathBuf};

use axum::{
    extract::{Path as UrlPath, Request, State},
    http::{header, HeaderValue, Uri},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::{
    compression::{predicate::Predicate, CompressionLayer, DefaultPredicate},
    services::ServeDir,
};

use crate::web::state::AppState;

/// A short fingerprint of every file in `dir` (names and contents; precompressed copies are
/// made from the same files, so they are left out). Empty when there is no build.
pub fn version_of(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect(),
        Err(_) => return String::new(),
    };
    files.retain(|p| !matches!(p.extension().and_then(|e| e.to_str()), Some("br" | "gz")));
    files.sort();
    let mut h = zhengwu_crypto::Sm3Hasher::new();
    for f in &files {
        h.update(f.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default());
        h.update(&std::fs::read(f).unwrap_or_default());
    }
    zhengwu_crypto::to_hex(&h.finish())[..12].to_string()
}

/// `/pkg/v/{hash}/{*file}`.
pub async fn versioned(
    State(state): State<AppState>,
    UrlPath((hash, file)): UrlPath<(String, String)>,
    req: Request,
) -> Response {
    let dir = Path::new(&*state.leptos_options.site_root).join(&*state.leptos_options.site_pkg_dir);
    let (mut parts, body) = req.into_parts();
    let Ok(uri) = format!("/{file}").parse::<Uri>() else {
        return (axum::http::StatusCode::NOT_FOUND, "not found").into_response();
    };
    parts.uri = uri;
    let served =
        ServeDir::new(dir).precompressed_br().precompressed_gzip().oneshot(Request::from_parts(parts, body)).await;
    let mut res = match served {
        Ok(r) => r.into_response(),
        Err(never) => match never {},
    };
    let current = hash == state.site.asset_version;
    let cache = if current && res.status().is_success() { "public, max-age=31536000, immutable" } else { "no-cache" };
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

/// Compress what is public; never what is `no-store` (see the module).
#[derive(Clone, Copy, Default)]
pub struct PublicOnly;

impl Predicate for PublicOnly {
    fn should_compress<B: http_body::Body>(&self, response: &http::Response<B>) -> bool {
        let private = response
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("no-store"));
        !private && DefaultPredicate::new().should_compress(response)
    }
}

pub fn compression() -> CompressionLayer<PublicOnly> {
    CompressionLayer::new().br(true).gzip(true).compress_when(PublicOnly)
}

/// Leptos appends its resource-resolution scripts after `</html>` (in Async mode it writes
/// them once the document is done); a document must end with `</html>`, and validators stop
/// there. This moves whatever follows `</html>` to just before `</body>`. HTML responses only,
/// up to [`TIDY_LIMIT`] bytes (pages are far smaller; anything larger passes untouched).
pub async fn tidy_html(req: Request, next: axum::middleware::Next) -> Response {
    let res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, TIDY_LIMIT).await else {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "page too large").into_response();
    };
    let tidied = move_trailing_scripts(&bytes).map(axum::body::Bytes::from).unwrap_or(bytes);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(tidied))
}

pub const TIDY_LIMIT: usize = 8 * 1024 * 1024;

/// The document with what follows `</html>` moved before `</body>`; `None` when nothing follows.
fn move_trailing_scripts(html: &[u8]) -> Option<Vec<u8>> {
    const END: &[u8] = b"</html>";
    const BODY_END: &[u8] = b"</body>";
    let end = html.windows(END.len()).rposition(|w| w == END)?;
    let tail = &html[end + END.len()..];
    if tail.iter().all(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let body_end = html[..end].windows(BODY_END.len()).rposition(|w| w == BODY_END)?;
    let mut out = Vec::with_capacity(html.len());
    out.extend_from_slice(&html[..body_end]);
    out.extend_from_slice(tail);
    out.extend_from_slice(&html[body_end..end + END.len()]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::move_trailing_scripts;

    #[test]
    fn what_follows_the_document_moves_into_its_body() {
        let page = b"<html><body><p>x</p></body></html><script>a=1</script><script>b</script>";
        let out = String::from_utf8(move_trailing_scripts(page).unwrap()).unwrap();
        assert_eq!(out, "<html><body><p>x</p><script>a=1</script><script>b</script></body></html>");
        assert_eq!(move_trailing_scripts(b"<html><body></body></html>\n"), None, "nothing to move");
        assert_eq!(move_trailing_scripts(b"no document"), None);
    }
}
