//! `/login` (staff sign-in) and `/account/password` (change password, forced after an initial
//! password). Plain forms; the server answers with the same page and messages on a problem.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    components::form::{CsrfField, ErrorSummary, Field, Notice},
    session::{use_form_echo, use_session, CSRF_FIELD},
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let echo = use_form_echo();
    let query = use_query_map();
    let signed_out = query.with_untracked(|q| q.get("signed_out").is_some());
    let expired = query.with_untracked(|q| q.get("expired").is_some());
    view! {
        <Title text="工作人员登录" />
        <section class="narrow">
            <h1>"工作人员登录"</h1>
            {signed_out.then(|| view! { <div class="notice" role="status"><p>"您已安全退出。"</p></div> })}
            {expired.then(|| view! { <div class="notice" role="status"><p>"登录页面已过期，请重新输入。"</p></div> })}
            {echo.notice.clone().map(|n| view! { <div class="error-summary" role="alert"><p>{n}</p></div> })}
            <ErrorSummary labels=&[("username", "用户名"), ("password", "密码")] />
            <form method="post" action="/login" class="form">
                <input type="hidden" name=CSRF_FIELD value=echo.value(CSRF_FIELD) />
                <input type="hidden" name="next" value=echo.value("next") />
                <Field name="username" label="用户名" autocomplete="username" />
                <Field name="password" label="密码" kind="password" autocomplete="current-password" />
                <Field name="totp" label="动态口令" hint="已绑定动态口令（身份验证器）的账号填写 6 位数字" autocomplete="one-time-code" required=false />
                <button type="submit" class="button">"登录"</button>
            </form>
            <p class="hint">"连续 5 次输入错误，账号将锁定 30 分钟。忘记密码请联系系统管理员重置。"</p>
        </section>
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let session = use_session();
    let forced = session.as_ref().is_some_and(|s| s.must_change_password);
    view! {
        <Title text="修改密码" />
        <section class="narrow">
            <h1>"修改密码"</h1>
            {forced.then(|| view! {
                <div class="notice" role="status"><p>"这是初始密码。为了账号安全，请先设置您自己的密码，然后才能使用工作台。"</p></div>
            })}
            <Notice />
            <ErrorSummary labels=&[("current_password", "当前密码"), ("new_password", "新密码"), ("confirm_password", "确认新密码")] />
            <form method="post" action="/account/password" class="form">
                <CsrfField />
                <Field name="current_password" label="当前密码" kind="password" autocomplete="current-password" />
                <Field name="new_password" label="新密码" kind="password" autocomplete="new-password"
                    hint="至少 8 位，包含大写字母、小写字母、数字、符号中的至少 3 类，不能包含用户名" />
                <Field name="confirm_password" label="确认新密码" kind="password" autocomplete="new-password" />
                <button type="submit" class="button">"保存新密码"</button>
            </form>
        </section>
    }
}

/// Setting up the second factor: the secret to add to an authenticator app, and the code it
/// shows to confirm. Without JavaScript the secret is typed in (or the `otpauth://` link opened).
#[component]
pub fn TotpPage() -> impl IntoView {
    let echo = use_form_echo();
    let kept = echo.value("secret");
    let data = Resource::new(|| (), |_| crate::api::admin::new_totp_secret());
    let session = use_session();
    let required = session.as_ref().is_some_and(|s| s.needs_totp);
    view! {
        <Title text="绑定动态口令" />
        <section class="narrow">
            <h1>"绑定动态口令"</h1>
            {required.then(|| view! {
                <div class="notice" role="status"><p>"管理员账号必须使用动态口令（双因素认证）。绑定后才能使用工作台。"</p></div>
            })}
            <ErrorSummary labels=&[("code", "动态口令")] />
            <Suspense>
                {move || {
                    let kept = kept.clone();
                    Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorPage error=e /> }.into_any(),
                        Ok((fresh, uri)) => {
                            let secret = if kept.is_empty() { fresh } else { kept };
                            let uri = if secret == uri.split("secret=").nth(1).and_then(|s| s.split('&').next()).unwrap_or_default() { uri } else {
                                String::new()
                            };
                            let grouped = secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
                            view! {
                                <ol>
                                    <li>"在手机上打开身份验证器应用（如“腾讯身份验证器”或任一支持 TOTP 的应用），添加账号。"</li>
                                    <li>"输入以下密钥（或在手机上打开下面的链接）："<br /><code class="secret-value" id="totp-secret">{grouped}</code></li>
                                    {(!uri.is_empty()).then(|| view! { <li><a href=uri>"用身份验证器打开"</a></li> })}
                                    <li>"输入应用显示的 6 位动态口令。"</li>
                                </ol>
                                <form method="post" action="/account/totp" class="form">
                                    <CsrfField />
                                    <input type="hidden" name="secret" value=secret />
                                    <Field name="code" label="动态口令" autocomplete="one-time-code" hint="6 位数字，每 30 秒变化" />
                                    <button type="submit" class="button">"完成绑定"</button>
                                </form>
                            }.into_any()
                        }
                    }
                })}}
            </Suspense>
        </section>
    }
}
