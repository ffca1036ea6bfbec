//! Form parts for the console: a labelled field with its hint and message, the summary of
//! problems at the top (GOV.UK pattern: links to each field), and the anti-forgery field.

use leptos::prelude::*;

use crate::ui::session::{use_form_echo, use_session, CSRF_FIELD};

/// The hidden anti-forgery token of the signed-in staff member's session.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = use_session().map(|s| s.csrf).unwrap_or_default();
    view! { <input type="hidden" name=CSRF_FIELD value=token /> }
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
) -> impl IntoView {
    let echo = use_form_echo();
    let error = echo.error(name);
    // Passwords are never sent back to the browser.
    let value = if kind == "password" { String::new() } else { value.unwrap_or_else(|| echo.value(name)) };
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = [hint.map(|_| hint_id.clone()), error.as_ref().map(|_| error_id.clone())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <div class="field" class:field-error=error.is_some()>
            <label for=name>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {error.clone().map(|e| view! { <p class="error-message" id=error_id.clone()><span class="visually-hidden">"错误："</span>{e}</p> })}
            <input
                id=name
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                inputmode=inputmode
                required=required
                aria-invalid=error.is_some().then_some("true")
                aria-describedby=(!described.is_empty()).then_some(described)
            />
        </div>
    }
}

/// The list of problems with links to the fields, shown above a form that came back.
#[component]
pub fn ErrorSummary(#[prop(optional)] labels: &'static [(&'static str, &'static str)]) -> impl IntoView {
    let echo = use_form_echo();
    (!echo.errors.is_empty()).then(|| {
        let items = echo
            .errors
            .iter()
            .map(|(field, msg)| {
                let label = labels.iter().find(|(f, _)| f == field).map(|(_, l)| *l).unwrap_or("");
                let text = if label.is_empty() { msg.clone() } else { format!("{label}：{msg}") };
                view! { <li><a href=format!("#{field}")>{text}</a></li> }
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
