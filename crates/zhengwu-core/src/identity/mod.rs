//! Staff identity and access control: accounts, sign-in with lockout, server-side sessions,
//! roles with permissions and data scopes, and the separation of the three administrator
//! duties (三员分立). Every rule is checked here, in the service layer, once — pages, server
//! functions and the REST API all call these functions with the signed-in [`StaffActor`].
//!
//! Every change writes its audit record in the same transaction ([`crate::audit`]).

mod audit_access;
mod bootstrap;
pub mod password;
pub mod permission;
mod roles;
pub mod scope;
mod service;
pub mod sessions;

pub use audit_access::{audit_csv, audit_export, audit_search, audit_verify, AuditFilter, AUDIT_PAGE, EXPORT_LIMIT};
pub use bootstrap::{bootstrap, Bootstrap, DEMO_PASSWORD};
pub use password::{PasswordPolicy, PasswordProblem};
pub use permission::{Duty, Permission};
pub use roles::{create_department, create_role, dispatchers, set_dispatcher, update_role, DepartmentForm, RoleForm};
pub use scope::{DataScope, DepartmentTree, Scope};
pub use service::*;
pub use sessions::SessionStore;
