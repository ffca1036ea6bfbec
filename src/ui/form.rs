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

/// What the last post left for one field: its message, and the value to show — what was typed
/// if it was this field's form that came back, else `stored` (the saved value, or a query's).
struct Echoed {
    error: Option<String>,
    value: String,
    /// This field's form was posted and came back: show what was typed, not what is stored.
    posted: bool,
}

fn echoed(form: Option<&str>, name: &str, stored: Option<String>) -> Echoed {
    let echo = use_form_echo();
    let ours = match form {
        Some(f) => echo.value("_form") == f,
        None => !echo.errors.is_empty() || !echo.values.is_empty() || echo.notice.is_some(),
    };
    // A value the post did not send back (a disabled field, one the handler does not echo)
    // shows what is stored.
    let posted = ours && echo.values.contains_key(name);
    Echoed {
        error: if ours { echo.error(name) } else { None },
        value: if posted { echo.value(name) } else { stored.unwrap_or_default() },
        posted,
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
    label: String,
    hint: Option<String>,
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

/// A text input with label, optional hint and the message from the last post. `value` is the
/// stored value (or a search's), shown unless the form came back with what was typed.
#[component]
pub fn Field(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
    /// The element id, when not the name (several forms on one page).
    #[prop(optional, into)]
    id: Option<String>,
    /// The form of the page this field belongs to (see the module).
    #[prop(optional, into)]
    form: Option<String>,
    #[prop(optional)] min: Option<&'static str>,
    #[prop(optional)] max: Option<&'static str>,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.clone());
    let e = echoed(form.as_deref(), &name, value);
    // Passwords are never sent back to the browser.
    let value = if kind == "password" { String::new() } else { e.value };
    let described = described_by(&id, hint.is_some(), e.error.is_some());
    let invalid = e.error.is_some().then_some("true");
    view! {
        <FieldFrame id=id.clone() label hint error=e.error>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                min=min
                max=max
                maxlength=maxlength
                required=required
                disabled=disabled
                aria-invalid=invalid
                aria-describedby=described
            />
        </FieldFrame>
    }
}

/// A text area; what was typed (or `value`, the stored text) comes back escaped for the
/// element's raw text.
#[component]
pub fn TextArea(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = 3)] rows: u32,
    #[prop(default = false)] required: bool,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] form: Option<String>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] class: Option<&'static str>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.clone());
    let e = echoed(form.as_deref(), &name, value);
    let described = described_by(&id, hint.is_some(), e.error.is_some());
    let invalid = e.error.is_some().then_some("true");
    view! {
        <FieldFrame id=id.clone() label hint error=e.error>
            <textarea id=id name=name rows=rows class=class required=required aria-invalid=invalid aria-describedby=described>
                {rcdata(&e.value)}
            </textarea>
        </FieldFrame>
    }
}

/// A choice of one from a list of (value, label): the value posted last stays selected, else
/// `value` (the stored one).
#[component]
pub fn Select(
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    options: Vec<(String, String)>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] form: Option<String>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.clone());
    let e = echoed(form.as_deref(), &name, value);
    let described = described_by(&id, hint.is_some(), e.error.is_some());
    let invalid = e.error.is_some().then_some("true");
    let chosen = e.value.clone();
    view! {
        <FieldFrame id=id.clone() label hint error=e.error>
            <select id=id name=name required=required disabled=disabled aria-invalid=invalid aria-describedby=described>
                {options.into_iter().map(|(v, l)| {
                    let selected = v == chosen;
                    view! { <option value=v selected=selected>{l}</option> }
                }).collect_view()}
            </select>
        </FieldFrame>
    }
}

/// Several choices from a list of (value, label), as checkboxes in a fieldset: those posted
/// last stay ticked (the echo holds them comma-joined), else those in `checked` (the stored
/// ones). `classes`, when given, is one class per option (an indent for a tree).
#[component]
pub fn Checkboxes(
    #[prop(into)] name: String,
    #[prop(into)] legend: String,
    options: Vec<(String, String)>,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] form: Option<String>,
    #[prop(optional)] checked: Vec<String>,
    #[prop(optional)] classes: Vec<String>,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.clone());
    let e = echoed(form.as_deref(), &name, None);
    let ticked: Vec<String> = if e.posted { e.value.split(',').map(str::to_string).collect() } else { checked };
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = described_by(&id, hint.is_some(), e.error.is_some());
    let bad = e.error.is_some();
    view! {
        <fieldset id=id.clone() class="field" class:field-error=bad aria-describedby=described>
            <legend>{legend}</legend>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {e.error.map(|m| view! { <p class="error-message" id=error_id><span class="visually-hidden">"错误："</span>{m}</p> })}
            {options.into_iter().enumerate().map(|(i, (v, l))| {
                let cid = format!("{id}-{}", v.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "-"));
                let on = ticked.contains(&v);
                let class = match classes.get(i) {
                    Some(c) => format!("choice {c}"),
                    None => "choice".to_string(),
                };
                view! {
                    <div class=class>
                        <input type="checkbox" id=cid.clone() name=name.clone() value=v checked=on />
                        <label for=cid>{l}</label>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// One choice among a few, as radio buttons in a fieldset (GOV.UK: fewer than about seven
/// options read better than a select). `value` is the stored choice.
#[component]
pub fn Radios(
    #[prop(into)] name: String,
    #[prop(into)] legend: String,
    options: Vec<(String, String)>,
    #[prop(optional, into)] id: Option<String>,
    #[prop(optional, into)] form: Option<String>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.clone());
    let e = echoed(form.as_deref(), &name, value);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = described_by(&id, hint.is_some(), e.error.is_some());
    let bad = e.error.is_some();
    view! {
        <fieldset id=id.clone() class="field radios" class:field-error=bad aria-describedby=described>
            <legend>{legend}</legend>
            {hint.map(|h| view! { <p class="hint" id=hint_id>{h}</p> })}
            {e.error.map(|m| view! { <p class="error-message" id=error_id><span class="visually-hidden">"错误："</span>{m}</p> })}
            {options.into_iter().map(|(v, l)| {
                let cid = format!("{id}-{}", v.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "-"));
                let on = e.value == v;
                view! {
                    <div class="choice">
                        <input type="radio" id=cid.clone() name=name.clone() value=v checked=on />
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
    #[prop(optional, into)] form: Option<String>,
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
    #[prop(optional, into)] form: Option<String>,
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
