//! `/services/:code/blank-form`: the application form on paper (空白表格), drawn from the item's
//! form definition, to print and fill in by hand for the window (线下办理).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use zhengwu_types::services::{FieldDef, FieldKind};

use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::print_button::PrintButton;
use crate::ui::url::query;

/// What the filled-in sample (示例样表) shows in a field: a made-up example of its kind, never
/// anyone's data (the ID number is the standard's example with a valid check digit).
fn sample_value(d: &FieldDef) -> String {
    if !d.options.is_empty() {
        return d
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| format!("{} {o}", if i == 0 { "■" } else { "□" }))
            .collect::<Vec<_>>()
            .join("　");
    }
    match d.kind {
        FieldKind::IdNumber => "11010519491231002X".into(),
        FieldKind::Mobile => "138 0000 0000".into(),
        FieldKind::Date => "2026 年 3 月 1 日".into(),
        FieldKind::Number => d.min.map(|m| m.max(1.0).to_string()).unwrap_or_else(|| "1".into()),
        FieldKind::Address => "青山县人民大道 88 号 3 栋 2 单元 501 室".into(),
        FieldKind::LongText => "（按实际情况简要填写，例如：因家庭收入低于当地最低生活保障标准申请。）".into(),
        _ if d.prefill == Some(zhengwu_types::services::Prefill::RealName) || d.label.contains("姓名") => {
            "张三".into()
        }
        _ => format!("（填写{}）", d.label),
    }
}

/// `/services/:code/blank-form`: the application form on paper (空白表格), drawn from the item's
/// form definition, to print and fill in by hand for the window (线下办理).
#[component]
pub fn BlankFormPage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let data = Resource::new(code, crate::features::catalogue::api::blank_form);
    let sample = query("sample").is_some();
    let kind = if sample { "示例样表" } else { "空白申请表" };
    view! {
        <Loaded data=data let:v>
            {
                let (g, form) = v;
                view! {
                    <PageMeta title=format!("{} · {kind}", g.name) description=format!("{}的空白申请表，可打印后手写填写，到窗口办理。", g.name) />
                    <nav class="breadcrumb no-print" aria-label="当前位置"><a href="/services">"办事服务"</a>" › "<a href=format!("/services/{}", g.code)>{g.name.clone()}</a>" › "{kind}</nav>
                    <article class="blank-form" class:sample=sample>
                        <h1>{format!("{}申请表", g.name)}{sample.then_some("（示例样表）")}</h1>
                        {sample.then(|| view! { <p class="notice-inline">"示例样表仅供参考，表中内容为虚构示例，请按您本人的实际情况填写。"</p> })}
                        <p class="meta">{format!("{} · 事项编码 {}", g.department, g.code)}</p>
                        <p class="no-print"><PrintButton label=if sample { "打印示例样表".to_string() } else { "打印空白表格".to_string() } />" 没有打印机？可以到"{g.venue.clone()}"领取。"</p>
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
                                                    <td>{if sample { sample_value(&d) } else if d.options.is_empty() { String::new() } else { d.options.iter().map(|o| format!("□ {o}")).collect::<Vec<_>>().join("　") }}</td>
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
