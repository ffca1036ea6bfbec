//! The workflow panel of the staff case page: where the case is, its clock, its history, and
//! the forms of the actions allowed to this person now (and a supervisor's).

use leptos::prelude::*;
use zhengwu_types::workflow::{Clock, StepAction, WorkflowPanel};

use crate::features::workflow::api::case_workflow;
use crate::features::workflow::pages::lists::days_text;
use crate::features::workflow::pages::lists::warning_class;
use crate::ui::error::ErrorPage;
use crate::ui::form::CsrfField;
use crate::ui::meta::rcdata;
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

pub(crate) fn done_text(d: &str) -> Option<&'static str> {
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
pub(crate) fn PanelView(p: WorkflowPanel, case_id: i64, fields: Vec<(String, String)>) -> impl IntoView {
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
pub(crate) fn SuperviseForms(case_id: i64, assignable: Vec<zhengwu_types::workflow::Person>) -> impl IntoView {
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
