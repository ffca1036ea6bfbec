//! The demo service catalogue (services.toml): themes, form templates and 30+ items.
//! Seeded in one transaction, only when the catalogue is empty (a database from before the
//! catalogue existed gets it on its next start; real data is never mixed with it).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use zhengwu_types::services::{DeliveryMethod, Faq, FormDef, Material, ServiceObject};

use super::SeedError;
use crate::{db::Db, services::validate, with_tx};

const SERVICES: &str = include_str!("services.toml");

#[derive(Deserialize)]
struct CatalogueFile {
    hours: String,
    venue: String,
    theme: Vec<ThemeData>,
    forms: HashMap<String, String>,
    item: Vec<ItemData>,
}

#[derive(Deserialize)]
struct ThemeData {
    code: String,
    name: String,
    kind: String,
}

#[derive(Deserialize)]
struct ItemData {
    code: String,
    name: String,
    department: String,
    object: String,
    themes: Vec<String>,
    summary: String,
    eligibility: String,
    materials: Vec<Material>,
    legal_basis: String,
    /// [statutory, promised]
    days: [i32; 2],
    kind: String,
    fees: String,
    depth: i32,
    phone: String,
    form: Option<String>,
    #[serde(default)]
    keywords: String,
    /// 结果名称.
    #[serde(default)]
    result: String,
    /// Delivery codes, comma-separated; default: by online depth.
    #[serde(default)]
    delivery: Option<String>,
    /// 到现场次数; default: 0 for fully online items, else 1.
    #[serde(default)]
    visits: Option<i32>,
    #[serde(default)]
    fee_basis: String,
    #[serde(default)]
    faq: Vec<Faq>,
}

impl ItemData {
    fn delivery(&self) -> String {
        match &self.delivery {
            Some(d) => d.clone(),
            None if self.depth >= 4 => "electronic,window".into(),
            None => "window".into(),
        }
    }

    fn visits(&self) -> i32 {
        self.visits.unwrap_or(if self.depth >= 4 { 0 } else { 1 })
    }
}

fn parse() -> Result<(CatalogueFile, HashMap<String, FormDef>), SeedError> {
    let file: CatalogueFile = toml::from_str(SERVICES).map_err(|e| SeedError::Data(e.to_string()))?;
    let mut forms = HashMap::new();
    for (name, json) in &file.forms {
        let def: FormDef =
            serde_json::from_str(json).map_err(|e| SeedError::Data(format!("form template {name}: {e}")))?;
        validate::check_definition(&def)
            .map_err(|p| SeedError::Data(format!("form template {name}: {}", p.join("; "))))?;
        forms.insert(name.clone(), def);
    }
    for i in &file.item {
        let bad = |what: &str| SeedError::Data(format!("item {}: {what}", i.code));
        if ServiceObject::parse(&i.object).is_none() {
            return Err(bad("unknown object"));
        }
        if i.days[1] > i.days[0] {
            return Err(bad("promised limit longer than the statutory one"));
        }
        if let Some(f) = &i.form {
            if !forms.contains_key(f) {
                return Err(bad("unknown form template"));
            }
        } else if i.depth >= 3 {
            return Err(bad("online depth 3+ needs a form"));
        }
        if DeliveryMethod::parse_list(&i.delivery()).len() != i.delivery().split(',').count() {
            return Err(bad("unknown delivery method"));
        }
        if !(0..=2).contains(&i.visits()) || (i.visits() == 0 && i.depth < 4) {
            return Err(bad("visits must be 0–2, and 0 only for fully online items"));
        }
        if let Some(t) = i.themes.iter().find(|t| !file.theme.iter().any(|x| &x.code == *t)) {
            return Err(bad(&format!("unknown theme {t}")));
        }
    }
    Ok((file, forms))
}

/// Seeds the catalogue when it is empty. Returns how many items were added.
pub async fn seed_services(db: &Db, now: DateTime<Utc>) -> Result<usize, SeedError> {
    let (file, forms) = parse()?;
    let mut tx = db.begin_write().await?;
    let existing: i64 =
        with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT COUNT(*) FROM service_items").fetch_one(conn).await)?;
    if existing > 0 {
        return Ok(0);
    }
    for (pos, t) in file.theme.iter().enumerate() {
        with_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO service_themes (code, name, kind, position) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING")
            .bind(&t.code).bind(&t.name).bind(&t.kind).bind(pos as i32).execute(conn).await.map(|_| ()))?;
    }
    for i in &file.item {
        let dept: Option<i64> = with_tx!(&mut tx, conn => sqlx::query_scalar("SELECT id FROM departments WHERE code = $1")
            .bind(&i.department).fetch_optional(conn).await)?;
        let Some(dept) = dept else {
            // Only the demo county has these departments.
            return Err(SeedError::Data(format!("item {}: no department {}", i.code, i.department)));
        };
        let materials = serde_json::to_string(&i.materials).map_err(|e| SeedError::Data(e.to_string()))?;
        let faq = serde_json::to_string(&i.faq).map_err(|e| SeedError::Data(e.to_string()))?;
        let id: i64 = with_tx!(&mut tx, conn => sqlx::query_scalar(
            "INSERT INTO service_items (code, name, department_id, object, status, summary, eligibility, materials, \
             legal_basis, statutory_days, promised_days, day_kind, fees, venue, hours, online_depth, phone, \
             created_at, updated_at, keywords, result_name, delivery, visits, fee_basis, faq) \
             VALUES ($1, $2, $3, $4, 'published', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, \
             $18, $19, $20, $21, $22, $23) \
             RETURNING id")
            .bind(&i.code).bind(&i.name).bind(dept).bind(&i.object).bind(&i.summary).bind(&i.eligibility)
            .bind(&materials).bind(&i.legal_basis).bind(i.days[0]).bind(i.days[1]).bind(&i.kind).bind(&i.fees)
            .bind(&file.venue).bind(&file.hours).bind(i.depth).bind(&i.phone).bind(now)
            .bind(&i.keywords).bind(&i.result).bind(i.delivery()).bind(i.visits()).bind(&i.fee_basis).bind(&faq)
            .fetch_one(conn).await)?;
        for t in &i.themes {
            with_tx!(&mut tx, conn => sqlx::query("INSERT INTO service_item_themes (item_id, theme_code) VALUES ($1, $2)")
                .bind(id).bind(t).execute(conn).await.map(|_| ()))?;
        }
        if let Some(f) = &i.form {
            let def = serde_json::to_string(&forms[f]).map_err(|e| SeedError::Data(e.to_string()))?;
            with_tx!(&mut tx, conn => sqlx::query(
                "INSERT INTO service_forms (item_id, version, definition, created_by, created_at) VALUES ($1, 1, $2, 'demo', $3)")
                .bind(id).bind(&def).bind(now).execute(conn).await.map(|_| ()))?;
            with_tx!(&mut tx, conn => sqlx::query("UPDATE service_items SET form_version = 1 WHERE id = $1")
                .bind(id).execute(conn).await.map(|_| ()))?;
        }
    }
    tx.commit().await?;
    Ok(file.item.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalogue_is_complete_and_consistent() {
        let (file, forms) = parse().unwrap();
        assert!(file.item.len() >= 30, "the issue asks for 30+ items");
        let departments: std::collections::HashSet<_> = file.item.iter().map(|i| &i.department).collect();
        assert!(departments.len() >= 8, "across 8+ departments");
        let center = [
            "family_planning",
            "pension",
            "unemployment",
            "resident_insurance",
            "healthcare",
            "party_dues",
            "employment",
            "hr_social",
        ];
        for t in center {
            assert!(file.item.iter().any(|i| i.themes.iter().any(|x| x == t)), "theme {t} has no item");
        }
        for kind in ["center", "life", "enterprise"] {
            assert!(file.theme.iter().any(|t| t.kind == kind));
        }
        assert!(file.item.iter().any(|i| i.object == "enterprise"));
        assert!(forms.len() >= 4);
        let codes: std::collections::HashSet<_> = file.item.iter().map(|i| &i.code).collect();
        assert_eq!(codes.len(), file.item.len(), "codes are unique");
    }
}
