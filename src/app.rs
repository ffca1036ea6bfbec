//! The document shell and the route table.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};
use zhengwu_types::{consent::PolicyKind, Channel};

use crate::features::cases::pages::{
    apply::ApplyPage, case::MyCasePage, lookup::LookupPage, my_cases::MyCasesPage, staff_case::StaffCasePage,
    staff_cases::StaffCasesPage,
};
use crate::features::catalogue::pages::{
    blank_form::BlankFormPage, guide::ServiceGuidePage, list::ServicesPage, staff_item::StaffServicePage,
    staff_items::StaffServicesPage,
};
use crate::features::citizen::pages::consent::{ConsentPage, PolicyPage};
use crate::features::citizen::pages::my::{CitizenLoginPage, MyPage, RealNamePage};
use crate::features::citizen::pages::staff::{DisputesPage, StaffCitizenPage};
use crate::features::content::pages::articles::{ArticleDetailPage, ArticleListPage};
use crate::features::content::pages::home::HomePage;
use crate::features::identity::pages::console::{
    DashboardPage, DepartmentsPage, RoleEditPage, RolesPage, StaffDetailPage, StaffListPage, StaffNewPage,
};
use crate::features::identity::pages::login::{LoginPage, PasswordPage, PhonePage, ResetPage, TotpPage};
use crate::features::identity::pages::security::{ApprovalsPage, AuditLogPage};
use crate::features::workflow::pages::{
    calendar::CalendarPage,
    lists::{CopiedPage, DonePage, InboxPage},
    supervision::SupervisionPage,
};
use crate::ui::error::NotFound;
use crate::ui::layout::Layout;
use crate::ui::prefs::{use_site, Prefs};

/// The whole HTML document. Rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let prefs = Prefs::from_request();
    provide_context(prefs);
    // Islands mode: only islands hydrate, so data loaded outside them must not be serialised
    // into the page (Leptos's own HydrationScripts does the same; we use our own loader).
    if let Some(sc) = Owner::current_shared_context() {
        sc.set_is_hydrating(false);
    }
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    let site = use_site();
    let name = options.output_name.clone();
    view! {
        <!DOCTYPE html>
        <html lang=prefs.lang.tag() class:care=prefs.care>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="format-detection" content="telephone=no" />
                // The bundle under its fingerprint: cached for a year, replaced with each build.
                <link rel="stylesheet" href=site.asset(&format!("{name}.css")) />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // Loads the WebAssembly islands only where the browser can run them;
                // old WebViews without modules or WebAssembly keep the plain HTML.
                <script type="module" src=site.asset("islands.js") data-pkg=site.asset(&name) nonce=nonce></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/notices") view=|| view! { <ArticleListPage channel=Channel::Notices /> } ssr=SsrMode::Async />
                    <Route path=path!("/notices/:id") view=|| view! { <ArticleDetailPage channel=Channel::Notices /> } ssr=SsrMode::Async />
                    <Route path=path!("/policies") view=|| view! { <ArticleListPage channel=Channel::Policies /> } ssr=SsrMode::Async />
                    <Route path=path!("/policies/:id") view=|| view! { <ArticleDetailPage channel=Channel::Policies /> } ssr=SsrMode::Async />
                    <Route path=path!("/updates") view=|| view! { <ArticleListPage channel=Channel::Updates /> } ssr=SsrMode::Async />
                    <Route path=path!("/updates/:id") view=|| view! { <ArticleDetailPage channel=Channel::Updates /> } ssr=SsrMode::Async />
                    <Route path=path!("/services") view=ServicesPage ssr=SsrMode::Async />
                    <Route path=path!("/services/:code") view=ServiceGuidePage ssr=SsrMode::Async />
                    <Route path=path!("/services/:code/blank-form") view=BlankFormPage ssr=SsrMode::Async />
                    <Route path=path!("/cases/lookup") view=LookupPage ssr=SsrMode::Async />
                    <Route path=path!("/my/apply/:code") view=ApplyPage ssr=SsrMode::Async />
                    <Route path=path!("/my/cases") view=MyCasesPage ssr=SsrMode::Async />
                    <Route path=path!("/my/cases/:id") view=MyCasePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/cases") view=StaffCasesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/inbox") view=InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/done") view=DonePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/copied") view=CopiedPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/supervision") view=SupervisionPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/calendar") view=CalendarPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/cases/:id") view=StaffCasePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/services") view=StaffServicesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/services/:code") view=StaffServicePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/login/reset") view=ResetPage ssr=SsrMode::Async />
                    <Route path=path!("/account/phone") view=PhonePage ssr=SsrMode::Async />
                    <Route path=path!("/admin/approvals") view=ApprovalsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/disputes") view=DisputesPage ssr=SsrMode::Async />
                    <Route path=path!("/my/real-name") view=RealNamePage ssr=SsrMode::Async />
                    <Route path=path!("/account/password") view=PasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/account/totp") view=TotpPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/staff") view=StaffListPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/staff/new") view=StaffNewPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/staff/:id") view=StaffDetailPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/roles") view=RolesPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/roles/new") view=RoleEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/roles/:id") view=RoleEditPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/departments") view=DepartmentsPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/audit") view=AuditLogPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/citizens/:id") view=StaffCitizenPage ssr=SsrMode::Async />
                    <Route path=path!("/my/login") view=CitizenLoginPage ssr=SsrMode::Async />
                    <Route path=path!("/my") view=MyPage ssr=SsrMode::Async />
                    <Route path=path!("/my/consent") view=ConsentPage ssr=SsrMode::Async />
                    <Route path=path!("/terms") view=|| view! { <PolicyPage kind=PolicyKind::Terms /> } ssr=SsrMode::Async />
                    <Route path=path!("/privacy") view=|| view! { <PolicyPage kind=PolicyKind::Privacy /> } ssr=SsrMode::Async />
                    <Route path=path!("/privacy/sensitive") view=|| view! { <PolicyPage kind=PolicyKind::Sensitive /> } ssr=SsrMode::Async />
                </Routes>
            </Layout>
        </Router>
    }
}
