//! The working-day calendar (工作日历): a year's holidays and make-up days, corrected by day.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::features::identity::ConsoleNav;
use crate::features::workflow::api::{calendar_year, CalendarView};
use crate::ui::form::{CsrfField, ErrorSummary, Field, Select};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::url::query;

#[component]
pub fn CalendarPage() -> impl IntoView {
    let q = use_query_map();
    let year = move || q.with(|q| q.get("year"));
    let data = Resource::new(year, calendar_year);
    view! {
        <PageMeta title="工作日历" />
        <ConsoleNav />
        <h1>"工作日历"</h1>
        <Loaded data=data let:c>
            <CalendarTable c />
        </Loaded>
    }
}

#[component]
pub(crate) fn CalendarTable(c: CalendarView) -> impl IntoView {
    let saved = query("done").is_some_and(|d| d == "day");
    view! {
        {c.warning.clone().map(|w| view! { <div class="notice warning" role="status"><p>{w}</p></div> })}
        {saved.then(|| view! { <div class="notice" role="status"><p>"已保存。进行中的办件在下次计算时按新日历计算期限。"</p></div> })}
        <nav class="year-nav" aria-label="年份">
            <a href=format!("/admin/calendar?year={}", c.year - 1)>{format!("‹ {} 年", c.year - 1)}</a>
            " "<strong>{format!("{} 年", c.year)}</strong>" "
            <a href=format!("/admin/calendar?year={}", c.year + 1)>{format!("{} 年 ›", c.year + 1)}</a>
        </nav>
        {match c.notice.clone() {
            Some(n) => view! { <p>"依据："{n}</p> }.into_any(),
            None => view! { <p class="error-message">{format!("{} 年没有节假日数据：只按周末计算。", c.year)}</p> }.into_any(),
        }}
        <p class="hint">"下表列出与“周六、周日休息”不同的日子：法定节假日（放假）和调休上班日。"</p>
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th scope="col">"日期"</th><th scope="col">"星期"</th><th scope="col">"安排"</th><th scope="col">"名称"</th></tr></thead>
                <tbody>
                    {c.days.iter().map(|(d, w, k, n)| view! { <tr><td class="nowrap">{d.clone()}</td><td>{w.clone()}</td><td>{k.clone()}</td><td>{n.clone()}</td></tr> }).collect_view()}
                </tbody>
            </table>
        </div>
        {c.can_edit.then(|| view! {
            <section class="panel" aria-labelledby="day-heading">
                <h2 id="day-heading">"更正某一天"</h2>
                <p class="hint">"国务院办公厅发布新一年的节假日安排后，运维人员可用 zhengwu calendar import 导入整年；这里更正单日。"</p>
                <ErrorSummary labels=&[("day", "日期"), ("kind", "类型"), ("name", "名称")] />
                <form method="post" action="/admin/calendar" class="form">
                    <CsrfField />
                    <Field name="day" label="日期" kind="date" required=false />
                    <Select name="kind" label="设为" options=vec![
                        ("holiday".into(), "放假".into()),
                        ("workday".into(), "调休上班".into()),
                        ("clear".into(), "恢复按星期计算".into()),
                    ] />
                    <Field name="name" label="名称" required=false />
                    <button type="submit" class="button">"保存"</button>
                </form>
            </section>
        })}
    }
}
