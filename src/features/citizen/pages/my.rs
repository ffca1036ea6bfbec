//! 我的 (My account) for citizens: sign-in by mobile number and SMS code, the personal hub
//! (cases, drafts, real-name data, sign-out), and real-name registration, which returns to the
//! form the citizen came from. Plain forms throughout; personal data shown masked.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::features::catalogue::MyFavourites;
use crate::features::citizen::api::my_profile;
use crate::ui::error::ErrorPage;
use crate::ui::form::{ErrorSummary, Field};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::session::{use_citizen, use_form_echo, CSRF_FIELD};

/// The seconds left before another code may be asked for, counting down in CSS (no script):
/// one class per starting second, see `style/main.css` (`.countdown`).
fn countdown(wait: u32) -> impl IntoView {
    let wait = wait.min(60);
    view! {
        <p class="hint" id="resend-hint">
            {if wait > 0 {
                view! {
                    "没收到短信？"<span class=format!("countdown cd-{wait}") aria-hidden="true"></span>
                    <span class="countdown-text">{format!("{wait} 秒")}</span>"后可重新获取。验证码 5 分钟内有效。"
                }.into_any()
            } else {
                "没收到短信？可以重新获取。验证码 5 分钟内有效。".into_any()
            }}
        </p>
    }
}

#[component]
pub fn CitizenLoginPage() -> impl IntoView {
    let echo = use_form_echo();
    let code_step = echo.value("step") == "code";
    let token = echo.value(CSRF_FIELD);
    let phone = echo.value("phone");
    let next = echo.value("next");
    let wait: u32 = echo.value("wait").parse().unwrap_or(0);
    let gone = echo.value("gone") == "1";
    let challenge = echo.value("challenge_id");
    let (token2, next2) = (token.clone(), next.clone());
    view! {
        <PageMeta title="个人登录" description="使用手机号码和短信验证码登录政务服务网，首次登录自动注册。" />
        <section class="narrow">
            <h1>"个人登录"</h1>
            <p>"使用手机号码和短信验证码登录。首次登录将自动注册。"</p>
            {echo.notice.clone().map(|n| view! { <div class="notice" role="status"><p>{n}</p></div> })}
            <ErrorSummary labels=&[("phone", "手机号码"), ("code", "验证码"), ("challenge_answer", "图形验证码")] />
            {if code_step {
                view! {
                    <form method="post" action="/my/login/verify" class="form">
                        <input type="hidden" name=CSRF_FIELD value=token.clone() />
                        <input type="hidden" name="next" value=next.clone() />
                        <p>"验证码已发送至 "<strong>{zhengwu_types::personal::mask_mobile(&phone)}</strong></p>
                        <Field name="code" label="短信验证码" kind="text" autocomplete="one-time-code" inputmode="numeric" hint="6 位数字" />
                        <button type="submit" class="button" class:secondary=gone>"登录"</button>
                    </form>
                    {countdown(wait)}
                    // The number is not in the page: the resend takes it from the step's cookie.
                    <form method="post" action="/my/login" class="form">
                        <input type="hidden" name=CSRF_FIELD value=token2 />
                        <input type="hidden" name="next" value=next2 />
                        <button type="submit" class="button" class:secondary=!gone>"重新获取验证码"</button>
                    </form>
                    <p><a href="/my/login">"换一个手机号码"</a></p>
                }.into_any()
            } else {
                let has_challenge = !challenge.is_empty();
                view! {
                    <form method="post" action="/my/login" class="form">
                        <input type="hidden" name=CSRF_FIELD value=token />
                        <input type="hidden" name="next" value=next />
                        <Field name="phone" label="手机号码" kind="tel" autocomplete="tel" inputmode="numeric" hint="11 位中国大陆手机号码" />
                        {has_challenge.then(|| view! { <Challenge id=challenge.clone() /> })}
                        <button type="submit" class="button">"获取验证码"</button>
                    </form>
                }.into_any()
            }}
        </section>
    }
}

/// The image challenge with its spoken alternative (both drawn on the server).
#[component]
fn Challenge(id: String) -> impl IntoView {
    let echo = use_form_echo();
    let error = echo.error("challenge_answer");
    // A new picture (and sound) in place of this one, keeping where the citizen was going.
    let next = echo.value("next");
    let another = format!(
        "/my/login?{}",
        crate::ui::url::encode_pairs(&[("challenge".into(), "new".into()), ("next".into(), next)])
    );
    view! {
        <div class="field challenge" class:field-error=error.is_some()>
            <input type="hidden" name="challenge_id" value=id.clone() />
            <label for="challenge_answer">"图形验证码"</label>
            <p class="hint" id="challenge_answer-hint">"本设备今天已获取过几次验证码，请输入图中的 5 位数字。看不清可以收听语音，或换一张。"</p>
            {error.clone().map(|e| view! { <p class="error-message" id="challenge_answer-error"><span class="visually-hidden">"错误："</span>{e}</p> })}
            <img src=format!("/my/login/challenge/{id}.png") alt="图形验证码：5 位数字（可收听语音验证码）" width="200" height="70" />
            <p class="challenge-links">
                <a href=format!("/my/login/challenge/{id}.wav")>"收听语音验证码（普通话）"</a>
                <a href=another>"换一张"</a>
            </p>
            <input id="challenge_answer" name="challenge_answer" type="text" inputmode="numeric" autocomplete="off"
                maxlength="5" required=true aria-invalid=error.is_some().then_some("true")
                aria-describedby=if error.is_some() { "challenge_answer-hint challenge_answer-error" } else { "challenge_answer-hint" } />
        </div>
    }
}

#[component]
pub fn MyPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_profile());
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    let done_q = use_query_map().with_untracked(|q| q.get("done"));
    let done = done_q.as_deref() == Some("real_name");
    let unfavourited = done_q.as_deref() == Some("unfavourited");
    view! {
        <PageMeta title="我的" />
        <h1>"我的"</h1>
        {done.then(|| view! { <div class="notice" role="status"><p>"实名信息已保存。"</p></div> })}
        {unfavourited.then(|| view! { <div class="notice" role="status"><p>"已取消收藏。"</p></div> })}
        <ul class="hub">
            <li><a class="hub-card" href="/my/cases"><strong>"我的办件"</strong><span>"已提交的申请和办理进度"</span></a></li>
            <li><a class="hub-card" href="/my/cases?status=draft"><strong>"草稿"</strong><span>"未提交的申请，可继续填写或删除"</span></a></li>
            <li><a class="hub-card" href="/my/real-name"><strong>"实名信息"</strong><span>"办理事项前须实名登记"</span></a></li>
            <li><a class="hub-card" href="/services"><strong>"去办事"</strong><span>"查找事项，在线申请"</span></a></li>
        </ul>
        <Loaded data=data let:p>
            <h2>"账号信息"</h2>
            <dl class="facts">
                <div><dt>"手机号码"</dt><dd>{p.phone.clone()}</dd></div>
                <div><dt>"姓名"</dt><dd>{p.real_name.clone().unwrap_or_else(|| "未实名".into())}</dd></div>
                <div><dt>"身份证号码"</dt><dd>{p.id_number.clone().unwrap_or_else(|| "未实名".into())}</dd></div>
            </dl>
            {(!p.verified).then(|| view! { <p><a class="button" href="/my/real-name">"去实名登记"</a></p> })}
        </Loaded>
        <MyFavourites />
        <section aria-labelledby="my-data">
            <h2 id="my-data">"我的个人信息"</h2>
            <p>"您可以下载我们保存的您的全部信息（账号、实名信息、同意记录、收藏和办件），也可以阅读"
                <a href="/privacy">"隐私政策"</a>"了解我们如何保护它。"</p>
            <p><a class="button secondary" href="/my/data" download="我的数据.json">"下载我的数据"</a></p>
            <p class="hint">"更正实名信息或注销账号，请携带本人居民身份证到政务服务中心窗口办理，或拨打 12345；已办结的办件材料按档案管理规定保存。"</p>
        </section>
        <form method="post" action="/my/logout" class="form">
            <input type="hidden" name=CSRF_FIELD value=csrf />
            <button type="submit" class="button secondary">"退出登录"</button>
        </form>
    }
}

/// Real-name registration; afterwards back to `next` (the application form, its draft kept).
/// A number registered to another account can be disputed from here.
#[component]
pub fn RealNamePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_profile());
    let csrf = use_citizen().map(|c| c.csrf).unwrap_or_default();
    let echo = use_form_echo();
    let query = use_query_map();
    let next = {
        let v = echo.value("next");
        let v = if v.is_empty() { query.with_untracked(|q| q.get("next")).unwrap_or_default() } else { v };
        crate::ui::url::safe_next(Some(&v))
    };
    let taken = echo.value("taken") == "1";
    view! {
        <PageMeta title="实名登记" />
        <nav class="breadcrumb" aria-label="当前位置"><a href="/my">"我的"</a>" › 实名登记"</nav>
        <h1>"实名登记"</h1>
        {echo.notice.clone().map(|n| view! { <div class="notice" role="status"><p>{n}</p></div> })}
        <Suspense>
            {move || {
                let (csrf, next, echo) = (csrf.clone(), next.clone(), echo.clone());
                Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(p) if p.verified && echo.errors.is_empty() => view! {
                        <p>"您已完成实名登记："{p.real_name.clone().unwrap_or_default()}"，"{p.id_number.clone().unwrap_or_default()}"。"</p>
                        <p><a class="button" href=next>"继续"</a></p>
                    }.into_any(),
                    Ok(_) => view! {
                        <p>"办理事项需要实名。您的信息加密保存，页面上只显示部分号码。"</p>
                        <ErrorSummary labels=&[("real_name", "姓名"), ("id_number", "身份证号码"), ("sensitive_consent", "敏感个人信息处理")] />
                        <form method="post" action="/my/real-name" class="form">
                            <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                            <input type="hidden" name="next" value=next.clone() />
                            <Field name="real_name" label="姓名" autocomplete="name" />
                            <Field name="id_number" label="居民身份证号码" autocomplete="off" hint="18 位，最后一位可能是 X" />
                            <SensitiveConsent />
                            <button type="submit" class="button">{if next.starts_with("/my/apply") { "保存并返回申请" } else { "保存" }}</button>
                        </form>
                        {taken.then(|| view! {
                            <section class="panel" aria-labelledby="dispute-heading">
                                <h2 id="dispute-heading">"这是我的身份证号码"</h2>
                                <p>"如果有人用您的身份证号码登记了别的账号，可以提出申诉。请随后携带本人居民身份证到政务服务中心窗口，工作人员核实后会把实名信息转到您的账号。"</p>
                                <form method="post" action="/my/real-name/dispute" class="form">
                                    <input type="hidden" name=CSRF_FIELD value=csrf.clone() />
                                    <input type="hidden" name="next" value=next.clone() />
                                    <input type="hidden" name="real_name" value=echo.value("real_name") />
                                    <input type="hidden" name="id_number" value=echo.value("id_number") />
                                    <button type="submit" class="button secondary">"提出申诉"</button>
                                </form>
                            </section>
                        })}
                    }.into_any(),
                }
            })}}
        </Suspense>
    }
}

/// The separate consent to process the identity number (个人信息保护法 第二十九条), asked with
/// it; the rules are one link away.
#[component]
fn SensitiveConsent() -> impl IntoView {
    let echo = use_form_echo();
    let error = echo.error("sensitive_consent");
    let bad = error.is_some();
    // Ticked before the form came back (with another field's message): still ticked.
    let ticked = echo.value("sensitive_consent") == "1";
    view! {
        <div class="field" class:field-error=bad id="sensitive_consent-field">
            <p class="hint">"居民身份证号码属于敏感个人信息，仅用于实名核验和办理您申请的事项，加密保存。"
                <a href="/privacy/sensitive">"阅读《敏感个人信息处理规则》"</a></p>
            {error.map(|e| view! { <p class="error-message" id="sensitive_consent-error"><span class="visually-hidden">"错误："</span>{e}</p> })}
            <div class="choice">
                <input type="checkbox" id="sensitive_consent" name="sensitive_consent" value="1" checked=ticked
                    aria-invalid=bad.then_some("true") aria-describedby=bad.then_some("sensitive_consent-error") />
                <label for="sensitive_consent">"我同意处理我的姓名和居民身份证号码"</label>
            </div>
        </div>
    }
}
