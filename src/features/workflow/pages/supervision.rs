//! The supervision view (督办): late and nearly late cases in scope, alerts, extension requests.

use leptos::prelude::*;

use crate::features::identity::ConsoleNav;
use crate::features::workflow::api::{supervision, SupervisionView};
use crate::features::workflow::pages::lists::days_text;
use crate::features::workflow::pages::lists::warning_class;
use crate::features::workflow::pages::panel::done_text;
use crate::ui::form::CsrfField;
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::url::query;

#[component]
pub fn SupervisionPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| supervision());
    view! {
        <PageMeta title="督办" />
        <ConsoleNav />
        <h1>"督办：预警与超期办件"</h1>
        <Loaded data=data let:v>
            <SupervisionTable v />
        </Loaded>
    }
}

#[component]
pub(crate) fn SupervisionTable(v: SupervisionView) -> impl IntoView {
    let done = query("done").and_then(|d| done_text(&d));
    view! {
        {done.map(|m| view! { <div class="notice" role="status"><p>{m}</p></div> })}
        {(!v.extensions.is_empty()).then(|| view! {
            <section class="panel" aria-labelledby="ext-heading">
                <h2 id="ext-heading">"待审批的延期申请"</h2>
                <ul>
                    {v.extensions.iter().map(|(rid, cid, no, days, reason, by, at)| view! {
                        <li>
                            <a href=format!("/admin/cases/{cid}")>{no.clone()}</a>
                            {format!(" · {by}申请延长 {days} 天：{reason} · {at}")}
                            <form method="post" action=format!("/admin/cases/{cid}/supervise") class="inline-form">
                                <CsrfField />
                                <input type="hidden" name="kind" value="decide_extension" />
                                <input type="hidden" name="request" value=rid.to_string() />
                                <input type="hidden" name="back" value="supervision" />
                                <button type="submit" name="decision" value="approve" class="button small">"批准"</button>
                            </form>
                        </li>
                    }).collect_view()}
                </ul>
                <p class="hint">"不批准时请在办件页面写明理由。"</p>
            </section>
        }.into_any())}
        {(!v.alerts.is_empty()).then(|| view! {
            <section class="panel warning" aria-labelledby="alerts-heading">
                <h2 id="alerts-heading">"需要处理的提醒"</h2>
                <ul>
                    {v.alerts.iter().map(|(id, no, m, at)| view! {
                        <li><a href=format!("/admin/cases/{id}")>{no.clone()}</a>" · "{m.clone()}" · "{at.clone()}</li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        {if v.rows.is_empty() {
            view! { <p>"没有预警或超期的办件。"</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data">
                        <thead><tr>
                            <th scope="col">"办件编号"</th><th scope="col">"事项与部门"</th><th scope="col">"环节与办理人"</th>
                            <th scope="col">"办结期限"</th><th scope="col">"时限状态"</th><th scope="col">"催办"</th>
                        </tr></thead>
                        <tbody>
                            {v.rows.into_iter().map(|r| view! {
                                <tr>
                                    <td><a href=format!("/admin/cases/{}", r.case_id)>{r.tracking_no.clone()}</a></td>
                                    <td>{r.service_name.clone()}<br /><small>{r.department.clone()}</small></td>
                                    <td>{r.step_name.clone().unwrap_or_default()}<br /><small>{r.assignees.clone()}</small></td>
                                    <td>{r.due_date.clone().unwrap_or_default()}</td>
                                    <td><span class=warning_class(r.warning)>{days_text(r.days_left, false)}</span>
                                        {(r.reminders > 0).then(|| view! { <br /><small>{format!("已催办 {} 次", r.reminders)}</small> })}</td>
                                    <td>
                                        <form method="post" action=format!("/admin/cases/{}/supervise", r.case_id)>
                                            <CsrfField />
                                            <input type="hidden" name="kind" value="remind" />
                                            <input type="hidden" name="back" value="supervision" />
                                            <button type="submit" class="button secondary small">"催办"</button>
                                        </form>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
