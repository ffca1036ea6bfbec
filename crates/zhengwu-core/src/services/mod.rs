//! The service catalogue (事项清单): items with their guides, themes, and application forms
//! defined as data and versioned. Public reading needs nothing; every change needs
//! `service:manage` within the staff member's data scope and is audited.

pub mod validate;

use chrono::{DateTime, Utc};
use serde_json::json;
use zhengwu_types::Failure;
use zhengwu_types::{
    services::{DayKind, FormDef, ItemStatus, ServiceFilter, ServiceGuide, ServiceObject, ServiceSummary, ThemeInfo},
    Page, PageRequest,
};

use crate::{
    audit::{self, AuditError, AuditEvent},
    db::Db,
    identity::{Ctx, Permission, StaffActor},
    with_db, with_tx,
};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Missing, not published (for the public), or outside the caller's scope.
    #[error("不存在")]
    NotFound,
    #[error("没有权限")]
    Forbidden,
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Audit(#[from] AuditError),
}

impl Failure for ServiceError {
    fn code(&self) -> zhengwu_types::ErrorCode {
        use zhengwu_types::ErrorCode::*;
        match self {
            ServiceError::NotFound => NotFound,
            ServiceError::Forbidden => Forbidden,
            ServiceError::Invalid { .. } => BadRequest,
            ServiceError::Db(_) | ServiceError::Audit(_) => Internal,
        }
    }
    fn field(&self) -> Option<&'static str> {
        match self {
            ServiceError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid { field, message: message.into() }
}

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
  AND ($5 IS NULL OR i.name LIKE $5 OR i.code = $6)
  {scope}
ORDER BY i.code
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

async fn list(
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
}

impl ItemRow {
    /// Open for online applications now.
    pub fn online(&self) -> bool {
        self.status == ItemStatus::Published && self.online_depth >= 3 && self.form_version.is_some()
    }
}

const ITEM: &str = "
SELECT i.id, i.code, i.name, i.department_id, d.name AS department, d.code AS department_code, i.object, i.status,
       i.summary, i.eligibility, i.materials, i.legal_basis, i.statutory_days, i.promised_days, i.day_kind, i.fees,
       i.venue, i.hours, i.online_depth, i.phone, i.form_version, i.updated_at
FROM service_items i JOIN departments d ON d.id = i.department_id
WHERE i.code = $1";

pub(crate) async fn item_row(db: &Db, code: &str) -> Result<Option<ItemRow>, sqlx::Error> {
    with_db!(db, pool => sqlx::query_as(ITEM).bind(code).fetch_optional(pool).await)
}

async fn guide_of(db: &Db, row: ItemRow) -> Result<ServiceGuide, sqlx::Error> {
    let themes: Vec<(String, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT t.code, t.name FROM service_item_themes it JOIN service_themes t ON t.code = it.theme_code \
         WHERE it.item_id = $1 ORDER BY t.position")
        .bind(row.id).fetch_all(pool).await)?;
    let online = row.online();
    Ok(ServiceGuide {
        materials: stored_json(&row.materials, "materials", &row.code)?,
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

/// A JSON value stored by this program, read back: one that does not parse is an error that is
/// logged (the item and what), never an empty value.
fn stored_json<T: serde::de::DeserializeOwned>(text: &str, what: &str, item: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| {
        tracing::error!(item, what, error = %e, "catalogue: a stored value does not parse");
        sqlx::Error::Decode(Box::new(e))
    })
}

// ---- Staff --------------------------------------------------------------------------------

fn manage_scope(actor: &StaffActor) -> Result<Option<Vec<i64>>, ServiceError> {
    actor.require(Permission::ServiceManage).map_err(|_| ServiceError::Forbidden)?;
    Ok(scope_departments(actor))
}

/// `None`: every department.
pub(crate) fn scope_departments(actor: &StaffActor) -> Option<Vec<i64>> {
    (!actor.scope.all).then(|| actor.scope.departments.iter().copied().collect())
}

/// The SQL condition limiting `column` (a department id) to the staff member's data scope:
/// empty for "all", never true for no departments. Ids are integers, safe to inline.
pub(crate) fn scope_clause(actor: &StaffActor, column: &str) -> String {
    match scope_departments(actor) {
        None => String::new(),
        Some(ids) if ids.is_empty() => "AND 1 = 0".into(),
        Some(ids) => format!("AND {column} IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
    }
}

fn covers(actor: &StaffActor, department_id: i64) -> bool {
    actor.scope.covers(department_id, None, actor.id)
}

/// Every item the staff member may manage (all statuses), filtered and paged.
pub async fn list_for_staff(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    filter: &ServiceFilter,
    status: Option<ItemStatus>,
    page: PageRequest,
) -> Result<Page<ServiceSummary>, ServiceError> {
    let scope = manage_scope(actor)?;
    Ok(list(ctx.db, status, filter, scope.as_deref(), page).await?)
}

/// An item's guide and its current form, for editing.
pub async fn item_for_staff(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    code: &str,
) -> Result<(ServiceGuide, Option<(i32, FormDef)>), ServiceError> {
    manage_scope(actor)?;
    let row = item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
    let form = match row.form_version {
        Some(v) => form_at(ctx.db, row.id, v).await?.map(|f| (v, f)),
        None => None,
    };
    Ok((guide_of(ctx.db, row).await?, form))
}

/// A new item: what identifies it; the guide is filled in afterwards, and it starts as a draft
/// (not public) until published.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub code: String,
    pub name: String,
    pub department_id: i64,
    pub object: ServiceObject,
}

fn valid_code(code: &str) -> bool {
    (3..=40).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && code.as_bytes()[0].is_ascii_uppercase()
}

/// Creates an item (a draft) in a department within the staff member's scope.
pub async fn create_item(ctx: &Ctx<'_>, actor: &StaffActor, new: &NewItem) -> Result<(), ServiceError> {
    manage_scope(actor)?;
    let code = new.code.trim().to_ascii_uppercase();
    if !valid_code(&code) {
        return Err(invalid("code", "事项编码为 3–40 位大写字母、数字或连字符，以字母开头，例如 QS-RS-0011"));
    }
    let n = new.name.trim().chars().count();
    if !(2..=100).contains(&n) {
        return Err(invalid("name", "事项名称须为 2–100 个字"));
    }
    if !covers(actor, new.department_id) {
        return Err(invalid("department_id", "只能在您的数据范围内的部门新建事项"));
    }
    let exists: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT id FROM departments WHERE id = $1")
        .bind(new.department_id).fetch_optional(pool).await)?;
    if exists.is_none() {
        return Err(invalid("department_id", "请选择实施部门"));
    }
    let mut tx = ctx.db.begin_write().await?;
    let inserted: u64 = with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO service_items (code, name, department_id, object, status, statutory_days, promised_days, \
         day_kind, online_depth, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $6, 20, 20, $7, 1, $5, $5) ON CONFLICT (code) DO NOTHING")
        .bind(&code).bind(new.name.trim()).bind(new.department_id).bind(new.object).bind(ctx.now)
        .bind(ItemStatus::Draft).bind(DayKind::Working)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if inserted == 0 {
        return Err(invalid("code", "该事项编码已存在"));
    }
    let ev = AuditEvent::new("service.create", "service_item", &code)
        .with_detail(json!({ "department_id": new.department_id, "object": new.object.code() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// Departments in which the staff member may create items: (id, name).
pub async fn departments_for_staff(ctx: &Ctx<'_>, actor: &StaffActor) -> Result<Vec<(i64, String)>, ServiceError> {
    manage_scope(actor)?;
    let all: Vec<(i64, String)> = with_db!(ctx.db, pool => sqlx::query_as(
        "SELECT id, name FROM departments WHERE level IN ('department', 'township') ORDER BY code")
        .fetch_all(pool).await)?;
    Ok(all.into_iter().filter(|(id, _)| covers(actor, *id)).collect())
}

/// The editable part of an item's guide.
#[derive(Debug, Clone)]
pub struct ItemEdit {
    pub name: String,
    pub summary: String,
    pub eligibility: String,
    pub legal_basis: String,
    pub statutory_days: i32,
    pub promised_days: i32,
    pub day_kind: DayKind,
    pub fees: String,
    pub venue: String,
    pub hours: String,
    pub online_depth: i32,
    pub phone: String,
}

impl ItemEdit {
    fn check(&self) -> Result<(), ServiceError> {
        let n = self.name.trim().chars().count();
        if !(2..=100).contains(&n) {
            return Err(invalid("name", "事项名称须为 2–100 个字"));
        }
        if !(0..=3650).contains(&self.statutory_days) {
            return Err(invalid("statutory_days", "法定时限须在 0–3650 天之间"));
        }
        if self.promised_days < 0 || self.promised_days > self.statutory_days {
            return Err(invalid("promised_days", "承诺时限不能长于法定时限"));
        }
        if !(1..=4).contains(&self.online_depth) {
            return Err(invalid("online_depth", "网上办理深度须为一至四级"));
        }
        Ok(())
    }
}

/// Changes an item's guide; the audit record names the fields that changed.
pub async fn update_item(ctx: &Ctx<'_>, actor: &StaffActor, code: &str, e: &ItemEdit) -> Result<(), ServiceError> {
    manage_scope(actor)?;
    e.check()?;
    let row = item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
    let mut changed = vec![];
    macro_rules! diff {
        ($($f:ident),*) => { $( if row.$f != e.$f { changed.push(stringify!($f)); } )* };
    }
    diff!(
        name,
        summary,
        eligibility,
        legal_basis,
        statutory_days,
        promised_days,
        fees,
        venue,
        hours,
        online_depth,
        phone
    );
    if row.day_kind != e.day_kind {
        changed.push("day_kind");
    }
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE service_items SET name = $1, summary = $2, eligibility = $3, legal_basis = $4, statutory_days = $5, \
         promised_days = $6, day_kind = $7, fees = $8, venue = $9, hours = $10, online_depth = $11, phone = $12, \
         updated_at = $13 WHERE id = $14")
        .bind(e.name.trim()).bind(&e.summary).bind(&e.eligibility).bind(&e.legal_basis).bind(e.statutory_days)
        .bind(e.promised_days).bind(e.day_kind.code()).bind(&e.fees).bind(&e.venue).bind(&e.hours)
        .bind(e.online_depth).bind(&e.phone).bind(ctx.now).bind(row.id)
        .execute(conn).await.map(|_| ()))?;
    let ev = AuditEvent::new("service.update", "service_item", &row.code).with_detail(json!({ "changed": changed }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes or retires an item. Publishing needs a form when the item is offered online.
pub async fn set_status(ctx: &Ctx<'_>, actor: &StaffActor, code: &str, to: ItemStatus) -> Result<(), ServiceError> {
    manage_scope(actor)?;
    let row = item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
    let from = row.status;
    if from == to {
        return Ok(());
    }
    if to == ItemStatus::Published && row.online_depth >= 3 && row.form_version.is_none() {
        return Err(invalid("status", "网上办理深度为三级以上的事项须先发布申请表单"));
    }
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE service_items SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(to.code()).bind(ctx.now).bind(row.id).execute(conn).await.map(|_| ()))?;
    let action = match to {
        ItemStatus::Published => "service.publish",
        ItemStatus::Retired => "service.retire",
        ItemStatus::Draft => "service.unpublish",
    };
    let ev =
        AuditEvent::new(action, "service_item", &row.code).with_detail(json!({ "from": from.code(), "to": to.code() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes a new version of an item's form from its JSON (the import format; the export is
/// the same JSON). Cases already started keep their version.
pub async fn publish_form(ctx: &Ctx<'_>, actor: &StaffActor, code: &str, json_text: &str) -> Result<i32, ServiceError> {
    manage_scope(actor)?;
    let row = item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
    let def: FormDef = serde_json::from_str(json_text)
        .map_err(|e| invalid("definition", format!("表单定义不是有效的 JSON 或结构不对：{e}")))?;
    validate::check_definition(&def).map_err(|problems| invalid("definition", problems.join("；")))?;
    let canonical = serde_json::to_string(&def).map_err(|e| invalid("definition", e.to_string()))?;
    let mut tx = ctx.db.begin_write().await?;
    let version: i32 = with_tx!(&mut tx, conn => sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM service_forms WHERE item_id = $1")
        .bind(row.id).fetch_one(conn).await)?;
    with_tx!(&mut tx, conn => sqlx::query(
        "INSERT INTO service_forms (item_id, version, definition, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(row.id).bind(version).bind(&canonical).bind(&actor.username).bind(ctx.now)
        .execute(conn).await.map(|_| ()))?;
    with_tx!(&mut tx, conn => sqlx::query("UPDATE service_items SET form_version = $1, updated_at = $2 WHERE id = $3")
        .bind(version).bind(ctx.now).bind(row.id).execute(conn).await.map(|_| ()))?;
    let ev = AuditEvent::new("service.form_publish", "service_item", &row.code)
        .with_detail(json!({ "version": version, "fields": def.fields().count() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(version)
}
