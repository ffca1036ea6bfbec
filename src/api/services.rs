//! Server functions of the service catalogue and cases: public reading of the catalogue,
//! citizens' own applications and cases, staff's items and incoming cases. Each calls one
//! core function, which checks ownership, permission and data scope.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use zhengwu_types::{
    services::{ApplicationView, CaseDetail, CaseSummary, FormDef, ServiceGuide, ServiceSummary, ThemeInfo},
    Page,
};

use super::ApiError;

/// The catalogue page: themes, departments with items, and one page of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalogue {
    pub themes: Vec<ThemeInfo>,
    pub departments: Vec<(String, String)>,
    pub items: Page<ServiceSummary>,
}

/// An item for the staff editor: its guide, current form (as pretty JSON) and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEditor {
    pub guide: ServiceGuide,
    pub form_version: Option<i32>,
    pub form_json: String,
    pub form: Option<FormDef>,
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use super::*;
    use zhengwu_core::{cases::CaseError, services::ServiceError};
    use zhengwu_types::ErrorCode;

    use crate::server::{
        auth::{request_meta, CurrentStaff},
        citizen::CurrentCitizen,
        state::{use_app_state, AppState},
    };

    impl From<ServiceError> for ApiError {
        fn from(e: ServiceError) -> Self {
            match e {
                ServiceError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
                ServiceError::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed"),
                ServiceError::Invalid { .. } => ApiError::new(ErrorCode::BadRequest, e.to_string()),
                other => {
                    tracing::error!(error = %other, "catalogue operation failed");
                    ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
                }
            }
        }
    }

    impl From<CaseError> for ApiError {
        fn from(e: CaseError) -> Self {
            match e {
                CaseError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
                CaseError::Forbidden => ApiError::new(ErrorCode::Forbidden, "not allowed"),
                CaseError::NotVerified
                | CaseError::NotEditable { .. }
                | CaseError::Invalid { .. }
                | CaseError::BadRequest { .. } => ApiError::new(ErrorCode::BadRequest, e.to_string()),
                other => {
                    tracing::error!(error = %other, "case operation failed");
                    ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
                }
            }
        }
    }

    fn parts() -> Result<axum::http::request::Parts, ApiError> {
        use_context::<axum::http::request::Parts>().ok_or_else(|| ApiError::new(ErrorCode::Internal, "request missing"))
    }

    pub fn citizen_context() -> Result<(AppState, CurrentCitizen, zhengwu_core::audit::RequestMeta), ApiError> {
        let state = use_app_state()?;
        let parts = parts()?;
        let c = parts
            .extensions
            .get::<CurrentCitizen>()
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "not signed in"))?;
        Ok((state, c, request_meta(&parts.headers, &parts.extensions)))
    }

    pub fn staff_context() -> Result<(AppState, CurrentStaff, zhengwu_core::audit::RequestMeta), ApiError> {
        let state = use_app_state()?;
        let parts = parts()?;
        let s = parts
            .extensions
            .get::<CurrentStaff>()
            .cloned()
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthorized, "not signed in"))?;
        Ok((state, s, request_meta(&parts.headers, &parts.extensions)))
    }

    pub fn page_request(page: Option<String>) -> Result<zhengwu_types::PageRequest, ApiError> {
        zhengwu_types::PageRequest::parse(page.as_deref(), None)
            .map_err(|_| ApiError::new(ErrorCode::BadRequest, "page out of range"))
    }

    pub fn id(s: &str) -> Result<i64, ApiError> {
        s.parse().map_err(|_| ApiError::new(ErrorCode::NotFound, "not found"))
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "catalogue query failed");
        ApiError::new(ErrorCode::Internal, ErrorCode::Internal.title())
    }

    pub fn blank(s: Option<String>) -> Option<String> {
        s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }
}

/// The public catalogue, filtered and paged (all filters optional).
#[server(prefix = "/sfn", endpoint = "services/catalogue")]
pub async fn service_catalogue(
    theme: Option<String>,
    department: Option<String>,
    object: Option<String>,
    q: Option<String>,
    page: Option<String>,
) -> Result<Catalogue, ApiError> {
    use server::blank;
    let state = crate::server::state::use_app_state()?;
    let filter = zhengwu_types::services::ServiceFilter {
        theme: blank(theme),
        department: blank(department),
        object: blank(object).and_then(|o| zhengwu_types::services::ServiceObject::parse(&o)),
        q: blank(q),
    };
    let req = server::page_request(page)?;
    let db = &state.db;
    let internal = server::internal;
    Ok(Catalogue {
        themes: zhengwu_core::services::themes(db).await.map_err(internal)?,
        departments: zhengwu_core::services::departments_with_items(db).await.map_err(internal)?,
        items: zhengwu_core::services::list_published(db, &filter, req).await.map_err(internal)?,
    })
}

/// The guide of a published item.
#[server(prefix = "/sfn", endpoint = "services/guide")]
pub async fn guide_of_service(code: String) -> Result<ServiceGuide, ApiError> {
    let state = crate::server::state::use_app_state()?;
    Ok(zhengwu_core::services::published_guide(&state.db, &code).await?)
}

/// A published item's guide and current form, for the printable blank form (public).
#[server(prefix = "/sfn", endpoint = "services/blank_form")]
pub async fn blank_form(code: String) -> Result<(ServiceGuide, Option<FormDef>), ApiError> {
    let state = crate::server::state::use_app_state()?;
    Ok(zhengwu_core::services::published_form(&state.db, &code).await?)
}

/// The signed-in citizen's application for an item: an open draft or supplement, or a new form.
#[server(prefix = "/sfn", endpoint = "my/application")]
pub async fn my_application(code: String, case: Option<String>) -> Result<ApplicationView, ApiError> {
    let (state, c, meta) = server::citizen_context()?;
    let case = server::blank(case).map(|s| server::id(&s)).transpose()?;
    Ok(zhengwu_core::cases::application(&state.ctx(&meta), &state.personal, &c.0 .1, &code, case).await?)
}

#[server(prefix = "/sfn", endpoint = "my/cases")]
pub async fn my_cases() -> Result<Vec<CaseSummary>, ApiError> {
    let (state, c, meta) = server::citizen_context()?;
    Ok(zhengwu_core::cases::my_cases(&state.ctx(&meta), &c.0 .1).await?)
}

#[server(prefix = "/sfn", endpoint = "my/case")]
pub async fn my_case(id: String) -> Result<CaseDetail, ApiError> {
    let (state, c, meta) = server::citizen_context()?;
    Ok(zhengwu_core::cases::my_case(&state.ctx(&meta), &state.personal, &c.0 .1, server::id(&id)?).await?)
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
    use server::blank;
    let (state, s, meta) = server::staff_context()?;
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
    Ok(zhengwu_core::cases::list_for_staff(&state.ctx(&meta), s.actor(), &filter, server::page_request(page)?).await?)
}

#[server(prefix = "/sfn", endpoint = "admin/case")]
pub async fn staff_case(id: String) -> Result<CaseDetail, ApiError> {
    let (state, s, meta) = server::staff_context()?;
    Ok(zhengwu_core::cases::case_for_staff(&state.ctx(&meta), &state.personal, s.actor(), server::id(&id)?).await?)
}

/// The items the staff member manages (any status) and the departments they may add items to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffCatalogue {
    pub items: Page<ServiceSummary>,
    pub departments: Vec<(i64, String)>,
}

#[server(prefix = "/sfn", endpoint = "admin/services")]
pub async fn staff_services(
    status: Option<String>,
    q: Option<String>,
    page: Option<String>,
) -> Result<StaffCatalogue, ApiError> {
    let (state, s, meta) = server::staff_context()?;
    let filter = zhengwu_types::services::ServiceFilter { q: server::blank(q), ..Default::default() };
    let status = server::blank(status).and_then(|s| zhengwu_types::services::ItemStatus::parse(&s));
    let ctx = state.ctx(&meta);
    let req = server::page_request(page)?;
    Ok(StaffCatalogue {
        items: zhengwu_core::services::list_for_staff(&ctx, s.actor(), &filter, status, req).await?,
        departments: zhengwu_core::services::departments_for_staff(&ctx, s.actor()).await?,
    })
}

#[server(prefix = "/sfn", endpoint = "admin/service")]
pub async fn staff_service(code: String) -> Result<ItemEditor, ApiError> {
    let (state, s, meta) = server::staff_context()?;
    let (guide, form) = zhengwu_core::services::item_for_staff(&state.ctx(&meta), s.actor(), &code).await?;
    Ok(ItemEditor {
        guide,
        form_version: form.as_ref().map(|f| f.0),
        form_json: form.as_ref().and_then(|f| serde_json::to_string_pretty(&f.1).ok()).unwrap_or_default(),
        form: form.map(|f| f.1),
    })
}
