//! The workflow panel of the staff case page: where the case is, its clock, its history, and
//! the forms of the actions allowed to this person now (and a supervisor's).

use leptos::prelude::*;
use zhengwu_types::workflow::{Clock, PanelAction, Person, StepAction, SuperviseKind, WorkflowPanel};

use crate::features::workflow::api::case_workflow;
use crate::features::workflow::pages::lists::days_text;
use crate::features::workflow::pages::lists::warning_class;
use crate::ui::form::{came_back, ActionForm, Checkboxes, Field, Select, TextArea};
use crate::ui::loaded::Loaded;
use crate::ui::session::use_form_echo;
use crate::ui::url::query;

pub(crate) fn clock_facts(c: &Clock) -> impl IntoView {
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
        <Loaded data=data let:p>
            <PanelView p case_id fields=fields.clone() />
        </Loaded>
    }
}

/// What the page says after an action (`?done=`).
pub(crate) fn done_text(d: &str) -> Option<&'static str> {
    PanelAction::parse(d).map(PanelAction::done_zh).or_else(|| SuperviseKind::parse(d).map(SuperviseKind::done_zh))
}

fn people(list: &[Person]) -> Vec<(String, String)> {
    list.iter().map(|x| (x.id.to_string(), format!("{}（{}）", x.name, x.department))).collect()
}

/// The hidden values of an action form on task `t`'s case.
fn task_form(case_id: i64, action: Option<PanelAction>) -> Vec<(&'static str, String)> {
    let mut v = vec![("case_id", case_id.to_string())];
    if let Some(a) = action {
        v.push(("action", a.code().to_string()));
    }
    v
}

#[component]
pub(crate) fn PanelView(p: WorkflowPanel, case_id: i64, fields: Vec<(String, String)>) -> impl IntoView {
    let echo = use_form_echo();
    let done = query("done").and_then(|d| done_text(&d));
    let actions = p.actions.clone();
    let allows = move |a: StepAction| actions.contains(&a);
    let task = p.my_task;
    let action_url = move |t: i64| format!("/admin/tasks/{t}/act");
    let phrases: Vec<(String, String)> = p.phrases.iter().map(|ph| (ph.clone(), ph.clone())).collect();
    let accepting = p.accepting;
    let choose_next = people(&p.choose_next);
    let return_to = p.return_to.clone();
    let colleagues = people(&p.colleagues);
    let can_supervise = p.can_supervise;
    let (can_transfer, can_delegate) = (allows(StepAction::Transfer), allows(StepAction::Delegate));
    view! {
        <section class="panel" aria-labelledby="wf-heading">
            <h2 id="wf-heading">"办理"{p.step_name.clone().map(|s| format!("：当前环节 {s}"))}</h2>
            {done.map(|m| view! { <div class="notice" role="status"><p>{m}</p></div> })}
            {echo.error("_task").map(|e| view! { <div class="error-summary" role="alert"><p>{e}</p></div> })}
            {clock_facts(&p.clock).into_any()}
            {task.map(|t| {
                let phrases = phrases.clone();
                let choose_next = choose_next.clone();
                let return_to = return_to.clone();
                let colleagues = colleagues.clone();
                let fields = fields.clone();
                view! {
                    <h3>"我的待办"</h3>
                    {allows(StepAction::Approve).then(|| view! {
                        <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::Approve))
                            form="approve" ids=vec![("opinion", "opinion-approve")] class="form action-form">
                            <Select name="phrase" label="常用意见" options=phrases form="approve" />
                            <TextArea name="opinion" id="opinion-approve" label="审批意见（不填则用常用意见）" form="approve" />
                            {(!choose_next.is_empty()).then(|| view! {
                                <Select name="choose" label="下一环节办理人" options=choose_next form="approve" />
                            })}
                            <button type="submit" class="button">{if accepting { "受理" } else { "同意" }}</button>
                        </ActionForm>
                    })}
                    {allows(StepAction::Reject).then(|| view! {
                        <details class="action" open=came_back("reject")>
                            <summary>{if accepting { "不予受理" } else { "不予通过" }}</summary>
                            <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::Reject))
                                form="reject" labels=&[("reason", "理由")]>
                                <TextArea name="reason" label="理由（申请人可见，2–500 字）" required=true form="reject" />
                                <button type="submit" class="button warning">"不予通过"</button>
                            </ActionForm>
                        </details>
                    })}
                    {(allows(StepAction::Return) && !return_to.is_empty()).then(|| view! {
                        <details class="action" open=came_back("return")>
                            <summary>"退回"</summary>
                            <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::Return))
                                form="return" ids=vec![("opinion", "opinion-return"), ("to", "to_step")]>
                                <Select name="to_step" label="退回到" options=return_to form="return" />
                                <TextArea name="opinion" id="opinion-return" label="退回理由" required=true form="return" />
                                <button type="submit" class="button secondary">"退回"</button>
                            </ActionForm>
                        </details>
                    })}
                    {allows(StepAction::Supplement).then(|| view! {
                        <details class="action" open=came_back("supplement")>
                            <summary>"要求补正（一次性告知）"</summary>
                            <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::Supplement))
                                form="supplement" labels=&[("message", "补正说明"), ("fields", "需要补正的内容")]>
                                <TextArea name="message" label="补正说明" rows=4 required=true form="supplement"
                                    hint="一次性写明需要补充或更正的全部内容和要求（2–500 字）。补正期间暂停计时。" />
                                <Checkboxes name="field" id="fields" legend="需要补正的内容" options=fields form="supplement" />
                                <button type="submit" class="button">"发送补正通知"</button>
                            </ActionForm>
                        </details>
                    })}
                    {(!colleagues.is_empty()).then(|| view! {
                        <details class="action" open=came_back("hand")>
                            <summary>"转办、委派或抄送"</summary>
                            <ActionForm action=action_url(t) hidden=task_form(case_id, None)
                                form="hand" labels=&[("to", "交给"), ("opinion", "说明")] ids=vec![("opinion", "opinion-hand")]>
                                <Select name="to" label="交给" options=colleagues form="hand" />
                                <TextArea name="opinion" id="opinion-hand" label="说明" form="hand" />
                                <div class="actions">
                                    {can_transfer.then(|| view! { <button type="submit" name="action" value=PanelAction::Transfer.code() class="button secondary">"转办（交出）"</button> })}
                                    {can_delegate.then(|| view! { <button type="submit" name="action" value=PanelAction::Delegate.code() class="button secondary">"委派（可收回）"</button> })}
                                    <button type="submit" name="action" value=PanelAction::Copy.code() class="button secondary">"抄送（仅供知悉）"</button>
                                </div>
                            </ActionForm>
                        </details>
                    })}
                    {allows(StepAction::Suspend).then(|| view! {
                        <details class="action" open=came_back("suspend")>
                            <summary>"特别程序（专家评审、听证、检验检测等，不计入办理期限）"</summary>
                            <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::Suspend))
                                form="suspend" labels=&[("note", "程序名称和原因")]>
                                <Field name="note" label="程序名称和原因" form="suspend" />
                                <button type="submit" class="button secondary">"开始特别程序，暂停计时"</button>
                            </ActionForm>
                        </details>
                    })}
                    {p.can_resume.then(|| view! {
                        <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::Resume))>
                            <button type="submit" class="button">"特别程序结束，恢复计时"</button>
                        </ActionForm>
                    })}
                }
                .into_any()
            })}
            {p.pending_extension.clone().map(|(rid, days, reason, by)| {
                let hidden = vec![("kind", SuperviseKind::DecideExtension.code().to_string()), ("request", rid.to_string())];
                view! {
                    <div class="notice warning" role="status">
                        <p>{format!("{by}申请延长 {days} 天：{reason}（等待有权人员审批）")}</p>
                        {can_supervise.then(|| view! {
                            <ActionForm action=format!("/admin/cases/{case_id}/supervise") hidden
                                form="decide_extension" ids=vec![("note", "ext-note")]>
                                <Field name="note" id="ext-note" label="审批意见（不批准时必填）" required=false form="decide_extension" />
                                <div class="actions">
                                    <button type="submit" name="decision" value="approve" class="button">"批准延期"</button>
                                    <button type="submit" name="decision" value="refuse" class="button secondary">"不批准"</button>
                                </div>
                            </ActionForm>
                        })}
                    </div>
                }
                .into_any()
            })}
            {(p.can_request_extension && task.is_some()).then(|| {
                let t = task.unwrap_or_default();
                view! {
                    <details class="action" open=came_back("request_extension")>
                        <summary>"申请延期"</summary>
                        <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::RequestExtension))
                            form="request_extension" labels=&[("days", "延长天数"), ("reason", "延期理由")]
                            ids=vec![("days", "req-days"), ("reason", "req-reason")]>
                            <Field name="days" id="req-days" kind="number" inputmode="numeric" min="1" max="60"
                                label="延长天数（1–60，与承诺时限同样计算）" form="request_extension" />
                            <TextArea name="reason" id="req-reason" label="延期理由" rows=2 required=true form="request_extension" />
                            <button type="submit" class="button secondary">"提交延期申请"</button>
                        </ActionForm>
                    </details>
                }
                .into_any()
            })}
            {p.can_take_back.map(|t| view! {
                <ActionForm action=action_url(t) hidden=task_form(case_id, Some(PanelAction::TakeBack))>
                    <p>"您把这项任务委派给了他人。"</p>
                    <button type="submit" class="button secondary">"收回委派"</button>
                </ActionForm>
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

/// A supervisor's forms (督办): assign, remind, extend, note, terminate.
#[component]
pub(crate) fn SuperviseForms(case_id: i64, assignable: Vec<Person>) -> impl IntoView {
    let url = format!("/admin/cases/{case_id}/supervise");
    let kind = |k: SuperviseKind| vec![("kind", k.code().to_string())];
    view! {
        <h3>"督办"</h3>
        {(!assignable.is_empty()).then(|| view! {
            <ActionForm action=url.clone() hidden=kind(SuperviseKind::Assign) form="assign" class="form panel warning"
                ids=vec![("to", "assign-to")]>
                <p>"该办件有无人办理的任务（没有人符合流程规则）。请指派办理人。"</p>
                <Select name="to" id="assign-to" label="指派给" options=people(&assignable) form="assign" />
                <button type="submit" class="button">"指派"</button>
            </ActionForm>
        }.into_any())}
        <details class="action" open=came_back("remind")>
            <summary>"催办"</summary>
            <ActionForm action=url.clone() hidden=kind(SuperviseKind::Remind) form="remind" ids=vec![("message", "remind-message")]>
                <Field name="message" id="remind-message" label="催办内容（可不填）" required=false form="remind" />
                <button type="submit" class="button secondary">"催办"</button>
            </ActionForm>
        </details>
        <details class="action" open=came_back("extend")>
            <summary>"批准延期"</summary>
            <ActionForm action=url.clone() hidden=kind(SuperviseKind::Extend) form="extend"
                labels=&[("days", "延长天数"), ("reason", "延期理由")] ids=vec![("reason", "extend-reason")]>
                <Field name="days" kind="number" inputmode="numeric" min="1" max="60"
                    label="延长天数（1–60，与承诺时限同样计算）" form="extend" />
                <TextArea name="reason" id="extend-reason" label="延期理由（申请人可见）" rows=2 required=true form="extend" />
                <button type="submit" class="button secondary">"批准延期"</button>
            </ActionForm>
        </details>
        <details class="action" open=came_back("note")>
            <summary>"督办记录"</summary>
            <ActionForm action=url.clone() hidden=kind(SuperviseKind::Note) form="note" ids=vec![("message", "note-message")]>
                <TextArea name="message" id="note-message" label="记录内容" rows=2 required=true form="note" />
                <button type="submit" class="button secondary">"保存记录"</button>
            </ActionForm>
        </details>
        <details class="action" open=came_back("terminate")>
            <summary>"终止办理"</summary>
            <ActionForm action=url hidden=kind(SuperviseKind::Terminate) form="terminate" ids=vec![("reason", "terminate-reason")]>
                <TextArea name="reason" id="terminate-reason" label="终止理由（申请人可见）" rows=2 required=true form="terminate" />
                <button type="submit" class="button warning">"终止办理"</button>
            </ActionForm>
        </details>
    }
}
