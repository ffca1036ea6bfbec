//! Sealing personal data and computing blind indexes.

use zeroize::Zeroizing;
use zhengwu_crypto::{
    hmac_sm3,
    keys::{MasterKey, Purpose},
    sm4gcm::{self, Sm4Key},
    to_hex, SM3_LEN,
};

/// Which personal field a value is: part of the associated data and of the index, so a value
/// moved to another column neither decrypts nor matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Phone,
    RealName,
    IdNumber,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::Phone => b"citizens.phone",
            Field::RealName => b"citizens.real_name",
            Field::IdNumber => b"citizens.id_number",
        }
    }
}

/// The keys for personal data, derived from the master key.
#[derive(Clone)]
pub struct PersonalKeys {
    data: Sm4Key,
    index: Zeroizing<[u8; SM3_LEN]>,
}

impl std::fmt::Debug for PersonalKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalKeys(…)")
    }
}

impl PersonalKeys {
    pub fn from_master(master: &MasterKey) -> Self {
        PersonalKeys { data: master.sm4_key(Purpose::PersonalData), index: master.mac_key(Purpose::BlindIndex) }
    }

    pub fn seal(&self, field: Field, value: &str) -> Vec<u8> {
        sm4gcm::seal(&self.data, value.as_bytes(), field.label())
    }

    /// The clear value; `None` when it does not decrypt (wrong key or altered data).
    pub fn open(&self, field: Field, sealed: &[u8]) -> Option<String> {
        let clear = sm4gcm::open(&self.data, sealed, field.label()).ok()?;
        String::from_utf8(clear.to_vec()).ok()
    }

    /// The blind index of a normalised value: equal values give equal indexes, and without the
    /// key nobody can compute one (so a list of all ID numbers cannot be matched against it).
    pub fn index(&self, field: Field, normalised: &str) -> String {
        to_hex(&hmac_sm3(self.index.as_ref(), &[field.label(), b"\0", normalised.as_bytes()]))
    }

    /// A case's answers (JSON), sealed; the associated data binds them to the cases table.
    pub fn seal_answers(&self, json: &str) -> Vec<u8> {
        sm4gcm::seal(&self.data, json.as_bytes(), b"cases.data")
    }

    pub fn open_answers(&self, sealed: &[u8]) -> Option<String> {
        let clear = sm4gcm::open(&self.data, sealed, b"cases.data").ok()?;
        String::from_utf8(clear.to_vec()).ok()
    }

    /// What the public case look-up compares: a MAC of the tracking number with the last four
    /// characters of the applicant's ID number (`kind` "id") or phone ("phone").
    pub fn lookup_mac(&self, tracking_no: &str, kind: &str, last4: &str) -> String {
        to_hex(&hmac_sm3(
            self.index.as_ref(),
            &[b"case-lookup\0", tracking_no.as_bytes(), b"\0", kind.as_bytes(), b"\0", last4.as_bytes()],
        ))
    }

    /// A MAC for a one-time code bound to the phone it was sent to.
    pub fn code_mac(&self, phone_index: &str, code: &str) -> String {
        to_hex(&hmac_sm3(self.index.as_ref(), &[b"sms-code\0", phone_index.as_bytes(), b"\0", code.as_bytes()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_do_not_mix() {
        let k = PersonalKeys::from_master(&MasterKey::from_bytes([9; 32]));
        let sealed = k.seal(Field::IdNumber, "110101199003070011");
        assert_eq!(k.open(Field::IdNumber, &sealed).as_deref(), Some("110101199003070011"));
        assert_eq!(k.open(Field::Phone, &sealed), None);
        assert_ne!(k.index(Field::IdNumber, "13800000000"), k.index(Field::Phone, "13800000000"));
        assert_eq!(k.index(Field::Phone, "13800000000"), k.index(Field::Phone, "13800000000"));
        assert!(!String::from_utf8_lossy(&sealed).contains("110101"));
    }
}
