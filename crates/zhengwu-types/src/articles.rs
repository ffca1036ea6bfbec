//! Published articles: notices (通知公告), policy documents (政策法规) and work updates (工作动态).
//!
//! The three channels share one shape, so they share one table, one repository and one page
//! component; each channel has its own fixed set of categories.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// The three public channels of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 通知公告
    Notices,
    /// 政策法规
    Policies,
    /// 工作动态
    Updates,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Notices, Channel::Policies, Channel::Updates];

    /// The value stored in the database and used in URLs (`/notices`).
    pub fn slug(self) -> &'static str {
        match self {
            Channel::Notices => "notices",
            Channel::Policies => "policies",
            Channel::Updates => "updates",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.slug() == slug)
    }

    pub fn path(self) -> &'static str {
        match self {
            Channel::Notices => "/notices",
            Channel::Policies => "/policies",
            Channel::Updates => "/updates",
        }
    }

    pub fn name(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Channel::Notices, Lang::Zh) => "通知公告",
            (Channel::Notices, Lang::En) => "Notices",
            (Channel::Policies, Lang::Zh) => "政策法规",
            (Channel::Policies, Lang::En) => "Policies",
            (Channel::Updates, Lang::Zh) => "工作动态",
            (Channel::Updates, Lang::En) => "Work updates",
        }
    }

    /// The categories an article of this channel may have, in display order.
    pub fn categories(self) -> impl Iterator<Item = Category> {
        CATEGORIES.iter().copied().filter(move |c| c.channel == self)
    }
}

/// A category within a channel (公告, 公示, 规范性文件, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Category {
    pub channel: Channel,
    pub slug: &'static str,
    zh: &'static str,
    en: &'static str,
}

const fn cat(channel: Channel, slug: &'static str, zh: &'static str, en: &'static str) -> Category {
    Category { channel, slug, zh, en }
}

const CATEGORIES: &[Category] = &[
    cat(Channel::Notices, "notice", "通知", "Notices"),
    cat(Channel::Notices, "announcement", "公告", "Announcements"),
    cat(Channel::Notices, "publicity", "公示", "Public disclosures"),
    cat(Channel::Notices, "recruitment", "人事招考", "Recruitment"),
    cat(Channel::Notices, "procurement", "招标采购", "Procurement"),
    cat(Channel::Policies, "regulation", "规范性文件", "Normative documents"),
    cat(Channel::Policies, "interpretation", "政策解读", "Policy explanations"),
    cat(Channel::Policies, "plan", "规划计划", "Plans"),
    cat(Channel::Updates, "government", "政务要闻", "Government news"),
    cat(Channel::Updates, "department", "部门动态", "Department news"),
    cat(Channel::Updates, "township", "乡镇动态", "Township news"),
];

impl Category {
    /// The category of `channel` with this slug, if the channel has one.
    pub fn parse(channel: Channel, slug: &str) -> Option<Category> {
        channel.categories().find(|c| c.slug == slug)
    }

    pub fn name(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.slug)
    }
}

/// An article in a list: enough to show a row and link to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleSummary {
    pub id: i64,
    pub channel: Channel,
    /// Category slug within the channel.
    pub category: String,
    pub title: String,
    pub summary: String,
    /// 文号, e.g. 青政办发〔2026〕12号; policy documents have one.
    pub document_number: Option<String>,
    pub department: String,
    /// Publication date in Asia/Shanghai, `YYYY-MM-DD`.
    pub published_on: String,
    pub attachment_count: i64,
}

/// An attachment listed on an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    /// Where the file downloads from; `None` when only its name is on record.
    #[serde(default)]
    pub href: Option<String>,
}

/// The download address of an article's attachment (`position` counts from 0).
pub fn attachment_href(channel: Channel, article_id: i64, position: i32) -> String {
    format!("{}/{article_id}/files/{position}", channel.path())
}

impl Attachment {
    /// Size for people: `532 KB`, `1.2 MB`.
    pub fn size_label(&self) -> String {
        human_size(self.size_bytes)
    }

    /// The file's kind as a reader knows it: `PDF`, `Word`, `Excel`.
    pub fn kind_label(&self) -> &'static str {
        match self.media_type.as_str() {
            "application/pdf" => "PDF",
            "application/ofd" => "OFD",
            "application/msword" | "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "Word",
            "application/vnd.ms-excel" | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "Excel",
            "image/jpeg" | "image/png" => "图片",
            _ => "文件",
        }
    }
}

/// Bytes as KB/MB with one decimal below 10, as file lists on government sites show them.
pub fn human_size(bytes: i64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes.max(0) as f64;
    if b < KB {
        format!("{bytes} B")
    } else if b < KB * KB {
        format!("{:.0} KB", (b / KB).ceil())
    } else {
        let mb = b / KB / KB;
        if mb < 10.0 {
            format!("{mb:.1} MB")
        } else {
            format!("{mb:.0} MB")
        }
    }
}

/// One article with its body and attachments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Plain text; paragraphs separated by blank lines. Never HTML.
    pub body: String,
    pub attachments: Vec<Attachment>,
}

impl ArticleDetail {
    pub fn paragraphs(&self) -> impl Iterator<Item = &str> {
        self.body.split("\n\n").map(str::trim).filter(|p| !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_has_categories_and_slugs_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::from_slug(channel.slug()), Some(channel));
            let cats: Vec<_> = channel.categories().collect();
            assert!(cats.len() >= 3, "{channel:?} has too few categories");
            for c in cats {
                assert_eq!(Category::parse(channel, c.slug), Some(c));
            }
        }
    }

    #[test]
    fn a_category_belongs_to_one_channel_only() {
        assert!(Category::parse(Channel::Notices, "announcement").is_some());
        assert!(Category::parse(Channel::Policies, "announcement").is_none());
        assert!(Category::parse(Channel::Notices, "").is_none());
        assert!(Category::parse(Channel::Notices, "Announcement").is_none());
    }

    #[test]
    fn sizes_read_like_a_file_list() {
        assert_eq!(human_size(900), "900 B");
        assert_eq!(human_size(1024), "1 KB");
        assert_eq!(human_size(532 * 1024 + 1), "533 KB");
        assert_eq!(human_size(1_258_291), "1.2 MB");
        assert_eq!(human_size(25 * 1024 * 1024), "25 MB");
    }

    #[test]
    fn paragraphs_split_on_blank_lines() {
        let d = ArticleDetail {
            summary: ArticleSummary {
                id: 1,
                channel: Channel::Notices,
                category: "notice".into(),
                title: "t".into(),
                summary: String::new(),
                document_number: None,
                department: "d".into(),
                published_on: "2026-11-01".into(),
                attachment_count: 0,
            },
            body: "第一段。\n\n  第二段。\n\n\n".into(),
            attachments: vec![],
        };
        assert_eq!(d.paragraphs().collect::<Vec<_>>(), vec!["第一段。", "第二段。"]);
    }
}
