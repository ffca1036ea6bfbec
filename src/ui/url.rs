//! Building URLs: the one percent-encoder (RFC 3986 unreserved characters kept), query strings
//! from pairs, and reading the current page's query.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

fn encode_with(s: &str, keep_slash: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            b'/' if keep_slash => "/".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A query value or path segment, every reserved character encoded.
pub fn encode(s: &str) -> String {
    encode_with(s, false)
}

/// A local path as a query value (`?next=/my/apply/X`): slashes kept, the rest encoded.
pub fn encode_path(s: &str) -> String {
    encode_with(s, true)
}

/// `a=1&b=x%20y` from pairs.
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// A non-empty query parameter of the current page.
pub fn query(name: &'static str) -> Option<String> {
    use_query_map().with_untracked(|q| q.get(name)).filter(|v| !v.is_empty())
}

/// A path on this site: not another host (`//…`, `\\`), no control characters, not too long.
pub fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.chars().any(|c| c.is_control())
        && p.len() <= 2048
}

/// Where to go after signing in, consenting or registering a real name: a path on this site
/// under /my or /services, else /my. Pages and posts both use it (a link shown from a query
/// parameter is a redirect too).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) && (n.starts_with("/my") || n.starts_with("/services")) => n.to_string(),
        _ => "/my".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_characters_are_encoded_and_slashes_kept_only_in_paths() {
        assert_eq!(encode("a b/c?d=é"), "a%20b%2Fc%3Fd%3D%C3%A9");
        assert_eq!(encode_path("/my/apply/X?y=1"), "/my/apply/X%3Fy%3D1");
        assert_eq!(encode_pairs(&[("q".into(), "低保".into()), ("p".into(), "2".into())]), "q=%E4%BD%8E%E4%BF%9D&p=2");
    }
}
