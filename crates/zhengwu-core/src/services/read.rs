//! Reading the published catalogue: the list and its search, themes, popular services, guides
//! and forms.

use chrono::{DateTime, Utc};
use zhengwu_types::{
    services::{
        DayKind, DeliveryMethod, FormDef, ItemStatus, ServiceFilter, ServiceGuide, ServiceObject, ServiceSummary,
        ThemeInfo,
    },
    Page, PageRequest,
};

use super::{stored_json, ServiceError};
use crate::{db::Db, with_db};

#[derive(sqlx::FromRow)]
struct SummaryRow {
    code: String,
    name: String,
    department: String,
    object: ServiceObject,
    online_depth: i32,
    promised_days: i32,
    day_kind: DayKind,
    status: ItemStatus,
    summary: String,
    total: i64,
}

impl SummaryRow {
    fn into_summary(self) -> ServiceSummary {
        ServiceSummary {
            code: self.code,
            name: self.name,
            department: self.department,
            object: self.object,
            online_depth: self.online_depth,
            promised_days: self.promised_days,
            day_kind: self.day_kind,
            status: self.status,
            summary: self.summary,
        }
    }
}

// One statement for every filter combination (`$n IS NULL OR …`); the object filter keeps
// items for both kinds of applicant.
const LIST: &str = "
SELECT i.code, i.name, d.name AS department, i.object, i.online_depth, i.promised_days, i.day_kind,
       i.status, i.summary, COUNT(*) OVER () AS total
FROM service_items i
JOIN departments d ON d.id = i.department_id
WHERE ($1 IS NULL OR i.status = $1)
  AND ($2 IS NULL OR EXISTS (SELECT 1 FROM service_item_themes t WHERE t.item_id = i.id AND t.theme_code = $2))
  AND ($3 IS NULL OR d.code = $3)
  AND ($4 IS NULL OR i.object = $4 OR i.object = 'both')
  AND ($5 IS NULL OR i.name LIKE $5 OR i.keywords LIKE $5 OR i.code = $6)
  {scope}
ORDER BY CASE WHEN $5 IS NULL OR i.name LIKE $5 THEN 0 WHEN i.keywords LIKE $5 THEN 1 ELSE 2 END, i.code
LIMIT $7 OFFSET $8";

/// A LIKE pattern for a search term; `%`, `_` and `\\` are dropped rather than escaped.
fn like_pattern(q: &str) -> String {
    let cleaned: String = q.chars().filter(|c| !matches!(c, '%' | '_' | '\\')).take(50).collect();
    format!("%{}%", cleaned.trim())
}

/// The published catalogue, filtered and paged.
pub async fn list_published(
    db: &Db,
    filter: &ServiceFilter,
    page: PageRequest,
) -> Result<Page<ServiceSummary>, sqlx::Error> {
    list(db, Some(ItemStatus::Published), filter, None, page).await
}

pub(super) async fn list(
    db: &Db,
    status: Option<ItemStatus>,
    filter: &ServiceFilter,
    departments: Option<&[i64]>,
    page: PageRequest,
) -> Result<Page<ServiceSummary>, sqlx::Error> {
    let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    // The staff member's departments are ids from the session, never user text; written into
    // the statement as numbers because the two drivers bind arrays differently.
    let scope = match departments {
        None => String::new(),
        Some([]) => "AND 1 = 0".to_string(),
        Some(ids) => {
            format!("AND i.department_id IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
        }
    };
    let sql = LIST.replace("{scope}", &scope);
    let rows: Vec<SummaryRow> = with_db!(db, pool => sqlx::query_as(&sql)
        .bind(status.map(|s| s.code()))
        .bind(filter.theme.as_deref())
        .bind(filter.department.as_deref())
        .bind(filter.object.map(|o| o.code()))
        .bind(q.map(like_pattern))
        .bind(q)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(pool).await)?;
    let total = rows.first().map(|r| r.total).unwrap_or(0);
    Ok(Page::new(rows.into_iter().map(SummaryRow::into_summary).collect(), page, total))
}

/// Themes with how many published items each has, in display order.
pub async fn themes(db: &Db) -> Result<Vec<ThemeInfo>, sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = with_db!(db, pool => sqlx::query_as(
        "SELECT t.code, t.name, t.kind, \
           (SELECT COUNT(*) FROM service_item_themes it JOIN service_items i ON i.id = it.item_id \
            WHERE it.theme_code = t.code AND i.status = 'published') AS items \
         FROM service_themes t ORDER BY t.position")
        .fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(code, name, kind, items)| ThemeInfo { code, name, kind, items }).collect())
}

/// Departments that have published items: (code, name).
pub async fn departments_with_items(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as(
        "SELECT d.code, d.name FROM departments d WHERE EXISTS \
         (SELECT 1 FROM service_items i WHERE i.department_id = d.id AND i.status = 'published') ORDER BY d.code")
        .fetch_all(pool).await)
}

#[derive(sqlx::FromRow)]
pub(crate) struct ItemRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub department_id: i64,
    pub department: String,
    pub department_code: String,
    pub object: ServiceObject,
    pub status: ItemStatus,
    pub summary: String,
    pub eligibility: String,
    pub materials: String,
    pub legal_basis: String,
    pub statutory_days: i32,
    pub promised_days: i32,
    pub day_kind: DayKind,
    pub fees: String,
    pub venue: String,
    pub hours: String,
    pub online_depth: i32,
    pub phone: String,
    pub form_version: Option<i32>,
    pub updated_at: DateTime<Utc>,
    pub keywords: String,
    pub visits: i32,
    pub complaint_phone: String,
    pub fee_basis: String,
    pub result_name: String,
    pub delivery: String,
    pub faq: String,
}

impl ItemRow {
    /// The delivery methods offered; a stored list that names none offers the window.
    pub fn delivery_methods(&self) -> Vec<DeliveryMethod> {
        let list = DeliveryMethod::parse_list(&self.delivery);
        if list.is_empty() {
            vec![DeliveryMethod::Window]
        } else {
            list
        }
    }

    /// Open for online applications now.
    pub fn online(&self) -> bool {
        self.status == ItemStatus::Published && self.online_depth >= 3 && self.form_version.is_some()
    }
}

const ITEM: &str = "
SELECT i.id, i.code, i.name, i.department_id, d.name AS department, d.code AS department_code, i.object, i.status,
       i.summary, i.eligibility, i.materials, i.legal_basis, i.statutory_days, i.promised_days, i.day_kind, i.fees,
       i.venue, i.hours, i.online_depth, i.phone, i.form_version, i.updated_at, i.keywords, i.visits,
       i.complaint_phone, i.fee_basis, i.result_name, i.delivery, i.faq
FROM service_items i JOIN departments d ON d.id = i.department_id
WHERE i.code = $1";

pub(crate) async fn item_row(db: &Db, code: &str) -> Result<Option<ItemRow>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as(ITEM).bind(code).fetch_optional(pool).await)
}

pub(super) fn stored_faq(row: &ItemRow) -> Result<Vec<zhengwu_types::services::Faq>, sqlx::Error> {
    stored_json(&row.faq, "faq", &row.code)
}

pub(super) async fn guide_of(db: &Db, row: ItemRow) -> Result<ServiceGuide, sqlx::Error> {
    let themes: Vec<(String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT t.code, t.name FROM service_item_themes it JOIN service_themes t ON t.code = it.theme_code \
         WHERE it.item_id = $1 ORDER BY t.position")
        .bind(row.id).fetch_all(pool).await)?;
    let online = row.online();
    let delivery = row.delivery_methods();
    Ok(ServiceGuide {
        materials: stored_json(&row.materials, "materials", &row.code)?,
        faq: stored_faq(&row)?,
        delivery,
        keywords: row.keywords,
        visits: row.visits,
        complaint_phone: row.complaint_phone,
        fee_basis: row.fee_basis,
        result_name: row.result_name,
        object: row.object,
        status: row.status,
        day_kind: row.day_kind,
        updated_at: crate::time::local_minute(row.updated_at),
        code: row.code,
        name: row.name,
        department: row.department,
        department_id: row.department_id,
        summary: row.summary,
        eligibility: row.eligibility,
        legal_basis: row.legal_basis,
        statutory_days: row.statutory_days,
        promised_days: row.promised_days,
        fees: row.fees,
        venue: row.venue,
        hours: row.hours,
        online_depth: row.online_depth,
        phone: row.phone,
        themes,
        online,
    })
}

/// The guide of a published item (the public page).
pub async fn published_guide(db: &Db, code: &str) -> Result<ServiceGuide, ServiceError> {
    let row = item_row(db, code).await?.ok_or(ServiceError::NotFound)?;
    if row.status != ItemStatus::Published {
        return Err(ServiceError::NotFound);
    }
    Ok(guide_of(db, row).await?)
}

/// A published item's guide with its current application form (for the printable blank form).
pub async fn published_form(db: &Db, code: &str) -> Result<(ServiceGuide, Option<FormDef>), ServiceError> {
    let row = item_row(db, code).await?.ok_or(ServiceError::NotFound)?;
    if row.status != ItemStatus::Published {
        return Err(ServiceError::NotFound);
    }
    let form = match row.form_version {
        Some(v) => form_at(db, row.id, v).await?,
        None => None,
    };
    Ok((guide_of(db, row).await?, form))
}

/// An item's form at a version (a case keeps the version it was submitted with).
pub async fn form_at(db: &Db, item_id: i64, version: i32) -> Result<Option<FormDef>, sqlx::Error> {
    let def: Option<String> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT definition FROM service_forms WHERE item_id = $1 AND version = $2")
        .bind(item_id).bind(version).fetch_optional(pool).await)?;
    def.map(|d| stored_json(&d, "form", &format!("{item_id} v{version}"))).transpose()
}

/// A popular service: the item and how many applications were submitted for it in the window.
#[derive(Debug, Clone)]
pub struct Popular {
    pub item: ServiceSummary,
    pub applications: i64,
}

/// 热门服务: the published items offered online with the most applications submitted since
/// `since` (ties by code), at most `limit`. Counts are real; items nobody applied for yet come
/// last with 0.
pub async fn popular(db: &Db, since: DateTime<Utc>, limit: i64) -> Result<Vec<Popular>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        code: String,
        name: String,
        department: String,
        object: ServiceObject,
        online_depth: i32,
        promised_days: i32,
        day_kind: DayKind,
        status: ItemStatus,
        summary: String,
        applications: i64,
    }
    let rows: Vec<Row> = with_db!(db, pool => sqlx::query_as(
        "SELECT i.code, i.name, d.name AS department, i.object, i.online_depth, i.promised_days, i.day_kind, \
           i.status, i.summary, \
           (SELECT COUNT(*) FROM cases c WHERE c.item_id = i.id AND c.submitted_at >= $1) AS applications \
         FROM service_items i JOIN departments d ON d.id = i.department_id \
         WHERE i.status = 'published' AND i.online_depth >= 3 AND i.form_version IS NOT NULL \
         ORDER BY applications DESC, i.code LIMIT $2")
        .bind(since).bind(limit).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Popular {
            applications: r.applications,
            item: ServiceSummary {
                code: r.code,
                name: r.name,
                department: r.department,
                object: r.object,
                online_depth: r.online_depth,
                promised_days: r.promised_days,
                day_kind: r.day_kind,
                status: r.status,
                summary: r.summary,
            },
        })
        .collect())
}
