//! The visitor's display preferences: language and large-text/high-contrast mode (适老化).
//!
//! Kept in cookies so they work without JavaScript and without an account; read once per
//! request on the server and handed to every component through context.

use serde::{Deserialize, Serialize};
use zhengwu_types::Lang;

pub const LANG_COOKIE: &str = "zw_lang";
pub const CARE_COOKIE: &str = "zw_care";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefs {
    pub lang: Lang,
    /// 长者模式: larger text, higher contrast, simpler layout.
    pub care: bool,
}

impl Prefs {
    /// Reads the preference cookies from a `Cookie` header value; unknown values mean defaults.
    pub fn from_cookie_header(header: &str) -> Prefs {
        let mut prefs = Prefs::default();
        for pair in header.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else { continue };
            match name {
                LANG_COOKIE => prefs.lang = Lang::from_code(value).unwrap_or_default(),
                CARE_COOKIE => prefs.care = value == "1",
                _ => {}
            }
        }
        prefs
    }

    /// The preferences of the request being rendered (server only; defaults elsewhere).
    pub fn from_request() -> Prefs {
        #[cfg(feature = "ssr")]
        {
            use leptos::prelude::use_context;
            if let Some(parts) = use_context::<http::request::Parts>() {
                let header = parts.headers.get(http::header::COOKIE).and_then(|v| v.to_str().ok());
                return header.map(Prefs::from_cookie_header).unwrap_or_default();
            }
        }
        Prefs::default()
    }
}

/// The preferences of the current page.
pub fn use_prefs() -> Prefs {
    leptos::prelude::use_context::<Prefs>().unwrap_or_default()
}

/// The government this portal belongs to, from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    pub name: String,
    pub name_en: String,
    /// The fingerprint of the built bundle: pages link `/pkg/v/<it>/…` (empty: no build).
    pub asset_version: String,
}

impl SiteInfo {
    /// Where a file of the bundle is linked from.
    pub fn asset(&self, file: &str) -> String {
        if self.asset_version.is_empty() {
            format!("/pkg/{file}")
        } else {
            format!("/pkg/v/{}/{file}", self.asset_version)
        }
    }
}

impl SiteInfo {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.name,
            Lang::En => &self.name_en,
        }
    }
}

pub fn use_site() -> SiteInfo {
    leptos::prelude::use_context::<SiteInfo>().unwrap_or_else(|| SiteInfo {
        name: "青山县人民政府".into(),
        name_en: "Qingshan County People's Government".into(),
        asset_version: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_set_language_and_care_mode() {
        let p = Prefs::from_cookie_header("a=b; zw_lang=en; zw_care=1");
        assert_eq!(p, Prefs { lang: Lang::En, care: true });
        assert_eq!(Prefs::from_cookie_header("zw_lang=xx; zw_care=yes"), Prefs::default());
        assert_eq!(Prefs::from_cookie_header(""), Prefs::default());
    }
}
