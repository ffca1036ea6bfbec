//! Staff sign-in (`/login`), finishing a reset with the one-time code (`/login/reset`),
//! changing the password (`/account/password`, forced after an initial password), setting up
//! the second factor (`/account/totp`) and registering the phone reset codes go to
//! (`/account/phone`). Plain forms; the server answers with the same page and messages on a
//! problem.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::ui::form::{CsrfField, ErrorSummary, Field, Notice};
use crate::ui::meta::PageMeta;
use crate::ui::session::{use_form_echo, use_session, CSRF_FIELD};

#[component]
pub fn LoginPage() -> impl IntoView {
    let echo = use_form_echo();
    let query = use_query_map();
    let signed_out = query.with_untracked(|q| q.get("signed_out").is_some());
    let expired = query.with_untracked(|q| q.get("expired").is_some());
    let reset = query.with_untracked(|q| q.get("reset").is_some());
    view! {
        <PageMeta title="工作人员登录" />
        <section class="narrow">
            <h1>"工作人员登录"</h1>
            {signed_out.then(|| view! { <div class="notice" role="status"><p>"您已安全退出。"</p></div> })}
            {expired.then(|| view! { <div class="notice" role="status"><p>"登录页面已过期，请重新输入。"</p></div> })}
            {reset.then(|| view! { <div class="notice" role="status"><p>"新密码已设置，请用新密码登录。管理员账号登录后须重新绑定动态口令。"</p></div> })}
            {echo.notice.clone().map(|n| view! { <div class="error-summary" role="alert"><p>{n}</p></div> })}
            <ErrorSummary labels=&[("username", "用户名"), ("password", "密码")] />
            <form method="post" action="/login" class="form">
                <input type="hidden" name=CSRF_FIELD value=echo.value(CSRF_FIELD) />
                <input type="hidden" name="next" value=echo.value("next") />
                <Field name="username" label="用户名" autocomplete="username" />
                <Field name="password" label="密码" kind="password" autocomplete="current-password" />
                <Field name="totp" label="动态口令" hint="已绑定动态口令（身份验证器）的账号填写 6 位数字" autocomplete="one-time-code" inputmode="numeric" required=false />
                <button type="submit" class="button">"登录"</button>
            </form>
            <p class="hint">"连续 5 次输入错误，将暂停从本设备登录，暂停时间逐次加长（1 分钟起，最长 30 分钟）；您在本设备上成功登录过，他人输错不会把您挡在外面。"</p>
            <p><a href="/login/reset">"忘记密码或收到重置码？"</a></p>
        </section>
    }
}

/// The owner sets a new password with the one-time code that reached them (SMS to their
/// registered phone, or handed over by an administrator or the operator).
#[component]
pub fn ResetPage() -> impl IntoView {
    let echo = use_form_echo();
    let token = echo.value(CSRF_FIELD);
    let token2 = token.clone();
    view! {
        <PageMeta title="设置新密码" />
        <section class="narrow">
            <h1>"设置新密码"</h1>
            <p>"管理员为您重置密码后，一次性重置码会发送到您登记的手机；未登记手机的，由审批的管理员或运维人员当面交给您。任何管理员都看不到您的新密码。"</p>
            {echo.notice.clone().map(|n| view! { <div class="notice" role="status"><p>{n}</p></div> })}
            <ErrorSummary labels=&[("username", "用户名"), ("code", "重置码"), ("new_password", "新密码"), ("confirm_password", "确认新密码")] />
            <form method="post" action="/login/reset" class="form">
                <input type="hidden" name=CSRF_FIELD value=token />
                <Field name="username" label="用户名" autocomplete="username" />
                <Field name="code" label="重置码" hint="短信中的 8 位数字，或他人交给您的 12 位字母数字" autocomplete="one-time-code" />
                <Field name="new_password" label="新密码" kind="password" autocomplete="new-password"
                    hint="至少 8 位，包含大写字母、小写字母、数字、符号中的至少 3 类，不能包含用户名" />
                <Field name="confirm_password" label="确认新密码" kind="password" autocomplete="new-password" />
                <button type="submit" class="button">"设置新密码"</button>
            </form>
            <form method="post" action="/login/reset/resend" class="form">
                <input type="hidden" name=CSRF_FIELD value=token2 />
                <input type="hidden" name="username" value=echo.value("username") />
                <p class="hint">"短信重置码已过期或输错太多次？填好上面的用户名后："</p>
                <button type="submit" class="button secondary">"重新发送短信重置码"</button>
            </form>
            <p><a href="/login">"返回登录"</a></p>
        </section>
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let session = use_session();
    let forced = session.as_ref().is_some_and(|s| s.must_change_password);
    view! {
        <PageMeta title="修改密码" />
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

/// Setting up the second factor: a QR code (drawn on the server) and the same secret as text,
/// which stays the same however often the page is reloaded until a code from it is confirmed.
/// Replacing a factor already set up also asks for the password and a code from the old one.
#[component]
pub fn TotpPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| crate::features::identity::api::totp_setup());
    let session = use_session();
    let required = session.as_ref().is_some_and(|s| s.needs_totp);
    view! {
        <PageMeta title="绑定动态口令" />
        <section class="narrow">
            <h1>"绑定动态口令"</h1>
            {required.then(|| view! {
                <div class="notice" role="status"><p>"管理员账号必须使用动态口令（双因素认证）。绑定后才能使用工作台。"</p></div>
            })}
            <ErrorSummary labels=&[("code", "动态口令"), ("current_password", "当前密码"), ("current_code", "原动态口令")] />
            <Suspense>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::ui::error::ErrorPage error=e /> }.into_any(),
                        Ok(s) => {
                            let grouped = s.secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ");
                            view! {
                                {s.replacing.then(|| view! {
                                    <div class="notice warning" role="status"><p>"您已绑定动态口令。更换手机或应用时，请同时输入当前密码和原应用显示的动态口令。"</p></div>
                                })}
                                <ol>
                                    <li>"在手机上打开身份验证器应用（如“腾讯身份验证器”或任一支持 TOTP 的应用），扫描二维码添加账号。"</li>
                                    <li>
                                        <div class="qr" inner_html=s.qr_svg></div>
                                        "不能扫码时，手动输入密钥："<br /><code class="secret-value" id="totp-secret">{grouped}</code>
                                        <br /><a href=s.uri>"在本机的身份验证器中打开"</a>
                                    </li>
                                    <li>"输入应用显示的 6 位动态口令。"</li>
                                </ol>
                                <form method="post" action="/account/totp" class="form">
                                    <CsrfField />
                                    {s.replacing.then(|| view! {
                                        <Field name="current_password" label="当前密码" kind="password" autocomplete="current-password" />
                                        <Field name="current_code" label="原动态口令" hint="原来的身份验证器显示的 6 位数字" autocomplete="one-time-code" inputmode="numeric" />
                                    })}
                                    <Field name="code" label="动态口令" hint="新添加的账号显示的 6 位数字，每 30 秒变化" autocomplete="one-time-code" inputmode="numeric" />
                                    <button type="submit" class="button">"完成绑定"</button>
                                </form>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The phone reset codes go to: registered by the owner (password, then a code sent to it), so
/// no administrator can point a reset somewhere else.
#[component]
pub fn PhonePage() -> impl IntoView {
    let echo = use_form_echo();
    let code_step = echo.value("step") == "code";
    let done = use_query_map().with_untracked(|q| q.get("done").is_some());
    let me = use_session().map(|s| s.staff_id.to_string()).unwrap_or_default();
    let data = Resource::new(move || me.clone(), crate::features::identity::api::load_staff_page);
    view! {
        <PageMeta title="登记手机号码" />
        <section class="narrow">
            <h1>"登记手机号码"</h1>
            <p>"管理员为您重置密码时，一次性重置码只会发送到您本人登记的手机。任何管理员都不能修改您登记的号码。"</p>
            {done.then(|| view! { <div class="notice" role="status"><p>"手机号码已登记。"</p></div> })}
            <Suspense>
                {move || Suspend::new(async move {
                    data.await.ok().map(|p| view! {
                        <p>"当前登记："<strong>{p.phone.unwrap_or_else(|| "未登记".into())}</strong></p>
                    })
                })}
            </Suspense>
            <Notice />
            <ErrorSummary labels=&[("phone", "手机号码"), ("current_password", "当前密码"), ("code", "验证码")] />
            {if code_step {
                view! {
                    <form method="post" action="/account/phone/confirm" class="form">
                        <CsrfField />
                        <Field name="code" label="短信验证码" hint="6 位数字" autocomplete="one-time-code" inputmode="numeric" />
                        <button type="submit" class="button">"确认"</button>
                    </form>
                }.into_any()
            } else {
                view! {
                    <form method="post" action="/account/phone" class="form">
                        <CsrfField />
                        <Field name="phone" label="手机号码" kind="tel" autocomplete="tel" inputmode="numeric" hint="11 位中国大陆手机号码" />
                        <Field name="current_password" label="当前密码" kind="password" autocomplete="current-password" />
                        <button type="submit" class="button">"发送验证码"</button>
                    </form>
                }.into_any()
            }}
        </section>
    }
}
