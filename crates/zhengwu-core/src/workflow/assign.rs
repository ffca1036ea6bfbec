//! Who gets a step: the assignee rule's candidates, the least-loaded one for single steps, the
//! department's dispatcher when nobody matches (with an alert), and the people a task may be
//! handed or a case assigned to.

use chrono::{DateTime, Utc};
use zhengwu_types::workflow::{AssigneeRule, Person, StepDef, StepMode, TaskStatus};

use super::{case_row::CaseLock, WorkflowError};
use crate::{
    calendar::{Calendar, Counting},
    db::{Db, WriteTx},
    identity::{Permission, StaffActor},
    services, with_db, with_tx,
};

/// Active staff holding `role` in department `dept`.
async fn role_holders(tx: &mut WriteTx, role: &str, dept: i64) -> Result<Vec<i64>, sqlx::Error> {
    with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT DISTINCT s.id FROM staff s JOIN staff_roles sr ON sr.staff_id = s.id JOIN roles r ON r.id = sr.role_id \
         WHERE r.code = $1 AND s.department_id = $2 AND s.status = 'active' ORDER BY s.id")
        .bind(role).bind(dept).fetch_all(conn).await)
}

async fn candidates(
    tx: &mut WriteTx,
    rule: &AssigneeRule,
    case_dept: i64,
    chosen: Option<i64>,
) -> Result<Vec<i64>, sqlx::Error> {
    match rule {
        AssigneeRule::Role { role, department } => {
            let dept: Option<i64> = with_tx!(tx, conn => sqlx::query_scalar("SELECT id FROM departments WHERE code = $1")
                .bind(department).fetch_optional(conn).await)?;
            match dept {
                Some(d) => role_holders(tx, role, d).await,
                None => Ok(vec![]),
            }
        }
        AssigneeRule::CaseDepartment { role } => role_holders(tx, role, case_dept).await,
        AssigneeRule::User { username } => with_tx!(tx, conn => sqlx::query_scalar(
            "SELECT id FROM staff WHERE username = $1 AND status = 'active'").bind(username).fetch_all(conn).await),
        AssigneeRule::Chosen { role } => {
            let holders = role_holders(tx, role, case_dept).await?;
            Ok(match chosen {
                Some(c) if holders.contains(&c) => vec![c],
                // Nobody chosen (e.g. after a return): every holder may take it, first wins.
                _ => holders,
            })
        }
    }
}

/// The dispatcher of the case's department, or of the nearest department above with one.
async fn dispatcher(tx: &mut WriteTx, dept: i64) -> Result<Option<i64>, sqlx::Error> {
    let mut d = Some(dept);
    for _ in 0..16 {
        let Some(id) = d else { break };
        let row: Option<(Option<i64>, Option<i64>)> = with_tx!(tx, conn => sqlx::query_as(
            "SELECT d.dispatcher_id, d.parent_id FROM departments d WHERE d.id = $1")
            .bind(id).fetch_optional(conn).await)?;
        let Some((disp, parent)) = row else { break };
        if let Some(s) = disp {
            let active: Option<i64> = with_tx!(tx, conn => sqlx::query_scalar(
                "SELECT id FROM staff WHERE id = $1 AND status = 'active'").bind(s).fetch_optional(conn).await)?;
            if active.is_some() {
                return Ok(Some(s));
            }
        }
        d = parent;
    }
    Ok(None)
}

/// Creates the tasks of `step` for the case (a new round of the step).
pub(super) async fn create_tasks(
    tx: &mut WriteTx,
    cal: &Calendar,
    c: &CaseLock,
    step: &StepDef,
    chosen: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), WorkflowError> {
    let round: i32 = with_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COALESCE(MAX(round), 0) + 1 FROM case_tasks WHERE case_id = $1 AND step = $2")
        .bind(c.id).bind(&step.key).fetch_one(conn).await)?;
    let today = crate::time::shanghai_date(now);
    let due = step.limit_days.map(|n| cal.add(today, n, Counting::Working).to_string());
    let mut people = candidates(tx, &step.assignee, c.department_id, chosen).await?;
    let mut fallback = false;
    if people.is_empty() {
        fallback = true;
        let d = dispatcher(tx, c.department_id).await?;
        let message = match d {
            Some(_) => format!("环节“{}”没有符合规则的办理人，已转部门分办员", step.name),
            None => format!("环节“{}”没有符合规则的办理人，部门也未设分办员，等待督办人员指派", step.name),
        };
        // No personal data here: the case id and the step.
        tracing::warn!(case_id = c.id, step = %step.key, dispatcher = d.is_some(), "workflow: nobody matches the assignee rule");
        with_tx!(tx, conn => sqlx::query(
            "INSERT INTO workflow_alerts (case_id, department_id, at, message) VALUES ($1, $2, $3, $4)")
            .bind(c.id).bind(c.department_id).bind(now).bind(&message).execute(conn).await.map(|_| ()))?;
        people = d.into_iter().collect();
    } else if step.mode == StepMode::Single && people.len() > 1 {
        // The candidate with the fewest open tasks (ties: the first).
        let mut best = (i64::MAX, people[0]);
        for p in &people {
            let n: i64 = with_tx!(tx, conn => sqlx::query_scalar(
                "SELECT COUNT(*) FROM case_tasks WHERE assignee_id = $1 AND status = $2")
                .bind(p).bind(TaskStatus::Open).fetch_one(conn).await)?;
            if n < best.0 {
                best = (n, *p);
            }
        }
        people = vec![best.1];
    }
    let assignees: Vec<Option<i64>> =
        if people.is_empty() { vec![None] } else { people.into_iter().map(Some).collect() };
    let mode = if fallback { StepMode::Single } else { step.mode };
    for a in assignees {
        with_tx!(tx, conn => sqlx::query(
            "INSERT INTO case_tasks (case_id, step, step_name, round, mode, assignee_id, fallback, status, created_at, due_date) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(c.id).bind(&step.key).bind(&step.name).bind(round).bind(mode).bind(a).bind(fallback)
            .bind(TaskStatus::Open).bind(now).bind(&due).execute(conn).await.map(|_| ()))?;
    }
    Ok(())
}

/// People a task may be handed to: active staff with a role allowing `case:approve`, in the
/// case's department or the actor's.
pub(super) async fn colleagues_in(
    tx_or_db: Either<'_, '_>,
    case_dept: i64,
    actor: &StaffActor,
) -> Result<Vec<Person>, sqlx::Error> {
    const SQL: &str = "SELECT DISTINCT s.id, s.display_name, d.name FROM staff s \
         JOIN departments d ON d.id = s.department_id JOIN staff_roles sr ON sr.staff_id = s.id \
         JOIN role_permissions rp ON rp.role_id = sr.role_id \
         WHERE rp.permission = $4 AND s.status = 'active' AND s.id <> $1 \
         AND (s.department_id = $2 OR s.department_id = $3) ORDER BY s.id";
    let approve = Permission::CaseApprove.code();
    let rows: Vec<(i64, String, String)> = match tx_or_db {
        Either::Tx(tx) => with_tx!(tx, conn => sqlx::query_as(SQL).bind(actor.id).bind(case_dept)
            .bind(actor.department_id).bind(approve).fetch_all(conn).await)?,
        Either::Db(db) => with_db!(db, pool => sqlx::query_as(SQL).bind(actor.id).bind(case_dept)
            .bind(actor.department_id).bind(approve).fetch_all(pool).await)?,
    };
    Ok(rows.into_iter().map(|(id, name, department)| Person { id, name, department }).collect())
}

pub(super) enum Either<'a, 'b> {
    Tx(&'a mut WriteTx),
    Db(&'b Db),
}

/// Who a supervisor may give a task to: active staff with `case:approve` in the supervisor's scope.
pub async fn assignable(db: &Db, actor: &StaffActor) -> Result<Vec<Person>, sqlx::Error> {
    let scope = services::scope_clause(actor, "s.department_id");
    let sql = format!(
        "SELECT DISTINCT s.id, s.display_name, d.name FROM staff s JOIN departments d ON d.id = s.department_id \
         JOIN staff_roles sr ON sr.staff_id = s.id JOIN role_permissions rp ON rp.role_id = sr.role_id \
         WHERE rp.permission = $1 AND s.status = 'active' {scope} ORDER BY s.id"
    );
    let rows: Vec<(i64, String, String)> =
        with_db!(db, pool => sqlx::query_as(&sql).bind(Permission::CaseApprove.code()).fetch_all(pool).await)?;
    Ok(rows.into_iter().map(|(id, name, department)| Person { id, name, department }).collect())
}
