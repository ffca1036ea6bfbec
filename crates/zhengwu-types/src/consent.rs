//! The documents a citizen agrees to (个人信息保护法): the user agreement and the privacy policy
//! at the first sign-in, the separate consent to process sensitive personal information at
//! real-name registration. Each is versioned; a new version asks again.

use serde::{Deserialize, Serialize};

crate::code_enum! {
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum PolicyKind {
        /// 用户服务协议.
        Terms = "terms",
        /// 隐私政策.
        Privacy = "privacy",
        /// 敏感个人信息处理 (the identity number, at real-name registration).
        Sensitive = "sensitive",
    }
}

impl PolicyKind {
    pub fn name_zh(self) -> &'static str {
        match self {
            PolicyKind::Terms => "用户服务协议",
            PolicyKind::Privacy => "隐私政策",
            PolicyKind::Sensitive => "敏感个人信息处理规则",
        }
    }

    /// Its public page.
    pub fn path(self) -> &'static str {
        match self {
            PolicyKind::Terms => "/terms",
            PolicyKind::Privacy => "/privacy",
            PolicyKind::Sensitive => "/privacy/sensitive",
        }
    }

    /// What every signed-in citizen must have accepted (the sensitive one is asked where the
    /// identity number is given).
    pub const AT_SIGN_IN: [PolicyKind; 2] = [PolicyKind::Terms, PolicyKind::Privacy];

    /// What a citizen must have accepted in its current version: the sign-in documents, and
    /// for one who registered their real name, the sensitive-information rules too (a new
    /// version of those asks the verified again).
    pub fn required(verified: bool) -> &'static [PolicyKind] {
        if verified {
            &PolicyKind::ALL
        } else {
            &PolicyKind::AT_SIGN_IN
        }
    }
}

/// One version of a document, as its page and the consent page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyText {
    pub kind: PolicyKind,
    pub version: i32,
    pub title: String,
    /// Paragraphs, separated by blank lines.
    pub body: String,
    pub published_on: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verified_also_owe_the_sensitive_rules() {
        assert!(!PolicyKind::required(false).contains(&PolicyKind::Sensitive));
        assert!(PolicyKind::required(true).contains(&PolicyKind::Sensitive));
        assert!(PolicyKind::required(true).contains(&PolicyKind::Privacy));
    }
}
