//! The published articles' attachments (`/notices/3/files/0`), public like the articles
//! themselves.

use axum::{
    extract::{Path, Request, State},
    response::Response,
    routing::get,
    Router,
};
use zhengwu_core::articles::{self};
use zhengwu_types::Channel;

use crate::web::download::{download, Caching};
use crate::web::form::unavailable;
use crate::web::render::{not_found, refusal};
use crate::web::state::AppState;

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
        Err(e) => refusal(&state, parts, e).await,
    }
}
