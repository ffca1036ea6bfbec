//! The frame of every portal page: skip link, header with the government's name, the language
//! and 长者模式 switches, navigation, main landmark and footer.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use zhengwu_types::{Channel, Lang};

use crate::ui::prefs::{use_prefs, use_site};
use crate::ui::session::{use_citizen, use_session, CSRF_FIELD};

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let prefs = use_prefs();
    let site = use_site();
    let t = prefs.lang.text();
    let location = use_location();
    // Where the switches send the visitor back to: this very page, query included.
    let here = {
        let path = location.pathname.get_untracked();
        let query = location.search.get_untracked();
        if query.is_empty() {
            path
        } else {
            format!("{path}?{}", query.trim_start_matches('?'))
        }
    };
    let current = location.pathname.get_untracked();
    // Only the frame and the article pages are translated; the rest of the content (services,
    // forms, the console, and articles' own text) is Chinese, and says so to screen readers and
    // translation tools when the page is in English.
    let translated = current == "/" || Channel::ALL.iter().any(|c| current.starts_with(c.path()));
    let english = prefs.lang == Lang::En;
    let main_lang = (english && !translated).then_some("zh-CN");
    let other_lang = match prefs.lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    let here_path = current.clone();
    let nav_link = move |href: &'static str, label: &'static str| {
        let active = if href == "/" { here_path == "/" } else { here_path.starts_with(href) };
        view! {
            <li>
                <a href=href aria-current=active.then_some("page")>{label}</a>
            </li>
        }
    };
    let site_name = site.name(prefs.lang).to_string();
    let session = use_session();
    // The bottom tab bar is the portal's (phones); the console and the staff sign-in have none.
    let portal = session.is_none()
        && !["/admin", "/login", "/account"].iter().any(|p| current == *p || current.starts_with(&format!("{p}/")));
    let signed_in = use_citizen().is_some();
    // Citizens: "sign in" or "my account"; staff see their console links instead.
    let citizen_link = session.is_none().then(|| {
        let (href, label) =
            if use_citizen().is_some() { ("/my", t.my_account) } else { ("/my/login", t.citizen_sign_in) };
        view! { <a class="citizen-link" href=href>{label}</a> }
    });
    let account = session.map(|s| {
        view! {
            <div class="account">
                <span>{s.display_name.clone()}</span>
                <a href="/admin">{t.console}</a>
                <form method="post" action="/logout" class="switch">
                    <input type="hidden" name=CSRF_FIELD value=s.csrf.clone() />
                    <button type="submit">{t.sign_out}</button>
                </form>
            </div>
        }
    });
    view! {
        <a class="skip-link" href="#main">{t.skip_to_content}</a>
        <header class="site-header" class:with-tabs=portal>
            <div class="wrap header-top">
                <a class="site-name" href="/">
                    <span class="emblem" aria-hidden="true">"政"</span>
                    <span class="site-title">{site_name.clone()}</span>
                </a>
                {account}
                {citizen_link}
                <div class="switches">
                    <form method="post" action="/prefs" class="switch">
                        <input type="hidden" name="lang" value=other_lang.code() />
                        <input type="hidden" name="back" value=here.clone() />
                        <button type="submit">
                            <span class="visually-hidden">{t.switch_language}": "</span>
                            <span lang=other_lang.tag()>{t.other_language_name}</span>
                        </button>
                    </form>
                    <form method="post" action="/prefs" class="switch">
                        <input type="hidden" name="care" value=if prefs.care { "0" } else { "1" } />
                        <input type="hidden" name="back" value=here />
                        <button type="submit" aria-pressed=if prefs.care { "true" } else { "false" }>
                            {if prefs.care { t.care_mode_off } else { t.care_mode_on }}
                        </button>
                    </form>
                </div>
            </div>
            <nav class="main-nav" aria-label=t.main_nav>
                <ul class="wrap">
                    {nav_link("/", t.home)}
                    {nav_link("/services", t.services)}
                    {nav_link("/cases/lookup", t.case_lookup)}
                    {Channel::ALL.map(|c| nav_link(c.path(), c.name(prefs.lang))).to_vec()}
                </ul>
            </nav>
        </header>
        <main id="main" class="wrap" tabindex="-1" lang=main_lang class:with-tabs=portal>
            {main_lang.map(|_| view! { <p class="notice-inline" lang="en">{t.chinese_only}</p> })}
            {children()}
        </main>
        {portal.then(|| view! { <TabBar current=current.clone() signed_in=signed_in /> })}
        <footer class="site-footer" class:with-tabs=portal>
            <div class="wrap">
                <p>{t.footer_sponsor}{site_name}</p>
                <p>{t.footer_contact}</p>
                <p class="note">{t.footer_icp}</p>
                <p class="note"><a href="/terms">{t.terms}</a>" · "<a href="/privacy">{t.privacy}</a>" · "<a href="/login">{t.staff_sign_in}</a></p>
            </div>
        </footer>
    }
}

/// 首页 · 办事 · 查询 · 我的: plain links fixed at the bottom of a phone's screen (hidden on
/// wide screens, where the main navigation shows them).
#[component]
fn TabBar(current: String, signed_in: bool) -> impl IntoView {
    let t = use_prefs().lang.text();
    let my = if signed_in { "/my" } else { "/my/login" };
    let tabs = [
        ("/", t.home, "tab-home", current == "/"),
        ("/services", t.tab_services, "tab-services", current.starts_with("/services")),
        ("/cases/lookup", t.tab_lookup, "tab-lookup", current.starts_with("/cases")),
        (my, t.tab_my, "tab-my", current.starts_with("/my")),
    ];
    view! {
        <nav class="tab-bar" aria-label=t.tab_nav>
            <ul>
                {tabs.into_iter().map(|(href, label, icon, active)| view! {
                    <li>
                        <a href=href aria-current=active.then_some("page")>
                            <span class=format!("tab-icon {icon}") aria-hidden="true"></span>
                            <span>{label}</span>
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        </nav>
    }
}
