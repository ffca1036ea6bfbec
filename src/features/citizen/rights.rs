//! The citizen's consent post (the user agreement and the privacy policy) and the download of
//! everything the platform holds about them (查阅、复制).

use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use zhengwu_core::citizen;
use zhengwu_types::consent::PolicyKind;

use super::posts::safe_next;
use crate::ui::session::FormEcho;
use crate::web::form::{at_path, CitizenPost, Refused};
use crate::web::render::render_page;
use crate::web::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/my/consent", post(consent)).route("/my/data", get(my_data))
}

/// "同意并继续": the versions the page showed (`accept` = kind:version), with the box ticked.
async fn consent(State(state): State<AppState>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let next = safe_next(p.form.get("next"));
    let accepted: Vec<(PolicyKind, i32)> = p
        .form
        .all("accept")
        .filter_map(|a| a.split_once(':'))
        .filter_map(|(k, v)| Some((PolicyKind::parse(k)?, v.parse().ok()?)))
        .filter(|(k, _)| PolicyKind::required(p.citizen.0 .1.verified).contains(k))
        .collect();
    let mut echo = FormEcho::default();
    echo.values.insert("next".into(), next.clone());
    let result = if p.form.value("agree") != "1" {
        echo.errors.insert("agree".into(), "请阅读后勾选“我已阅读并同意”".into());
        None
    } else {
        Some(citizen::accept_policies(&state.ctx(&p.meta()), &p.citizen.0 .1, &accepted).await)
    };
    match result {
        Some(Ok(())) => Redirect::to(&next).into_response(),
        Some(Err(e)) => match Refused::from(e).in_echo(&mut echo) {
            Ok(status) => render_page(&state, at_path(p.parts, "/my/consent"), status, echo).await,
            Err(r) => r,
        },
        None => render_page(&state, at_path(p.parts, "/my/consent"), StatusCode::UNPROCESSABLE_ENTITY, echo).await,
    }
}

/// `/my/data`: the citizen's own data as a JSON file (audited).
async fn my_data(State(state): State<AppState>, req: Request) -> Response {
    let Some(c) = req.extensions().get::<crate::web::citizen::CurrentCitizen>().cloned() else {
        return Redirect::to("/my/login").into_response();
    };
    let meta = crate::web::auth::request_meta(req.headers(), req.extensions());
    match zhengwu_core::cases::my_data(&state.ctx(&meta), &state.personal, &c.0 .1).await {
        Ok(doc) => {
            let bytes = serde_json::to_vec_pretty(&doc).expect("a JSON value serialises");
            crate::web::download::download(
                bytes,
                "我的数据.json",
                "application/json",
                crate::web::download::Caching::Private,
            )
        }
        Err(e) => Refused::from(e).into_page(),
    }
}
