//! Workflow definitions: the default, the versions each item publishes (a case keeps the
//! version it started with), their checks against the database, and the editor's data.

use chrono::{DateTime, Utc};
use serde_json::json;
use zhengwu_types::services::ItemStatus;
use zhengwu_types::workflow::{AssigneeRule, DefProblem, ProcessStep, StepAction, StepDef, StepMode, WorkflowDef};

use super::WorkflowError;
use crate::{
    audit::{self, AuditEvent},
    db::{Db, WriteTx},
    identity::{Ctx, Permission, StaffActor},
    services, with_db, with_tx,
};

/// The workflow every item gets until its own is published: 受理 (any reviewer of the item's
/// department) → 审查 (one reviewer chosen by whoever accepted) → 办结.
pub fn default_definition() -> WorkflowDef {
    use StepAction::*;
    WorkflowDef {
        steps: vec![
            StepDef {
                key: "accept".into(),
                name: "受理".into(),
                assignee: AssigneeRule::CaseDepartment { role: "bureau_reviewer".into() },
                mode: StepMode::Any,
                actions: vec![Approve, Reject, Supplement, Transfer, Delegate],
                limit_days: Some(1),
                next: Some("review".into()),
            },
            StepDef {
                key: "review".into(),
                name: "审查决定".into(),
                assignee: AssigneeRule::Chosen { role: "bureau_reviewer".into() },
                mode: StepMode::Single,
                actions: vec![Approve, Reject, Return, Supplement, Transfer, Delegate, Suspend],
                limit_days: None,
                next: None,
            },
        ],
    }
}

/// Version `version` of the item's workflow. A stored definition that does not parse is an
/// error (logged where it surfaces), never "not found".
pub async fn definition(db: &Db, item_id: i64, version: i32) -> Result<Option<WorkflowDef>, sqlx::Error> {
    let text: Option<String> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT definition FROM workflow_definitions WHERE item_id = $1 AND version = $2")
        .bind(item_id).bind(version).fetch_optional(pool).await)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            tracing::error!(item_id, version, error = %e, "workflow: a stored definition does not parse");
            sqlx::Error::Decode(Box::new(e))
        })
    })
    .transpose()
}

/// The item's current workflow: (version, definition); none before the first is published.
pub async fn current(db: &Db, item_id: i64) -> Result<Option<(i32, WorkflowDef)>, sqlx::Error> {
    let v: Option<Option<i32>> = with_db!(db, pool => sqlx::query_scalar(
        "SELECT workflow_version FROM service_items WHERE id = $1").bind(item_id).fetch_optional(pool).await)?;
    match v.flatten() {
        Some(v) => Ok(definition(db, item_id, v).await?.map(|d| (v, d))),
        None => Ok(None),
    }
}

/// The process a published item's new cases run through, for its public guide: its current
/// definition, or the default until it publishes one. Not published: none.
pub async fn public_process(db: &Db, code: &str) -> Result<Option<Vec<ProcessStep>>, sqlx::Error> {
    let Some(item) = services::item_row(db, code).await?.filter(|i| i.status == ItemStatus::Published) else {
        return Ok(None);
    };
    let def = match current(db, item.id).await? {
        Some((_, def)) => def,
        None => default_definition(),
    };
    Ok(Some(def.process()))
}

/// Checks a definition against the database: roles, departments and accounts it names exist.
async fn check_names(db: &Db, def: &WorkflowDef) -> Result<Vec<DefProblem>, sqlx::Error> {
    let mut problems = def.check();
    for (i, s) in def.steps.iter().enumerate() {
        let (role, dept, user) = match &s.assignee {
            AssigneeRule::Role { role, department } => (Some(role), Some(department), None),
            AssigneeRule::CaseDepartment { role } | AssigneeRule::Chosen { role } => (Some(role), None, None),
            AssigneeRule::User { username } => (None, None, Some(username)),
        };
        let exists = |sql: &'static str, v: String| async move {
            let n: i64 = with_db!(db, pool => sqlx::query_scalar(sql).bind(v).fetch_one(pool).await)?;
            Ok::<bool, sqlx::Error>(n > 0)
        };
        if let Some(r) = role {
            if !exists("SELECT COUNT(*) FROM roles WHERE code = $1", r.clone()).await? {
                problems.push(DefProblem { step: Some(i), message: format!("角色“{r}”不存在") });
            }
        }
        if let Some(d) = dept {
            if !exists("SELECT COUNT(*) FROM departments WHERE code = $1", d.clone()).await? {
                problems.push(DefProblem { step: Some(i), message: format!("部门“{d}”不存在") });
            }
        }
        if let Some(u) = user {
            if !exists("SELECT COUNT(*) FROM staff WHERE username = $1 AND status = 'active'", u.clone()).await? {
                problems.push(DefProblem { step: Some(i), message: format!("账号“{u}”不存在或已停用") });
            }
        }
    }
    Ok(problems)
}

/// Publishes a new version of an item's workflow (needs `service:manage` and the item in
/// scope). Running cases keep the version they started with.
pub async fn publish(ctx: &Ctx<'_>, actor: &StaffActor, code: &str, def: &WorkflowDef) -> Result<i32, WorkflowError> {
    actor.require(Permission::ServiceManage).map_err(|_| WorkflowError::Forbidden)?;
    let item = services::item_row(ctx.db, code).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(item.department_id, None, actor.id) {
        return Err(WorkflowError::NotFound);
    }
    let problems = check_names(ctx.db, def).await?;
    if !problems.is_empty() {
        return Err(WorkflowError::BadDefinition(problems));
    }
    // The same definition again is not a new version.
    if let Some((v, current)) = current(ctx.db, item.id).await? {
        if &current == def {
            return Ok(v);
        }
    }
    let text = serde_json::to_string(def).expect("a definition serialises");
    let mut tx = ctx.db.begin_write().await?;
    let version = store_definition(&mut tx, item.id, &text, &actor.username, ctx.now).await?;
    let ev = AuditEvent::new("workflow.publish", "service_item", item.id)
        .with_detail(json!({ "code": code, "version": version, "steps": def.steps.len() }));
    audit::append(&mut tx, ctx.audit, &actor.audit_actor(), ctx.meta, &ev, ctx.now).await?;
    tx.commit().await?;
    Ok(version)
}

/// An item's workflow for the editor: (code, name, current version, definition — the default
/// before any is published). Needs `service:manage` and the item in scope.
pub async fn for_editor(
    db: &Db,
    actor: &StaffActor,
    code: &str,
) -> Result<(String, String, Option<i32>, WorkflowDef), WorkflowError> {
    actor.require(Permission::ServiceManage).map_err(|_| WorkflowError::Forbidden)?;
    let item = services::item_row(db, code)
        .await?
        .filter(|i| actor.scope.covers(i.department_id, None, actor.id))
        .ok_or(WorkflowError::NotFound)?;
    Ok(match current(db, item.id).await? {
        Some((v, d)) => (item.code, item.name, Some(v), d),
        None => (item.code, item.name, None, default_definition()),
    })
}

/// What the structured editor offers: business roles (code, name) and departments (code, name).
pub async fn editor_choices(db: &Db) -> Result<(Vec<(String, String)>, Vec<(String, String)>), sqlx::Error> {
    let roles = with_db!(db, pool => sqlx::query_as(
        "SELECT code, name FROM roles WHERE duty = 'business' ORDER BY id").fetch_all(pool).await)?;
    let departments = with_db!(db, pool => sqlx::query_as(
        "SELECT code, name FROM departments ORDER BY id").fetch_all(pool).await)?;
    Ok((roles, departments))
}

pub(super) async fn store_definition(
    tx: &mut WriteTx,
    item_id: i64,
    text: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i32, sqlx::Error> {
    let version: i32 = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM workflow_definitions WHERE item_id = $1")
        .bind(item_id).fetch_one(conn).await)?;
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO workflow_definitions (item_id, version, definition, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(item_id).bind(version).bind(text).bind(by).bind(now).execute(conn).await.map(|_| ()))?;
    with_tx!(tx, conn => sqlx::query("UPDATE service_items SET workflow_version = $1 WHERE id = $2")
        .bind(version).bind(item_id).execute(conn).await.map(|_| ()))?;
    Ok(version)
}
