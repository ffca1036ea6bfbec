//! A page's title, description and sharing metadata, and the escaping of text that goes into
//! the raw-text elements `<title>` and `<textarea>`.
//!
//! Why the escaping is ours: Leptos writes the children of `<title>` and `<textarea>` as they are
//! (raw text; leptos-rs/leptos#4730 was reverted by #4819), so a stored service name
//! `养老</title><meta http-equiv=refresh …>` would end the title and add markup to the page.
//! Both elements are *escapable* raw text in HTML: the browser decodes character references in
//! them, so text escaped here shows exactly as typed. Every stored or typed text put into one
//! of them goes through [`rcdata`]; a test checks the source for children that do not.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::ui::prefs::{use_prefs, use_site};

/// Text for the inside of `<title>` or `<textarea>`: `&`, `<` and `>` as character references.
pub fn rcdata(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The document's title (with the site's name), its description and the metadata a link
/// shared in WeChat or elsewhere is shown with. Pages without a description of their own get
/// the site's.
#[component]
pub fn PageMeta(#[prop(into)] title: String, #[prop(optional, into)] description: Option<String>) -> impl IntoView {
    let prefs = use_prefs();
    let site = use_site();
    let site_name = site.name(prefs.lang).to_string();
    let full = if title == site_name { title.clone() } else { format!("{title} - {site_name}") };
    let description = description
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.chars().take(160).collect::<String>())
        .unwrap_or_else(|| prefs.lang.text().site_description.replace("{site}", &site_name));
    view! {
        <Title text=rcdata(&full) />
        <Meta name="description" content=description.clone() />
        <Meta property="og:title" content=title />
        <Meta property="og:description" content=description />
        <Meta property="og:type" content="website" />
        <Meta property="og:site_name" content=site_name />
    }
}

#[cfg(test)]
mod tests {
    use super::rcdata;

    #[test]
    fn raw_text_cannot_end_its_element() {
        assert_eq!(rcdata("养老</title><meta>"), "养老&lt;/title&gt;&lt;meta&gt;");
        assert_eq!(rcdata("a & b"), "a &amp; b");
        assert_eq!(rcdata("&lt;"), "&amp;lt;", "shown as typed, not decoded twice");
        assert_eq!(rcdata("普通文字"), "普通文字");
    }

    /// Every `<Title>` of the pages goes through [`super::PageMeta`], and every `<textarea>` with
    /// content passes it through [`rcdata`].
    #[test]
    fn the_source_escapes_every_raw_text_element() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut offenders = vec![];
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                    continue;
                }
                if p.extension().and_then(|x| x.to_str()) != Some("rs") || p.ends_with("ui/meta.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                for (n, line) in text.lines().enumerate() {
                    if line.contains("<Title") {
                        offenders.push(format!("{}:{}: <Title> outside PageMeta", p.display(), n + 1));
                    }
                }
                // The children of each textarea: between its opening tag's end and </textarea>.
                let mut rest = text.as_str();
                while let Some(i) = rest.find("<textarea") {
                    let after = &rest[i..];
                    let Some(open_end) = after.find('>') else { break };
                    let Some(close) = after.find("</textarea>") else { break };
                    let children = after[open_end + 1..close].trim();
                    if !children.is_empty() && !children.contains("rcdata(") {
                        offenders.push(format!("{}: <textarea> children not escaped: {children}", p.display()));
                    }
                    rest = &after[close + 1..];
                }
            }
        }
        assert!(offenders.is_empty(), "{}", offenders.join("\n"));
    }
}
