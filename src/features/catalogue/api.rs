//! Server functions of the service catalogue: public reading of the items and their guides, and
//! the staff's items. Each calls one core function, which checks permission and data scope.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use zhengwu_types::{
    services::{FormDef, ServiceGuide, ServiceSummary, ThemeInfo},
    workflow::ProcessStep,
    Page,
};

use crate::error::ApiError;

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

/// The public catalogue, filtered and paged (all filters optional).
#[server(prefix = "/sfn", endpoint = "services/catalogue")]
pub async fn service_catalogue(
    theme: Option<String>,
    department: Option<String>,
    object: Option<String>,
    q: Option<String>,
    page: Option<String>,
) -> Result<Catalogue, ApiError> {
    use crate::web::sfn::blank;
    let state = crate::web::state::use_app_state()?;
    let filter = zhengwu_types::services::ServiceFilter {
        theme: blank(theme),
        department: blank(department),
        object: blank(object).and_then(|o| zhengwu_types::services::ServiceObject::parse(&o)),
        q: blank(q),
    };
    let req = crate::web::sfn::page_request(page)?;
    let db = &state.db;
    let internal = crate::web::sfn::internal;
    Ok(Catalogue {
        themes: zhengwu_core::services::themes(db).await.map_err(internal)?,
        departments: zhengwu_core::services::departments_with_items(db).await.map_err(internal)?,
        items: zhengwu_core::services::list_published(db, &filter, req).await.map_err(internal)?,
    })
}

/// The guide page: the guide, the process its new cases run through, and — for a signed-in
/// citizen — whether it is among their favourites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuidePage {
    pub guide: ServiceGuide,
    pub process: Vec<ProcessStep>,
    /// None: not signed in as a citizen.
    pub favourite: Option<bool>,
}

/// The guide of a published item.
#[server(prefix = "/sfn", endpoint = "services/guide")]
pub async fn guide_of_service(code: String) -> Result<GuidePage, ApiError> {
    let state = crate::web::state::use_app_state()?;
    let guide = zhengwu_core::services::published_guide(&state.db, &code).await?;
    let process = zhengwu_core::workflow::public_process(&state.db, &code)
        .await
        .map_err(crate::web::sfn::internal)?
        .unwrap_or_default();
    let favourite = match crate::web::sfn::citizen_context() {
        Ok((state, c, meta)) => Some(zhengwu_core::citizen::is_favourite(&state.ctx(&meta), &c.0 .1, &code).await?),
        Err(_) => None,
    };
    Ok(GuidePage { guide, process, favourite })
}

/// A popular service on the home page: the item and its applications in the last 90 days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopularItem {
    pub item: ServiceSummary,
    pub applications: i64,
}

/// What the home page's service hub shows: popular services and the themes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hub {
    pub popular: Vec<PopularItem>,
    pub themes: Vec<ThemeInfo>,
}

/// How far back 热门服务 counts applications.
pub const POPULAR_DAYS: i64 = 90;

#[server(prefix = "/sfn", endpoint = "services/hub")]
pub async fn service_hub() -> Result<Hub, ApiError> {
    let state = crate::web::state::use_app_state()?;
    let since = chrono::Utc::now() - chrono::Duration::days(POPULAR_DAYS);
    let internal = crate::web::sfn::internal;
    let popular = zhengwu_core::services::popular(&state.db, since, 8).await.map_err(internal)?;
    Ok(Hub {
        popular: popular.into_iter().map(|p| PopularItem { item: p.item, applications: p.applications }).collect(),
        themes: zhengwu_core::services::themes(&state.db).await.map_err(internal)?,
    })
}

/// The signed-in citizen's favourites: (code, name, department, still published).
#[server(prefix = "/sfn", endpoint = "my/favourites")]
pub async fn my_favourites() -> Result<Vec<(String, String, String, bool)>, ApiError> {
    let (state, c, meta) = crate::web::sfn::citizen_context()?;
    let list = zhengwu_core::citizen::favourites(&state.ctx(&meta), &c.0 .1).await?;
    Ok(list
        .into_iter()
        .map(|f| (f.code, f.name, f.department, f.status == zhengwu_types::services::ItemStatus::Published))
        .collect())
}

/// A published item's guide and current form, for the printable blank form (public).
#[server(prefix = "/sfn", endpoint = "services/blank_form")]
pub async fn blank_form(code: String) -> Result<(ServiceGuide, Option<FormDef>), ApiError> {
    let state = crate::web::state::use_app_state()?;
    Ok(zhengwu_core::services::published_form(&state.db, &code).await?)
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
    let (state, s, meta) = crate::web::sfn::staff_context()?;
    let filter = zhengwu_types::services::ServiceFilter { q: crate::web::sfn::blank(q), ..Default::default() };
    let status = crate::web::sfn::blank(status).and_then(|s| zhengwu_types::services::ItemStatus::parse(&s));
    let ctx = state.ctx(&meta);
    let req = crate::web::sfn::page_request(page)?;
    Ok(StaffCatalogue {
        items: zhengwu_core::services::list_for_staff(&ctx, s.actor(), &filter, status, req).await?,
        departments: zhengwu_core::services::departments_for_staff(&ctx, s.actor()).await?,
    })
}

#[server(prefix = "/sfn", endpoint = "admin/service")]
pub async fn staff_service(code: String) -> Result<ItemEditor, ApiError> {
    let (state, s, meta) = crate::web::sfn::staff_context()?;
    let (guide, form) = zhengwu_core::services::item_for_staff(&state.ctx(&meta), s.actor(), &code).await?;
    Ok(ItemEditor {
        guide,
        form_version: form.as_ref().map(|f| f.0),
        form_json: form.as_ref().and_then(|f| serde_json::to_string_pretty(&f.1).ok()).unwrap_or_default(),
        form: form.map(|f| f.1),
    })
}
