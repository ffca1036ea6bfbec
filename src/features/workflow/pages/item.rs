//! An item's workflow in the console: its steps, edited as rows or as JSON, and published.

use leptos::prelude::*;
use zhengwu_types::workflow::StepAction;

use crate::features::workflow::api::{item_workflow, WorkflowEditor};
use crate::ui::form::{Checkboxes, CsrfField, Field, Select, TextArea};
use crate::ui::loaded::Loaded;
use crate::ui::session::use_form_echo;
use crate::ui::url::query;

/// The workflow section of an item's editor page: the current steps, and a new version as JSON.
#[component]
pub fn ItemWorkflowSection(code: String) -> impl IntoView {
    let data = Resource::new(move || code.clone(), item_workflow);
    view! {
        <Loaded data=data let:e>
            <WorkflowEditorView e />
        </Loaded>
    }
}

#[component]
pub(crate) fn WorkflowEditorView(e: WorkflowEditor) -> impl IntoView {
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
                <TextArea name="definition" id="workflow-definition" form="workflow" rows=16 class="code" value=e.json.clone()
                    label="发布新版本（JSON）"
                    hint="每个环节：key、name、assignee（kind 为 role / case_department / user / chosen）、mode（single / all / any）、actions、limit_days、next。发布前检查：每个环节可达、有通往办结的路径、角色部门账号存在。" />
                <button type="submit" class="button">"检查并发布新版本"</button>
            </form>
        </section>
    }
}

/// The structured editor: one collapsible row per step with every property as a plain input,
/// and an empty row to add one. Without JavaScript; checked on the server before publishing.
#[component]
pub(crate) fn StepsEditor(e: WorkflowEditor) -> impl IntoView {
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
pub(crate) fn StepRow(
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
        view! { <Field name=format!("{k}_{i}") id=id(k) label value required=false /> }
    };
    let with_none = |list: &[(String, String)], label: &dyn Fn(&str, &str) -> String| {
        std::iter::once((String::new(), "（不适用）".to_string()))
            .chain(list.iter().map(|(c, n)| (c.clone(), label(c, n))))
            .collect::<Vec<_>>()
    };
    let role_options = with_none(&roles, &|c, n| format!("{n}（{c}）"));
    let department_options = with_none(&departments, &|_, n| n.to_string());
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
                <Select name=format!("rule_{i}") id=id("rule") label="办理人规则" value=rule
                    options=[("case_department", "办件所属部门的某角色"), ("role", "指定部门的某角色"), ("user", "指定人员"), ("chosen", "上一环节办理人选定")]
                        .into_iter()
                        .map(|(v, l)| (v.to_string(), l.to_string()))
                        .collect() />
                <Select name=format!("role_{i}") id=id("role") label="角色" value=role options=role_options />
                <Select name=format!("department_{i}") id=id("department") label="部门（仅“指定部门”）" value=dept options=department_options />
                {text("user", "人员账号（仅“指定人员”）", user)}
                <Select name=format!("mode_{i}") id=id("mode") label="办理方式" value=s.mode.code()
                    options=StepMode::ALL.into_iter().map(|m| (m.code().to_string(), m.name_zh().to_string())).collect() />
                <Checkboxes name=format!("action_{i}") id=format!("w{i}-a") legend="本环节可用的操作"
                    options=StepAction::ALL.into_iter().map(|a| (a.code().to_string(), a.name_zh().to_string())).collect()
                    checked=s.actions.iter().map(|a| a.code().to_string()).collect() />
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
