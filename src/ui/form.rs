//! The form kit: every form field with its label, hint and the message of the last post (with
//! `aria-invalid` and `aria-describedby`), the values kept, the summary of problems at the top
//! linking to each field (GOV.UK pattern), the anti-forgery field, and the action form that
//! puts them together.
//!
//! A page with several forms (the workflow panel) names each: its fields take `form`, and
//! the post that failed says which form it was in `_form`, so its messages and values show in
//! that form only.

use leptos::prelude::*;

use crate::ui::{
    meta::rcdata,
    session::{use_form_echo, use_session, CSRF_FIELD},
};

/// The hidden anti-forgery token of the signed-in staff member's session.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = use_session().map(|s| s.csrf).unwrap_or_default();
    view! { <input type="hidden" name=CSRF_FIELD value=token /> }
}

/// What the last post left for one field: its message and the value typed, if it was this
/// field's form that was posted.
struct Echoed {
    error: Option<String>,
    value: String,
}

fn echoed(form: Option<&str>, name: &str) -> Echoed {
    let echo = use_form_echo();
    let ours = form.is_none_or(|f| echo.value("_form") == f);
    Echoed {
        error: if ours { echo.error(name) } else { None },
        value: if ours { echo.value(name) } else { String::new() },
    }
}

/// The ids a control is described by: its hint and its message.
fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> =
        [hint.then(|| format!("{id}-hint")), error.then(|| format!("{id}-error"))].into_iter().flatten().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// Label, hint and message around a control.
#[component]
fn FieldFrame(
    id: String,
    label: &'static str,
    hint: Option<&'static str>,
    error: Option<String>,
    children: Children,
) -> impl IntoView {
    let bad = error.is_some();
    view! {
        <div class="field" class:field-error=bad>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=format!("{id}-hint")>{h}</p> })}
            {error.map(|e| view! { <p class="error-message" id=format!("{id}-error")><span class="visually-hidden">"错误："</span>{e}</p> })}
            {children()}
        </div>
    }
}

/// A text input with label, optional hint and the message from the last post.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] value: Option<String>,
    #[prop(default = true)] required: bool,
    /// The element id, when not the name (several forms on one page).
    #[prop(optional)]
    id: Option<&'static str>,
    /// The form of the page this field belongs to (see the module).
    #[prop(optional)]
    form: Option<&'static str>,
    #[prop(optional)] min: Option<&'static str>,
    #[prop(optional)] max: Option<&'static str>,
) -> impl IntoView {
    let id = id.unwrap_or(name);
    let e = echoed(form, name);
    // Passwords are never sent back to the browser.
    let value = if kind == "password" { String::new() } else { value.unwrap_or(e.value) };
    let described = described_by(id, hint.is_some(), e.error.is_some());
    let invalid = e.error.is_some().then_some("true");
    view! {
        <FieldFrame id=id.to_string() label hint error=e.error>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                min=min
                max=max
                required=required
                aria-invalid=invalid
                aria-describedby=described
            />
        </FieldFrame>
    }
}

/// A text area; what was typed comes back escaped for the element's raw text.
#[component]
pub fn TextArea(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 3)] rows: u32,
    #[prop(default = false)] required: bool,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] form: Option<&'static str>,
) -> impl IntoView {
    let id = id.unwrap_or(name);
    let e = echoed(form, name);
    let described = described_by(id, hint.is_some(), e.error.is_some());
    let invalid = e.error.is_some().then_some("true");
    view! {
        <FieldFrame id=id.to_string() label hint error=e.error>
            <textarea id=id name=name rows=rows required=required aria-invalid=invalid aria-describedby=described>
                {rcdata(&e.value)}
            </textarea>
        </FieldFrame>
    }
}

/// A choice of one from a list of (value, label); the value posted last stays selected.
#[component]
pub fn Select(
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] form: Option<&'static str>,
) -> impl IntoView {
    let id = id.unwrap_or(name);
    let e = echoed(form, name);
    let described = described_by(id, hint.is_some(), e.error.is_some());
    let invalid = e.error.is_some().then_some("true");
    let chosen = e.value.clone();
    view! {
        <FieldFrame id=id.to_string() label hint error=e.error>
            <select id=id name=name aria-invalid=invalid aria-describedby=described>
                {options.into_iter().map(|(v, l)| {
                    let selected = v == chosen;
                    view! { <option value=v selected=selected>{l}</option> }
                }).collect_view()}
            </select>
        </FieldFrame>
    }
}

/// Several choices from a list of (value, label), as checkboxes in a fieldset.
#[component]
pub fn Checkboxes(
    name: &'static str,
    legend: &'static str,
    options: Vec<(String, String)>,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] form: Option<&'static str>,
) -> impl IntoView {
    let id = id.unwrap_or(name);
    let e = echoed(form, name);
    let error_id = format!("{id}-error");
    let described = e.error.is_some().then(|| error_id.clone());
    let bad = e.error.is_some();
    view! {
        <fieldset id=id class="field" class:field-error=bad aria-describedby=described>
            <legend>{legend}</legend>
            {e.error.map(|m| view! { <p class="error-message" id=error_id><span class="visually-hidden">"错误："</span>{m}</p> })}
            {options.into_iter().map(|(v, l)| {
                let cid = format!("{id}-{v}");
                view! {
                    <div class="choice">
                        <input type="checkbox" id=cid.clone() name=name value=v />
                        <label for=cid>{l}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// The list of problems with links to the fields, shown above a form that came back.
/// `labels`: (field name, label, element id when not the name); `form`: only that form's.
#[component]
pub fn ErrorSummary(
    #[prop(optional)] labels: &'static [(&'static str, &'static str)],
    #[prop(optional)] ids: Vec<(&'static str, &'static str)>,
    #[prop(optional)] form: Option<&'static str>,
) -> impl IntoView {
    let echo = use_form_echo();
    let ours = form.is_none_or(|f| echo.value("_form") == f);
    (ours && !echo.errors.is_empty()).then(|| {
        let items = echo
            .errors
            .iter()
            .map(|(field, msg)| {
                let label = labels.iter().find(|(f, _)| f == field).map(|(_, l)| *l).unwrap_or("");
                let target = ids.iter().find(|(f, _)| f == field).map(|(_, id)| *id).unwrap_or(field);
                let text = if label.is_empty() { msg.clone() } else { format!("{label}：{msg}") };
                view! { <li><a href=format!("#{target}")>{text}</a></li> }
            })
            .collect_view();
        view! {
            <div class="error-summary" role="alert" tabindex="-1">
                <h2>"请修改以下问题"</h2>
                <ul>{items}</ul>
            </div>
        }
    })
}

/// A staff form that posts to `action`: the anti-forgery field, its hidden values, the summary
/// of its problems when it came back, and its fields and buttons (`children`).
#[component]
pub fn ActionForm(
    action: String,
    #[prop(optional)] hidden: Vec<(&'static str, String)>,
    #[prop(optional)] form: Option<&'static str>,
    #[prop(optional)] labels: &'static [(&'static str, &'static str)],
    #[prop(optional)] ids: Vec<(&'static str, &'static str)>,
    #[prop(default = "form")] class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form method="post" action=action class=class>
            <CsrfField />
            {hidden.into_iter().map(|(n, v)| view! { <input type="hidden" name=n value=v /> }).collect_view()}
            {form.is_some().then(|| view! { <ErrorSummary labels ids form=form.unwrap_or_default() /> })}
            {children()}
        </form>
    }
}

/// Whether the last post was the form `form` and it came back with problems (to open its
/// `<details>`).
pub fn came_back(form: &str) -> bool {
    let echo = use_form_echo();
    echo.value("_form") == form && !echo.errors.is_empty()
}

/// A notice for the whole page (the result of the last action), and a one-time secret.
#[component]
pub fn Notice() -> impl IntoView {
    let echo = use_form_echo();
    view! {
        {echo.notice.clone().map(|n| view! { <div class="notice" role="status"><p>{n}</p></div> })}
        {echo.secret.clone().map(|s| {
            let label = echo.secret_label.clone().unwrap_or_else(|| "初始密码（仅显示这一次）：".into());
            view! {
                <div class="secret" role="status">
                    <p>{label}</p>
                    <p><code class="secret-value">{s}</code></p>
                </div>
            }
        })}
    }
}
