//! Small texts the pages share.

/// A time limit as the guides and receipts write it: "5 个工作日", or 即办 for zero days.
pub fn limit_text(days: i32, unit: &str) -> String {
    if days == 0 {
        "即办（当场办结）".to_string()
    } else {
        format!("{days} {unit}")
    }
}
