//! The documents citizens agree to: their public pages (/terms, /privacy, /privacy/sensitive)
//! and the consent page under 我的, shown at the first sign-in and again after a new version.

use leptos::prelude::*;
use zhengwu_types::consent::{PolicyKind, PolicyText};

use crate::features::citizen::api::{my_pending_consents, policy_text};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::session::{use_citizen, use_form_echo, CSRF_FIELD};
use crate::ui::url::{query, safe_next};

/// A document's text: its paragraphs.
#[component]
pub fn PolicyBody(p: PolicyText) -> impl IntoView {
    view! {
        <div class="policy-body">
            {p.body.split("\n\n").map(|para| view! { <p>{para.trim().to_string()}</p> }).collect_view()}
        </div>
    }
}

#[component]
pub fn PolicyPage(kind: PolicyKind) -> impl IntoView {
    let data = Resource::new(move || kind, |k| policy_text(k.code().to_string()));
    view! {
        <Loaded data=data let:p>
            <PageMeta title=p.title.clone() />
            <article class="policy">
                <h1>{p.title.clone()}</h1>
                <p class="meta">{format!("第 {} 版 · 发布日期 {}", p.version, p.published_on)}</p>
                <PolicyBody p=p.clone() />
                <p class="no-print"><a href="/">"返回首页"</a></p>
            </article>
        </Loaded>
    }
}

/// `/my/consent?next=…`: what must be accepted before going on; declining signs out.
#[component]
pub fn ConsentPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_pending_consents());
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    let echo = use_form_echo();
    let next = {
        let v = echo.value("next");
        safe_next(Some(if v.is_empty() { query("next").unwrap_or_default() } else { v }.as_str()))
    };
    let error = echo.error("agree");
    view! {
        <PageMeta title="用户协议和隐私政策" />
        <Loaded data=data let:pending>
            {if pending.is_empty() {
                view! {
                    <h1>"用户协议和隐私政策"</h1>
                    <p>"您已同意最新版本。"</p>
                    <p><a class="button" href=next.clone()>"继续"</a></p>
                }.into_any()
            } else {
                let updated = pending.iter().any(|p| p.version > 1);
                let names = pending.iter().map(|p| format!("《{}》", p.kind.name_zh())).collect::<Vec<_>>().join("和");
                let bad = error.is_some();
                view! {
                    <h1>{if updated { "协议和政策已更新" } else { "欢迎使用，请先阅读" }}</h1>
                    <p class="lead">{format!("继续使用前，请阅读并同意{names}。")}</p>
                    {pending.iter().map(|p| view! {
                        <section class="policy-box" aria-labelledby=format!("policy-{}", p.kind.code())>
                            <h2 id=format!("policy-{}", p.kind.code())>{p.title.clone()}<small>{format!(" 第 {} 版", p.version)}</small></h2>
                            <div class="policy-scroll" tabindex="0"><PolicyBody p=p.clone() /></div>
                            <p><a href=p.kind.path()>{format!("《{}》全文（单独页面，可打印）", p.kind.name_zh())}</a></p>
                        </section>
                    }).collect_view()}
                    <form method="post" action="/my/consent" class="form">
                        <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                        <input type="hidden" name="next" value=next.clone() />
                        {pending.iter().map(|p| view! {
                            <input type="hidden" name="accept" value=format!("{}:{}", p.kind.code(), p.version) />
                        }).collect_view()}
                        <div class="field" class:field-error=bad>
                            {error.clone().map(|e| view! { <p class="error-message" id="agree-error"><span class="visually-hidden">"错误："</span>{e}</p> })}
                            <div class="choice">
                                <input type="checkbox" id="agree" name="agree" value="1"
                                    aria-describedby=bad.then_some("agree-error") aria-invalid=bad.then_some("true") />
                                <label for="agree">{format!("我已阅读并同意{names}")}</label>
                            </div>
                        </div>
                        <div class="actions">
                            <button type="submit" class="button">"同意并继续"</button>
                        </div>
                    </form>
                    <form method="post" action="/my/logout" class="form">
                        <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                        <p class="hint">"不同意也可以浏览办事指南、查询办件，但不能使用“我的”和网上申请。"</p>
                        <button type="submit" class="button secondary">"不同意，退出登录"</button>
                    </form>
                }.into_any()
            }}
        </Loaded>
    }
}
