//! The master key and the keys derived from it.
//!
//! One secret (32 random bytes, from configuration or a key file — never the database) yields
//! one key per purpose by HMAC-SM3 with a fixed label, so a key leaked from one use (say, the
//! blind index) tells nothing about another (the audit chain). Changing a label changes every
//! derived key: labels are part of the storage format.

use zeroize::Zeroizing;

use crate::{hmac_sm3, sm4gcm::Sm4Key, SM3_LEN};

pub const MASTER_KEY_LEN: usize = 32;

/// What a derived key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// SM4-GCM encryption of personal data at rest.
    PersonalData,
    /// HMAC-SM3 blind indexes for exact look-up of encrypted values.
    BlindIndex,
    /// HMAC-SM3 chaining of audit records.
    AuditChain,
    /// HMAC-SM3 of anti-forgery (CSRF) tokens.
    Csrf,
    /// SM4-GCM encryption of TOTP secrets.
    Totp,
    /// SM4-GCM encryption of uploaded files (attachments) at rest.
    Blobs,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::PersonalData => b"zhengwu/v1/personal-data",
            Purpose::BlindIndex => b"zhengwu/v1/blind-index",
            Purpose::AuditChain => b"zhengwu/v1/audit-chain",
            Purpose::Csrf => b"zhengwu/v1/csrf",
            Purpose::Totp => b"zhengwu/v1/totp",
            Purpose::Blobs => b"zhengwu/v1/blobs",
        }
    }
}

/// The installation's master secret, wiped from memory when dropped.
#[derive(Clone)]
pub struct MasterKey(Zeroizing<[u8; MASTER_KEY_LEN]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        MasterKey(Zeroizing::new(bytes))
    }

    /// A new random key.
    pub fn generate() -> Self {
        let mut k = [0u8; MASTER_KEY_LEN];
        crate::random_bytes(&mut k);
        Self::from_bytes(k)
    }

    /// Parses 64 hexadecimal digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = crate::from_hex(text.trim())?;
        Some(Self::from_bytes(bytes.try_into().ok()?))
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(crate::to_hex(self.0.as_ref()))
    }

    /// A 32-byte key for an HMAC purpose.
    pub fn mac_key(&self, purpose: Purpose) -> Zeroizing<[u8; SM3_LEN]> {
        Zeroizing::new(hmac_sm3(self.0.as_ref(), &[purpose.label()]))
    }

    /// A 16-byte SM4 key for an encryption purpose.
    pub fn sm4_key(&self, purpose: Purpose) -> Sm4Key {
        let full = self.mac_key(purpose);
        let mut k = [0u8; 16];
        k.copy_from_slice(&full[..16]);
        Sm4Key::new(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_get_different_keys_and_the_same_master_the_same_ones() {
        let m = MasterKey::from_bytes([1; 32]);
        assert_ne!(*m.mac_key(Purpose::AuditChain), *m.mac_key(Purpose::BlindIndex));
        assert_eq!(*m.mac_key(Purpose::AuditChain), *MasterKey::from_bytes([1; 32]).mac_key(Purpose::AuditChain));
        assert_ne!(*m.mac_key(Purpose::AuditChain), *MasterKey::from_bytes([2; 32]).mac_key(Purpose::AuditChain));
    }

    #[test]
    fn hex_round_trips_and_bad_text_is_refused() {
        let m = MasterKey::generate();
        let again = MasterKey::from_hex(&format!(" {}\n", m.to_hex().as_str())).unwrap();
        assert_eq!(*again.mac_key(Purpose::Csrf), *m.mac_key(Purpose::Csrf));
        assert!(MasterKey::from_hex("abcd").is_none());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_none());
    }
}
