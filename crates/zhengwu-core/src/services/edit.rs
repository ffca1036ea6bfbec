//! The staff's side of the catalogue: items in their data scope, created, edited, published or
//! retired, and their forms versioned. Every change needs `service:manage` and is audited.

use serde_json::json;
use zhengwu_types::{
    services::{
        DayKind, DeliveryMethod, Faq, FormDef, ItemStatus, ServiceFilter, ServiceGuide, ServiceObject, ServiceSummary,
    },
    Page, PageRequest,
};

use super::{covers, invalid, manage_scope, read, validate, ServiceError};
use crate::{
    audit::{self, AuditEvent},
    identity::{Ctx, StaffActor},
    with_db, with_tx,
};

/// Every item the staff member may manage (all statuses), filtered and paged.
pub async fn list_for_staff(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    filter: &ServiceFilter,
    status: Option<ItemStatus>,
    page: PageRequest,
) -> Result<Page<ServiceSummary>, ServiceError> {
    let scope = manage_scope(actor)?;
    Ok(read::list(ctx.db, status, filter, scope.as_deref(), page).await?)
}

/// An item's guide and its current form, for editing.
pub async fn item_for_staff(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    code: &str,
) -> Result<(ServiceGuide, Option<(i32, FormDef)>), ServiceError> {
    manage_scope(actor)?;
    let row =
        read::item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
    let form = match row.form_version {
        Some(v) => read::form_at(ctx.db, row.id, v).await?.map(|f| (v, f)),
        None => None,
    };
    Ok((read::guide_of(ctx.db, row).await?, form))
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
    pub keywords: String,
    pub visits: i32,
    pub complaint_phone: String,
    pub fee_basis: String,
    pub result_name: String,
    pub delivery: Vec<DeliveryMethod>,
    pub faq: Vec<Faq>,
}

/// The questions as staff write them: blocks of "问：…" and "答：…" lines (an answer may run
/// over several lines). Anything else is refused with the line it is on.
pub fn parse_faq(text: &str) -> Result<Vec<Faq>, ServiceError> {
    let mut out: Vec<Faq> = vec![];
    let mut answering = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(q) = line.strip_prefix("问：").or_else(|| line.strip_prefix("问:")) {
            out.push(Faq { q: q.trim().to_string(), a: String::new() });
            answering = false;
        } else if let Some(a) = line.strip_prefix("答：").or_else(|| line.strip_prefix("答:")) {
            match out.last_mut() {
                Some(f) if f.a.is_empty() => f.a = a.trim().to_string(),
                _ => return Err(invalid("faq", format!("第 {} 行：“答：”前须有一个“问：”", n + 1))),
            }
            answering = true;
        } else if answering {
            let f = out.last_mut().expect("answering follows a question");
            f.a.push('\n');
            f.a.push_str(line);
        } else {
            return Err(invalid("faq", format!("第 {} 行：每个问题以“问：”开头，回答以“答：”开头", n + 1)));
        }
    }
    if let Some(f) = out.iter().find(|f| f.q.is_empty() || f.a.is_empty()) {
        let what = if f.q.is_empty() {
            "有一个问题是空的".to_string()
        } else {
            format!("问题“{}”没有回答", f.q)
        };
        return Err(invalid("faq", what));
    }
    if out.len() > 30 {
        return Err(invalid("faq", "常见问题最多 30 条"));
    }
    Ok(out)
}

impl ItemEdit {
    fn check(&self) -> Result<(), ServiceError> {
        if !(0..=2).contains(&self.visits) {
            return Err(invalid("visits", "到现场次数须为 0、1 或 2 次"));
        }
        if self.delivery.is_empty() {
            return Err(invalid("delivery", "请至少选择一种结果送达方式"));
        }
        if self.visits == 0 && self.online_depth < 4 {
            return Err(invalid("visits", "到现场 0 次的事项须为四级（全程网办）"));
        }
        if self.keywords.chars().count() > 200 {
            return Err(invalid("keywords", "别名和关键词合计不超过 200 个字"));
        }
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
    let row =
        read::item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
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
        phone,
        keywords,
        visits,
        complaint_phone,
        fee_basis,
        result_name
    );
    if read::stored_faq(&row)? != e.faq {
        changed.push("faq");
    }
    if row.delivery_methods() != e.delivery {
        changed.push("delivery");
    }
    if row.day_kind != e.day_kind {
        changed.push("day_kind");
    }
    let faq = serde_json::to_string(&e.faq).expect("questions serialise");
    let mut tx = ctx.db.begin_write().await?;
    with_tx!(&mut tx, conn => sqlx::query(
        "UPDATE service_items SET name = $1, summary = $2, eligibility = $3, legal_basis = $4, statutory_days = $5, \
         promised_days = $6, day_kind = $7, fees = $8, venue = $9, hours = $10, online_depth = $11, phone = $12, \
         updated_at = $13, keywords = $15, visits = $16, complaint_phone = $17, fee_basis = $18, result_name = $19, \
         delivery = $20, faq = $21 WHERE id = $14")
        .bind(e.name.trim()).bind(&e.summary).bind(&e.eligibility).bind(&e.legal_basis).bind(e.statutory_days)
        .bind(e.promised_days).bind(e.day_kind.code()).bind(&e.fees).bind(&e.venue).bind(&e.hours)
        .bind(e.online_depth).bind(&e.phone).bind(ctx.now).bind(row.id)
        .bind(e.keywords.trim()).bind(e.visits).bind(&e.complaint_phone).bind(&e.fee_basis).bind(&e.result_name)
        .bind(DeliveryMethod::list_code(&e.delivery)).bind(&faq)
        .execute(conn).await.map(|_| ()))?;
    let ev = AuditEvent::new("service.update", "service_item", &row.code).with_detail(json!({ "changed": changed }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(())
}

/// Publishes or retires an item. Publishing needs a form when the item is offered online.
pub async fn set_status(ctx: &Ctx<'_>, actor: &StaffActor, code: &str, to: ItemStatus) -> Result<(), ServiceError> {
    manage_scope(actor)?;
    let row =
        read::item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
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
    let row =
        read::item_row(ctx.db, code).await?.filter(|r| covers(actor, r.department_id)).ok_or(ServiceError::NotFound)?;
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
