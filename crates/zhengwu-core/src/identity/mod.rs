//! Staff identity and access control: accounts, sign-in with growing locks per source,
//! server-side sessions, roles with permissions and data scopes, and the separation of the
//! three administrator duties (三员分立) with the two-person rule for what could let one
//! administrator take over or blind another. Every rule is checked here, in the service layer,
//! once — pages, server functions and the REST API all call these functions with the signed-in
//! [`StaffActor`].
//!
//! Every change writes its audit record in the same transaction ([`crate::audit`]).

mod accounts;
mod audit_access;
mod bootstrap;
pub mod password;
mod reauth;
mod requests;
mod reset;
mod roles;
pub mod scope;
mod service;
pub mod sessions;
mod signin;
mod totp;

pub use accounts::{
    act_on_account, assign_roles, check_separation, create_staff, department_listing, department_options, get_staff,
    list_roles, list_staff, AccountAction, AccountOutcome, AssignOutcome, NewStaff, RoleInfo, StaffDetail,
    StaffSummary,
};
pub use audit_access::{
    audit_csv, audit_export, audit_search, audit_verify, mark_security_events_seen, security_events, AuditFilter,
    AUDIT_PAGE, EXPORT_LIMIT, SECURITY_ACTIONS,
};
pub use bootstrap::{bootstrap, Bootstrap, DEMO_PASSWORD};
pub use password::{PasswordPolicy, PasswordProblem};
pub use reauth::REAUTH_FAILURES;
pub use requests::{
    approve, awaiting_me, can_approve, close as close_request, list_requests, requests_for, AdminRequest, Approved,
    RequestKind, RequestStatus,
};
pub use reset::{
    complete_reset, confirm_phone, operator_reset, operator_unlock, registered_phone, resend_reset_code, start_phone,
    Delivery, ResetDelivered, ResetError, StaffKeys,
};
pub use roles::{create_department, create_role, dispatchers, set_dispatcher, update_role, DepartmentForm, RoleForm};
pub use scope::{DataScope, DepartmentTree, Scope};
pub use service::*;
pub use sessions::SessionStore;
pub use signin::{device_owner, sign_in, Attempt, Device, NewSession, DEVICE_DAYS, UNTRUSTED_FACTOR};
pub use totp::{enroll_totp, pending_totp, qr_svg, totp_aad, Enrolment, TotpSetup};
pub use zhengwu_types::permission::{Duty, Permission};
