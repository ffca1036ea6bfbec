//! Workflow definitions (流程定义) as data, and what the staff pages show of a case's workflow
//! and its time limit.
//!
//! A definition is a sequence of steps, each with an assignee rule, a mode (one person,
//! countersign 会签, any-sign 或签), the actions allowed there, an optional step limit, and the
//! step approval leads to (none: the case concludes, granted). Definitions are versioned; a case
//! keeps the version it started with.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Who gets a step's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AssigneeRule {
    /// Staff holding `role` in department `department` (code).
    Role { role: String, department: String },
    /// Staff holding `role` in the department handling the case (the item's department).
    CaseDepartment { role: String },
    /// One named account.
    User { username: String },
    /// The person who approved the previous step chooses, among holders of `role` in the case's
    /// department.
    Chosen { role: String },
}

impl AssigneeRule {
    pub fn describe_zh(&self) -> String {
        match self {
            AssigneeRule::Role { role, department } => format!("{department} 部门的 {role} 角色"),
            AssigneeRule::CaseDepartment { role } => format!("办件所属部门的 {role} 角色"),
            AssigneeRule::User { username } => format!("指定人员 {username}"),
            AssigneeRule::Chosen { role } => format!("上一环节办理人从 {role} 角色中选定"),
        }
    }
}

crate::code_enum! {
    #[derive(Serialize, Deserialize, Default)]
    #[serde(rename_all = "snake_case")]
    pub enum StepMode {
        /// One person: the candidate with the fewest open tasks.
        #[default]
        Single = "single",
        /// Countersign (会签): every candidate must approve.
        All = "all",
        /// Any-sign (或签): the first decision wins.
        Any = "any",
    }
}

impl StepMode {
    pub fn name_zh(self) -> &'static str {
        match self {
            StepMode::Single => "单人办理",
            StepMode::All => "会签（全部同意）",
            StepMode::Any => "或签（一人决定）",
        }
    }
}

crate::code_enum! {
    /// The actions a step may allow its assignees (also a task's decision).
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum StepAction {
        Approve = "approve",
        Reject = "reject",
        /// Back to an earlier step (退回).
        Return = "return",
        /// Back to the applicant for missing or corrected materials (补正).
        Supplement = "supplement",
        /// Hand the task to someone else (转办).
        Transfer = "transfer",
        /// Let someone act for me, and take it back while open (委派).
        Delegate = "delegate",
        /// Stop the clock for an external procedure (expert review, hearing, testing; 不计入期限).
        Suspend = "suspend",
    }
}

impl StepAction {
    pub fn name_zh(self) -> &'static str {
        match self {
            StepAction::Approve => "同意",
            StepAction::Reject => "不予通过",
            StepAction::Return => "退回",
            StepAction::Supplement => "退回补正",
            StepAction::Transfer => "转办",
            StepAction::Delegate => "委派",
            StepAction::Suspend => "特别程序（暂停计时）",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDef {
    /// Stable key, `[a-z0-9_]`, used in the case's state.
    pub key: String,
    pub name: String,
    pub assignee: AssigneeRule,
    #[serde(default)]
    pub mode: StepMode,
    pub actions: Vec<StepAction>,
    /// Working days for this step, counted from the day its tasks are created.
    #[serde(default)]
    pub limit_days: Option<u32>,
    /// The step approval leads to; none: approving concludes the case (办结).
    #[serde(default)]
    pub next: Option<String>,
}

impl StepDef {
    pub fn allows(&self, a: StepAction) -> bool {
        self.actions.contains(&a)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowDef {
    pub steps: Vec<StepDef>,
}

/// One step of an item's process as the public guide draws it: the step's name, how it is
/// decided, and its own limit. Who handles it internally is not shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessStep {
    pub name: String,
    pub mode: StepMode,
    pub limit_days: Option<u32>,
}

impl WorkflowDef {
    /// The steps in the order a case runs through them when each is approved (from the first,
    /// following `next`; a step seen twice ends the walk).
    pub fn process(&self) -> Vec<ProcessStep> {
        let mut out = vec![];
        let mut seen = BTreeSet::new();
        let mut at = self.steps.first();
        while let Some(step) = at {
            if !seen.insert(step.key.clone()) {
                break;
            }
            out.push(ProcessStep { name: step.name.clone(), mode: step.mode, limit_days: step.limit_days });
            at = step.next.as_ref().and_then(|n| self.steps.iter().find(|s| &s.key == n));
        }
        out
    }
}

/// A problem with a definition, for the editor: where (step index, or none for the whole) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefProblem {
    pub step: Option<usize>,
    pub message: String,
}

impl WorkflowDef {
    pub fn step(&self, key: &str) -> Option<&StepDef> {
        self.steps.iter().find(|s| s.key == key)
    }

    pub fn first(&self) -> Option<&StepDef> {
        self.steps.first()
    }

    /// The steps from the first, following `next`: the path a case takes when every step approves.
    pub fn path(&self) -> Vec<&StepDef> {
        let mut seen = BTreeSet::new();
        let mut out = vec![];
        let mut cur = self.first();
        while let Some(s) = cur {
            if !seen.insert(s.key.as_str()) {
                break;
            }
            out.push(s);
            cur = s.next.as_deref().and_then(|k| self.step(k));
        }
        out
    }

    /// The steps before `key` on the path (where "return" may send a case).
    pub fn earlier(&self, key: &str) -> Vec<&StepDef> {
        self.path().into_iter().take_while(|s| s.key != key).collect()
    }

    /// The structural checks: keys, names, references, every step reachable from the first,
    /// a path from every step to an end (no cycles), a way forward at every step. The roles,
    /// departments and accounts named are checked against the database by the server.
    pub fn check(&self) -> Vec<DefProblem> {
        let mut problems = vec![];
        let mut p = |step: Option<usize>, message: String| problems.push(DefProblem { step, message });
        if self.steps.is_empty() || self.steps.len() > 20 {
            p(None, "流程须有 1–20 个环节".into());
            return problems;
        }
        let mut keys = BTreeSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            let key_ok = (1..=30).contains(&s.key.len())
                && s.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                p(Some(i), format!("环节标识“{}”须为 1–30 个小写字母、数字或下划线", s.key));
            } else if !keys.insert(s.key.as_str()) {
                p(Some(i), format!("环节标识“{}”重复", s.key));
            }
            if !(1..=30).contains(&s.name.trim().chars().count()) {
                p(Some(i), "请填写环节名称（1–30 字）".into());
            }
            if !s.allows(StepAction::Approve) {
                p(Some(i), format!("环节“{}”须允许“同意”，否则办件无法向前流转", s.name));
            }
            if s.limit_days.is_some_and(|d| d == 0 || d > 365) {
                p(Some(i), "环节时限须为 1–365 个工作日".into());
            }
            if let Some(n) = &s.next {
                if n == &s.key {
                    p(Some(i), format!("环节“{}”的下一环节不能是它自己", s.name));
                } else if self.step(n).is_none() {
                    p(Some(i), format!("下一环节“{n}”不存在"));
                }
            }
            let rule_ok = match &s.assignee {
                AssigneeRule::Role { role, department } => !role.trim().is_empty() && !department.trim().is_empty(),
                AssigneeRule::CaseDepartment { role } | AssigneeRule::Chosen { role } => !role.trim().is_empty(),
                AssigneeRule::User { username } => !username.trim().is_empty(),
            };
            if !rule_ok {
                p(Some(i), "请完整填写办理人规则".into());
            }
            if i == 0 && matches!(s.assignee, AssigneeRule::Chosen { .. }) {
                p(Some(i), "第一个环节没有上一环节，不能由上一环节选定办理人".into());
            }
        }
        if !problems.is_empty() {
            return problems;
        }
        // Every step reachable from the first, and the path ends (no cycle).
        let path = self.path();
        let last_next = path.last().and_then(|s| s.next.as_deref());
        if let Some(k) = last_next {
            let i = self.steps.iter().position(|s| s.key == k);
            problems.push(DefProblem {
                step: i, message: format!("流程在环节“{k}”处形成循环，没有通往办结的路径")
            });
        }
        for (i, s) in self.steps.iter().enumerate() {
            if !path.iter().any(|x| x.key == s.key) {
                problems.push(DefProblem {
                    step: Some(i), message: format!("环节“{}”从第一个环节无法到达", s.name)
                });
            }
        }
        for (i, s) in path.iter().enumerate().skip(1) {
            let prev = path[i - 1];
            if matches!(s.assignee, AssigneeRule::Chosen { .. })
                && prev.mode != StepMode::Single
                && prev.mode != StepMode::Any
            {
                let at = self.steps.iter().position(|x| x.key == s.key);
                problems.push(DefProblem {
                    step: at,
                    message: format!("环节“{}”由上一环节选定办理人，上一环节不能是会签", s.name),
                });
            }
        }
        problems
    }
}

crate::code_enum! {
    /// How much time a case has: the warning level.
    #[derive(Serialize, Deserialize, Default)]
    #[serde(rename_all = "snake_case")]
    pub enum Warning {
        #[default]
        None = "none",
        /// A configurable share of the time (or less) is left (黄牌预警).
        Yellow = "yellow",
        /// Past the due date (红牌超期).
        Red = "red",
    }
}

crate::code_enum! {
    /// What the workflow panel's forms post as `action`: one per button.
    pub enum PanelAction {
        Approve = "approve",
        Reject = "reject",
        Return = "return",
        Supplement = "supplement",
        Transfer = "transfer",
        Delegate = "delegate",
        Copy = "copy",
        TakeBack = "take_back",
        Suspend = "suspend",
        Resume = "resume",
        RequestExtension = "request_extension",
    }
}

impl PanelAction {
    /// The panel's form it is posted from (transfer, delegate and copy share one form).
    pub fn form(self) -> &'static str {
        match self {
            PanelAction::Transfer | PanelAction::Delegate | PanelAction::Copy => "hand",
            PanelAction::Suspend | PanelAction::Resume => "suspend",
            a => a.code(),
        }
    }

    /// What the page says after it was done.
    pub fn done_zh(self) -> &'static str {
        match self {
            PanelAction::Approve => "已提交审批意见。",
            PanelAction::Reject => "已作出不予通过的决定，申请人会看到理由。",
            PanelAction::Return => "已退回。",
            PanelAction::Supplement => "已通知申请人补正，补正期间暂停计时。",
            PanelAction::Transfer => "已转办。",
            PanelAction::Delegate => "已委派。您可以随时收回。",
            PanelAction::TakeBack => "已收回委派。",
            PanelAction::Copy => "已抄送。",
            PanelAction::Suspend => "已进入特别程序，暂停计时。",
            PanelAction::Resume => "已恢复计时。",
            PanelAction::RequestExtension => "延期申请已提交，等待审批。",
        }
    }
}

crate::code_enum! {
    /// What a supervisor's forms post as `kind` (督办).
    pub enum SuperviseKind {
        Terminate = "terminate",
        Extend = "extend",
        Remind = "remind",
        Note = "note",
        Assign = "assign",
        DecideExtension = "decide_extension",
    }
}

impl SuperviseKind {
    /// What the page says after it was done.
    pub fn done_zh(self) -> &'static str {
        match self {
            SuperviseKind::Terminate => "办件已终止。",
            SuperviseKind::Extend => "已延长办理期限。",
            SuperviseKind::Remind => "已催办。",
            SuperviseKind::Note => "督办记录已保存。",
            SuperviseKind::Assign => "已指派办理人。",
            SuperviseKind::DecideExtension => "延期申请已处理。",
        }
    }
}

crate::code_enum! {
    /// A workflow task's state.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum TaskStatus {
        /// Waiting for its assignee (待办).
        Open = "open",
        /// Decided (已办).
        Done = "done",
        /// Ended without a decision of its own: a sibling decided (或签), or the case moved on.
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    pub fn name_zh(self) -> &'static str {
        match self {
            TaskStatus::Open => "待办",
            TaskStatus::Done => "已办",
            TaskStatus::Cancelled => "已取消",
        }
    }
}

crate::code_enum! {
    /// Why a case's clock is stopped.
    pub enum PauseReason {
        /// Waiting for the applicant's correction (补正).
        Supplement = "supplement",
        /// An external procedure (特别程序).
        External = "external",
    }
}

crate::code_enum! {
    /// An extension request's state (延期申请).
    pub enum ExtensionStatus {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
}

impl Warning {
    pub fn name_zh(self) -> &'static str {
        match self {
            Warning::None => "正常",
            Warning::Yellow => "黄牌预警",
            Warning::Red => "红牌超期",
        }
    }
}

/// A case's time limit as shown to staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Clock {
    /// The case's limit (days) and how it counts ("工作日" / "自然日").
    pub limit_days: i32,
    pub day_kind_zh: String,
    pub accepted_on: Option<String>,
    pub due_date: Option<String>,
    /// Days left (negative: overdue), counted the same way as the limit.
    pub days_left: Option<i64>,
    pub extended_days: i32,
    /// Stopped: since when and why.
    pub paused: Option<(String, String)>,
    pub warning: Warning,
    /// Years the count crosses without holiday data.
    pub missing_years: Vec<i32>,
    /// The case no longer runs (办结, 终止, 撤回): its state instead of days left.
    pub closed: Option<String>,
    /// Not yet accepted: the clock has not started (the limit shown is the item's promise).
    pub before_acceptance: bool,
}

/// One row of the inbox or the done list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub task_id: i64,
    pub case_id: i64,
    pub tracking_no: String,
    pub service_name: String,
    pub step_name: String,
    pub received_at: String,
    pub step_due: Option<String>,
    /// The step's own limit has passed.
    pub step_overdue: bool,
    pub case_due: Option<String>,
    pub days_left: Option<i64>,
    pub warning: Warning,
    pub paused: bool,
    pub delegated_by: Option<String>,
    pub fallback: bool,
    pub reminders: i32,
    /// Done list: what I decided and when.
    pub decision: Option<String>,
    pub decided_at: Option<String>,
}

/// The inbox: counts and a page of tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Inbox {
    pub open: i64,
    pub yellow: i64,
    pub red: i64,
    pub rows: Vec<TaskRow>,
}

/// A step's history entry on the staff case page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskHistory {
    pub step_name: String,
    pub assignee: String,
    pub status: String,
    pub decision: Option<String>,
    pub opinion: String,
    pub decided_by: Option<String>,
    pub at: String,
}

/// Someone a task can go to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub department: String,
}

/// The workflow part of the staff case page: where the case is, its clock, the history, and
/// what this person may do now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WorkflowPanel {
    pub step_name: Option<String>,
    pub version: Option<i32>,
    pub clock: Clock,
    pub history: Vec<TaskHistory>,
    /// My open task on this case, if any, and the actions it allows.
    pub my_task: Option<i64>,
    pub actions: Vec<StepAction>,
    /// Taking back a task I delegated.
    pub can_take_back: Option<i64>,
    /// Steps "return" may go to: (key, name).
    pub return_to: Vec<(String, String)>,
    /// People approving may choose for the next step (Chosen rule), and transfer/delegate targets.
    pub choose_next: Vec<Person>,
    pub colleagues: Vec<Person>,
    /// Supervisor actions (terminate, extend, remind).
    pub can_supervise: bool,
    /// A task nobody holds: whom the supervisor may assign it to.
    pub assignable: Vec<Person>,
    /// An extension request waiting for a permission holder: (id, days, reason, requested by).
    pub pending_extension: Option<(i64, i32, String, String)>,
    /// The task holder may ask for an extension now.
    pub can_request_extension: bool,
    /// The clock stopped for an external procedure by this case's assignee: resume.
    pub can_resume: bool,
    pub phrases: Vec<String>,
    /// The case awaits acceptance: approving it is 受理, refusing 不予受理.
    pub accepting: bool,
}

/// 常用审批意见: the phrases offered next to the opinion box.
pub const COMMON_PHRASES: &[&str] = &[
    "材料齐全，符合受理条件，予以受理。",
    "经审查，符合法定条件，同意。",
    "情况属实，拟同意，请领导审批。",
    "同意。",
    "材料不齐全，请按要求补正。",
    "不符合法定条件，不予许可。",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn step(key: &str, next: Option<&str>) -> StepDef {
        StepDef {
            key: key.into(),
            name: key.into(),
            assignee: AssigneeRule::CaseDepartment { role: "r".into() },
            mode: StepMode::Any,
            actions: vec![StepAction::Approve],
            limit_days: None,
            next: next.map(Into::into),
        }
    }

    #[test]
    fn a_linear_definition_passes() {
        let d = WorkflowDef { steps: vec![step("accept", Some("review")), step("review", None)] };
        assert!(d.check().is_empty());
        assert_eq!(d.earlier("review").len(), 1);
    }

    #[test]
    fn unreachable_cycles_and_dangling_references_are_named() {
        let d = WorkflowDef { steps: vec![step("a", Some("b")), step("b", Some("a"))] };
        assert!(d.check().iter().any(|p| p.message.contains("循环")), "{:?}", d.check());
        let d = WorkflowDef { steps: vec![step("a", None), step("b", None)] };
        assert!(d.check().iter().any(|p| p.step == Some(1) && p.message.contains("无法到达")));
        let d = WorkflowDef { steps: vec![step("a", Some("zz"))] };
        assert!(d.check().iter().any(|p| p.message.contains("不存在")));
        let mut s = step("a", None);
        s.actions = vec![StepAction::Reject];
        assert!(WorkflowDef { steps: vec![s] }.check().iter().any(|p| p.message.contains("同意")));
        assert!(WorkflowDef { steps: vec![] }.check().len() == 1);
    }
}
