//! Stored files as downloads: the response every download shares (its real type, `attachment`,
//! the display name by RFC 6266), and the published articles' attachments
//! (`/notices/3/files/0`), public like the articles themselves.

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderValue},
    response::Response,
    routing::get,
    Router,
};
use zhengwu_core::articles::{self, ArticleError};
use zhengwu_types::Channel;

use super::{auth::percent_encode, form::unavailable, pages::not_found, state::AppState};

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
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(name));
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

/// One download route per channel: `/notices/{id}/files/{n}`, `/policies/…`, `/updates/…`.
pub fn routes() -> Router<AppState> {
    Channel::ALL.into_iter().fold(Router::new(), |r, channel| {
        r.route(
            &format!("{}/{{id}}/files/{{n}}", channel.path()),
            get(move |state: State<AppState>, path: Path<(String, String)>, req: Request| {
                article_file(state, path, req, channel)
            }),
        )
    })
}

async fn article_file(
    State(state): State<AppState>,
    Path((id, n)): Path<(String, String)>,
    req: Request,
    channel: Channel,
) -> Response {
    let (parts, _) = req.into_parts();
    let (Ok(id), Ok(n)) = (id.parse::<i64>(), n.parse::<i32>()) else { return not_found(&state, parts).await };
    match articles::attachment_file(&state.db, channel, id, n).await {
        Ok(f) => match state.blobs.read(&f.blob_key, &f.sm3).await {
            Ok(bytes) => download(bytes, &f.file_name, &f.media_type, Caching::Public),
            Err(e) => unavailable("reading an article's attachment", e),
        },
        Err(ArticleError::NotFound) => not_found(&state, parts).await,
        Err(e) => unavailable("an article's attachment", e),
    }
}
