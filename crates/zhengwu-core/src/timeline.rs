//! A case's timeline (办理过程): one writer for cases and the workflow alike, below both.
//! The applicant is named "申请人", never by account; the public sees "工作人员" for staff.

use chrono::{DateTime, Utc};
use zhengwu_types::{services::TimelineEntry, timeline::EventKind};

use crate::{
    audit::{Actor, ActorKind},
    db::{Db, WriteTx},
    with_db, with_tx,
};

/// Appends an entry to the case's timeline, inside the caller's transaction.
pub async fn record(
    tx: &mut WriteTx,
    case_id: i64,
    at: DateTime<Utc>,
    kind: EventKind,
    actor: &Actor,
    public: bool,
    message: &str,
) -> Result<(), sqlx::Error> {
    let name = match actor.kind {
        ActorKind::Citizen => "申请人".to_string(),
        _ => actor.name.clone(),
    };
    with_tx!(tx, conn => sqlx::query(
        "INSERT INTO case_events (case_id, at, kind, actor_kind, actor_name, public, message) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(case_id).bind(at).bind(kind).bind(actor.kind).bind(name).bind(public).bind(message)
        .execute(conn).await.map(|_| ()))
}

/// The case's timeline, oldest first: the public entries only, or all of them; staff names
/// shown (to staff) or replaced by "工作人员".
pub async fn read(
    db: &Db,
    case_id: i64,
    public_only: bool,
    staff_names: bool,
) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    let rows: Vec<(DateTime<Utc>, EventKind, ActorKind, String, bool, String)> = with_db!(db, pool => sqlx::query_as(
        "SELECT at, kind, actor_kind, actor_name, public, message FROM case_events WHERE case_id = $1 ORDER BY id")
        .bind(case_id).fetch_all(pool).await)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.4 || !public_only)
        .map(|(at, kind, actor_kind, actor_name, _, message)| TimelineEntry {
            at: crate::time::local_minute(at),
            title: kind.title_zh().to_string(),
            kind,
            actor: match actor_kind {
                ActorKind::Citizen => "申请人".into(),
                ActorKind::Staff if staff_names => actor_name,
                ActorKind::Staff => "工作人员".into(),
                ActorKind::System | ActorKind::Anonymous => "系统".into(),
            },
            message,
        })
        .collect())
}
