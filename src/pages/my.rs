//! 我的 (My account) for citizens: sign-in by mobile number and SMS code, and the personal
//! page with real-name registration. Plain forms throughout; personal data shown masked.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::my::my_profile,
    components::form::{ErrorSummary, Field},
    pages::ErrorPage,
    session::{use_citizen, use_form_echo, CSRF_FIELD},
};

#[component]
pub fn CitizenLoginPage() -> impl IntoView {
    let echo = use_form_echo();
    let code_step = echo.value("step") == "code";
    let token = echo.value(CSRF_FIELD);
    let phone = echo.value("phone");
    let next = echo.value("next");
    let next2 = next.clone();
    let next3 = next.clone();
    view! {
        <Title text="个人登录" />
        <section class="narrow">
            <h1>"个人登录"</h1>
            <p>"使用手机号码和短信验证码登录。首次登录将自动注册。"</p>
            {echo.notice.clone().map(|n| view! { <div class="notice" role="status"><p>{n}</p></div> })}
            <ErrorSummary labels=&[("phone", "手机号码"), ("code", "验证码")] />
            {if code_step {
                view! {
                    <form method="post" action="/my/login/verify" class="form">
                        <input type="hidden" name=CSRF_FIELD value=token.clone() />
                        <input type="hidden" name="next" value=next.clone() />
                        <input type="hidden" name="phone" value=phone.clone() />
                        <p>"验证码已发送至 "<strong>{zhengwu_types::personal::mask_mobile(&phone)}</strong></p>
                        <Field name="code" label="短信验证码" kind="text" autocomplete="one-time-code" hint="6 位数字" />
                        <button type="submit" class="button">"登录"</button>
                    </form>
                    <form method="post" action="/my/login" class="form">
                        <input type="hidden" name=CSRF_FIELD value=token />
                        <input type="hidden" name="next" value=next2 />
                        <input type="hidden" name="phone" value=phone />
                        <button type="submit" class="button secondary">"重新获取验证码"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <form method="post" action="/my/login" class="form">
                        <input type="hidden" name=CSRF_FIELD value=token />
                        <input type="hidden" name="next" value=next3 />
                        <Field name="phone" label="手机号码" kind="tel" autocomplete="tel" hint="11 位中国大陆手机号码" />
                        <button type="submit" class="button">"获取验证码"</button>
                    </form>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn MyPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_profile());
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    let done = use_query_map().with_untracked(|q| q.get("done")).is_some_and(|d| d == "real_name");
    let echo = use_form_echo();
    view! {
        <Title text="我的" />
        <h1>"我的"</h1>
        {done.then(|| view! { <div class="notice" role="status"><p>"实名信息已保存。"</p></div> })}
        <Suspense>
            {move || {
                let csrf = csrf.clone();
                let has_errors = !echo.errors.is_empty();
                Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(p) => view! {
                        <dl class="facts">
                            <div><dt>"手机号码"</dt><dd>{p.phone.clone()}</dd></div>
                            <div><dt>"姓名"</dt><dd>{p.real_name.clone().unwrap_or_else(|| "未实名".into())}</dd></div>
                            <div><dt>"身份证号码"</dt><dd>{p.id_number.clone().unwrap_or_else(|| "未实名".into())}</dd></div>
                        </dl>
                        {(!p.verified || has_errors).then(|| view! {
                            <section aria-labelledby="real-name-heading">
                                <h2 id="real-name-heading">"实名登记"</h2>
                                <p>"办理事项需要实名。您的信息加密保存，页面上只显示部分号码。"</p>
                                <ErrorSummary labels=&[("real_name", "姓名"), ("id_number", "身份证号码")] />
                                <form method="post" action="/my/real-name" class="form">
                                    <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                                    <Field name="real_name" label="姓名" autocomplete="name" />
                                    <Field name="id_number" label="居民身份证号码" autocomplete="off" hint="18 位，最后一位可能是 X" />
                                    <button type="submit" class="button">"保存"</button>
                                </form>
                            </section>
                        })}
                        <form method="post" action="/my/logout" class="form">
                            <input type="hidden" name=CSRF_FIELD value=csrf />
                            <button type="submit" class="button secondary">"退出登录"</button>
                        </form>
                    }.into_any(),
                }
            })}}
        </Suspense>
    }
}
