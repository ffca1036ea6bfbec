//! The task lists of the console: my open tasks (待办) with their clocks, what I decided
//! (已办), and cases copied to me (抄送).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use zhengwu_types::workflow::{Inbox, TaskRow, Warning};

use crate::features::identity::ConsoleNav;
use crate::features::workflow::api::{copied_cases, done_tasks, staff_inbox, CopiedCase};
use crate::ui::form::{Field, Select};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::url::query;

pub(crate) fn warning_class(w: Warning) -> &'static str {
    match w {
        Warning::None => "badge",
        Warning::Yellow => "badge badge-yellow",
        Warning::Red => "badge badge-red",
    }
}

pub(crate) fn days_text(days_left: Option<i64>, paused: bool) -> String {
    match (days_left, paused) {
        (_, true) => "暂停计时".into(),
        (Some(d), _) if d < 0 => format!("超期 {} 天", -d),
        (Some(0), _) => "今日到期".into(),
        (Some(d), _) => format!("剩余 {d} 天"),
        (None, _) => "待受理".into(),
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let q = use_query_map();
    let params = move || q.with(|q| (q.get("service"), q.get("warning"), q.get("sort")));
    let data = Resource::new(params, |(s, w, o)| staff_inbox(s, w, o));
    view! {
        <PageMeta title="待办" />
        <ConsoleNav />
        <h1>"待办"</h1>
        <Loaded data=data let:i>
            <InboxView i />
        </Loaded>
    }
}

#[component]
pub(crate) fn InboxView(i: Inbox) -> impl IntoView {
    let warning = query("warning").unwrap_or_default();
    let sort = query("sort").unwrap_or_default();
    let service = query("service").unwrap_or_default();
    view! {
        <ul class="counts" aria-label="待办统计">
            <li><a href="/admin/inbox"><strong>{i.open}</strong>" 件待办"</a></li>
            <li class="count-yellow"><a href="/admin/inbox?warning=yellow"><strong>{i.yellow}</strong>" 件黄牌预警"</a></li>
            <li class="count-red"><a href="/admin/inbox?warning=red"><strong>{i.red}</strong>" 件红牌超期"</a></li>
        </ul>
        <form method="get" action="/admin/inbox" class="form filter-form">
            <Field name="service" label="事项编码" kind="search" value=service.clone() required=false />
            <Select name="warning" label="预警" value=warning.clone() options=std::iter::once((String::new(), "全部".to_string()))
                .chain([Warning::Yellow, Warning::Red, Warning::None].into_iter().map(|w| (w.code().to_string(), w.name_zh().to_string())))
                .collect() />
            <Select name="sort" label="排序" value=sort.clone() options=vec![
                (String::new(), "剩余时间（最紧的在前）".to_string()),
                ("received".to_string(), "收到时间".to_string()),
            ] />
            <button type="submit" class="button">"筛选"</button>
        </form>
        <TaskTable rows=i.rows done=false />
    }
}

#[component]
pub(crate) fn TaskTable(rows: Vec<TaskRow>, done: bool) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p>{if done { "还没有已办的任务。" } else { "没有待办任务。" }}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr>
                    <th scope="col">"办件编号"</th><th scope="col">"事项"</th><th scope="col">"环节"</th>
                    <th scope="col">{if done { "办理结果" } else { "收到时间" }}</th>
                    <th scope="col">"办结期限"</th><th scope="col">"时限状态"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| {
                        let mut notes = vec![];
                        if let Some(by) = &r.delegated_by { notes.push(format!("{by}委派")); }
                        if r.fallback { notes.push("无人匹配，分办".into()); }
                        if r.reminders > 0 { notes.push(format!("被催办 {} 次", r.reminders)); }
                        if let Some(due) = &r.step_due {
                            notes.push(if r.step_overdue { format!("本环节已超期（{due}）") } else { format!("本环节 {due} 前") });
                        }
                        view! {
                            <tr>
                                <td><a href=format!("/admin/cases/{}", r.case_id)>{r.tracking_no.clone()}</a></td>
                                <td>{r.service_name.clone()}</td>
                                <td>{r.step_name.clone()}{(!notes.is_empty()).then(|| view! { <br /><small>{notes.join("；")}</small> })}</td>
                                <td>{if done {
                                    format!("{} · {}", r.decision.clone().unwrap_or_default(), r.decided_at.clone().unwrap_or_default())
                                } else { r.received_at.clone() }}</td>
                                <td>{r.case_due.clone().unwrap_or_else(|| "—".into())}</td>
                                <td><span class=warning_class(r.warning)>{days_text(r.days_left, r.paused)}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn DonePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| done_tasks());
    view! {
        <PageMeta title="已办" />
        <ConsoleNav />
        <h1>"已办"</h1>
        <Loaded data=data let:rows>
            <TaskTable rows done=true />
        </Loaded>
    }
}

#[component]
pub fn CopiedPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| copied_cases());
    view! {
        <PageMeta title="抄送我的" />
        <ConsoleNav />
        <h1>"抄送我的"</h1>
        <Loaded data=data let:rows>
            <CopiedTable rows />
        </Loaded>
    }
}

#[component]
pub(crate) fn CopiedTable(rows: Vec<CopiedCase>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p>"没有抄送给您的办件。"</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th scope="col">"办件编号"</th><th scope="col">"事项"</th><th scope="col">"抄送人与说明"</th><th scope="col">"时间"</th><th scope="col">"状态"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td><a href=format!("/admin/cases/{}", r.case_id)>{r.tracking_no.clone()}</a></td>
                            <td>{r.service_name.clone()}</td>
                            <td>{r.by.clone()}{(!r.note.is_empty()).then(|| format!("：{}", r.note))}</td>
                            <td>{r.at.clone()}</td>
                            <td>{if r.read { "已阅" } else { "未阅" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
