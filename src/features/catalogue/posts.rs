//! The catalogue's form posts (事项管理): new items, their guides, status, forms (as rows or as
//! JSON) and the form's export.

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use zhengwu_core::services::{self, ItemEdit, ServiceError};
use zhengwu_types::services::{DayKind, DeliveryMethod, ItemStatus};

use crate::ui::session::FormEcho;
use crate::ui::url::encode_path;
use crate::web::auth::request_meta;
use crate::web::form::{at_path, bad_request, not_found, CitizenPost, Form, Refused, StaffPost};
use crate::web::render::render_page;
use crate::web::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/services", post(create_item))
        .route("/admin/services/{code}", post(edit_item))
        .route("/admin/services/{code}/status", post(item_status))
        .route("/admin/services/{code}/form", post(publish_form))
        .route("/admin/services/{code}/fields", post(publish_fields))
        .route("/admin/services/{code}/form.json", get(export_form))
        .route("/my/favourites", post(favourite))
}

/// 收藏 / 取消收藏 from the guide (or 我的): back to where it was pressed.
async fn favourite(State(state): State<AppState>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let code = p.form.value("code").to_string();
    let meta = p.meta();
    let ctx = state.ctx(&meta);
    let me = &p.citizen.0 .1;
    let (result, done) = match p.form.value("action") {
        "add" => (zhengwu_core::citizen::add_favourite(&ctx, me, &code).await, "favourited"),
        "remove" => (zhengwu_core::citizen::remove_favourite(&ctx, me, &code).await, "unfavourited"),
        _ => return bad_request("unknown action"),
    };
    match result {
        Ok(()) if p.form.value("back") == "my" => Redirect::to(&format!("/my?done={done}")).into_response(),
        Ok(()) => Redirect::to(&format!("/services/{}?done={done}", encode_path(&code))).into_response(),
        Err(e) => crate::web::render::refusal(&state, p.parts, e).await,
    }
}

/// A refused catalogue change: the page again with the message and the values posted.
async fn service_failure(
    state: &AppState,
    parts: axum::http::request::Parts,
    path: String,
    e: ServiceError,
    echo_values: Vec<(&str, String)>,
) -> Response {
    let mut echo = FormEcho::default();
    for (k, v) in echo_values {
        echo.values.insert(k.into(), v);
    }
    match Refused::from(e).in_echo(&mut echo) {
        Ok(status) => render_page(state, at_path(parts, &path), status, echo).await,
        Err(r) => r,
    }
}

/// A new item (a draft).
async fn create_item(State(state): State<AppState>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = &p.form;
    let values: Vec<(&str, String)> = ["code", "name", "department_id", "object"]
        .iter()
        .map(|k| (*k, f.value(k).chars().take(100).collect()))
        .collect();
    let new = services::NewItem {
        code: f.value("code").to_string(),
        name: f.value("name").to_string(),
        department_id: f.value("department_id").parse().unwrap_or(0),
        object: zhengwu_types::services::ServiceObject::parse(f.value("object"))
            .unwrap_or(zhengwu_types::services::ServiceObject::Individual),
    };
    let meta = p.meta();
    match services::create_item(&state.ctx(&meta), p.staff.actor(), &new).await {
        Ok(()) => {
            state.page_cache.clear();
            let code = new.code.trim().to_ascii_uppercase();
            Redirect::to(&format!("/admin/services/{}?done=created", encode_path(&code))).into_response()
        }
        Err(e) => service_failure(&state, p.parts, "/admin/services".into(), e, values).await,
    }
}

pub(crate) const ITEM_FIELDS: &[&str] = &[
    "name",
    "summary",
    "eligibility",
    "legal_basis",
    "statutory_days",
    "promised_days",
    "day_kind",
    "fees",
    "venue",
    "hours",
    "online_depth",
    "phone",
    "keywords",
    "visits",
    "complaint_phone",
    "fee_basis",
    "result_name",
    "faq",
];

/// The guide's fields edited.
async fn edit_item(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let f = &p.form;
    let path = format!("/admin/services/{}", encode_path(&code));
    let mut values: Vec<(&str, String)> =
        ITEM_FIELDS.iter().map(|k| (*k, f.value(k).chars().take(5000).collect())).collect();
    values.push(("delivery", f.all("delivery").collect::<Vec<_>>().join(",")));
    let number = |k: &'static str, label: &str| -> Result<i32, ServiceError> {
        f.value(k)
            .trim()
            .parse()
            .map_err(|_| ServiceError::Invalid { field: k, message: format!("{label}请填写整数") })
    };
    let edit = (|| -> Result<ItemEdit, ServiceError> {
        Ok(ItemEdit {
            name: f.value("name").to_string(),
            summary: f.value("summary").trim().to_string(),
            eligibility: f.value("eligibility").trim().to_string(),
            legal_basis: f.value("legal_basis").trim().to_string(),
            statutory_days: number("statutory_days", "法定时限")?,
            promised_days: number("promised_days", "承诺时限")?,
            day_kind: DayKind::parse(f.value("day_kind"))
                .ok_or(ServiceError::Invalid { field: "day_kind", message: "请选择工作日或自然日".into() })?,
            fees: f.value("fees").trim().to_string(),
            venue: f.value("venue").trim().to_string(),
            hours: f.value("hours").trim().to_string(),
            online_depth: number("online_depth", "网上办理深度")?,
            phone: f.value("phone").trim().to_string(),
            keywords: f.value("keywords").trim().to_string(),
            visits: number("visits", "到现场次数")?,
            complaint_phone: f.value("complaint_phone").trim().to_string(),
            fee_basis: f.value("fee_basis").trim().to_string(),
            result_name: f.value("result_name").trim().to_string(),
            delivery: f.all("delivery").filter_map(DeliveryMethod::parse).collect(),
            faq: services::parse_faq(f.value("faq"))?,
        })
    })();
    let meta = p.meta();
    let result = match edit {
        Ok(e) => services::update_item(&state.ctx(&meta), p.staff.actor(), &code, &e).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            state.page_cache.clear();
            Redirect::to(&format!("{path}?done=saved")).into_response()
        }
        Err(e) => service_failure(&state, p.parts, path, e, values).await,
    }
}

async fn item_status(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let path = format!("/admin/services/{}", encode_path(&code));
    let Some(to) = ItemStatus::parse(p.form.value("status")) else {
        return bad_request("unknown status");
    };
    let meta = p.meta();
    match services::set_status(&state.ctx(&meta), p.staff.actor(), &code, to).await {
        Ok(()) => {
            // The public catalogue is cached briefly; this instance shows the change at once.
            state.page_cache.clear();
            Redirect::to(&format!("{path}?done={}", to.code())).into_response()
        }
        Err(e) => service_failure(&state, p.parts, path, e, vec![]).await,
    }
}

/// A new form version from JSON (the import; the export below gives the same format).
async fn publish_form(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let path = format!("/admin/services/{}", encode_path(&code));
    let json = p.form.value("definition").to_string();
    let meta = p.meta();
    match services::publish_form(&state.ctx(&meta), p.staff.actor(), &code, &json).await {
        Ok(v) => Redirect::to(&format!("{path}?done=form&version={v}")).into_response(),
        // `_form`: the item page has two definition boxes (the form's and the workflow's).
        Err(e) => service_failure(&state, p.parts, path, e, vec![("_form", "form".into()), ("definition", json)]).await,
    }
}

/// The structured editor's rows as a form definition (JSON for `publish_form`, which checks
/// it): rows without a name are skipped (the empty "add" row), rows marked deleted dropped,
/// the rest ordered by their order number and grouped by section title in first-seen order.
pub(crate) fn fields_from_rows(f: &Form) -> Result<String, ServiceError> {
    let bad = |m: String| ServiceError::Invalid { field: "definition", message: m };
    let mut rows = vec![];
    for row in f.all("row") {
        let v = |k: &str| f.value(&format!("{k}_{row}")).trim().to_string();
        if v("name").is_empty() || v("delete") == "1" {
            continue;
        }
        let order: f64 = v("order").parse().unwrap_or(f64::MAX);
        let opt = |k: &str| Some(v(k)).filter(|x| !x.is_empty());
        let num = |k: &str, label: &str| -> Result<Option<serde_json::Value>, ServiceError> {
            match opt(k) {
                None => Ok(None),
                Some(x) => x
                    .parse::<f64>()
                    .map(|n| Some(serde_json::json!(n)))
                    .map_err(|_| bad(format!("字段 {}：{label}须为数字", v("name")))),
            }
        };
        let int = |k: &str, label: &str| -> Result<Option<u32>, ServiceError> {
            match opt(k) {
                None => Ok(None),
                Some(x) => x.parse::<u32>().map(Some).map_err(|_| bad(format!("字段 {}：{label}须为整数", v("name")))),
            }
        };
        let mut field = serde_json::json!({
            "name": v("name"),
            "label": v("label"),
            "kind": v("kind"),
            "required": v("required") == "1",
            "hint": v("hint"),
            "options": v("options").split('|').map(str::trim).filter(|o| !o.is_empty()).collect::<Vec<_>>(),
            "accept": f.all(&format!("accept_{row}")).collect::<Vec<_>>(),
        });
        let m = field.as_object_mut().expect("an object");
        for (k, label) in
            [("min_len", "最短字数"), ("max_len", "最长字数"), ("max_size_kb", "文件上限"), ("max_count", "文件数量")]
        {
            if let Some(n) = int(k, label)? {
                m.insert(k.into(), n.into());
            }
        }
        for (k, label) in [("min", "最小值"), ("max", "最大值")] {
            if let Some(n) = num(k, label)? {
                m.insert(k.into(), n);
            }
        }
        for k in ["pattern", "pattern_message", "prefill"] {
            if let Some(x) = opt(k) {
                m.insert(k.into(), x.into());
            }
        }
        let section = opt("section").unwrap_or_else(|| "申请信息".into());
        rows.push((order, section, field));
    }
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut sections: Vec<(String, Vec<serde_json::Value>)> = vec![];
    for (_, section, field) in rows {
        match sections.iter_mut().find(|(t, _)| *t == section) {
            Some((_, fields)) => fields.push(field),
            None => sections.push((section, vec![field])),
        }
    }
    let def = serde_json::json!({
        "sections": sections.into_iter().map(|(title, fields)| serde_json::json!({"title": title, "fields": fields})).collect::<Vec<_>>()
    });
    Ok(def.to_string())
}

/// The structured editor posted: a new form version.
async fn publish_fields(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let path = format!("/admin/services/{}", encode_path(&code));
    let meta = p.meta();
    let result = match fields_from_rows(&p.form) {
        Ok(json) => services::publish_form(&state.ctx(&meta), p.staff.actor(), &code, &json).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => Redirect::to(&format!("{path}?done=form&version={v}")).into_response(),
        // The problem shows at the form's JSON box, which keeps the stored definition.
        Err(e) => service_failure(&state, p.parts, path, e, vec![("_form", "form".into())]).await,
    }
}

async fn export_form(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let Some(s) = req.extensions().get::<crate::web::auth::CurrentStaff>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    let meta = request_meta(req.headers(), req.extensions());
    match services::item_for_staff(&state.ctx(&meta), s.actor(), &code).await {
        Ok((_, Some((version, def)))) => {
            let body = serde_json::to_string_pretty(&def).unwrap_or_default();
            let name =
                format!("{}-form-v{version}.json", code.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_"));
            let mut res = Response::new(Body::from(body));
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            res
        }
        Ok((_, None)) => not_found(),
        Err(e) => Refused::from(e).into_page(),
    }
}
