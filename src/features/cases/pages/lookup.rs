//! The public look-up (办件查询): the tracking number and four digits, no account needed.

use leptos::prelude::*;
use zhengwu_types::services::LookupResult;

use crate::features::cases::pages::case::Timeline;
use crate::features::cases::pages::my_cases::status_class;
use crate::ui::form::{ErrorSummary, Field};
use crate::ui::meta::PageMeta;
use crate::ui::session::use_form_echo;

#[component]
pub fn LookupPage() -> impl IntoView {
    let echo = use_form_echo();
    // Pages render on the server only (islands); the browser build never runs this.
    #[cfg(feature = "ssr")]
    let found: Option<LookupResult> = echo.payload.as_deref().and_then(|p| serde_json::from_str(p).ok());
    #[cfg(not(feature = "ssr"))]
    let found: Option<LookupResult> = None;
    view! {
        <PageMeta title="办件查询" />
        <section class="narrow">
            <h1>"办件查询"</h1>
            <p>"输入办件编号和申请人身份证号码或手机号码的后四位，查看办理进度。"</p>
            {echo.notice.clone().map(|n| view! { <div class="notice" role="status"><p>{n}</p></div> })}
            <ErrorSummary labels=&[("tracking_no", "办件编号"), ("digits", "号码后四位")] />
            <form method="post" action="/cases/lookup" class="form">
                <Field name="tracking_no" label="办件编号" hint="例如 QSRSJ-20261129-00001，见申请回执" autocomplete="off" required=false />
                <Field name="digits" label="号码后四位" hint="申请人身份证号码或手机号码的最后 4 位" inputmode="text" autocomplete="off" required=false />
                <button type="submit" class="button">"查询"</button>
            </form>
            {found.map(|f| view! {
                <section class="lookup-result" aria-labelledby="result-heading">
                    <h2 id="result-heading">"查询结果"</h2>
                    <dl class="facts">
                        <div><dt>"办件编号"</dt><dd>{f.tracking_no.clone()}</dd></div>
                        <div><dt>"办理事项"</dt><dd>{f.service_name.clone()}</dd></div>
                        <div><dt>"受理部门"</dt><dd>{f.department.clone()}</dd></div>
                        <div><dt>"状态"</dt><dd><span class=status_class(f.status)>{f.status.name_zh()}</span></dd></div>
                    </dl>
                    <Timeline entries=f.timeline.clone() />
                </section>
            })}
        </section>
    }
}
