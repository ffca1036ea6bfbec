//! The security side of the console: the auditor's trail and the security events shown at
//! sign-in, and the two-person requests (待审批) administrators decide.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::features::identity::api::{approval_list, load_audit_page, security_events, RequestRow};
use crate::features::identity::ConsoleNav;
use crate::ui::error::ErrorPage;
use crate::ui::form::{CsrfField, Notice};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| (q.get("from"), q.get("until"), q.get("actor"), q.get("action"), q.get("object"), q.get("page")))
    };
    let data = Resource::new(params, |(from, until, actor, action, object, page)| {
        load_audit_page(from, until, actor, action, object, page)
    });
    let (from, until, actor, action, object, _) = params();
    let export = {
        let q: Vec<String> =
            [("from", &from), ("until", &until), ("actor", &actor), ("action", &action), ("object", &object)]
                .iter()
                .filter_map(|(k, v)| {
                    v.as_ref().filter(|v| !v.is_empty()).map(|v| format!("{k}={}", crate::ui::url::encode(v)))
                })
                .collect();
        format!("/admin/audit.csv?{}", q.join("&"))
    };
    let field = |name: &'static str, label: &'static str, kind: &'static str, value: Option<String>| {
        view! {
            <div class="field">
                <label for=name>{label}</label>
                <input id=name name=name type=kind value=value.unwrap_or_default() />
            </div>
        }
    };
    view! {
        <PageMeta title="审计记录" />
        <ConsoleNav />
        <h1>"审计记录"</h1>
        <Notice />
        <form method="get" action="/admin/audit" class="form filters">
            {field("from", "起始日期", "date", from)}
            {field("until", "截止日期", "date", until)}
            {field("actor", "操作者用户名", "text", actor)}
            {field("action", "动作（前缀，如 staff.）", "text", action)}
            {field("object", "对象（如 staff 12）", "text", object)}
            <button type="submit" class="button">"查询"</button>
        </form>
        <div class="actions">
            <a class="button secondary" href=export download="">"导出 CSV"</a>
            <form method="post" action="/admin/audit/verify" class="inline-form">
                <CsrfField />
                <button type="submit" class="button secondary">"校验审计链"</button>
            </form>
        </div>
        <Loaded data=data let:p>
            {
                view! {
                    <div class="table-wrap">
                        <table class="audit">
                            <caption>{format!("共 {} 条，第 {} / {} 页", p.total, p.page, p.total_pages.max(1))}</caption>
                            <thead><tr><th scope="col">"序号"</th><th scope="col">"时间"</th><th scope="col">"操作者"</th><th scope="col">"动作"</th><th scope="col">"对象"</th><th scope="col">"结果"</th><th scope="col">"IP"</th><th scope="col">"详情"</th></tr></thead>
                            <tbody>
                                {p.rows.into_iter().map(|r| view! {
                                    <tr class:failure=r.outcome == "failure">
                                        <td>{r.seq}</td><td>{r.time}</td><td>{r.actor}</td><td><code>{r.action}</code></td>
                                        <td>{r.object}</td><td>{if r.outcome == "success" { "成功" } else { "失败" }}</td>
                                        <td>{r.ip}</td><td class="detail"><code>{r.detail}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }
        </Loaded>
    }
}

/// The auditor's panel on the console's first page: what happened to administrator accounts
/// and credentials since they last read it.
#[component]
pub fn SecurityEventsPanel() -> impl IntoView {
    let data = Resource::new(|| (), |_| security_events());
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(_) => ().into_any(),
                    Ok((rows, total)) if rows.is_empty() => view! {
                        <section class="panel" aria-labelledby="events-heading">
                            <h2 id="events-heading">"安全事件"</h2>
                            <p>{format!("自上次阅读以来没有新的管理员账号事件（共 {total} 条未读）。")}</p>
                        </section>
                    }.into_any(),
                    Ok((rows, total)) => {
                        let up_to = rows.last().map(|r| r.seq).unwrap_or(0);
                        view! {
                            <section class="panel alert" aria-labelledby="events-heading">
                                <h2 id="events-heading">{format!("安全事件：{total} 条未读")}</h2>
                                <p class="hint">"管理员账号的重置、停用、角色变更、双人复核申请与审批、锁定和异常的个人信息查看。请逐条核对。"</p>
                                <div class="table-wrap">
                                    <table class="audit">
                                        <thead><tr><th scope="col">"序号"</th><th scope="col">"时间"</th><th scope="col">"操作者"</th><th scope="col">"动作"</th><th scope="col">"对象"</th><th scope="col">"详情"</th></tr></thead>
                                        <tbody>
                                            {rows.into_iter().map(|r| view! {
                                                <tr><td>{r.seq}</td><td>{r.time}</td><td>{r.actor}</td><td><code>{r.action}</code></td><td>{r.object}</td><td class="detail"><code>{r.detail}</code></td></tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <form method="post" action="/admin/security-events/read" class="inline-form">
                                    <CsrfField />
                                    <input type="hidden" name="up_to" value=up_to.to_string() />
                                    <button type="submit" class="button secondary">"已阅以上事件"</button>
                                </form>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn request_actions(r: &RequestRow) -> impl IntoView {
    let action = format!("/admin/approvals/{}", r.id);
    let decide = r.can_decide.then(|| {
        let action = action.clone();
        view! {
            <form method="post" action=action.clone() class="inline-form">
                <CsrfField />
                <input type="hidden" name="decision" value="approve" />
                <button type="submit" class="button">"批准"</button>
            </form>
            <form method="post" action=action class="inline-form">
                <CsrfField />
                <input type="hidden" name="decision" value="refuse" />
                <button type="submit" class="button secondary">"拒绝"</button>
            </form>
        }
    });
    let cancel = r.mine.then(|| {
        view! {
            <form method="post" action=action class="inline-form">
                <CsrfField />
                <input type="hidden" name="decision" value="cancel" />
                <button type="submit" class="button secondary">"撤销申请"</button>
            </form>
        }
    });
    view! { {decide}{cancel} }
}

/// One row per request, with the decisions the viewer may take.
#[component]
pub fn RequestTable(rows: Vec<RequestRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr><th scope="col">"编号"</th><th scope="col">"申请"</th><th scope="col">"账号"</th><th scope="col">"申请人"</th><th scope="col">"事由"</th><th scope="col">"状态"</th><th scope="col">"操作"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td>{r.id}</td>
                            <td>{r.kind.clone()}{(!r.roles.is_empty()).then(|| view! {
                                <ul class="grants">{r.roles.iter().map(|g| view! { <li>{g.clone()}</li> }).collect_view()}</ul>
                            })}</td>
                            <td><a href=format!("/admin/staff/{}", r.target_id)>{r.target.clone()}</a></td>
                            <td>{r.requested_by.clone()}<br /><small>{r.created_at.clone()}</small></td>
                            <td>{r.reason.clone()}</td>
                            <td>{r.status.clone()}{r.decided_by.clone().map(|d| format!("（{d}）"))}{r.pending.then(|| view! { <br /><small>{format!("有效至 {}", r.expires_at)}</small> })}</td>
                            <td class="actions">{request_actions(&r)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// 待审批: what one administrator asked and a second decides (双人复核).
#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| approval_list());
    view! {
        <PageMeta title="待审批" />
        <ConsoleNav />
        <h1>"待审批（双人复核）"</h1>
        <p class="lead">"重置管理员的凭据、停用或启用管理员账号、变更管理员职责，以及重置未登记手机号码的账号，须由另一名管理员批准后才生效。申请人和涉及的账号本人不能批准。"</p>
        <Notice />
        <Suspense>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorPage error=e /> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"暂无申请。"</p> }.into_any(),
                    Ok(rows) => view! { <RequestTable rows /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
