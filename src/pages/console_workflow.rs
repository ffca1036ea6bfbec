//! Console pages of the workflow: the inbox (待办) and done list (已办), the workflow panel of
//! a case (where it is, its clock, its history, and the forms of the actions allowed to this
//! person now), the supervision view (督办), the working-day calendar and an item's workflow.
//! All plain forms: everything works without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use zhengwu_types::workflow::{Clock, Inbox, StepAction, TaskRow, Warning, WorkflowPanel};

use crate::{
    api::workflow::{
        calendar_year, case_workflow, copied_cases, done_tasks, item_workflow, staff_inbox, supervision, CalendarView,
        CopiedCase, SupervisionView, WorkflowEditor,
    },
    components::form::{CsrfField, ErrorSummary},
    components::meta::{rcdata, PageMeta},
    pages::{console::ConsoleNav, services::query, ErrorPage},
    session::use_form_echo,
};

fn warning_class(w: Warning) -> &'static str {
    match w {
        Warning::None => "badge",
        Warning::Yellow => "badge badge-yellow",
        Warning::Red => "badge badge-red",
    }
}

fn days_text(days_left: Option<i64>, paused: bool) -> String {
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
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(i) => view! { <InboxView i /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InboxView(i: Inbox) -> impl IntoView {
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
            <div class="field"><label for="service">"事项编码"</label><input id="service" name="service" type="search" value=service /></div>
            <div class="field">
                <label for="warning">"预警"</label>
                <select id="warning" name="warning">
                    <option value="">"全部"</option>
                    {[Warning::Yellow, Warning::Red, Warning::None].into_iter().map(|w| view! {
                        <option value=w.code() selected=warning == w.code()>{w.name_zh()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="sort">"排序"</label>
                <select id="sort" name="sort">
                    <option value="">"剩余时间（最紧的在前）"</option>
                    <option value="received" selected=sort == "received">"收到时间"</option>
                </select>
            </div>
            <button type="submit" class="button">"筛选"</button>
        </form>
        <TaskTable rows=i.rows done=false />
    }
}

#[component]
fn TaskTable(rows: Vec<TaskRow>, done: bool) -> impl IntoView {
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
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(rows) => view! { <TaskTable rows done=true /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn clock_facts(c: &Clock) -> impl IntoView {
    let days = match &c.closed {
        Some(state) => state.clone(),
        None => days_text(c.days_left, c.paused.is_some()),
    };
    let limit = if c.limit_days == 0 {
        "即办（当场办结）".to_string()
    } else {
        format!("{} 个{}", c.limit_days, c.day_kind_zh)
    };
    view! {
        <dl class="facts">
            <div><dt>"承诺时限"</dt><dd>{limit}{c.before_acceptance.then_some("（受理后开始计时）")}{(c.extended_days > 0).then(|| format!("（已延长 {} 天）", c.extended_days))}</dd></div>
            <div><dt>"受理日期"</dt><dd>{c.accepted_on.clone().unwrap_or_else(|| "尚未受理".into())}</dd></div>
            <div><dt>"办结期限"</dt><dd>{c.due_date.clone().unwrap_or_else(|| "—".into())}</dd></div>
            <div><dt>"时限状态"</dt><dd><span class=warning_class(c.warning)>{days}</span>
                {c.paused.clone().map(|(since, why)| view! { <br /><small>{format!("{since} 起暂停：{why}")}</small> })}
            </dd></div>
        </dl>
        {(!c.missing_years.is_empty()).then(|| view! {
            <p class="hint">{format!("注意：{:?} 年尚无节假日数据，期限只按周末计算。", c.missing_years)}</p>
        })}
    }
}

/// The workflow part of the staff case page. `fields`: the form's (name, label) for 补正.
#[component]
pub fn WorkflowSection(case_id: i64, fields: Vec<(String, String)>) -> impl IntoView {
    let data = Resource::new(move || case_id.to_string(), case_workflow);
    view! {
        <Suspense>
            {move || {
                let fields = fields.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(p) => view! { <PanelView p case_id fields /> }.into_any(),
                        Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

fn done_text(d: &str) -> Option<&'static str> {
    Some(match d {
        "approve" => "已提交审批意见。",
        "reject" => "已作出不予通过的决定，申请人会看到理由。",
        "return" => "已退回。",
        "supplement" => "已通知申请人补正，补正期间暂停计时。",
        "transfer" => "已转办。",
        "delegate" => "已委派。您可以随时收回。",
        "take_back" => "已收回委派。",
        "copy" => "已抄送。",
        "suspend" => "已进入特别程序，暂停计时。",
        "resume" => "已恢复计时。",
        "terminate" => "办件已终止。",
        "extend" => "已延长办理期限。",
        "remind" => "已催办。",
        "note" => "督办记录已保存。",
        "assign" => "已指派办理人。",
        "request_extension" => "延期申请已提交，等待审批。",
        "decide_extension" => "延期申请已处理。",
        _ => return None,
    })
}

#[component]
fn PanelView(p: WorkflowPanel, case_id: i64, fields: Vec<(String, String)>) -> impl IntoView {
    let echo = use_form_echo();
    let form_of_error = echo.value("_form");
    let err = |form: &str, field: &str| if form_of_error == form { echo.error(field) } else { None };
    let val = |form: &str, field: &str| if form_of_error == form { echo.value(field) } else { String::new() };
    let done = query("done").and_then(|d| done_text(&d));
    let allows = |a: StepAction| p.actions.contains(&a);
    let task = p.my_task;
    let action_url = move |t: i64| format!("/admin/tasks/{t}/act");
    let phrases = p.phrases.clone();
    let opinion_box = move |id: &'static str, label: &'static str, form: &'static str| {
        let e = err(form, "opinion");
        let bad = e.is_some();
        view! {
            <div class="field" class:field-error=bad>
                <label for=id>{label}</label>
                {e.map(|e| view! { <p class="error-message">{e}</p> })}
                <textarea id=id name="opinion" rows="3">{rcdata(&val(form, "opinion"))}</textarea>
            </div>
        }
    };
    view! {
        <section class="panel" aria-labelledby="wf-heading">
            <h2 id="wf-heading">"办理"{p.step_name.clone().map(|s| format!("：当前环节 {s}"))}</h2>
            {done.map(|m| view! { <div class="notice" role="status"><p>{m}</p></div> })}
            {echo.error("_task").map(|e| view! { <div class="error-summary" role="alert"><p>{e}</p></div> })}
            {clock_facts(&p.clock).into_any()}
            {task.map(|t| {
                let phrases = phrases.clone();
                view! {
                    <h3>"我的待办"</h3>
                    {allows(StepAction::Approve).then(|| view! {
                        <form method="post" action=action_url(t) class="form action-form">
                            <CsrfField />
                            <input type="hidden" name="case_id" value=case_id.to_string() />
                            <input type="hidden" name="action" value="approve" />
                            <div class="field">
                                <label for="phrase">"常用意见"</label>
                                <select id="phrase" name="phrase">
                                    {phrases.iter().map(|ph| view! { <option value=ph.clone()>{ph.clone()}</option> }).collect_view()}
                                </select>
                            </div>
                            {opinion_box("opinion-approve", "审批意见（不填则用常用意见）", "approve")}
                            {(!p.choose_next.is_empty()).then(|| view! {
                                <div class="field">
                                    <label for="choose">"下一环节办理人"</label>
                                    <select id="choose" name="choose">
                                        {p.choose_next.iter().map(|x| view! { <option value=x.id.to_string()>{format!("{}（{}）", x.name, x.department)}</option> }).collect_view()}
                                    </select>
                                </div>
                            })}
                            <button type="submit" class="button">{if p.accepting { "受理" } else { "同意" }}</button>
                        </form>
                    })}
                    {allows(StepAction::Reject).then(|| {
                        let e = err("reject", "reason");
                        let bad = e.is_some();
                        view! {
                            <details class="action" open=bad>
                                <summary>{if p.accepting { "不予受理" } else { "不予通过" }}</summary>
                                <form method="post" action=action_url(t) class="form">
                                    <CsrfField />
                                    <input type="hidden" name="case_id" value=case_id.to_string() />
                                    <input type="hidden" name="action" value="reject" />
                                    <div class="field" class:field-error=bad>
                                        <label for="reason">"理由（申请人可见，2–500 字）"</label>
                                        {e.map(|e| view! { <p class="error-message">{e}</p> })}
                                        <textarea id="reason" name="reason" rows="3">{rcdata(&val("reject", "reason"))}</textarea>
                                    </div>
                                    <button type="submit" class="button warning">"不予通过"</button>
                                </form>
                            </details>
                        }
                    })}
                    {(allows(StepAction::Return) && !p.return_to.is_empty()).then(|| view! {
                        <details class="action" open=err("return", "opinion").is_some()>
                            <summary>"退回"</summary>
                            <form method="post" action=action_url(t) class="form">
                                <CsrfField />
                                <input type="hidden" name="case_id" value=case_id.to_string() />
                                <input type="hidden" name="action" value="return" />
                                <div class="field">
                                    <label for="to_step">"退回到"</label>
                                    <select id="to_step" name="to_step">
                                        {p.return_to.iter().map(|(k, n)| view! { <option value=k.clone()>{n.clone()}</option> }).collect_view()}
                                    </select>
                                </div>
                                {opinion_box("opinion-return", "退回理由", "return")}
                                <button type="submit" class="button secondary">"退回"</button>
                            </form>
                        </details>
                    })}
                    {allows(StepAction::Supplement).then(|| {
                        let em = err("supplement", "message");
                        let ef = err("supplement", "fields");
                        let (bad_m, bad_f) = (em.is_some(), ef.is_some());
                        let open = bad_m || bad_f;
                        view! {
                            <details class="action" open=open>
                                <summary>"要求补正（一次性告知）"</summary>
                                <form method="post" action=action_url(t) class="form">
                                    <CsrfField />
                                    <input type="hidden" name="case_id" value=case_id.to_string() />
                                    <input type="hidden" name="action" value="supplement" />
                                    <div class="field" class:field-error=bad_m>
                                        <label for="message">"补正说明"</label>
                                        <p class="hint">"一次性写明需要补充或更正的全部内容和要求（2–500 字）。补正期间暂停计时。"</p>
                                        {em.map(|e| view! { <p class="error-message">{e}</p> })}
                                        <textarea id="message" name="message" rows="4">{rcdata(&val("supplement", "message"))}</textarea>
                                    </div>
                                    <fieldset id="fields" class:field-error=bad_f>
                                        <legend>"需要补正的内容"</legend>
                                        {ef.map(|e| view! { <p class="error-message">{e}</p> })}
                                        {fields.iter().map(|(name, label)| {
                                            let cid = format!("sf-{name}");
                                            view! {
                                                <div class="choice">
                                                    <input type="checkbox" id=cid.clone() name="field" value=name.clone() />
                                                    <label for=cid>{label.clone()}</label>
                                                </div>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                    <button type="submit" class="button">"发送补正通知"</button>
                                </form>
                            </details>
                        }
                    })}
                    {(!p.colleagues.is_empty()).then(|| view! {
                        <details class="action" open=err("hand", "to").is_some() || err("hand", "opinion").is_some()>
                            <summary>"转办、委派或抄送"</summary>
                            <form method="post" action=action_url(t) class="form">
                                <CsrfField />
                                <input type="hidden" name="case_id" value=case_id.to_string() />
                                {err("hand", "to").map(|e| view! { <p class="error-message">{e}</p> })}
                                <div class="field">
                                    <label for="to">"交给"</label>
                                    <select id="to" name="to">
                                        {p.colleagues.iter().map(|x| view! { <option value=x.id.to_string()>{format!("{}（{}）", x.name, x.department)}</option> }).collect_view()}
                                    </select>
                                </div>
                                {opinion_box("opinion-hand", "说明", "hand")}
                                <div class="actions">
                                    {allows(StepAction::Transfer).then(|| view! { <button type="submit" name="action" value="transfer" class="button secondary">"转办（交出）"</button> })}
                                    {allows(StepAction::Delegate).then(|| view! { <button type="submit" name="action" value="delegate" class="button secondary">"委派（可收回）"</button> })}
                                    <button type="submit" name="action" value="copy" class="button secondary">"抄送（仅供知悉）"</button>
                                </div>
                            </form>
                        </details>
                    })}
                    {allows(StepAction::Suspend).then(|| {
                        let e = err("suspend", "note");
                        let bad = e.is_some();
                        view! {
                            <details class="action" open=bad>
                                <summary>"特别程序（专家评审、听证、检验检测等，不计入办理期限）"</summary>
                                <form method="post" action=action_url(t) class="form">
                                    <CsrfField />
                                    <input type="hidden" name="case_id" value=case_id.to_string() />
                                    <input type="hidden" name="action" value="suspend" />
                                    <div class="field" class:field-error=bad>
                                        <label for="note">"程序名称和原因"</label>
                                        {e.map(|e| view! { <p class="error-message">{e}</p> })}
                                        <input id="note" name="note" type="text" value=val("suspend", "note") />
                                    </div>
                                    <button type="submit" class="button secondary">"开始特别程序，暂停计时"</button>
                                </form>
                            </details>
                        }
                    })}
                    {p.can_resume.then(|| view! {
                        <form method="post" action=action_url(t) class="form">
                            <CsrfField />
                            <input type="hidden" name="case_id" value=case_id.to_string() />
                            <input type="hidden" name="action" value="resume" />
                            <button type="submit" class="button">"特别程序结束，恢复计时"</button>
                        </form>
                    })}
                }
                .into_any()
            })}
            {p.pending_extension.clone().map(|(rid, days, reason, by)| {
                let url = format!("/admin/cases/{case_id}/supervise");
                let supervise = p.can_supervise;
                let e = err("decide_extension", "note");
                view! {
                    <div class="notice warning" role="status">
                        <p>{format!("{by}申请延长 {days} 天：{reason}（等待有权人员审批）")}</p>
                        {supervise.then(|| view! {
                            <form method="post" action=url class="form">
                                <CsrfField />
                                <input type="hidden" name="kind" value="decide_extension" />
                                <input type="hidden" name="request" value=rid.to_string() />
                                {e.map(|e| view! { <p class="error-message">{e}</p> })}
                                <div class="field"><label for="ext-note">"审批意见（不批准时必填）"</label>
                                    <input id="ext-note" name="note" type="text" /></div>
                                <div class="actions">
                                    <button type="submit" name="decision" value="approve" class="button">"批准延期"</button>
                                    <button type="submit" name="decision" value="refuse" class="button secondary">"不批准"</button>
                                </div>
                            </form>
                        })}
                    </div>
                }
                .into_any()
            })}
            {(p.can_request_extension && task.is_some()).then(|| {
                let t = task.unwrap_or_default();
                let ed = err("request_extension", "days");
                let er = err("request_extension", "reason");
                let open = ed.is_some() || er.is_some();
                view! {
                    <details class="action" open=open>
                        <summary>"申请延期"</summary>
                        <form method="post" action=action_url(t) class="form">
                            <CsrfField />
                            <input type="hidden" name="case_id" value=case_id.to_string() />
                            <input type="hidden" name="action" value="request_extension" />
                            <div class="field"><label for="req-days">"延长天数（1–60，与承诺时限同样计算）"</label>
                                {ed.map(|e| view! { <p class="error-message">{e}</p> })}
                                <input id="req-days" name="days" type="number" inputmode="numeric" min="1" max="60" value=val("request_extension", "days") /></div>
                            <div class="field"><label for="req-reason">"延期理由"</label>
                                {er.map(|e| view! { <p class="error-message">{e}</p> })}
                                <textarea id="req-reason" name="reason" rows="2">{rcdata(&val("request_extension", "reason"))}</textarea></div>
                            <button type="submit" class="button secondary">"提交延期申请"</button>
                        </form>
                    </details>
                }
                .into_any()
            })}
            {p.can_take_back.map(|t| view! {
                <form method="post" action=action_url(t) class="form">
                    <CsrfField />
                    <input type="hidden" name="case_id" value=case_id.to_string() />
                    <input type="hidden" name="action" value="take_back" />
                    <p>"您把这项任务委派给了他人。"</p>
                    <button type="submit" class="button secondary">"收回委派"</button>
                </form>
            })}
            {p.can_supervise.then(|| view! { <SuperviseForms case_id assignable=p.assignable.clone() /> }.into_any())}
            <h3>"流转记录"</h3>
            {if p.history.is_empty() {
                view! { <p>"还没有流转记录。"</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="data">
                            <thead><tr><th scope="col">"环节"</th><th scope="col">"办理人"</th><th scope="col">"状态"</th><th scope="col">"结果与意见"</th><th scope="col">"时间"</th></tr></thead>
                            <tbody>
                                {p.history.iter().map(|h| view! {
                                    <tr>
                                        <td>{h.step_name.clone()}</td>
                                        <td>{h.assignee.clone()}{h.decided_by.clone().filter(|b| *b != h.assignee).map(|b| format!("（{b}办理）"))}</td>
                                        <td>{h.status.clone()}</td>
                                        <td>{h.decision.clone().unwrap_or_default()}{(!h.opinion.is_empty()).then(|| format!("：{}", h.opinion))}</td>
                                        <td>{h.at.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {p.version.map(|v| view! { <p class="meta">"流程版本 "{v}</p> })}
        </section>
    }
}

#[component]
fn SuperviseForms(case_id: i64, assignable: Vec<zhengwu_types::workflow::Person>) -> impl IntoView {
    let echo = use_form_echo();
    let form = echo.value("_form");
    let err = |f: &str, field: &str| if form == f { echo.error(field) } else { None };
    let url = format!("/admin/cases/{case_id}/supervise");
    view! {
        <h3>"督办"</h3>
        {(!assignable.is_empty()).then(|| view! {
            <form method="post" action=url.clone() class="form panel warning">
                <CsrfField />
                <input type="hidden" name="kind" value="assign" />
                <p>"该办件有无人办理的任务（没有人符合流程规则）。请指派办理人。"</p>
                {err("assign", "to").map(|e| view! { <p class="error-message">{e}</p> })}
                <div class="field">
                    <label for="assign-to">"指派给"</label>
                    <select id="assign-to" name="to">
                        {assignable.iter().map(|x| view! { <option value=x.id.to_string()>{format!("{}（{}）", x.name, x.department)}</option> }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button">"指派"</button>
            </form>
        }.into_any())}
        <details class="action" open=err("remind", "message").is_some()>
            <summary>"催办"</summary>
            <form method="post" action=url.clone() class="form">
                <CsrfField />
                <input type="hidden" name="kind" value="remind" />
                <div class="field"><label for="remind-message">"催办内容（可不填）"</label>
                    {err("remind", "message").map(|e| view! { <p class="error-message">{e}</p> })}
                    <input id="remind-message" name="message" type="text" /></div>
                <button type="submit" class="button secondary">"催办"</button>
            </form>
        </details>
        <details class="action" open=err("extend", "days").is_some() || err("extend", "reason").is_some()>
            <summary>"批准延期"</summary>
            <form method="post" action=url.clone() class="form">
                <CsrfField />
                <input type="hidden" name="kind" value="extend" />
                <div class="field" class:field-error=err("extend", "days").is_some()><label for="days">"延长天数（1–60，与承诺时限同样计算）"</label>
                    {err("extend", "days").map(|e| view! { <p class="error-message">{e}</p> })}
                    <input id="days" name="days" type="number" inputmode="numeric" min="1" max="60" /></div>
                <div class="field" class:field-error=err("extend", "reason").is_some()><label for="extend-reason">"延期理由（申请人可见）"</label>
                    {err("extend", "reason").map(|e| view! { <p class="error-message">{e}</p> })}
                    <textarea id="extend-reason" name="reason" rows="2"></textarea></div>
                <button type="submit" class="button secondary">"批准延期"</button>
            </form>
        </details>
        <details class="action" open=err("note", "message").is_some()>
            <summary>"督办记录"</summary>
            <form method="post" action=url.clone() class="form">
                <CsrfField />
                <input type="hidden" name="kind" value="note" />
                <div class="field" class:field-error=err("note", "message").is_some()><label for="note-message">"记录内容"</label>
                    {err("note", "message").map(|e| view! { <p class="error-message">{e}</p> })}
                    <textarea id="note-message" name="message" rows="2"></textarea></div>
                <button type="submit" class="button secondary">"保存记录"</button>
            </form>
        </details>
        <details class="action" open=err("terminate", "reason").is_some()>
            <summary>"终止办理"</summary>
            <form method="post" action=url class="form">
                <CsrfField />
                <input type="hidden" name="kind" value="terminate" />
                <div class="field" class:field-error=err("terminate", "reason").is_some()><label for="terminate-reason">"终止理由（申请人可见）"</label>
                    {err("terminate", "reason").map(|e| view! { <p class="error-message">{e}</p> })}
                    <textarea id="terminate-reason" name="reason" rows="2"></textarea></div>
                <button type="submit" class="button warning">"终止办理"</button>
            </form>
        </details>
    }
}

#[component]
pub fn SupervisionPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| supervision());
    view! {
        <PageMeta title="督办" />
        <ConsoleNav />
        <h1>"督办：预警与超期办件"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <SupervisionTable v /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SupervisionTable(v: SupervisionView) -> impl IntoView {
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

#[component]
pub fn CalendarPage() -> impl IntoView {
    let q = use_query_map();
    let year = move || q.with(|q| q.get("year"));
    let data = Resource::new(year, calendar_year);
    view! {
        <PageMeta title="工作日历" />
        <ConsoleNav />
        <h1>"工作日历"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! { <CalendarTable c /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CalendarTable(c: CalendarView) -> impl IntoView {
    let echo = use_form_echo();
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
                    <div class="field" class:field-error=echo.error("day").is_some()>
                        <label for="day">"日期"</label>
                        {echo.error("day").map(|e| view! { <p class="error-message">{e}</p> })}
                        <input id="day" name="day" type="date" value=echo.value("day") />
                    </div>
                    <div class="field">
                        <label for="kind">"设为"</label>
                        <select id="kind" name="kind">
                            <option value="holiday">"放假"</option>
                            <option value="workday">"调休上班"</option>
                            <option value="clear">"恢复按星期计算"</option>
                        </select>
                    </div>
                    <div class="field" class:field-error=echo.error("name").is_some()>
                        <label for="name">"名称"</label>
                        {echo.error("name").map(|e| view! { <p class="error-message">{e}</p> })}
                        <input id="name" name="name" type="text" value=echo.value("name") />
                    </div>
                    <button type="submit" class="button">"保存"</button>
                </form>
            </section>
        })}
    }
}

/// The workflow section of an item's editor page: the current steps, and a new version as JSON.
#[component]
pub fn ItemWorkflowSection(code: String) -> impl IntoView {
    let data = Resource::new(move || code.clone(), item_workflow);
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(e) => view! { <WorkflowEditorView e /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WorkflowEditorView(e: WorkflowEditor) -> impl IntoView {
    let echo = use_form_echo();
    let error = echo.error("definition");
    let bad = error.is_some();
    let text = if echo.value("_form") == "workflow" { echo.value("definition") } else { e.json.clone() };
    let saved = query("done").is_some_and(|d| d == "workflow");
    view! {
        <section class="panel" id="workflow" aria-labelledby="workflow-heading">
            <h2 id="workflow-heading">"办理流程"</h2>
            {saved.then(|| view! { <div class="notice" role="status"><p>"新版本流程已发布。进行中的办件仍按原版本办理。"</p></div> })}
            <p>{match e.version { Some(v) => format!("当前版本 {v}"), None => "尚未发布流程：使用默认流程（受理 → 审查决定）。".to_string() }}</p>
            <div class="table-wrap">
                <table class="data">
                    <thead><tr><th scope="col">"环节"</th><th scope="col">"办理人"</th><th scope="col">"方式"</th><th scope="col">"可用操作"</th><th scope="col">"环节时限"</th></tr></thead>
                    <tbody>
                        {e.steps.iter().map(|(n, r, m, a, l)| view! { <tr><td>{n.clone()}</td><td>{r.clone()}</td><td>{m.clone()}</td><td>{a.clone()}</td><td>{l.clone()}</td></tr> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <StepsEditor e=e.clone() />
            <h3>"或：以 JSON 发布"</h3>
            <form method="post" action=format!("/admin/services/{}/workflow", e.code) class="form">
                <CsrfField />
                <div class="field" class:field-error=bad>
                    <label for="workflow-definition">"发布新版本（JSON）"</label>
                    <p class="hint">"每个环节：key、name、assignee（kind 为 role / case_department / user / chosen）、mode（single / all / any）、actions、limit_days、next。发布前检查：每个环节可达、有通往办结的路径、角色部门账号存在。"</p>
                    {error.map(|m| view! { <p class="error-message">{m}</p> })}
                    <textarea id="workflow-definition" name="definition" rows="16" class="code">{rcdata(&text)}</textarea>
                </div>
                <button type="submit" class="button">"检查并发布新版本"</button>
            </form>
        </section>
    }
}

/// The structured editor: one collapsible row per step with every property as a plain input,
/// and an empty row to add one. Without JavaScript; checked on the server before publishing.
#[component]
fn StepsEditor(e: WorkflowEditor) -> impl IntoView {
    let echo = use_form_echo();
    let error = if echo.value("_form") == "steps" { echo.error("steps") } else { None };
    // Pages render on the server only (islands); the browser build never runs this.
    #[cfg(feature = "ssr")]
    let steps = (echo.value("_form") == "steps")
        .then(|| serde_json::from_str::<zhengwu_types::workflow::WorkflowDef>(&echo.value("steps_json")).ok())
        .flatten()
        .unwrap_or_else(|| e.def.clone())
        .steps;
    #[cfg(not(feature = "ssr"))]
    let steps = e.def.steps.clone();
    let n = steps.len();
    let keys = steps.iter().map(|s| format!("{}（{}）", s.key, s.name)).collect::<Vec<_>>().join("、");
    view! {
        <form method="post" action=format!("/admin/services/{}/workflow/steps", e.code) class="form">
            <CsrfField />
            <h3>"逐项编辑"</h3>
            <p class="hint">{format!("环节标识：{keys}。“下一环节”填标识，留空表示同意后办结。")}</p>
            {error.map(|m| view! { <div class="error-summary" role="alert"><p>{m}</p></div> })}
            {steps.into_iter().enumerate().map(|(i, st)| view! {
                <StepRow i step=Some(st) roles=e.roles.clone() departments=e.departments.clone() />
            }).collect_view()}
            <StepRow i=n step=None roles=e.roles.clone() departments=e.departments.clone() />
            <button type="submit" class="button">"检查并发布新版本"</button>
        </form>
    }
}

#[component]
fn StepRow(
    i: usize,
    step: Option<zhengwu_types::workflow::StepDef>,
    roles: Vec<(String, String)>,
    departments: Vec<(String, String)>,
) -> impl IntoView {
    use zhengwu_types::workflow::{AssigneeRule, StepMode};
    let is_new = step.is_none();
    let s = step.unwrap_or(zhengwu_types::workflow::StepDef {
        key: String::new(),
        name: String::new(),
        assignee: AssigneeRule::CaseDepartment { role: String::new() },
        mode: StepMode::Single,
        actions: vec![StepAction::Approve, StepAction::Reject],
        limit_days: None,
        next: None,
    });
    let id = move |k: &str| format!("w{i}-{k}");
    let (rule, role, dept, user) = match &s.assignee {
        AssigneeRule::Role { role, department } => ("role", role.clone(), department.clone(), String::new()),
        AssigneeRule::CaseDepartment { role } => ("case_department", role.clone(), String::new(), String::new()),
        AssigneeRule::User { username } => ("user", String::new(), String::new(), username.clone()),
        AssigneeRule::Chosen { role } => ("chosen", role.clone(), String::new(), String::new()),
    };
    let text = move |k: &'static str, label: &'static str, value: String| {
        view! {
            <div class="field">
                <label for=id(k)>{label}</label>
                <input id=id(k) name=format!("{k}_{i}") type="text" value=value />
            </div>
        }
    };
    let summary = if is_new {
        "新增环节".to_string()
    } else {
        format!("{}. {} · {} · {}", i + 1, s.name, s.mode.name_zh(), s.assignee.describe_zh())
    };
    view! {
        <details class="field-row-wrap" open=is_new>
            <summary>{summary}</summary>
            <fieldset class="field-row">
                <legend class="visually-hidden">{if is_new { "新增环节".to_string() } else { format!("环节 {}：{}", i + 1, s.name) }}</legend>
                <input type="hidden" name="row" value=i.to_string() />
                {text("order", "顺序", if is_new { String::new() } else { (i + 1).to_string() })}
                {text("key", "环节标识（小写英文，如 review）", s.key.clone())}
                {text("name", "环节名称", s.name.clone())}
                <div class="field">
                    <label for=id("rule")>"办理人规则"</label>
                    <select id=id("rule") name=format!("rule_{i}")>
                        {[("case_department", "办件所属部门的某角色"), ("role", "指定部门的某角色"), ("user", "指定人员"), ("chosen", "上一环节办理人选定")]
                            .into_iter().map(|(v, l)| view! { <option value=v selected=v == rule>{l}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=id("role")>"角色"</label>
                    <select id=id("role") name=format!("role_{i}")>
                        <option value="">"（不适用）"</option>
                        {roles.iter().map(|(c, n)| view! { <option value=c.clone() selected=*c == role>{format!("{n}（{c}）")}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=id("department")>"部门（仅“指定部门”）"</label>
                    <select id=id("department") name=format!("department_{i}")>
                        <option value="">"（不适用）"</option>
                        {departments.iter().map(|(c, n)| view! { <option value=c.clone() selected=*c == dept>{n.clone()}</option> }).collect_view()}
                    </select>
                </div>
                {text("user", "人员账号（仅“指定人员”）", user)}
                <div class="field">
                    <label for=id("mode")>"办理方式"</label>
                    <select id=id("mode") name=format!("mode_{i}")>
                        {StepMode::ALL.into_iter().map(|m| view! { <option value=m.code() selected=m == s.mode>{m.name_zh()}</option> }).collect_view()}
                    </select>
                </div>
                <fieldset>
                    <legend>"本环节可用的操作"</legend>
                    {StepAction::ALL.into_iter().map(|a| {
                        let cid = format!("w{i}-a-{}", a.code());
                        view! {
                            <div class="choice">
                                <input type="checkbox" id=cid.clone() name=format!("action_{i}") value=a.code() checked=s.actions.contains(&a) />
                                <label for=cid>{a.name_zh()}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                {text("limit", "环节时限（工作日，可不填）", s.limit_days.map(|d| d.to_string()).unwrap_or_default())}
                {text("next", "下一环节标识（留空：同意后办结）", s.next.clone().unwrap_or_default())}
                {(!is_new).then(|| view! {
                    <div class="choice">
                        <input type="checkbox" id=id("delete") name=format!("delete_{i}") value="1" />
                        <label for=id("delete")>"删除此环节"</label>
                    </div>
                })}
            </fieldset>
        </details>
    }
    .into_any()
}

#[component]
pub fn CopiedPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| copied_cases());
    view! {
        <PageMeta title="抄送我的" />
        <ConsoleNav />
        <h1>"抄送我的"</h1>
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(rows) => view! { <CopiedTable rows /> }.into_any(),
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CopiedTable(rows: Vec<CopiedCase>) -> impl IntoView {
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
