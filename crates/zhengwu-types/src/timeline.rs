//! What can happen to a case, as its timeline records it (办理过程).

use serde::{Deserialize, Serialize};

crate::code_enum! {
    /// A timeline entry's kind.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum EventKind {
        Created = "created",
        Submitted = "submitted",
        SupplementRequested = "supplement_requested",
        Resubmitted = "resubmitted",
        Withdrawn = "withdrawn",
        Accepted = "accepted",
        NotAccepted = "not_accepted",
        Approved = "approved",
        Rejected = "rejected",
        Terminated = "terminated",
        Suspended = "suspended",
        Resumed = "resumed",
        Extended = "extended",
        StepApproved = "step_approved",
        Countersigned = "countersigned",
        Returned = "returned",
        Transferred = "transferred",
        Delegated = "delegated",
        TakenBack = "taken_back",
        Assigned = "assigned",
        ExtensionRequested = "extension_requested",
        Copied = "copied",
        ExtensionRefused = "extension_refused",
        Reminded = "reminded",
        SupervisionNote = "supervision_note",
        WarningYellow = "warning_yellow",
        WarningRed = "warning_red",
    }
}

impl EventKind {
    /// The entry's title on the case page.
    pub fn title_zh(self) -> &'static str {
        use EventKind::*;
        match self {
            Created => "创建草稿",
            Submitted => "提交申请",
            SupplementRequested => "要求补正材料",
            Resubmitted => "补正后重新提交",
            Withdrawn => "撤回申请",
            Accepted => "受理",
            NotAccepted => "不予受理",
            Approved => "办结（准予）",
            Rejected => "办结（不予许可）",
            Terminated => "终止办理",
            Suspended => "特别程序（不计入办理期限）",
            Resumed => "特别程序结束，恢复计时",
            Extended => "延长办理期限",
            StepApproved => "环节审批通过",
            Countersigned => "会签同意",
            Returned => "退回上一环节",
            Transferred => "转办",
            Delegated => "委派",
            TakenBack => "收回委派",
            Assigned => "督办指派",
            ExtensionRequested => "申请延期",
            Copied => "抄送",
            ExtensionRefused => "延期申请未获批准",
            Reminded => "催办",
            SupervisionNote => "督办记录",
            WarningYellow => "黄牌预警",
            WarningRed => "红牌超期",
        }
    }
}
