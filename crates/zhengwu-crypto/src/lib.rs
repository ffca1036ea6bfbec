//! Chinese commercial cryptography used across Zhengwu (密评, GB/T 39786-2021):
//! SM3 hashing (GB/T 32905-2016), HMAC-SM3 (HMAC of RFC 2104 / GB/T 15852.2 over SM3),
//! SM4-GCM authenticated encryption (GB/T 32907-2016 in GCM, RFC 8998) in [`sm4gcm`],
//! key derivation in [`keys`], and TOTP second factors (RFC 6238) in [`totp`].
//!
//! Who uses it: the audit trail's hash chain (each record's MAC covers its content and the
//! previous MAC), blind indexes for encrypted personal data, and signed requests from
//! department systems. Pure functions, no I/O; the implementations are RustCrypto's `sm3` and
//! `hmac`, checked here against the standard's vectors and, independently, against OpenSSL.

pub mod keys;
pub mod sm4gcm;
pub mod totp;

use hmac::{Hmac, KeyInit, Mac};
use sm3::{Digest, Sm3};

/// Length of an SM3 digest and of an HMAC-SM3 tag, in bytes.
pub const SM3_LEN: usize = 32;

/// SM3 digest of `data`.
pub fn sm3(data: &[u8]) -> [u8; SM3_LEN] {
    Sm3::digest(data).into()
}

/// SM3 over data that arrives in pieces (an upload streamed to disk).
#[derive(Clone, Default)]
pub struct Sm3Hasher(Sm3);

impl Sm3Hasher {
    pub fn new() -> Self {
        Sm3Hasher(Sm3::new())
    }

    pub fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }

    pub fn finish(self) -> [u8; SM3_LEN] {
        self.0.finalize().into()
    }
}

/// HMAC-SM3 of `parts` concatenated, under `key` (any length; keys longer than the 64-byte
/// block are hashed first, as HMAC specifies). Taking parts avoids building one buffer when a
/// MAC covers several fields, e.g. a record and the previous record's MAC.
pub fn hmac_sm3(key: &[u8], parts: &[&[u8]]) -> [u8; SM3_LEN] {
    let mut mac = new_mac(key);
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// Checks an HMAC-SM3 tag in constant time. A tag of the wrong length is simply wrong.
pub fn verify_hmac_sm3(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    let mut mac = new_mac(key);
    for p in parts {
        mac.update(p);
    }
    mac.verify_slice(tag).is_ok()
}

fn new_mac(key: &[u8]) -> Hmac<Sm3> {
    // HMAC accepts keys of every length, so this cannot fail.
    <Hmac<Sm3> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) {
    // The OS source fails only on a broken system; continuing with predictable bytes would be worse.
    getrandom::fill(buf).expect("the operating system's random number generator is unavailable");
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lower-case hexadecimal, as digests are usually written.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

/// Bytes from lower- or upper-case hexadecimal; `None` when malformed.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GB/T 32905-2016, Appendix A, examples 1 and 2.
    #[test]
    fn sm3_matches_the_standard_examples() {
        assert_eq!(to_hex(&sm3(b"abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        assert_eq!(
            to_hex(&sm3(&b"abcd".repeat(16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn sm3_in_pieces_equals_sm3_at_once() {
        let data = b"abcd".repeat(16);
        let mut h = Sm3Hasher::new();
        for piece in data.chunks(7) {
            h.update(piece);
        }
        assert_eq!(to_hex(&h.finish()), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
    }

    #[test]
    fn parts_mac_the_same_as_their_concatenation() {
        let key = b"audit-chain-key";
        assert_eq!(hmac_sm3(key, &[b"record", b"|", b"prev"]), hmac_sm3(key, &[b"record|prev"]));
        assert_ne!(hmac_sm3(key, &[b"record"]), hmac_sm3(b"other key", &[b"record"]));
    }

    #[test]
    fn verification_refuses_any_other_tag() {
        let key = b"k";
        let tag = hmac_sm3(key, &[b"message"]);
        assert!(verify_hmac_sm3(key, &[b"message"], &tag));
        let mut flipped = tag;
        flipped[31] ^= 1;
        assert!(!verify_hmac_sm3(key, &[b"message"], &flipped));
        assert!(!verify_hmac_sm3(key, &[b"message"], &tag[..31]));
        assert!(!verify_hmac_sm3(key, &[b"messagE"], &tag));
        assert!(!verify_hmac_sm3(key, &[b"message"], &[]));
    }
}
