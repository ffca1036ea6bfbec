//! Applications and cases over HTTP: the application form post (multipart, files streamed to
//! the blob store with their limits checked on the way), file downloads for the applicant and
//! for staff, the public case look-up, and the staff's supplement request and catalogue edits.
//! All plain form posts: everything works without JavaScript.

use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use zhengwu_core::{
    blobs::BlobError,
    cases::{self, CaseError, NewFile, Posted, Saved},
};
use zhengwu_types::services::FieldKind;

use crate::ui::session::{FormEcho, CSRF_FIELD};
use crate::ui::url::encode_path;
use crate::web::auth::request_meta;
use crate::web::citizen::CurrentCitizen;
use crate::web::form::{at_path, not_found, unavailable, CitizenPost, Form, Refused, StaffPost};
use crate::web::render::{refusal, render_page};
use crate::web::state::AppState;

/// The largest application post (all files together); beyond it the upload is cut off.
pub const MAX_APPLICATION: u64 = 40 * 1024 * 1024;

/// A text answer longer than this is refused (the longest form field allows 5000 characters).
pub(crate) const MAX_TEXT_FIELD: usize = 32 * 1024;

pub(crate) const MAX_PARTS: usize = 300;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my/apply/{code}", post(apply))
        .route("/my/files/{id}", get(my_file))
        .route("/my/cases/{id}/delete", post(delete_draft))
        .route("/cases/lookup", post(lookup))
        .route("/admin/case-files/{id}", get(staff_file))
        .route("/admin/cases/{id}/supplement", post(supplement))
}

/// What the application post carried.
struct Received {
    posted: Posted,
    files: Vec<NewFile>,
    /// Problems with files found while receiving them, by field.
    problems: std::collections::BTreeMap<String, String>,
    /// `save`, `review` (check everything, keep the draft), `submit`, or `confirm` (submit
    /// what the review page showed: the saved answers).
    action: String,
}

enum ReceiveError {
    Forged,
    TooLarge,
    Malformed,
    Case(CaseError),
    Blob(BlobError),
}

/// Reads the multipart post part by part. The anti-forgery token and the form key come first
/// (they are the first inputs of the form); a file before them is refused unread. Each file
/// goes straight to the blob store under its field's type and size rules.
async fn receive(
    state: &AppState,
    citizen: &CurrentCitizen,
    code: &str,
    content_type: &str,
    body: Body,
) -> Result<Received, (ReceiveError, Vec<NewFile>)> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| (ReceiveError::Malformed, vec![]))?;
    let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(MAX_APPLICATION));
    let mut mp = multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut r =
        Received { posted: Posted::default(), files: vec![], problems: Default::default(), action: String::new() };
    let mut csrf_ok = false;
    let mut form = None;
    // What this post may still add (files per field, bytes), checked file by file: a file over
    // a limit is refused with a message and the rest of the post is kept.
    let mut allowance: Option<cases::Allowance> = None;
    let mut parts = 0;
    macro_rules! fail {
        ($e:expr) => {
            return Err(($e, std::mem::take(&mut r.files)))
        };
    }
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(multer::Error::StreamSizeExceeded { .. }) => fail!(ReceiveError::TooLarge),
            Err(_) => fail!(ReceiveError::Malformed),
        };
        parts += 1;
        if parts > MAX_PARTS {
            fail!(ReceiveError::Malformed);
        }
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let file_name = field.file_name().unwrap_or_default().to_string();
        let mut field = field;
        if !is_file {
            let mut text = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(c)) => {
                        text.extend_from_slice(&c);
                        if text.len() > MAX_TEXT_FIELD {
                            fail!(ReceiveError::Malformed);
                        }
                    }
                    Ok(None) => break,
                    Err(multer::Error::StreamSizeExceeded { .. }) => fail!(ReceiveError::TooLarge),
                    Err(_) => fail!(ReceiveError::Malformed),
                }
            }
            let Ok(text) = String::from_utf8(text) else { fail!(ReceiveError::Malformed) };
            match name.as_str() {
                CSRF_FIELD => {
                    csrf_ok = zhengwu_crypto::constant_time_eq(text.as_bytes(), citizen.0 .1.csrf_token.as_bytes());
                    if !csrf_ok {
                        fail!(ReceiveError::Forged);
                    }
                }
                "client_key" => r.posted.client_key = text,
                "action" => r.action = text,
                // The delivery and the pledge are the page's, not the form definition's: their
                // names start with "_", which no field name may.
                "_delivery" => r.posted.delivery.method = zhengwu_types::services::DeliveryMethod::parse(&text),
                "_delivery_address" => r.posted.delivery.address = text,
                "_pledge" => r.posted.pledged = text == "1",
                "remove_file" => {
                    if let Ok(id) = text.parse() {
                        r.posted.remove_files.push(id);
                    }
                }
                _ => r.posted.answers.entry(name).or_default().push(text),
            }
            continue;
        }
        if !csrf_ok {
            fail!(ReceiveError::Forged);
        }
        if form.is_none() {
            match cases::form_for_post(&state.db, &citizen.0 .1, code, &r.posted.client_key).await {
                Ok(f) => form = Some(f),
                Err(e) => fail!(ReceiveError::Case(e)),
            }
        }
        let Some(def) = form.as_ref().and_then(|f| f.field(&name)).filter(|d| d.kind == FieldKind::Attachment).cloned()
        else {
            fail!(ReceiveError::Malformed);
        };
        if allowance.is_none() {
            let Some(f) = form.as_ref() else { fail!(ReceiveError::Malformed) };
            let a = cases::upload_allowance(&state.db, &citizen.0 .1, f, &r.posted.client_key, &r.posted.remove_files)
                .await;
            match a {
                Ok(a) => allowance = Some(a),
                Err(e) => fail!(ReceiveError::Case(e.into())),
            }
        }
        let field_full = allowance.as_ref().is_some_and(|a| a.files_left.get(&name).copied().unwrap_or(0) == 0);
        let bytes_left = allowance.as_ref().map(|a| a.bytes_left()).unwrap_or(0);
        // A file input left empty still sends an empty part. A file over a limit is read and
        // dropped (bounded by the whole-post limit) so the form can come back with the message.
        let mut writer = if field_full || bytes_left == 0 {
            None
        } else {
            match state.blobs.writer(def.max_bytes().min(bytes_left), &def.accepted()).await {
                Ok(w) => Some(w),
                Err(e) => fail!(ReceiveError::Blob(e)),
            }
        };
        let mut problem = None;
        let mut got_bytes = false;
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(multer::Error::StreamSizeExceeded { .. }) => fail!(ReceiveError::TooLarge),
                Err(_) => fail!(ReceiveError::Malformed),
            };
            got_bytes |= !chunk.is_empty();
            if let Some(w) = writer.as_mut() {
                if let Err(e) = w.write(&chunk).await {
                    // Refused: the partial file is removed; the rest of this part is read and
                    // dropped (bounded by the whole-post limit) so the form can come back.
                    if let BlobError::Io(_) = e {
                        fail!(ReceiveError::Blob(e));
                    }
                    problem = Some(e);
                    writer = None;
                }
            }
        }
        if !got_bytes && file_name.is_empty() {
            continue;
        }
        if field_full {
            r.problems.insert(name, cases::too_many_files_message(&def.label, def.max_files()));
            continue;
        }
        if bytes_left == 0 {
            r.problems.insert(name, cases::quota_message(&def.label));
            continue;
        }
        let result = match (writer, problem) {
            (_, Some(e)) => Err(e),
            (Some(w), None) => w.finish().await,
            (None, None) => Err(BlobError::Empty),
        };
        match result {
            Ok(blob) => {
                if let Some(a) = allowance.as_mut() {
                    if let Some(left) = a.files_left.get_mut(&name) {
                        *left = left.saturating_sub(1);
                    }
                    a.case_bytes_left = a.case_bytes_left.saturating_sub(blob.size);
                    a.citizen_bytes_left = a.citizen_bytes_left.saturating_sub(blob.size);
                }
                let display_name = cases::display_name(&file_name, blob.file_type);
                r.files.push(NewFile { field: name, blob, display_name });
            }
            Err(BlobError::Io(e)) => fail!(ReceiveError::Blob(BlobError::Io(e))),
            // Over the field's size, or the quota's remainder: say which.
            Err(BlobError::TooLarge { limit }) if limit < def.max_bytes() => {
                r.problems.insert(name, cases::quota_message(&def.label));
            }
            Err(e) => {
                r.problems.insert(name, format!("{}：{e}", def.label));
            }
        }
    }
    if !csrf_ok {
        fail!(ReceiveError::Forged);
    }
    Ok(r)
}

async fn delete_blobs(state: &AppState, files: &[NewFile]) {
    for f in files {
        if let Err(e) = state.blobs.delete(&f.blob.key).await {
            tracing::warn!(error = %e, "could not delete an unused upload");
        }
    }
}

/// The application form posted: save the draft, or submit.
async fn apply(State(state): State<AppState>, Path(code): Path<String>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(citizen) = parts.extensions.get::<CurrentCitizen>().cloned() else {
        return Redirect::to("/my/login").into_response();
    };
    if !state.post_limiter.allow(&citizen.0 .1.id) {
        return (StatusCode::TOO_MANY_REQUESTS, "提交过于频繁，请稍后再试。已填写的内容已保存在草稿中。")
            .into_response();
    }
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let received = match receive(&state, &citizen, &code, content_type, body).await {
        Ok(r) => r,
        Err((e, files)) => {
            delete_blobs(&state, &files).await;
            return match e {
                ReceiveError::Forged => crate::web::form::forged(),
                ReceiveError::TooLarge => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "上传的文件合计超过 40 MB，已停止接收。请返回上一页，压缩或分开上传后再试。",
                )
                    .into_response(),
                ReceiveError::Malformed => (StatusCode::BAD_REQUEST, "表单内容不完整或格式不对").into_response(),
                ReceiveError::Case(e) => Refused::from(e).into_page(),
                ReceiveError::Blob(e) => unavailable("storing an upload", e),
            };
        }
    };
    let Received { mut posted, files, problems: file_problems, action } = received;
    let ok_files = file_problems.is_empty();
    posted.submit = matches!(action.as_str(), "submit" | "confirm") && ok_files;
    posted.use_saved = action == "confirm";
    posted.review = action == "review" && ok_files;
    // Submitting needs the current user agreement and privacy policy accepted (the gate asks
    // on pages; a post can come from a form opened before a new version): the draft is kept
    // and the citizen comes back to its review after the consent page.
    let mut needs_consent = false;
    if posted.submit {
        let kinds = zhengwu_types::consent::PolicyKind::required(citizen.0 .1.verified);
        match zhengwu_core::citizen::pending_consents(&state.db, citizen.0 .1.id, kinds).await {
            Ok(pending) if !pending.is_empty() => {
                needs_consent = true;
                posted.submit = false;
            }
            Ok(_) => {}
            Err(e) => {
                delete_blobs(&state, &files).await;
                return Refused::from(e).into_page();
            }
        }
    }
    let meta = request_meta(&parts.headers, &parts.extensions);
    let ctx = state.ctx(&meta);
    let result = cases::save(&ctx, &state.personal, &citizen.0 .1, &code, &posted, &files).await;
    let form_at = |case_id: i64| format!("/my/apply/{}?case={case_id}", encode_path(&code));
    // The form (or, for the pledge alone, the review page) again with its messages.
    let render = |path: String, problems: std::collections::BTreeMap<String, String>| {
        let echo = FormEcho { errors: problems, ..FormEcho::default() };
        let parts = at_path(parts, &path);
        let state = state.clone();
        async move { render_page(&state, parts, StatusCode::UNPROCESSABLE_ENTITY, echo).await }
    };
    match result {
        Ok(Saved::Draft { case_id }) if needs_consent => {
            let back = format!("/my/cases/{case_id}?review=1");
            Redirect::to(&format!("/my/consent?next={}", encode_path(&back))).into_response()
        }
        Ok(Saved::Submitted { case_id, .. }) | Ok(Saved::AlreadySubmitted { case_id, .. }) => {
            Redirect::to(&format!("/my/cases/{case_id}?receipt=1")).into_response()
        }
        Ok(Saved::Draft { case_id }) if file_problems.is_empty() && posted.review => {
            Redirect::to(&format!("/my/cases/{case_id}?review=1")).into_response()
        }
        // "去实名登记" from the form: the draft is kept, and the citizen comes back to it.
        Ok(Saved::Draft { case_id }) | Err(CaseError::Invalid { case_id, .. }) if action == "verify" => {
            let back = format!("{}&from=real_name", form_at(case_id));
            Redirect::to(&format!("/my/real-name?next={}", encode_path(&back))).into_response()
        }
        Ok(Saved::Draft { case_id }) if file_problems.is_empty() => {
            Redirect::to(&format!("{}&saved=1", form_at(case_id))).into_response()
        }
        Ok(Saved::Draft { case_id }) => render(form_at(case_id), file_problems).await,
        // Only the 承诺书 left unconfirmed: the review page again, with its message there.
        Err(CaseError::Invalid { case_id, problems }) if problems.keys().all(|k| k == "_pledge") => {
            render(format!("/my/cases/{case_id}?review=1"), problems).await
        }
        Err(CaseError::Invalid { case_id, mut problems }) => {
            // The pledge is asked on the review page, which comes after the form is right.
            problems.remove("_pledge");
            problems.extend(file_problems);
            render(form_at(case_id), problems).await
        }
        Err(CaseError::NotEditable { case_id }) => {
            delete_blobs(&state, &files).await;
            Redirect::to(&format!("/my/cases/{case_id}")).into_response()
        }
        Err(e) => {
            delete_blobs(&state, &files).await;
            Refused::from(e).into_page()
        }
    }
}

/// A case's stored file as a private download.
async fn download(state: &AppState, f: cases::FileRef) -> Response {
    match state.blobs.read(&f.blob_key, &f.sm3).await {
        Ok(bytes) => {
            crate::web::download::download(bytes, &f.name, &f.media_type, crate::web::download::Caching::Private)
        }
        Err(e) => unavailable("reading a stored file", e),
    }
}

async fn my_file(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let (parts, _) = req.into_parts();
    let Some(c) = parts.extensions.get::<CurrentCitizen>().cloned() else {
        return Redirect::to("/my/login").into_response();
    };
    let Ok(id) = id.parse::<i64>() else { return crate::web::render::not_found(&state, parts).await };
    let meta = request_meta(&parts.headers, &parts.extensions);
    match cases::my_file(&state.ctx(&meta), &c.0 .1, id).await {
        Ok(f) => download(&state, f).await,
        Err(e) => refusal(&state, parts, e).await,
    }
}

/// The citizen deletes one of their drafts (after the confirmation page).
async fn delete_draft(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match CitizenPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return crate::web::render::not_found(&state, p.parts).await };
    let meta = p.meta();
    match cases::delete_draft(&state.ctx(&meta), &p.citizen.0 .1, id).await {
        Ok(()) => Redirect::to("/my/cases?done=deleted").into_response(),
        Err(CaseError::NotEditable { case_id }) => Redirect::to(&format!("/my/cases/{case_id}")).into_response(),
        Err(e) => refusal(&state, p.parts, e).await,
    }
}

async fn staff_file(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let Some(s) = req.extensions().get::<crate::web::auth::CurrentStaff>().cloned() else {
        return Redirect::to("/login").into_response();
    };
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let meta = request_meta(req.headers(), req.extensions());
    match cases::staff_file(&state.ctx(&meta), s.actor(), id).await {
        Ok(f) => download(&state, f).await,
        Err(e) => Refused::from(e).into_page(),
    }
}

/// The public look-up. The same answer for "no such case" and "wrong digits"; limited per
/// address. Read-only, so no anti-forgery token (cross-site posts are refused anyway).
async fn lookup(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let form = match Form::read(body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let no: String = form.value("tracking_no").chars().take(40).collect();
    let digits: String = form.value("digits").chars().take(8).collect();
    let mut echo = FormEcho::default();
    echo.values.insert("tracking_no".into(), no.clone());
    echo.values.insert("digits".into(), digits.clone());
    if crate::web::limits::over_limit(&state, &state.lookup_limiter, &parts, "lookup.rate_limited").await {
        echo.notice = Some("查询过于频繁，请一分钟后再试。".into());
        return render_page(&state, parts, StatusCode::TOO_MANY_REQUESTS, echo).await;
    }
    if no.trim().is_empty() {
        echo.errors.insert("tracking_no".into(), "请填写办件编号".into());
    }
    if !(digits.trim().len() == 4 && digits.trim().chars().all(|c| c.is_ascii_digit() || c == 'x' || c == 'X')) {
        echo.errors.insert("digits".into(), "请填写 4 位数字（身份证号码末位可能是 X）".into());
    }
    if !echo.errors.is_empty() {
        return render_page(&state, parts, StatusCode::UNPROCESSABLE_ENTITY, echo).await;
    }
    match cases::lookup(&state.db, &state.personal, &no, &digits).await {
        Ok(Some(found)) => {
            echo.payload = serde_json::to_string(&found).ok();
            render_page(&state, parts, StatusCode::OK, echo).await
        }
        Ok(None) => {
            echo.notice = Some("没有找到与办件编号和号码后四位相符的办件。请核对后再试。".into());
            render_page(&state, parts, StatusCode::NOT_FOUND, echo).await
        }
        Err(e) => unavailable("case look-up", e),
    }
}

/// Staff ask the applicant for missing or corrected materials.
async fn supplement(State(state): State<AppState>, Path(id): Path<String>, req: Request) -> Response {
    let p = match StaffPost::read(req).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let meta = p.meta();
    let fields: Vec<String> = p.form.all("field").map(str::to_string).collect();
    let message = p.form.value("message").to_string();
    match cases::request_supplement(&state.ctx(&meta), p.staff.actor(), id, &message, &fields).await {
        Ok(()) => Redirect::to(&format!("/admin/cases/{id}?done=supplement")).into_response(),
        Err(e) => {
            let (field, m) = match Refused::from(e) {
                Refused::Form { field, message, .. } => (field.unwrap_or("message"), message),
                Refused::Page(r) => return r,
            };
            let mut echo = FormEcho::default();
            echo.errors.insert(field.into(), m);
            // The case page has several action forms: the message belongs to the 补正 one.
            echo.values.insert("_form".into(), "supplement".into());
            echo.values.insert("message".into(), message.chars().take(600).collect());
            render_page(&state, at_path(p.parts, &format!("/admin/cases/{id}")), StatusCode::UNPROCESSABLE_ENTITY, echo)
                .await
        }
    }
}
