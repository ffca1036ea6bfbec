//! Interface text in Chinese (default) and English.
//!
//! One struct of `&'static str` per language: a missing translation is a compile error, not a
//! blank on the page. Content (notices, policies) stays in the language it was published in.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// BCP 47 tag for the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The value kept in the `lang` cookie and accepted by the switch.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn text(self) -> &'static Text {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }
}

/// Every piece of interface text.
pub struct Text {
    pub skip_to_content: &'static str,
    pub home: &'static str,
    pub main_nav: &'static str,
    pub case_lookup: &'static str,
    /// The phone tab bar's labels (short: four fit across 320 px).
    pub tab_services: &'static str,
    pub tab_lookup: &'static str,
    pub tab_my: &'static str,
    pub tab_nav: &'static str,
    pub terms: &'static str,
    pub privacy: &'static str,
    pub services: &'static str,
    pub switch_language: &'static str,
    pub other_language_name: &'static str,
    pub care_mode_on: &'static str,
    pub care_mode_off: &'static str,
    pub more: &'static str,
    pub all_categories: &'static str,
    pub category: &'static str,
    pub filter: &'static str,
    pub publisher: &'static str,
    pub published: &'static str,
    pub document_number: &'static str,
    pub attachments: &'static str,
    pub no_attachments: &'static str,
    pub attachment_count: &'static str,
    pub back_to_list: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub page_of: &'static str,
    pub total_items: &'static str,
    pub nothing_here: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub bad_request_title: &'static str,
    pub bad_request_body: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_body: &'static str,
    pub staff_sign_in: &'static str,
    pub sign_out: &'static str,
    pub console: &'static str,
    pub citizen_sign_in: &'static str,
    pub my_account: &'static str,
    pub error_title: &'static str,
    pub error_body: &'static str,
    pub footer_sponsor: &'static str,
    pub footer_contact: &'static str,
    pub footer_icp: &'static str,
    pub breadcrumb: &'static str,
    pub print: &'static str,
    /// The site's description for search engines and shared links (`{site}`: its name).
    pub site_description: &'static str,
    /// Said at the top of a page whose content exists in Chinese only.
    pub chinese_only: &'static str,
}

impl Text {
    /// "第 2 / 5 页" / "Page 2 of 5".
    pub fn page_label(&self, page: u32, total: u32) -> String {
        self.page_of.replace("{page}", &page.to_string()).replace("{total}", &total.to_string())
    }
    /// "共 23 条" / "23 items".
    pub fn total_label(&self, total: i64) -> String {
        self.total_items.replace("{n}", &total.to_string())
    }
    /// "附件 2 个" / "2 attachments".
    pub fn attachment_count_label(&self, n: i64) -> String {
        self.attachment_count.replace("{n}", &n.to_string())
    }
}

const ZH: Text = Text {
    skip_to_content: "跳到主要内容",
    home: "首页",
    main_nav: "主导航",
    case_lookup: "办件查询",
    tab_services: "办事",
    tab_lookup: "查询",
    tab_my: "我的",
    tab_nav: "快捷导航",
    terms: "用户服务协议",
    privacy: "隐私政策",
    services: "办事服务",
    switch_language: "切换语言",
    other_language_name: "English",
    care_mode_on: "长者模式",
    care_mode_off: "退出长者模式",
    more: "更多",
    all_categories: "全部",
    category: "分类",
    filter: "筛选",
    publisher: "发布机构",
    published: "发布日期",
    document_number: "文号",
    attachments: "附件",
    no_attachments: "无附件",
    attachment_count: "附件 {n} 个",
    back_to_list: "返回列表",
    previous_page: "上一页",
    next_page: "下一页",
    page_of: "第 {page} / {total} 页",
    total_items: "共 {n} 条",
    nothing_here: "暂无内容。",
    not_found_title: "页面不存在",
    not_found_body: "您访问的页面不存在或已被删除。请检查网址，或从首页重新查找。",
    bad_request_title: "请求有误",
    bad_request_body: "链接中的页码或分类不正确。请返回列表重新选择。",
    forbidden_title: "没有权限",
    forbidden_body: "您的账号没有执行此操作的权限。如有需要，请联系安全管理员分配角色。",
    staff_sign_in: "工作人员登录",
    sign_out: "退出登录",
    console: "工作台",
    citizen_sign_in: "个人登录",
    my_account: "我的",
    error_title: "服务暂时不可用",
    error_body: "系统暂时无法完成您的请求，请稍后再试。",
    footer_sponsor: "主办单位：",
    footer_contact: "政务服务热线 12345",
    footer_icp: "本网站为演示系统，所载内容均为虚构。",
    breadcrumb: "当前位置",
    print: "打印本页",
    site_description: "{site}政务服务网：在线办理政务服务事项，查询办件进度，查看通知公告、政策法规和工作动态。",
    chinese_only: "",
};

const EN: Text = Text {
    skip_to_content: "Skip to main content",
    home: "Home",
    main_nav: "Main navigation",
    case_lookup: "Track a case",
    tab_services: "Services",
    tab_lookup: "Track",
    tab_my: "Me",
    tab_nav: "Quick navigation",
    terms: "User agreement",
    privacy: "Privacy policy",
    services: "Services",
    switch_language: "Switch language",
    other_language_name: "中文",
    care_mode_on: "Large text",
    care_mode_off: "Standard text",
    more: "More",
    all_categories: "All",
    category: "Category",
    filter: "Filter",
    publisher: "Published by",
    published: "Published",
    document_number: "Document No.",
    attachments: "Attachments",
    no_attachments: "No attachments",
    attachment_count: "{n} attachment(s)",
    back_to_list: "Back to the list",
    previous_page: "Previous",
    next_page: "Next",
    page_of: "Page {page} of {total}",
    total_items: "{n} items",
    nothing_here: "Nothing here yet.",
    not_found_title: "Page not found",
    not_found_body: "The page you asked for does not exist or has been removed. Check the address, or start again from the home page.",
    bad_request_title: "Invalid request",
    bad_request_body: "The page number or category in the address is not valid. Go back to the list and choose again.",
    forbidden_title: "Not allowed",
    forbidden_body: "Your account may not do this. Ask the security administrator for a role if you need it.",
    staff_sign_in: "Staff sign-in",
    sign_out: "Sign out",
    console: "Console",
    citizen_sign_in: "Sign in",
    my_account: "My account",
    error_title: "Service temporarily unavailable",
    error_body: "We could not complete your request. Please try again later.",
    footer_sponsor: "Run by: ",
    footer_contact: "Government service hotline 12345",
    footer_icp: "This is a demonstration site; all content is fictional.",
    breadcrumb: "You are here",
    print: "Print this page",
    site_description: "{site}: government services online — apply, track your case, read notices, policies and news.",
    chinese_only: "This page is available in Chinese only.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_round_trip_and_unknown_codes_are_refused() {
        for l in [Lang::Zh, Lang::En] {
            assert_eq!(Lang::from_code(l.code()), Some(l));
        }
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::default().tag(), "zh-CN");
    }

    #[test]
    fn labels_fill_their_placeholders() {
        assert_eq!(Lang::Zh.text().page_label(2, 5), "第 2 / 5 页");
        assert_eq!(Lang::En.text().total_label(23), "23 items");
        assert_eq!(Lang::Zh.text().attachment_count_label(2), "附件 2 个");
    }
}
