//! Pagination shared by pages and the REST API.

use serde::{Deserialize, Serialize};

/// A validated page request: `page` counts from 1; `per_page` within 1..=[`PageRequest::MAX_PER_PAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    page: u32,
    per_page: u32,
}

impl PageRequest {
    pub const DEFAULT_PER_PAGE: u32 = 15;
    pub const MAX_PER_PAGE: u32 = 100;
    /// Deep pages are refused rather than scanned: nobody reads page 10 001 of notices.
    pub const MAX_PAGE: u32 = 10_000;

    /// Parses the raw query values; `None` means the default. The error says which value is wrong.
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, PageError> {
        let page = match page.map(str::trim).filter(|s| !s.is_empty()) {
            None => 1,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=Self::MAX_PAGE).contains(&n) => n,
                _ => return Err(PageError::Page),
            },
        };
        let per_page = match per_page.map(str::trim).filter(|s| !s.is_empty()) {
            None => Self::DEFAULT_PER_PAGE,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if (1..=Self::MAX_PER_PAGE).contains(&n) => n,
                _ => return Err(PageError::PerPage),
            },
        };
        Ok(PageRequest { page, per_page })
    }

    pub fn first() -> Self {
        PageRequest { page: 1, per_page: Self::DEFAULT_PER_PAGE }
    }

    pub fn with_per_page(self, per_page: u32) -> Self {
        PageRequest { per_page: per_page.clamp(1, Self::MAX_PER_PAGE), ..self }
    }

    pub fn page(self) -> u32 {
        self.page
    }
    pub fn per_page(self) -> u32 {
        self.per_page
    }
    pub fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
    pub fn limit(self) -> i64 {
        i64::from(self.per_page)
    }
}

/// Which pagination value was out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    Page,
    PerPage,
}

impl PageError {
    pub fn parameter(self) -> &'static str {
        match self {
            PageError::Page => "page",
            PageError::PerPage => "per_page",
        }
    }
}

/// One page of results with what a pager needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
    pub total_pages: u32,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, req: PageRequest, total: i64) -> Self {
        let per = i64::from(req.per_page());
        let total_pages = u32::try_from((total.max(0) + per - 1) / per).unwrap_or(u32::MAX);
        Page { items, page: req.page(), per_page: req.per_page(), total, total_pages }
    }
    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
    pub fn has_next(&self) -> bool {
        self.page < self.total_pages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_values_are_absent_or_blank() {
        let p = PageRequest::parse(None, Some(" ")).unwrap();
        assert_eq!((p.page(), p.per_page(), p.offset()), (1, PageRequest::DEFAULT_PER_PAGE, 0));
    }

    #[test]
    fn out_of_range_values_name_the_parameter() {
        assert_eq!(PageRequest::parse(Some("0"), None), Err(PageError::Page));
        assert_eq!(PageRequest::parse(Some("-1"), None), Err(PageError::Page));
        assert_eq!(PageRequest::parse(Some("abc"), None), Err(PageError::Page));
        assert_eq!(PageRequest::parse(Some("10001"), None), Err(PageError::Page));
        assert_eq!(PageRequest::parse(None, Some("0")), Err(PageError::PerPage));
        assert_eq!(PageRequest::parse(None, Some("101")), Err(PageError::PerPage));
        assert_eq!(PageError::PerPage.parameter(), "per_page");
    }

    #[test]
    fn offsets_and_page_counts_agree() {
        let p = PageRequest::parse(Some("3"), Some("10")).unwrap();
        assert_eq!((p.offset(), p.limit()), (20, 10));
        let page: Page<u8> = Page::new(vec![], p, 21);
        assert_eq!(page.total_pages, 3);
        assert!(page.has_prev() && !page.has_next());
        let empty: Page<u8> = Page::new(vec![], PageRequest::first(), 0);
        assert_eq!(empty.total_pages, 0);
        assert!(!empty.has_next());
    }
}
