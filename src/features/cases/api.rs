//! Server functions of cases: citizens' own applications and cases, staff's incoming cases.
//! Each calls one core function, which checks ownership, permission and data scope.

use leptos::prelude::*;
use zhengwu_types::{
    services::{ApplicationView, CaseDetail, CaseSummary},
    Page,
};

use crate::error::ApiError;

/// The signed-in citizen's application for an item: an open draft or supplement, or a new form.
#[server(prefix = "/sfn", endpoint = "my/application")]
pub async fn my_application(code: String, case: Option<String>) -> Result<ApplicationView, ApiError> {
    let (state, c, meta) = crate::web::sfn::citizen_context()?;
    let case = crate::web::sfn::blank(case).map(|s| crate::web::sfn::id(&s)).transpose()?;
    Ok(zhengwu_core::cases::application(&state.ctx(&meta), &state.personal, &c.0 .1, &code, case).await?)
}

#[server(prefix = "/sfn", endpoint = "my/cases")]
pub async fn my_cases() -> Result<Vec<CaseSummary>, ApiError> {
    let (state, c, meta) = crate::web::sfn::citizen_context()?;
    Ok(zhengwu_core::cases::my_cases(&state.ctx(&meta), &c.0 .1).await?)
}

#[server(prefix = "/sfn", endpoint = "my/case")]
pub async fn my_case(id: String) -> Result<CaseDetail, ApiError> {
    let (state, c, meta) = crate::web::sfn::citizen_context()?;
    Ok(zhengwu_core::cases::my_case(&state.ctx(&meta), &state.personal, &c.0 .1, crate::web::sfn::id(&id)?).await?)
}

/// Incoming cases in the staff member's data scope.
#[server(prefix = "/sfn", endpoint = "admin/cases")]
pub async fn staff_cases(
    service: Option<String>,
    status: Option<String>,
    department: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
) -> Result<Page<CaseSummary>, ApiError> {
    use crate::web::sfn::blank;
    let (state, s, meta) = crate::web::sfn::staff_context()?;
    let date = |d: Option<String>| -> Result<Option<chrono::NaiveDate>, ApiError> {
        blank(d)
            .map(|d| {
                chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| ApiError::new(zhengwu_types::ErrorCode::BadRequest, "日期请按 年-月-日 填写"))
            })
            .transpose()
    };
    let filter = zhengwu_core::cases::CaseFilter {
        service: blank(service),
        concluded: status.as_deref() == Some("concluded"),
        status: blank(status).and_then(|s| zhengwu_types::services::CaseStatus::parse(&s)),
        department: blank(department),
        from: date(from)?,
        to: date(to)?,
    };
    Ok(zhengwu_core::cases::list_for_staff(&state.ctx(&meta), s.actor(), &filter, crate::web::sfn::page_request(page)?)
        .await?)
}

#[server(prefix = "/sfn", endpoint = "admin/case")]
pub async fn staff_case(id: String) -> Result<CaseDetail, ApiError> {
    let (state, s, meta) = crate::web::sfn::staff_context()?;
    Ok(zhengwu_core::cases::case_for_staff(&state.ctx(&meta), &state.personal, s.actor(), crate::web::sfn::id(&id)?)
        .await?)
}
