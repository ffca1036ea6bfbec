//! SM4-GCM (RFC 8998 §2.2): SM4 in Galois/Counter Mode with a 96-bit nonce and a 128-bit tag.
//!
//! Sealed values are self-describing: `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
//! The version byte lets a later key or algorithm change coexist with old rows. A fresh random
//! nonce per value: with 2^32 values under one key the collision chance stays below 2^-32.
//! The associated data binds a value to where it lives (e.g. `citizens.id_number`), so a
//! ciphertext copied into another column does not decrypt.

use aes_gcm::{
    aead::{consts::U12, Aead, KeyInit, Payload},
    AesGcm,
};
use sm4::Sm4;
use zeroize::Zeroizing;

type Sm4Gcm = AesGcm<Sm4, U12>;

pub const KEY_LEN: usize = 16;
pub const NONCE_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
const VERSION: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Too short, unknown version, or the tag does not verify (wrong key, wrong associated
    /// data, or altered bytes). Deliberately one answer: the caller cannot tell which.
    Invalid,
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the value does not decrypt under this key")
    }
}

impl std::error::Error for OpenError {}

/// An SM4 key, wiped from memory when dropped.
#[derive(Clone)]
pub struct Sm4Key(Zeroizing<[u8; KEY_LEN]>);

impl Sm4Key {
    pub fn new(bytes: [u8; KEY_LEN]) -> Self {
        Sm4Key(Zeroizing::new(bytes))
    }

    fn cipher(&self) -> Sm4Gcm {
        Sm4Gcm::new(self.0.as_ref().into())
    }
}

impl std::fmt::Debug for Sm4Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm4Key(…)")
    }
}

/// Encrypts with the given nonce. Only for tests against fixed vectors: reusing a nonce under
/// one key destroys GCM's security. Returns `ciphertext ‖ tag`.
pub fn encrypt_with_nonce(key: &Sm4Key, nonce: &[u8; NONCE_LEN], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    key.cipher()
        .encrypt(nonce.into(), Payload { msg: plaintext, aad })
        .unwrap_or_else(|_| unreachable!("GCM encryption fails only beyond 64 GiB"))
}

/// Encrypts `plaintext` under a fresh random nonce; the result carries version and nonce.
pub fn seal(key: &Sm4Key, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    crate::random_bytes(&mut nonce);
    let body = encrypt_with_nonce(key, &nonce, plaintext, aad);
    let mut out = Vec::with_capacity(1 + NONCE_LEN + body.len());
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out
}

/// Decrypts what [`seal`] produced, checking the tag and the associated data.
pub fn open(key: &Sm4Key, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
        return Err(OpenError::Invalid);
    }
    let nonce: &[u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN].try_into().map_err(|_| OpenError::Invalid)?;
    key.cipher()
        .decrypt(nonce.into(), Payload { msg: &sealed[1 + NONCE_LEN..], aad })
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// RFC 8998, Appendix A.1 (SM4-GCM test vector).
    #[test]
    fn matches_the_rfc_8998_vector() {
        let key = Sm4Key::new(hex("0123456789ABCDEFFEDCBA9876543210").try_into().unwrap());
        let nonce: [u8; 12] = hex("00001234567800000000ABCD").try_into().unwrap();
        let aad = hex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        let pt = hex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB CCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFF EEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
        let expected = hex("17F399F08C67D5EE19D0DC9969C4BB7D 5FD46FD3756489069157B282BB200735
             D82710CA5C22F0CCFA7CBF93D496AC15 A56834CBCF98C397B4024A2691233B8D
             83DE3541E4C2B58177E065A9BF7B62EC");
        assert_eq!(encrypt_with_nonce(&key, &nonce, &pt, &aad), expected);
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_place() {
        let key = Sm4Key::new([7; 16]);
        let sealed = seal(&key, "110101199003070016".as_bytes(), b"citizens.id_number");
        assert_eq!(&*open(&key, &sealed, b"citizens.id_number").unwrap(), b"110101199003070016");
        assert_eq!(open(&key, &sealed, b"citizens.phone"), Err(OpenError::Invalid));
        assert_eq!(open(&Sm4Key::new([8; 16]), &sealed, b"citizens.id_number"), Err(OpenError::Invalid));
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, &altered, b"citizens.id_number"), Err(OpenError::Invalid));
        assert_eq!(open(&key, &sealed[..20], b"citizens.id_number"), Err(OpenError::Invalid));
        // Two seals of the same value differ (fresh nonce), so equal plaintexts are not visible.
        assert_ne!(seal(&key, b"x", b"a"), seal(&key, b"x", b"a"));
    }
}
