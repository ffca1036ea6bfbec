//! The staff case page: the case in full and its workflow panel.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use zhengwu_types::services::CaseDetail;

use crate::features::cases::api::staff_case;
use crate::features::cases::pages::case::CaseView;
use crate::features::identity::ConsoleNav;
use crate::features::workflow::WorkflowSection;
use crate::ui::loaded::Loaded;

#[component]
pub fn StaffCasePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(id, staff_case);
    view! {
        <ConsoleNav />
        <Loaded data=data let:d>
            <StaffCaseView d />
        </Loaded>
    }
}

#[component]
pub(crate) fn StaffCaseView(d: CaseDetail) -> impl IntoView {
    let id = d.summary.id;
    let fields: Vec<(String, String)> = d
        .answers
        .iter()
        .map(|a| (a.name.clone(), a.label.clone()))
        .chain(d.attachment_fields.iter().map(|(n, l)| (n.clone(), format!("附件：{l}"))))
        .collect();
    view! {
        <WorkflowSection case_id=id fields />
        <CaseView d=d.clone() staff=true />
    }
}
