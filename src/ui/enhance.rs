//! What JavaScript adds to the application form (an island; without it the form works as
//! plain posts): a message next to a field as soon as the field is left wrong, with the same
//! rules and words as the server (which checks again anyway), and a progress bar while files
//! upload. The rules come from `data-*` attributes the server writes on each input.

use leptos::prelude::*;
use zhengwu_types::services::FieldDef;

/// Placed inside the form it enhances; renders the (hidden) progress region.
#[island]
pub fn FormEnhancer(form_id: String) -> impl IntoView {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::attach(&form_id);
        #[cfg(not(feature = "hydrate"))]
        let _ = &form_id;
        set_ready.set(true);
    });
    view! {
        <div class="upload-progress" data-ready=move || ready.get().to_string() hidden>
            <progress max="100" value="0"></progress>
            <p role="status" aria-live="polite"></p>
        </div>
    }
}

/// The message for one answer under a field's rules, as the server words it (the rules are
/// checked by the same `FieldDef::check_plain`); `None` when it is fine.
pub fn check_value(rules: &FieldDef, value: &str, today: (i32, u32, u32)) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return rules.required.then(|| rules.missing_message());
    }
    rules.check_plain(value, today)
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{
        Element, Event, FormData, HtmlFormElement, HtmlInputElement, HtmlProgressElement, ProgressEvent, SubmitEvent,
        XmlHttpRequest,
    };

    use super::{check_value, FieldDef};
    use zhengwu_types::services::FieldKind;

    fn rules_of(el: &Element) -> FieldDef {
        let attr = |k: &str| el.get_attribute(k);
        FieldDef {
            kind: attr("data-kind").and_then(|k| FieldKind::parse(&k)).unwrap_or_default(),
            label: attr("data-label").unwrap_or_default(),
            required: attr("data-required").is_some(),
            min_len: attr("data-min-len").and_then(|v| v.parse().ok()),
            max_len: attr("data-max-len").and_then(|v| v.parse().ok()),
            min: attr("data-min").and_then(|v| v.parse().ok()),
            max: attr("data-max").and_then(|v| v.parse().ok()),
            ..FieldDef::default()
        }
    }

    fn value_of(el: &Element) -> String {
        js_sys::Reflect::get(el, &"value".into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
    }

    fn today() -> (i32, u32, u32) {
        let d = js_sys::Date::new_0();
        (d.get_full_year() as i32, d.get_month() + 1, d.get_date())
    }

    /// Shows or clears the inline message of one field.
    fn show(el: &Element) {
        let Some(field) = el.closest(".field").ok().flatten() else { return };
        let msg = check_value(&rules_of(el), &value_of(el), today());
        let id = format!("{}-inline", el.id());
        let doc = web_sys::window().and_then(|w| w.document());
        let existing = doc.as_ref().and_then(|d| d.get_element_by_id(&id));
        match (msg, existing) {
            (Some(m), Some(p)) => p.set_text_content(Some(&m)),
            (Some(m), None) => {
                if let Some(p) = doc.and_then(|d| d.create_element("p").ok()) {
                    p.set_id(&id);
                    p.set_class_name("error-message");
                    p.set_text_content(Some(&m));
                    let before: &web_sys::Node = el;
                    let _ = field.insert_before(&p, Some(before));
                }
                let _ = field.class_list().add_1("field-error");
                let _ = el.set_attribute("aria-invalid", "true");
            }
            (None, Some(p)) => {
                p.remove();
                let _ = field.class_list().remove_1("field-error");
                let _ = el.remove_attribute("aria-invalid");
            }
            (None, None) => {}
        }
    }

    pub fn attach(form_id: &str) {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
        let Some(form) = doc.get_element_by_id(form_id).and_then(|f| f.dyn_into::<HtmlFormElement>().ok()) else {
            return;
        };
        if let Ok(list) = form.query_selector_all("[data-kind]") {
            for i in 0..list.length() {
                let Some(el) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
                let target = el.clone();
                let on_leave = Closure::<dyn Fn(Event)>::new(move |_: Event| show(&target));
                let _ = el.add_event_listener_with_callback("blur", on_leave.as_ref().unchecked_ref());
                on_leave.forget();
            }
        }
        let f = form.clone();
        let on_submit = Closure::<dyn Fn(SubmitEvent)>::new(move |e: SubmitEvent| upload(&f, e));
        let _ = form.add_event_listener_with_callback("submit", on_submit.as_ref().unchecked_ref());
        on_submit.forget();
    }

    /// With files chosen, the form goes by XMLHttpRequest so its progress can be shown; the
    /// answer is then followed as the browser would have (the page it redirected to, or the form
    /// again with its messages).
    fn upload(form: &HtmlFormElement, e: SubmitEvent) {
        let has_files = form
            .query_selector_all("input[type=file]")
            .map(|l| {
                (0..l.length()).any(|i| {
                    l.item(i)
                        .and_then(|n| n.dyn_into::<HtmlInputElement>().ok())
                        .and_then(|inp| inp.files())
                        .is_some_and(|fl| fl.length() > 0)
                })
            })
            .unwrap_or(false);
        let Some(region) = form.query_selector(".upload-progress").ok().flatten() else { return };
        if !has_files {
            return;
        }
        let Ok(data) = FormData::new_with_form(form) else { return };
        if let Some(b) = e.submitter() {
            let name = b.get_attribute("name");
            let value = b.get_attribute("value");
            if let (Some(n), Some(v)) = (name, value) {
                let _ = data.append_with_str(&n, &v);
            }
        }
        let Ok(xhr) = XmlHttpRequest::new() else { return };
        // The attribute, not `form.action`: the form's buttons are named "action", and a named
        // control shadows the property (DOM clobbering).
        let target = form.get_attribute("action").unwrap_or_default();
        if target.is_empty() || xhr.open("POST", &target).is_err() {
            return;
        }
        e.prevent_default();
        let _ = region.remove_attribute("hidden");
        let bar =
            region.query_selector("progress").ok().flatten().and_then(|p| p.dyn_into::<HtmlProgressElement>().ok());
        let status = region.query_selector("[role=status]").ok().flatten();
        if let Some(s) = &status {
            s.set_text_content(Some("正在上传…"));
        }
        if let Ok(up) = xhr.upload() {
            let (bar, status) = (bar.clone(), status.clone());
            let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |p: ProgressEvent| {
                if p.length_computable() && p.total() > 0.0 {
                    let pct = (p.loaded() / p.total() * 100.0).round();
                    if let Some(b) = &bar {
                        b.set_value(pct);
                    }
                    if let Some(s) = &status {
                        s.set_text_content(Some(&format!("已上传 {pct}%")));
                    }
                }
            });
            up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            on_progress.forget();
        }
        let done = xhr.clone();
        let status_done = status.clone();
        let on_load = Closure::<dyn Fn(Event)>::new(move |_: Event| {
            let Some(win) = web_sys::window() else { return };
            let code = done.status().unwrap_or(0);
            let url = done.response_url();
            if code == 200 && !url.is_empty() {
                // Redirected (receipt, review, saved draft): go there.
                let _ = win.location().assign(&url);
            } else if code == 422 {
                // The form again with its messages: show that page.
                if let (Some(doc), Ok(Some(html))) = (win.document(), done.response_text()) {
                    if let Some(root) = doc.document_element() {
                        root.set_inner_html(&html);
                    }
                }
            } else if let Some(s) = &status_done {
                let text = done.response_text().ok().flatten().unwrap_or_default();
                s.set_text_content(Some(if text.len() < 200 && !text.is_empty() {
                    &text
                } else {
                    "上传失败，请稍后重试。"
                }));
            }
        });
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        on_load.forget();
        let status_err = status;
        let on_error = Closure::<dyn Fn(Event)>::new(move |_: Event| {
            if let Some(s) = &status_err {
                s.set_text_content(Some("上传中断，请检查网络后重新提交。"));
            }
        });
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        let _ = xhr.send_with_opt_form_data(Some(&data));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhengwu_types::services::FieldKind;

    #[test]
    fn the_browser_says_what_the_server_says() {
        let r = |kind: FieldKind| FieldDef { kind, label: "联系电话".into(), required: true, ..Default::default() };
        assert_eq!(check_value(&r(FieldKind::Mobile), " ", (2026, 11, 29)).unwrap(), "请填写联系电话");
        assert_eq!(
            check_value(&r(FieldKind::Mobile), "1380013800", (2026, 11, 29)).unwrap(),
            "联系电话请填写 11 位手机号码"
        );
        assert_eq!(check_value(&r(FieldKind::Mobile), "13800138000", (2026, 11, 29)), None);
        assert!(check_value(&r(FieldKind::IdNumber), "110101199003070012", (2026, 11, 29))
            .unwrap()
            .starts_with("联系电话："));
        let t = FieldDef {
            kind: FieldKind::Text,
            label: "单位".into(),
            min_len: Some(2),
            max_len: Some(4),
            ..Default::default()
        };
        assert_eq!(check_value(&t, "单", (2026, 11, 29)).unwrap(), "单位至少需要 2 个字");
        assert_eq!(check_value(&t, "", (2026, 11, 29)), None, "optional and empty");
        let n = FieldDef {
            kind: FieldKind::Number,
            label: "年限".into(),
            min: Some(0.0),
            max: Some(60.0),
            ..Default::default()
        };
        assert_eq!(check_value(&n, "61", (2026, 11, 29)).unwrap(), "年限不能大于 60");
        assert_eq!(check_value(&n, "x", (2026, 11, 29)).unwrap(), "年限请填写数字");
    }
}
