//! Time-based one-time passwords (RFC 6238, over HOTP of RFC 4226), as authenticator apps
//! implement them: HMAC-SHA1, 30-second steps, 6 digits, secrets shown in base32.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use zeroize::Zeroizing;

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: u32 = 6;
/// 160-bit secrets, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;

/// HOTP value of `counter` with `digits` digits (RFC 4226 §5.3).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = usize::from(h[h.len() - 1] & 0x0f);
    let bin = (u32::from(h[offset] & 0x7f) << 24)
        | (u32::from(h[offset + 1]) << 16)
        | (u32::from(h[offset + 2]) << 8)
        | u32::from(h[offset + 3]);
    bin % 10u32.pow(digits)
}

/// The time step that `unix_seconds` falls in.
pub fn step_at(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The code an authenticator shows at `unix_seconds`, zero-padded.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    format!("{:0width$}", hotp(secret, step_at(unix_seconds), DIGITS), width = DIGITS as usize)
}

/// Checks `code` against the steps around `unix_seconds` (±1 step for clock drift) and
/// returns the matching step. Callers store the step and refuse any step not after it, so a
/// code cannot be used twice.
pub fn verify(secret: &[u8], code: &str, unix_seconds: u64, last_used_step: Option<u64>) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_at(unix_seconds);
    [now.saturating_sub(1), now, now + 1].into_iter().filter(|s| last_used_step.is_none_or(|last| *s > last)).find(
        |s| {
            let expected = format!("{:0width$}", hotp(secret, *s, DIGITS), width = DIGITS as usize);
            crate::constant_time_eq(expected.as_bytes(), code.as_bytes())
        },
    )
}

/// A new random secret.
pub fn generate_secret() -> Zeroizing<Vec<u8>> {
    let mut s = Zeroizing::new(vec![0u8; SECRET_LEN]);
    crate::random_bytes(&mut s);
    s
}

/// Base32 (RFC 4648, no padding), as authenticator apps expect the secret.
pub fn secret_base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// The `otpauth://` URI an authenticator app imports (issuer and account percent-encoded).
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        secret_base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, secret "12345678901234567890").
    #[test]
    fn matches_the_rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, expected) in [
            (59u64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(secret, step_at(t), 8), expected, "T = {t}");
        }
    }

    /// RFC 4226 Appendix D: the first HOTP values of the same secret.
    #[test]
    fn matches_the_rfc_4226_vectors() {
        let secret = b"12345678901234567890";
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (counter, value) in expected.into_iter().enumerate() {
            assert_eq!(hotp(secret, counter as u64, 6), value);
        }
    }

    #[test]
    fn codes_are_accepted_once_and_only_near_their_time() {
        let secret = b"12345678901234567890";
        let t = 1_700_000_000;
        let code = code_at(secret, t);
        let step = verify(secret, &code, t + 20, None).expect("same or next step");
        assert_eq!(verify(secret, &code, t + 20, Some(step)), None, "a code is used once");
        assert_eq!(verify(secret, &code, t + 120, None), None, "too late");
        assert_eq!(verify(secret, "12345", t, None), None);
        assert_eq!(verify(secret, "abcdef", t, None), None);
    }

    #[test]
    fn the_uri_carries_the_base32_secret() {
        let uri = provisioning_uri(b"12345678901234567890", "青山县 政务", "admin");
        assert!(uri.starts_with("otpauth://totp/%E9%9D%92"), "{uri}");
        assert!(uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&"), "{uri}");
    }
}
