//! The signed-in citizen: their session read from the cookie on every request, and the gate in
//! front of `/my/…`.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use zhengwu_core::citizen::{self, CitizenActor};

use crate::{
    ui::session::{CitizenView, CITIZEN_COOKIE},
    web::{
        auth::{cookie_value, needs_no_session, request_meta},
        form::unavailable,
        state::AppState,
    },
};

/// The signed-in citizen of this request, with the session token.
#[derive(Clone)]
pub struct CurrentCitizen(pub Arc<(String, CitizenActor)>);

impl CurrentCitizen {
    pub fn view(&self) -> CitizenView {
        CitizenView { citizen_id: self.0 .1.id, verified: self.0 .1.verified, csrf: self.0 .1.csrf_token.clone() }
    }
}

pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = cookie_value(req.headers(), CITIZEN_COOKIE).filter(|_| !needs_no_session(req.uri().path()));
    let Some(token) = token.map(str::to_string) else {
        return next.run(req).await;
    };
    let meta = request_meta(req.headers(), req.extensions());
    let ctx = state.ctx(&meta);
    match citizen::session_actor(&ctx, state.policy.idle_timeout, &token).await {
        Ok(Some(actor)) => {
            req.extensions_mut().insert(CurrentCitizen(Arc::new((token, actor))));
            next.run(req).await
        }
        Ok(None) => {
            let mut res = next.run(req).await;
            let clear = format!("{CITIZEN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
            if let Ok(v) = HeaderValue::from_str(&clear) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => unavailable("citizen session lookup", e),
    }
}

/// `/my/...` (but not the sign-in steps) is for signed-in citizens who have accepted the current
/// user agreement and privacy policy: a page asked for before that is asked for again after the
/// consent page. Posts pass (a form open while a new version was published keeps its input);
/// the next page asks.
pub async fn gate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let p = req.uri().path();
    let mine = (p == "/my" || p.starts_with("/my/")) && !p.starts_with("/my/login");
    if !mine {
        return next.run(req).await;
    }
    let get = req.method() == axum::http::Method::GET;
    let here = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/my");
    let Some(c) = req.extensions().get::<CurrentCitizen>() else {
        // Back to the page after signing in (a GET only: a form post cannot be replayed).
        let next = if get { here } else { "/my" };
        return Redirect::to(&format!("/my/login?next={}", crate::ui::url::encode_path(next))).into_response();
    };
    if get && p != "/my/consent" {
        let kinds = zhengwu_types::consent::PolicyKind::required(c.0 .1.verified);
        match citizen::pending_consents(&state.db, c.0 .1.id, kinds).await {
            Ok(pending) if !pending.is_empty() => {
                let to = format!("/my/consent?next={}", crate::ui::url::encode_path(here));
                return Redirect::to(&to).into_response();
            }
            Ok(_) => {}
            Err(e) => return unavailable("citizen consent lookup", e),
        }
    }
    next.run(req).await
}
