//! What pages know about the signed-in staff member and about a form being shown again.
//! Both are put into the render context by the server; nothing here is secret except the
//! anti-forgery token, which belongs in the page's forms anyway.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zhengwu_types::permission::{Duty, Permission};

pub const SESSION_COOKIE: &str = "zw_session";
pub const LOGIN_COOKIE: &str = "zw_login";
pub const CITIZEN_COOKIE: &str = "zw_citizen";
/// The form field (and `X-CSRF-Token` header) carrying the anti-forgery token.
pub const CSRF_FIELD: &str = "csrf";

/// The signed-in staff member, for display and for the forms' anti-forgery token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub staff_id: i64,
    pub username: String,
    pub display_name: String,
    pub department: String,
    pub roles: Vec<String>,
    /// Permission codes, to show only the links that will work.
    pub permissions: Vec<String>,
    pub must_change_password: bool,
    /// A second factor must be set up before anything else.
    pub needs_totp: bool,
    pub has_totp: bool,
    pub csrf: String,
}

impl SessionView {
    pub fn can(&self, permission: Permission) -> bool {
        !self.must_change_password && !self.needs_totp && self.permissions.iter().any(|p| p == permission.code())
    }

    /// Holds an administrator duty (system, security or audit): may approve the two-person
    /// requests of the others.
    pub fn is_administrator(&self) -> bool {
        Permission::ALL.iter().any(|p| p.duty() != Duty::Business && self.can(*p))
    }
}

pub fn use_session() -> Option<SessionView> {
    leptos::prelude::use_context::<Option<SessionView>>().flatten()
}

/// The signed-in citizen (no personal data: the pages load that masked, on demand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenView {
    pub citizen_id: i64,
    pub verified: bool,
    pub csrf: String,
}

pub fn use_citizen() -> Option<CitizenView> {
    leptos::prelude::use_context::<Option<CitizenView>>().flatten()
}

/// A form shown again after a POST: the messages by field, the values typed (never
/// passwords), and a notice for the whole form (success or failure).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormEcho {
    pub errors: BTreeMap<String, String>,
    pub values: BTreeMap<String, String>,
    pub notice: Option<String>,
    /// A one-time secret to show (an initial password, an unmasked value, a reset code), never
    /// stored in the page cache.
    pub secret: Option<String>,
    /// What the secret is, in words (default: an initial password).
    pub secret_label: Option<String>,
    /// A result computed by the post, as JSON of the page's own type (the case look-up).
    pub payload: Option<String>,
}

impl FormEcho {
    pub fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).cloned()
    }

    pub fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

pub fn use_form_echo() -> FormEcho {
    leptos::prelude::use_context::<FormEcho>().unwrap_or_default()
}
