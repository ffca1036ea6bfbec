//! Server functions for citizens' own pages and for staff looking at a citizen. Personal data
//! leaves the server masked only; the full value comes from an audited form post.

use leptos::prelude::*;
pub use zhengwu_types::personal::MaskedProfile;

use crate::error::ApiError;

/// The signed-in citizen's profile, masked.
#[server(prefix = "/sfn", endpoint = "my/profile")]
pub async fn my_profile() -> Result<MaskedProfile, ApiError> {
    let (state, c, meta) = crate::web::sfn::citizen_context()?;
    let ctx = state.ctx(&meta);
    Ok(zhengwu_core::citizen::own_profile(&ctx, &state.personal, &c.0 .1).await?)
}

/// A citizen for staff with `personal:unmask`, masked.
#[server(prefix = "/sfn", endpoint = "admin/citizen")]
pub async fn staff_citizen(id: String) -> Result<MaskedProfile, ApiError> {
    let (state, staff, meta) = crate::web::sfn::staff_context()?;
    let id = crate::web::sfn::id(&id)?;
    let ctx = state.ctx(&meta);
    Ok(zhengwu_core::citizen::citizen_for_staff(&ctx, &state.personal, staff.actor(), id).await?)
}

/// A real-name dispute as window staff see it (masked).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DisputeRow {
    pub id: i64,
    pub citizen_id: i64,
    pub holder_id: i64,
    pub real_name: String,
    pub id_number: String,
    pub status: String,
    pub note: String,
    pub created_at: String,
}

/// Real-name disputes for staff who verify identities (`personal:unmask`).
#[server(prefix = "/sfn", endpoint = "admin/disputes")]
pub async fn dispute_list() -> Result<Vec<DisputeRow>, ApiError> {
    let (state, staff, meta) = crate::web::sfn::staff_context()?;
    let list = zhengwu_core::citizen::list_disputes(&state.ctx(&meta), &state.personal, staff.actor()).await?;
    Ok(list
        .into_iter()
        .map(|d| DisputeRow {
            id: d.id,
            citizen_id: d.citizen_id,
            holder_id: d.holder_id,
            real_name: d.real_name,
            id_number: d.id_number,
            status: d.status.name_zh().to_string(),
            note: d.note,
            created_at: zhengwu_core::time::local_minute(d.created_at),
        })
        .collect())
}

/// The current version of a public document (user agreement, privacy policy, sensitive rules).
#[server(prefix = "/sfn", endpoint = "policy")]
pub async fn policy_text(kind: String) -> Result<zhengwu_types::consent::PolicyText, ApiError> {
    let state = crate::web::state::use_app_state()?;
    let kind = zhengwu_types::consent::PolicyKind::parse(&kind)
        .ok_or_else(|| ApiError::new(zhengwu_types::ErrorCode::NotFound, "no such document"))?;
    Ok(zhengwu_core::citizen::current_policy(&state.db, kind).await?)
}

/// The documents the signed-in citizen is asked to accept now (none: nothing to ask).
#[server(prefix = "/sfn", endpoint = "my/consent")]
pub async fn my_pending_consents() -> Result<Vec<zhengwu_types::consent::PolicyText>, ApiError> {
    let (state, c, _) = crate::web::sfn::citizen_context()?;
    let kinds = zhengwu_types::consent::PolicyKind::required(c.0 .1.verified);
    Ok(zhengwu_core::citizen::pending_consents(&state.db, c.0 .1.id, kinds).await?)
}
