//! Personal identifiers: validation of the resident identity number (GB 11643-1999) and of
//! mainland mobile numbers, and the masked forms shown by default.
//!
//! Shared by server and browser, so a form can check as the user types and the server checks
//! again with the same rules.

/// A citizen's personal data as shown by default: everything masked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MaskedProfile {
    pub id: i64,
    pub phone: String,
    pub real_name: Option<String>,
    pub id_number: Option<String>,
    pub verified: bool,
}

/// Why an identity number is refused, in words for the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdNumberProblem {
    Length,
    Characters,
    Region,
    BirthDate,
    Checksum,
}

impl IdNumberProblem {
    pub fn message_zh(self) -> &'static str {
        match self {
            IdNumberProblem::Length => "身份证号码应为 18 位",
            IdNumberProblem::Characters => "身份证号码前 17 位应为数字，最后一位为数字或 X",
            IdNumberProblem::Region => "身份证号码的地区代码不正确",
            IdNumberProblem::BirthDate => "身份证号码中的出生日期不正确",
            IdNumberProblem::Checksum => "身份证号码校验位不正确，请检查是否输错",
        }
    }
}

/// The first digits of the province-level divisions in GB/T 2260 (11 Beijing … 82 Macao).
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// Checks an 18-character identity number (ISO 7064 MOD 11-2 check character, region code,
/// real birth date not in the future relative to `today` = (year, month, day)). Returns the
/// canonical form (upper-case X).
pub fn validate_id_number(raw: &str, today: (i32, u32, u32)) -> Result<String, IdNumberProblem> {
    let s: String = raw.trim().to_ascii_uppercase();
    if s.chars().count() != 18 {
        return Err(IdNumberProblem::Length);
    }
    let b = s.as_bytes();
    if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
        return Err(IdNumberProblem::Characters);
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let province = num(0..2) as u8;
    if !PROVINCES.contains(&province) {
        return Err(IdNumberProblem::Region);
    }
    let (y, m, d) = (num(6..10) as i32, num(10..12), num(12..14));
    if !(1900..=today.0).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(IdNumberProblem::BirthDate);
    }
    if (y, m, d) > (today.0, today.1, today.2) {
        return Err(IdNumberProblem::BirthDate);
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(c, w)| u32::from(c - b'0') * w).sum();
    if CHECK[(sum % 11) as usize] != b[17] {
        return Err(IdNumberProblem::Checksum);
    }
    Ok(s)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A mainland mobile number: 11 digits starting with 1 and a second digit 3–9. Spaces,
/// hyphens and a leading +86 are accepted and removed.
pub fn validate_mobile(raw: &str) -> Option<String> {
    let digits: String = raw.trim().trim_start_matches("+86").chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let b = digits.as_bytes();
    (b.len() == 11 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]))
        .then_some(digits)
}

/// `110101********0016`: region code and the last four kept.
pub fn mask_id_number(id: &str) -> String {
    mask(id, 6, 4)
}

/// `138****0000`
pub fn mask_mobile(phone: &str) -> String {
    mask(phone, 3, 4)
}

/// 张*, 欧阳** : the first character kept.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

fn mask(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    chars[..head]
        .iter()
        .chain(std::iter::repeat_n(&'*', chars.len() - head - tail))
        .chain(&chars[chars.len() - tail..])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: (i32, u32, u32) = (2026, 11, 29);

    #[test]
    fn valid_numbers_pass_and_lower_case_x_is_normalised() {
        // Check characters computed by hand with the GB 11643 weights.
        assert_eq!(validate_id_number("11010519491231002X", TODAY), Ok("11010519491231002X".into()));
        assert_eq!(validate_id_number("11010519491231002x", TODAY), Ok("11010519491231002X".into()));
        assert_eq!(validate_id_number("440524188001010014", TODAY), Err(IdNumberProblem::BirthDate), "before 1900");
        assert_eq!(validate_id_number(" 110101199003070011 ", TODAY), Ok("110101199003070011".into()));
        assert_eq!(validate_id_number("110101200002290018", TODAY), Ok("110101200002290018".into()), "a leap day");
    }

    #[test]
    fn each_problem_is_named() {
        assert_eq!(validate_id_number("11010119900307001", TODAY), Err(IdNumberProblem::Length));
        assert_eq!(
            validate_id_number("11010119900307001１", TODAY),
            Err(IdNumberProblem::Characters),
            "full-width digit"
        );
        assert_eq!(validate_id_number("1101011990030700AB", TODAY), Err(IdNumberProblem::Characters));
        assert_eq!(validate_id_number("990101199003070016", TODAY), Err(IdNumberProblem::Region));
        assert_eq!(validate_id_number("110101199002300016", TODAY), Err(IdNumberProblem::BirthDate), "30 February");
        assert_eq!(validate_id_number("110101203001010016", TODAY), Err(IdNumberProblem::BirthDate), "future");
        assert_eq!(validate_id_number("110101199003070016", TODAY), Err(IdNumberProblem::Checksum));
    }

    #[test]
    fn leap_days_follow_the_gregorian_rules() {
        // 2000-02-29 exists, 1900-02-29 does not (checksums aside, the date is checked first).
        assert_ne!(validate_id_number("110101200002290010", TODAY), Err(IdNumberProblem::BirthDate));
        assert_eq!(validate_id_number("110101190002290010", TODAY), Err(IdNumberProblem::BirthDate));
    }

    #[test]
    fn mobiles_and_masks() {
        assert_eq!(validate_mobile("+86 138-0013-8000").as_deref(), Some("13800138000"));
        assert_eq!(validate_mobile("12800138000"), None);
        assert_eq!(validate_mobile("1380013800"), None);
        assert_eq!(mask_id_number("110101199003070016"), "110101********0016");
        assert_eq!(mask_mobile("13800000000"), "138****0000");
        assert_eq!(mask_name("欧阳修"), "欧**");
    }
}
