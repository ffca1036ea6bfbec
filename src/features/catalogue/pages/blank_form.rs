//! `/services/:code/blank-form`: the application form on paper (空白表格), drawn from the item's
//! form definition, to print and fill in by hand for the window (线下办理).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use zhengwu_types::services::FieldKind;

use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::print_button::PrintButton;

/// `/services/:code/blank-form`: the application form on paper (空白表格), drawn from the item's
/// form definition, to print and fill in by hand for the window (线下办理).
#[component]
pub fn BlankFormPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, crate::features::catalogue::api::blank_form);
    view! {
        <Loaded data=data let:v>
            {
                let (g, form) = v;
                view! {
                    <PageMeta title=format!("{} · 空白申请表", g.name) description=format!("{}的空白申请表，可打印后手写填写，到窗口办理。", g.name) />
                    <nav class="breadcrumb no-print" aria-label="当前位置"><a href="/services">"办事服务"</a>" › "<a href=format!("/services/{}", g.code)>{g.name.clone()}</a>" › 空白申请表"</nav>
                    <article class="blank-form">
                        <h1>{format!("{}申请表", g.name)}</h1>
                        <p class="meta">{format!("{} · 事项编码 {}", g.department, g.code)}</p>
                        <p class="no-print"><PrintButton label="打印空白表格".to_string() />" 没有打印机？可以到"{g.venue.clone()}"领取。"</p>
                        {match form {
                            None => view! { <p>"本事项没有统一的申请表，请按办事指南准备材料。"</p> }.into_any(),
                            Some(f) => f.sections.into_iter().map(|s| view! {
                                <section>
                                    <h2>{s.title.clone()}</h2>
                                    <table class="blank-fields">
                                        <tbody>
                                            {s.fields.into_iter().filter(|d| d.kind != FieldKind::Attachment).map(|d| view! {
                                                <tr>
                                                    <th scope="row">{d.label.clone()}{d.required.then_some("（必填）")}</th>
                                                    <td>{if d.options.is_empty() { String::new() } else { d.options.iter().map(|o| format!("□ {o}")).collect::<Vec<_>>().join("　") }}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </section>
                            }).collect_view().into_any(),
                        }}
                        <h2>"随表提交的材料"</h2>
                        <ul>{g.materials.iter().map(|m| view! { <li>{format!("{}（{}，{} 份）", m.name, m.form, m.count)}</li> }).collect_view()}</ul>
                        <p class="signature">"申请人签名：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"</p>
                    </article>
                }.into_any()
            }
        </Loaded>
    }
}
