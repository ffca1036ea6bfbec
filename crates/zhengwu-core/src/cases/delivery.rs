//! How the applicant receives the result (结果送达): chosen when applying among the methods the
//! item offers, kept with the draft, required complete at submission. A postal address is
//! personal data: sealed, bound to the case's row, shown only to the applicant and to staff who
//! may read the case.

use zhengwu_types::services::{Delivery, DeliveryMethod};

use super::{unreadable, CaseError, CaseRow, Problems};
use crate::citizen::PersonalKeys;

const ADDRESS_LABEL: &[u8] = b"cases.delivery_address";

/// What a post said about delivery.
#[derive(Debug, Clone, Default)]
pub struct DeliveryPost {
    pub method: Option<DeliveryMethod>,
    pub address: String,
}

pub(super) fn seal_address(keys: &PersonalKeys, case_id: i64, address: &str) -> Option<Vec<u8>> {
    (!address.is_empty()).then(|| keys.seal_bound(ADDRESS_LABEL, case_id, address.as_bytes()))
}

impl CaseRow {
    /// The delivery stored with the case (none before the applicant chose).
    pub(super) fn delivery(&self, keys: &PersonalKeys) -> Result<Option<Delivery>, CaseError> {
        let Some(method) = self.delivery else { return Ok(None) };
        let address = match &self.delivery_address_sealed {
            Some(sealed) => keys
                .open_bound(ADDRESS_LABEL, self.id, sealed)
                .ok_or_else(|| unreadable(self.id, "delivery address"))?,
            None => String::new(),
        };
        Ok(Some(Delivery { method, address }))
    }
}

/// The delivery to store: what was posted (or, with nothing posted, what was saved, else the
/// item's first method), with its problems when the post is to be complete.
pub(super) fn choose(
    offered: &[DeliveryMethod],
    posted: &DeliveryPost,
    saved: Option<Delivery>,
    complete: bool,
    problems: &mut Problems,
) -> Delivery {
    let first = offered.first().copied().unwrap_or(DeliveryMethod::Window);
    let mut chosen = match (posted.method, saved) {
        (Some(method), _) => Delivery { method, address: clean_address(&posted.address) },
        (None, Some(saved)) => saved,
        (None, None) => Delivery { method: first, address: String::new() },
    };
    if !offered.contains(&chosen.method) {
        // A draft falls back quietly (staff may have withdrawn the method since it was saved).
        if complete {
            problems.insert("_delivery".into(), "请从本事项提供的方式中选择结果领取方式".into());
        }
        chosen.method = first;
    }
    if chosen.method != DeliveryMethod::Post {
        chosen.address.clear();
    } else if complete {
        let n = chosen.address.chars().count();
        if n == 0 {
            problems.insert("_delivery_address".into(), "选择邮寄送达时，请填写收件地址".into());
        } else if !(6..=200).contains(&n) {
            problems.insert("_delivery_address".into(), "收件地址须为 6–200 个字，写到门牌号".into());
        }
    }
    chosen
}

/// One line, no control characters, at most 200 characters kept (more is reported above).
fn clean_address(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().chars().take(201).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryMethod::*;

    #[test]
    fn nothing_posted_keeps_the_saved_choice_else_the_first_offered() {
        let mut p = Problems::new();
        let saved = Delivery { method: Post, address: "青山县人民大道 1 号".into() };
        assert_eq!(choose(&[Window, Post], &DeliveryPost::default(), Some(saved.clone()), true, &mut p), saved);
        assert_eq!(choose(&[Post, Window], &DeliveryPost::default(), None, false, &mut p).method, Post);
        assert!(p.is_empty());
    }

    #[test]
    fn a_method_not_offered_or_a_post_without_address_is_a_problem() {
        let mut p = Problems::new();
        let posted = DeliveryPost { method: Some(Electronic), address: String::new() };
        assert_eq!(choose(&[Window], &posted, None, true, &mut p).method, Window);
        assert!(p.contains_key("_delivery"));
        let mut p = Problems::new();
        let posted = DeliveryPost { method: Some(Post), address: "  ".into() };
        choose(&[Window, Post], &posted, None, true, &mut p);
        assert!(p["_delivery_address"].contains("收件地址"));
        // A draft keeps what was typed without complaint.
        let mut p = Problems::new();
        choose(&[Window, Post], &posted, None, false, &mut p);
        assert!(p.is_empty());
    }

    #[test]
    fn a_draft_with_a_withdrawn_method_falls_back_quietly() {
        let mut p = Problems::new();
        let saved = Delivery { method: Post, address: "青山县人民大道 1 号".into() };
        assert_eq!(choose(&[Window], &DeliveryPost::default(), Some(saved), false, &mut p).method, Window);
        assert!(p.is_empty());
    }

    #[test]
    fn the_address_goes_only_with_postal_delivery() {
        let mut p = Problems::new();
        let posted = DeliveryPost { method: Some(Window), address: "某地址 123 号".into() };
        assert_eq!(choose(&[Window, Post], &posted, None, true, &mut p).address, "");
        let posted = DeliveryPost { method: Some(Post), address: "青山县\n人民大道 88 号".into() };
        assert_eq!(choose(&[Window, Post], &posted, None, true, &mut p).address, "青山县 人民大道 88 号");
        assert!(p.is_empty());
    }
}
