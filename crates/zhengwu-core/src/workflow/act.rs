//! What an assignee does with their task: the action's input checked, what the transaction
//! needs read first, then one transaction that takes the case's row, checks the task is still
//! open and the actor's, applies the action (`decide`, `hand`), and records the audit event.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use zhengwu_types::{
    services::CaseStatus,
    workflow::{StepAction, StepDef, StepMode, TaskStatus, WorkflowDef},
};

use super::{
    case_row::{self, staff_name, CaseLock},
    decide,
    definitions::definition,
    hand, invalid, text, ClockPolicy, WorkflowError,
};
use crate::{
    audit::{self, Actor, AuditEvent},
    calendar::{self, Calendar},
    db::WriteTx,
    identity::{Ctx, Permission, StaffActor},
    services, with_db, with_tx,
};

/// What a staff member does with their task.
#[derive(Debug, Clone)]
pub enum Act {
    /// 同意; `choose`: the next step's assignee when its rule lets this step choose.
    Approve {
        opinion: String,
        choose: Option<i64>,
    },
    Reject {
        reason: String,
    },
    Return {
        to: String,
        opinion: String,
    },
    Supplement {
        message: String,
        fields: Vec<String>,
    },
    Transfer {
        to: i64,
        opinion: String,
    },
    Delegate {
        to: i64,
        opinion: String,
    },
    /// The owner takes a delegated task back.
    TakeBack,
    /// Stop the clock for an external procedure.
    Suspend {
        note: String,
    },
    /// Restart it.
    Resume,
    /// Ask a permission holder for more time (延期申请).
    RequestExtension {
        days: u32,
        reason: String,
    },
    /// Show the case to a colleague for information (抄送).
    Copy {
        to: i64,
        note: String,
    },
}

impl Act {
    /// The step action this needs the step to allow (none: always allowed).
    fn step_action(&self) -> Option<StepAction> {
        Some(match self {
            Act::Approve { .. } => StepAction::Approve,
            Act::Reject { .. } => StepAction::Reject,
            Act::Return { .. } => StepAction::Return,
            Act::Supplement { .. } => StepAction::Supplement,
            Act::Transfer { .. } => StepAction::Transfer,
            Act::Delegate { .. } => StepAction::Delegate,
            Act::Suspend { .. } | Act::Resume => StepAction::Suspend,
            Act::TakeBack | Act::RequestExtension { .. } | Act::Copy { .. } => return None,
        })
    }

    fn audit_name(&self) -> &'static str {
        match self {
            Act::Approve { .. } => "case.approve",
            Act::Reject { .. } => "case.reject",
            Act::Return { .. } => "case.return",
            Act::Supplement { .. } => "case.supplement_request",
            Act::Transfer { .. } => "case.transfer",
            Act::Delegate { .. } => "case.delegate",
            Act::TakeBack => "case.take_back",
            Act::Suspend { .. } => "case.suspend",
            Act::Resume => "case.resume",
            Act::RequestExtension { .. } => "case.extension_request",
            Act::Copy { .. } => "case.copy",
        }
    }

    /// Decides the case (needs `case:approve`), as opposed to handing the task on.
    fn deciding(&self) -> bool {
        !matches!(self, Act::Transfer { .. } | Act::Delegate { .. } | Act::TakeBack | Act::Copy { .. })
    }

    /// Allowed while the clock is stopped for an external procedure.
    fn allowed_while_paused(&self) -> bool {
        matches!(
            self,
            Act::Resume
                | Act::Transfer { .. }
                | Act::Delegate { .. }
                | Act::TakeBack
                | Act::RequestExtension { .. }
                | Act::Copy { .. }
        )
    }

    /// The input checked and trimmed.
    fn checked(self) -> Result<Act, WorkflowError> {
        Ok(match self {
            Act::Approve { opinion, choose } => {
                Act::Approve { opinion: text(&opinion, "opinion", 0, 500, "审批意见")?, choose }
            }
            Act::Reject { reason } => Act::Reject { reason: text(&reason, "reason", 2, 500, "不予通过的理由")? },
            Act::Return { to, opinion } => {
                Act::Return { to, opinion: text(&opinion, "opinion", 2, 500, "退回理由")? }
            }
            Act::Supplement { message, fields } => {
                let message = text(&message, "message", 2, 500, "需要补正的内容")?;
                if fields.is_empty() {
                    return Err(invalid("fields", "请至少选择一项需要补正的内容"));
                }
                Act::Supplement { message, fields }
            }
            Act::Suspend { note } => {
                Act::Suspend { note: text(&note, "note", 2, 200, "特别程序的名称和原因")? }
            }
            Act::Copy { to, note } => Act::Copy { to, note: text(&note, "note", 0, 200, "抄送说明")? },
            Act::RequestExtension { days, reason } => {
                if !(1..=60).contains(&days) {
                    return Err(invalid("days", "延期天数须为 1–60 天"));
                }
                Act::RequestExtension { days, reason: text(&reason, "reason", 2, 500, "延期理由")? }
            }
            other => other,
        })
    }
}

/// What an action did, for the page that follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The case moved on to a step (name), or stays while countersigning continues.
    Moved {
        step: String,
    },
    Waiting,
    Concluded(CaseStatus),
    Returned {
        step: String,
    },
    Handed,
    Paused,
    Resumed,
}

/// The task's row, read again inside the transaction.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct TaskLock {
    pub id: i64,
    pub step: String,
    pub round: i32,
    pub mode: StepMode,
    pub assignee_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub fallback: bool,
    pub status: TaskStatus,
    pub decided_by: Option<i64>,
}

/// What every action's branch works with, besides the transaction.
pub(super) struct Acting<'a> {
    pub c: CaseLock,
    pub t: TaskLock,
    pub def: &'a WorkflowDef,
    pub step: &'a StepDef,
    pub cal: &'a Calendar,
    pub actor: &'a StaffActor,
    pub me: Actor,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub policy: ClockPolicy,
}

/// Acts on a task. See the module's rules; on any error nothing changed.
pub async fn act(
    ctx: &Ctx<'_>,
    actor: &StaffActor,
    task_id: i64,
    action: Act,
    policy: ClockPolicy,
) -> Result<Outcome, WorkflowError> {
    actor.require(Permission::CaseRead).map_err(|_| WorkflowError::Forbidden)?;
    if action.deciding() {
        actor.require(Permission::CaseApprove).map_err(|_| WorkflowError::Forbidden)?;
    }
    // Validate the input and read what the transaction needs before it starts.
    let action = action.checked()?;
    let case_id: Option<i64> = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT case_id FROM case_tasks WHERE id = $1")
        .bind(task_id).fetch_optional(pool).await)?;
    let case_id = case_id.ok_or(WorkflowError::NotFound)?;
    let before = case_row::read(ctx.db, case_id).await?.ok_or(WorkflowError::NotFound)?;
    if !actor.scope.covers(before.department_id, None, actor.id) {
        return Err(WorkflowError::NotFound);
    }
    let version = before.workflow_version.ok_or(WorkflowError::NotFound)?;
    let def = definition(ctx.db, before.item_id, version).await?.ok_or(WorkflowError::NotFound)?;
    let cal = calendar::load(ctx.db).await?;
    if let Act::Supplement { fields, .. } = &action {
        let form_version: i32 = with_db!(ctx.db, pool => sqlx::query_scalar("SELECT form_version FROM cases WHERE id = $1")
            .bind(case_id).fetch_one(pool).await)?;
        let form = services::form_at(ctx.db, before.item_id, form_version).await?.ok_or(WorkflowError::NotFound)?;
        if let Some(bad) = fields.iter().find(|f| form.field(f).is_none()) {
            return Err(invalid("fields", format!("表单中没有“{bad}”这一项")));
        }
    }
    let now = ctx.now;

    let mut tx = ctx.db.begin_write().await?;
    let c = case_row::lock(&mut tx, case_id).await?.ok_or(WorkflowError::NotFound)?;
    let t: TaskLock = with_tx!(&mut tx, conn => sqlx::query_as(
        "SELECT id, step, round, mode, assignee_id, owner_id, fallback, status, decided_by \
         FROM case_tasks WHERE id = $1").bind(task_id).fetch_one(conn).await)?;
    if t.status != TaskStatus::Open {
        return Err(WorkflowError::AlreadyHandled { by: handled_by(&mut tx, &c, &t).await? });
    }
    let mine = match action {
        Act::TakeBack => t.owner_id == Some(actor.id),
        _ => t.assignee_id == Some(actor.id),
    };
    if !mine {
        return Err(WorkflowError::Forbidden);
    }
    let step = def.step(&t.step).ok_or(WorkflowError::NotFound)?;
    // The dispatcher of a fallback task may hand it on whatever the step allows.
    let allowed = match action.step_action() {
        Some(StepAction::Transfer) if t.fallback => true,
        Some(a) => step.allows(a),
        None => true,
    };
    if !allowed {
        return Err(invalid("action", "本环节不允许该操作"));
    }
    if !matches!(c.status, CaseStatus::Submitted | CaseStatus::Processing) {
        return Err(invalid("action", "该办件当前不能办理"));
    }
    if c.paused_external() && !action.allowed_while_paused() {
        return Err(invalid("action", "特别程序期间暂停办理：请先恢复计时"));
    }
    let mut detail = json!({ "task": t.id, "step": t.step });
    let case = c.id;
    let a = Acting {
        c,
        t,
        def: &def,
        step,
        cal: &cal,
        actor,
        me: actor.audit_actor(),
        now,
        today: crate::time::shanghai_date(now),
        policy,
    };
    let outcome = match action.clone() {
        Act::Approve { opinion, choose } => decide::approve(&mut tx, &a, &mut detail, &opinion, choose).await?,
        Act::Reject { reason } => decide::reject(&mut tx, &a, &reason).await?,
        Act::Return { to, opinion } => decide::return_to(&mut tx, &a, &mut detail, &to, &opinion).await?,
        Act::Supplement { message, fields } => decide::supplement(&mut tx, &a, &mut detail, &message, &fields).await?,
        Act::Transfer { to, opinion } => hand::transfer(&mut tx, &a, &mut detail, to, &opinion).await?,
        Act::Delegate { to, opinion } => hand::delegate(&mut tx, &a, &mut detail, to, &opinion).await?,
        Act::TakeBack => hand::take_back(&mut tx, &a).await?,
        Act::Suspend { note } => hand::suspend(&mut tx, &a, &note).await?,
        Act::Resume => hand::resume(&mut tx, &a).await?,
        Act::Copy { to, note } => hand::copy(&mut tx, &a, &mut detail, to, &note).await?,
        Act::RequestExtension { days, reason } => {
            hand::request_extension(&mut tx, &a, &mut detail, days, &reason).await?
        }
    };
    with_tx!(&mut tx, conn => sqlx::query("UPDATE cases SET updated_at = $1 WHERE id = $2")
        .bind(now).bind(case).execute(conn).await.map(|_| ()))?;
    let ev = AuditEvent::new(action.audit_name(), "case", case).with_detail(detail);
    audit::append(&mut tx, ctx.audit, &a.me, ctx.meta, &ev, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Who handled a task that is no longer open: its decider, or (cancelled because a sibling —
/// 或签 — or another action came first) whoever decided its round.
async fn handled_by(tx: &mut WriteTx, c: &CaseLock, t: &TaskLock) -> Result<String, sqlx::Error> {
    let decided_by = match t.decided_by {
        Some(id) => Some(id),
        None => with_tx!(tx, conn => sqlx::query_scalar(
            "SELECT decided_by FROM case_tasks WHERE case_id = $1 AND step = $2 AND round = $3 AND status = $4 \
             ORDER BY decided_at DESC, id DESC LIMIT 1")
            .bind(c.id).bind(&t.step).bind(t.round).bind(TaskStatus::Done).fetch_optional(conn).await)?
        .flatten(),
    };
    match decided_by {
        Some(id) => staff_name(tx, id).await,
        None => Ok("其他人员".into()),
    }
}
