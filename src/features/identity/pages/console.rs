//! The staff console (工作台), in Chinese: the back office is used by government staff.
//! Every page loads through a server function that checks permission and data scope again;
//! the links shown here only spare people pages they cannot use.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use zhengwu_types::permission::Permission;

use crate::features::identity::api::{department_choices, load_staff_page, role_list, staff_list, StaffRow};
use crate::ui::form::{Checkboxes, CsrfField, ErrorSummary, Field, Notice, Select};
use crate::ui::loaded::Loaded;
use crate::ui::meta::PageMeta;
use crate::ui::session::use_session;

/// The console's own navigation, by permission, with the counts that need attention: requests
/// awaiting a second administrator, unread security events (the auditor).
#[component]
pub fn ConsoleNav() -> impl IntoView {
    let s = use_session();
    let can = |p: Permission| s.as_ref().is_some_and(|s| s.can(p));
    let admin = s.as_ref().is_some_and(|s| s.is_administrator());
    let badges = Resource::new(|| (), |_| crate::features::identity::api::console_badges());
    let links = [
        (true, "/admin", "工作台首页"),
        (can(Permission::CaseRead), "/admin/inbox", "待办"),
        (can(Permission::CaseRead), "/admin/done", "已办"),
        (can(Permission::CaseRead), "/admin/copied", "抄送我的"),
        (can(Permission::CaseRead), "/admin/cases", "办件"),
        (can(Permission::CaseSupervise), "/admin/supervision", "督办"),
        (can(Permission::ServiceManage), "/admin/services", "事项管理"),
        (can(Permission::UserManage) || can(Permission::StaffRead), "/admin/staff", "人员账号"),
        (can(Permission::RoleManage) || can(Permission::RoleAssign), "/admin/roles", "角色与权限"),
        (can(Permission::DeptManage) || can(Permission::UserManage), "/admin/departments", "组织机构"),
        (can(Permission::AuditRead), "/admin/audit", "审计记录"),
        (can(Permission::PersonalUnmask), "/admin/disputes", "实名申诉"),
        (can(Permission::CaseRead) || can(Permission::ConfigManage), "/admin/calendar", "工作日历"),
        (true, "/account/password", "修改密码"),
        (true, "/account/totp", "动态口令"),
        (true, "/account/phone", "登记手机"),
    ];
    view! {
        <nav class="console-nav" aria-label="工作台导航">
            <ul>
                {links.into_iter().filter(|(show, _, _)| *show).map(|(_, href, label)| view! {
                    <li><a href=href>{label}</a></li>
                }).collect_view()}
                {admin.then(|| view! {
                    <li>
                        <a href="/admin/approvals">"待审批"
                            <Suspense>{move || Suspend::new(async move {
                                badges.await.ok().filter(|(n, _)| *n > 0).map(|(n, _)| view! { <span class="badge">{n}</span> })
                            })}</Suspense>
                        </a>
                    </li>
                })}
            </ul>
        </nav>
    }
}

fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "password" => "密码已修改。您在其他设备上的登录已全部退出。",
        "disable" => "账号已停用，其所有登录已结束。",
        "enable" => "账号已启用。",
        "unlock" => "账号已解锁。",
        "roles" => "角色已更新。",
        "role" => "角色已保存。",
        "totp" => "动态口令已绑定。以后登录时请同时输入动态口令。",
        "reset_totp" => "动态口令已解除绑定，该账号的所有登录已结束。",
        "events" => "安全事件已标记为已阅。",
        _ => return None,
    })
}

#[component]
fn DoneNotice() -> impl IntoView {
    let q = use_query_map();
    let msg = q.with_untracked(|q| q.get("done")).as_deref().and_then(done_message);
    msg.map(|m| view! { <div class="notice" role="status"><p>{m}</p></div> })
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let s = use_session();
    view! {
        <PageMeta title="工作台" />
        <ConsoleNav />
        <h1>"工作台"</h1>
        <DoneNotice />
        {s.clone().filter(|s| s.can(Permission::AuditRead)).map(|_| view! { <crate::features::identity::pages::security::SecurityEventsPanel /> })}
        {s.map(|s| view! {
            <dl class="facts">
                <div><dt>"姓名"</dt><dd>{s.display_name.clone()}</dd></div>
                <div><dt>"用户名"</dt><dd>{s.username.clone()}</dd></div>
                <div><dt>"部门"</dt><dd>{s.department.clone()}</dd></div>
                <div><dt>"角色"</dt><dd>{if s.roles.is_empty() { "尚未分配角色（请联系安全管理员）".to_string() } else { s.roles.join("、") }}</dd></div>
            </dl>
        })}
    }
}

fn status_label(r: &StaffRow) -> &'static str {
    if r.status != "active" {
        "已停用"
    } else if r.locked {
        "已锁定"
    } else if r.must_change_password {
        "待修改初始密码"
    } else {
        "正常"
    }
}

#[component]
pub fn StaffListPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| staff_list());
    let can_create = use_session().is_some_and(|s| s.can(Permission::UserManage));
    view! {
        <PageMeta title="人员账号" />
        <ConsoleNav />
        <h1>"人员账号"</h1>
        {can_create.then(|| view! { <p><a class="button" href="/admin/staff/new">"新建账号"</a></p> })}
        <Loaded data=data let:rows>
            {
                view! {
                    <div class="table-wrap">
                        <table>
                            <caption>{format!("共 {} 个账号（仅显示您的数据范围内的）", rows.len())}</caption>
                            <thead><tr><th scope="col">"姓名"</th><th scope="col">"用户名"</th><th scope="col">"部门"</th><th scope="col">"状态"</th><th scope="col">"最近登录"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td><a href=format!("/admin/staff/{}", r.id)>{r.display_name.clone()}</a></td>
                                        <td>{r.username.clone()}</td>
                                        <td>{r.department.clone()}</td>
                                        <td>{status_label(&r)}</td>
                                        <td>{r.last_login.clone().unwrap_or_else(|| "—".into())}</td>
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

/// The departments' dispatchers (分办员): who receives workflow tasks no rule matches.
#[component]
fn DispatcherSection() -> impl IntoView {
    let data = Resource::new(|| (), |_| crate::features::identity::api::department_dispatchers());
    view! {
        <Loaded data=data let:v>
            {
                let (depts, staff) = v;
                let dept_options: Vec<(String, String)> = depts.iter().map(|(id, name, _)| (id.to_string(), name.clone())).collect();
                let staff_options: Vec<(String, String)> = std::iter::once((String::new(), "（不设分办员）".to_string()))
                    .chain(staff.iter().map(|(id, name, dept)| {
                        let dn = depts.iter().find(|d| d.0 == *dept).map(|d| d.1.clone()).unwrap_or_default();
                        (id.to_string(), format!("{name}（{dn}）"))
                    }))
                    .collect();
                view! {
                    <section class="panel" aria-labelledby="dispatchers">
                        <h2 id="dispatchers">"分办员"</h2>
                        <p class="hint">"办理流程中没有人符合某环节的规则时，任务交给该部门（或其上级部门）的分办员，并在督办页面提醒。"</p>
                        <ul>
                            {depts.iter().filter(|d| d.2.is_some()).map(|(_, name, who)| view! {
                                <li>{format!("{name}：{}", who.clone().unwrap_or_default())}</li>
                            }).collect_view()}
                        </ul>
                        <form method="post" action="/admin/departments/dispatcher" class="form">
                            <CsrfField />
                            <Select name="department" id="dispatch-dept" label="部门" options=dept_options />
                            <Select name="dispatcher" label="分办员（须为本部门人员）" options=staff_options />
                            <button type="submit" class="button">"保存分办员"</button>
                        </form>
                    </section>
                }.into_any()
            }
        </Loaded>
    }
}

#[component]
pub fn StaffNewPage() -> impl IntoView {
    let depts = Resource::new(|| (), |_| department_choices());
    view! {
        <PageMeta title="新建账号" />
        <ConsoleNav />
        <h1>"新建账号"</h1>
        <ErrorSummary labels=&[("username", "用户名"), ("display_name", "姓名"), ("department_id", "所属部门")] />
        <Loaded data=depts let:depts>
            {
                let options: Vec<(String, String)> = std::iter::once((String::new(), "请选择".to_string()))
                    .chain(depts.into_iter().map(|(id, name, depth)| (id.to_string(), format!("{}{}", "　".repeat(depth), name))))
                    .collect();
                view! {
                    <form method="post" action="/admin/staff" class="form">
                        <CsrfField />
                        <Field name="username" label="用户名" hint="3–32 位小写字母、数字或 . _ -，以字母开头，如 zhangsan" autocomplete="off" />
                        <Field name="display_name" label="姓名" autocomplete="off" />
                        <Select name="department_id" label="所属部门" options required=true />
                        <p class="hint">"账号创建后会生成随机初始密码，本人首次登录时必须修改。角色由安全管理员分配。"</p>
                        <button type="submit" class="button">"创建账号"</button>
                    </form>
                }.into_any()
            }
        </Loaded>
    }
}

#[component]
pub fn StaffDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let data = Resource::new(id, load_staff_page);
    view! {
        <PageMeta title="账号详情" />
        <ConsoleNav />
        <DoneNotice />
        <Notice />
        <Loaded data=data let:p>
            {
                let s = p.staff.clone();
                let action = format!("/admin/staff/{}/action", s.id);
                let button = move |value: &'static str, label: &'static str| {
                    view! { <button type="submit" name="action" value=value class="button secondary">{label}</button> }
                };
                let pending = p.pending.clone();
                view! {
                    <h1>{s.display_name.clone()}</h1>
                    <dl class="facts">
                        <div><dt>"用户名"</dt><dd>{s.username.clone()}</dd></div>
                        <div><dt>"部门"</dt><dd>{s.department.clone()}</dd></div>
                        <div><dt>"状态"</dt><dd>{status_label(&s)}</dd></div>
                        <div><dt>"角色"</dt><dd>{if p.roles.is_empty() { "无".to_string() } else { p.roles.join("、") }}</dd></div>
                        <div><dt>"最近登录"</dt><dd>{s.last_login.clone().unwrap_or_else(|| "—".into())}</dd></div>
                        {p.can_manage.then(|| view! {
                            <div><dt>"登记手机"</dt><dd>{p.phone.clone().unwrap_or_else(|| "未登记（重置码须当面交给本人）".into())}</dd></div>
                        })}
                    </dl>
                    {(!pending.is_empty()).then(|| view! {
                        <section aria-labelledby="pending-heading">
                            <h2 id="pending-heading">"待审批的申请"</h2>
                            <crate::features::identity::pages::security::RequestTable rows=pending.clone() />
                        </section>
                    })}
                    {p.can_manage.then(|| view! {
                        <section aria-labelledby="manage-heading">
                            <h2 id="manage-heading">"账号操作"</h2>
                            {if p.admin_target {
                                view! { <p class="hint">"这是管理员账号：除解锁外，以下操作须由另一名管理员批准后生效（双人复核）；重置后的一次性重置码只发给本人，您看不到。"</p> }.into_any()
                            } else {
                                view! { <p class="hint">"重置密码后，一次性重置码发到本人登记的手机；未登记手机的，须另一名管理员批准，重置码交给批准人当面转交。您看不到新密码。"</p> }.into_any()
                            }}
                            <form method="post" action=action class="form">
                                <CsrfField />
                                <Field name="reason" label="事由" hint="需要审批的操作须填写（4–200 字），审批人和审计员会看到" required=false />
                                <div class="actions">
                                    {if s.status == "active" { button("disable", "停用账号").into_any() } else { button("enable", "启用账号").into_any() }}
                                    {s.locked.then(|| button("unlock", "解锁"))}
                                    {button("reset_password", "重置密码")}
                                    {button("reset_totp", "解除动态口令")}
                                </div>
                            </form>
                        </section>
                    })}
                    {p.role_choices.clone().map(|choices| view! {
                        <section aria-labelledby="roles-heading">
                            <h2 id="roles-heading">"分配角色"</h2>
                            <form method="post" action=format!("/admin/staff/{}/roles", s.id) class="form">
                                <CsrfField />
                                <Field name="reason" id="roles-reason" form="roles" label="事由" hint="涉及管理员职责的变更须另一名管理员批准，请填写事由（4–200 字）" required=false />
                                <Checkboxes name="role" legend="角色（同一账号只能担任一种管理员职责，且管理员不能兼任业务角色）"
                                    checked=choices.iter().filter(|c| c.assigned).map(|c| c.id.to_string()).collect()
                                    options=choices.iter().map(|c| (c.id.to_string(), format!("{}（{}）", c.name, c.duty))).collect() />
                                <button type="submit" class="button">"保存角色"</button>
                            </form>
                        </section>
                    })}
                }.into_any()
            }
        </Loaded>
    }
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| role_list());
    let can_manage = use_session().is_some_and(|s| s.can(Permission::RoleManage));
    view! {
        <PageMeta title="角色与权限" />
        <ConsoleNav />
        <h1>"角色与权限"</h1>
        <DoneNotice />
        {can_manage.then(|| view! { <p><a class="button" href="/admin/roles/new">"新建角色"</a></p> })}
        <Loaded data=data let:roles>
            {
                view! {
                    <div class="table-wrap">
                        <table>
                            <thead><tr><th scope="col">"角色"</th><th scope="col">"职责"</th><th scope="col">"数据范围"</th><th scope="col">"权限"</th></tr></thead>
                            <tbody>
                                {roles.into_iter().map(|r| view! {
                                    <tr>
                                        <td>
                                            {if can_manage && !r.builtin { view! { <a href=format!("/admin/roles/{}", r.id)>{r.name.clone()}</a> }.into_any() } else { r.name.clone().into_any() }}
                                            <br /><code>{r.code.clone()}</code>{r.builtin.then_some("（内置，权限固定）")}
                                        </td>
                                        <td>{r.duty.clone()}</td>
                                        <td>{r.scope.clone()}</td>
                                        <td><ul class="plain">{r.permissions.iter().map(|(code, name)| view! {
                                            <li>{name.clone()}" "<code>{code.clone()}</code></li>
                                        }).collect_view()}</ul></td>
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

/// Create (`/admin/roles/new`) or edit (`/admin/roles/:id`) a role.
#[component]
pub fn RoleEditPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_else(|| "new".into()));
    let data = Resource::new(id, crate::features::identity::api::load_role_editor);
    view! {
        <PageMeta title="编辑角色" />
        <ConsoleNav />
        <Loaded data=data let:r>
            {
                // The kit shows what was posted after a refusal, otherwise the stored role.
                let perms = r.permissions.iter().map(|p| (p.code.clone(), format!("{}（{}） {}", p.name, p.duty_name, p.code))).collect();
                let chosen_perms = r.permissions.iter().filter(|p| p.checked).map(|p| p.code.clone()).collect();
                let depts = r.departments.iter().map(|(id, name, _, _)| (id.to_string(), name.clone())).collect();
                let indents = r.departments.iter().map(|(_, _, depth, _)| format!("depth-{}", depth.min(&6))).collect();
                let chosen_depts = r.departments.iter().filter(|d| d.3).map(|d| d.0.to_string()).collect();
                let action = r.id.map(|id| format!("/admin/roles/{id}")).unwrap_or_else(|| "/admin/roles".into());
                let title = if r.id.is_some() { format!("编辑角色：{}", r.name) } else { "新建角色".to_string() };
                let is_new = r.id.is_none();
                view! {
                    <h1>{title}</h1>
                    <Notice />
                    <ErrorSummary labels=&[("code", "代码"), ("name", "名称"), ("duty", "职责"), ("data_scope", "数据范围"), ("permissions", "权限"), ("departments", "部门")] />
                    <form method="post" action=action class="form">
                        <CsrfField />
                        {is_new.then(|| view! { <Field name="code" label="代码" hint="3–32 位小写字母、数字或下划线，如 street_clerk" autocomplete="off" /> })}
                        <Field name="name" label="名称" value=r.name.clone() autocomplete="off" />
                        {if is_new {
                            view! { <Select name="duty" label="职责" value=r.duty.clone() options=r.duties.clone() /> }.into_any()
                        } else {
                            view! {
                                <Select name="duty" label="职责" value=r.duty.clone() disabled=true
                                    hint="已创建的角色不能更改职责（三员分立）。" options=r.duties.clone() />
                            }.into_any()
                        }}
                        <Select name="data_scope" label="数据范围" value=r.data_scope.clone() options=r.scopes.clone() />
                        <Checkboxes name="permission" id="permissions" legend="权限（只能选择与角色职责相同的权限）" options=perms checked=chosen_perms />
                        <Checkboxes name="department" id="departments" legend="自定义部门（数据范围为“自定义部门”时选择）" options=depts checked=chosen_depts classes=indents />
                        <button type="submit" class="button">"保存角色"</button>
                    </form>
                }.into_any()
            }
        </Loaded>
    }
}

/// The organisation: the department tree, and a form to add a department.
#[component]
pub fn DepartmentsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| crate::features::identity::api::department_tree());
    let can_manage = use_session().is_some_and(|s| s.can(Permission::DeptManage));
    let done_param = use_query_map().with_untracked(|q| q.get("done"));
    let done = done_param.as_deref() == Some("department");
    let dispatcher_saved = done_param.as_deref() == Some("dispatcher");
    view! {
        <PageMeta title="组织机构" />
        <ConsoleNav />
        <h1>"组织机构"</h1>
        {done.then(|| view! { <div class="notice" role="status"><p>"部门已添加。"</p></div> })}
        {dispatcher_saved.then(|| view! { <div class="notice" role="status"><p>"分办员已保存。"</p></div> })}
        <Loaded data=data let:tree>
            {
                let parents: Vec<(String, String)> = std::iter::once((String::new(), "请选择".to_string()))
                    .chain(tree.iter().map(|(id, _, name, depth)| (id.to_string(), format!("{}{}", "　".repeat(*depth), name))))
                    .collect();
                let levels: Vec<(String, String)> = [("department", "部门"), ("township", "乡镇（街道）"), ("county", "县级"), ("city", "市级"), ("province", "省级")]
                    .into_iter()
                    .map(|(v, l)| (v.to_string(), l.to_string()))
                    .collect();
                view! {
                    <ul class="tree">
                        {tree.into_iter().map(|(_, code, name, depth)| view! {
                            <li class=format!("depth-{}", depth.min(6))>{name}" "<code>{code}</code></li>
                        }).collect_view()}
                    </ul>
                    {can_manage.then(|| view! {
                        <section aria-labelledby="add-dept">
                            <h2 id="add-dept">"添加部门"</h2>
                            <ErrorSummary labels=&[("code", "代码"), ("name", "名称"), ("name_en", "英文名称"), ("parent_id", "上级部门"), ("level", "层级")] />
                            <form method="post" action="/admin/departments" class="form">
                                <CsrfField />
                                <Select name="parent_id" label="上级部门" options=parents required=true />
                                <Field name="code" label="代码" hint="如 QS-TJJ" autocomplete="off" />
                                <Field name="name" label="名称" autocomplete="off" />
                                <Field name="name_en" label="英文名称" required=false autocomplete="off" />
                                <Select name="level" label="层级" options=levels />
                                <button type="submit" class="button">"添加部门"</button>
                            </form>
                        </section>
                    })}
                }.into_any()
            }
        </Loaded>
        {can_manage.then(|| view! { <DispatcherSection /> })}
    }
}
