//! The audit trail: append-only records, chained with HMAC-SM3 so that altering, deleting or
//! inserting a record behind the program's back is detected by [`verify`].
//!
//! - A record is written with [`append`] **inside the transaction of the change it records**:
//!   if the audit write fails, the change does not happen.
//! - `mac(n) = HMAC-SM3(K_audit, "zhengwu-audit-v1" ‖ canonical(record n) ‖ mac(n-1))`, with the
//!   sequence number inside the canonical form, so records cannot be reordered or renumbered.
//! - One head row keeps the chain's ends (last sequence number and MAC; first sequence number and
//!   the anchor MAC it continues from after a purge) under its own MAC, so cutting records off
//!   the end or the start is detected too.
//! - Appends serialise on the head row (`UPDATE … RETURNING` takes its row lock on PostgreSQL;
//!   SQLite write transactions are serial anyway), so several instances keep one chain.
//! - [`purge_before`] removes records older than the retention period (never below 186 days,
//!   等保 2.0) and moves the anchor, so what remains still verifies.

mod chain;
mod model;

pub use chain::{append, purge_before, verify, AuditError, AuditKey, Tamper, VerifyReport};
pub use model::{Actor, ActorKind, AuditEvent, AuditRecord, Outcome, RequestMeta};

pub use crate::config::MIN_RETENTION_DAYS;
