//! 查阅、复制 (个人信息保护法 第四十五条): everything the platform holds about a citizen, as one
//! JSON document they download — the account, real-name data in clear (it is theirs), the
//! consents given, favourites, and every case with its answers, delivery, files (names and
//! digests) and public timeline. The export is audited (what was exported: counts only).

use serde_json::{json, Value};

use super::{my_case, my_cases, CaseError};
use crate::{
    audit::{self, AuditEvent},
    citizen::{self, CitizenActor, CitizenError, PersonalKeys},
    identity::Ctx,
};

fn from_citizen(e: CitizenError) -> CaseError {
    match e {
        CitizenError::Db(e) => CaseError::Db(e),
        CitizenError::Audit(e) => CaseError::Audit(e),
        _ => CaseError::NotFound,
    }
}

pub async fn my_data(ctx: &Ctx<'_>, keys: &PersonalKeys, actor: &CitizenActor) -> Result<Value, CaseError> {
    let profile = citizen::clear_profile(ctx.db, keys, actor.id).await?.ok_or(CaseError::NotFound)?;
    let consents = citizen::my_consents(ctx.db, actor.id).await.map_err(from_citizen)?;
    let favourites = citizen::favourites(ctx, actor).await.map_err(from_citizen)?;
    let mut cases = vec![];
    for s in my_cases(ctx, actor).await? {
        let d = my_case(ctx, keys, actor, s.id).await?;
        cases.push(json!({
            "tracking_no": s.tracking_no,
            "service": { "code": s.service_code, "name": s.service_name },
            "department": s.department,
            "status": s.status.name_zh(),
            "submitted_at": s.submitted_at,
            "updated_at": s.updated_at,
            "answers": d.answers.iter().map(|a| json!({ "label": a.label, "value": a.value })).collect::<Vec<_>>(),
            "files": d.files.iter().map(|f| json!({ "name": f.name, "bytes": f.size_bytes, "sm3": f.sm3 })).collect::<Vec<_>>(),
            "delivery": d.delivery.map(|dl| json!({ "method": dl.method.name_zh(), "address": dl.address })),
            "timeline": d.timeline.iter().map(|t| json!({ "at": t.at, "what": t.title, "message": t.message })).collect::<Vec<_>>(),
        }));
    }
    let doc = json!({
        "exported_at": crate::time::local_minute(ctx.now),
        "account": {
            "id": actor.id,
            "phone": profile.phone,
            "real_name": profile.real_name,
            "id_number": profile.id_number,
        },
        "consents": consents.iter().map(|(k, v, at)| json!({ "document": k.name_zh(), "version": v, "accepted_at": at })).collect::<Vec<_>>(),
        "favourites": favourites.iter().map(|f| json!({ "code": f.code, "name": f.name })).collect::<Vec<_>>(),
        "cases": cases,
        "note": "已办结的办件材料和操作记录按档案管理规定保存，注销账号后仍依法保存。",
    });
    let mut tx = ctx.db.begin_write().await?;
    let ev = AuditEvent::new("citizen.data_export", "citizen", actor.id)
        .with_detail(json!({ "cases": doc["cases"].as_array().map(Vec::len), "favourites": favourites.len() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(doc)
}
