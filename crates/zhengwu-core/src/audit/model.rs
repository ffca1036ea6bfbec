use chrono::{DateTime, Utc};
use serde::Serialize;

zhengwu_types::code_enum! {
    /// Who acted.
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum ActorKind {
        Staff = "staff",
        Citizen = "citizen",
        /// The program itself (start-up, scheduled jobs, the command line).
        System = "system",
        /// Nobody signed in (e.g. a failed sign-in).
        Anonymous = "anonymous",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<i64>,
    /// A user name or account name as it was when acting (never a personal identifier).
    pub name: String,
}

impl Actor {
    pub fn system() -> Actor {
        Actor { kind: ActorKind::System, id: None, name: "system".into() }
    }

    /// The operator running a command on the server (`what`: the command).
    pub fn operator(what: &str) -> Actor {
        Actor { kind: ActorKind::System, id: None, name: format!("operator (command line: {what})") }
    }

    pub fn anonymous() -> Actor {
        Actor { kind: ActorKind::Anonymous, id: None, name: "-".into() }
    }

    pub fn staff(id: i64, username: &str) -> Actor {
        Actor { kind: ActorKind::Staff, id: Some(id), name: username.to_string() }
    }
}

/// Where a request came from. All optional: the command line has none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// What happened, as the caller describes it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// Dotted verb, e.g. `auth.sign_in`, `staff.create`, `role.grant`, `personal.unmask`.
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: Option<String>,
    pub outcome: Outcome,
    /// Before/after of changed fields, reasons, counts: JSON, never a secret or clear
    /// personal data.
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(action: &'static str, object_type: &'static str, object_id: impl ToString) -> Self {
        AuditEvent {
            action,
            object_type,
            object_id: Some(object_id.to_string()),
            outcome: Outcome::Success,
            detail: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A stored record, as read back.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub detail: String,
    pub mac: String,
}
