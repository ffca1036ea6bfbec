//! Sealing personal data and computing blind indexes.

use zeroize::Zeroizing;
use zhengwu_crypto::{
    hmac_sm3,
    keys::{MasterKey, Purpose},
    sm4gcm::{self, Sm4Key},
    to_hex, SM3_LEN,
};

/// Which personal field a value is: part of the associated data (with the row's id) and of the
/// index, so a value moved to another column or another row does not decrypt, and an index
/// computed for one field does not match another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Phone,
    RealName,
    IdNumber,
}

impl Field {
    pub(crate) fn label(self) -> &'static [u8] {
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

    fn bound(label: &[u8], row: i64) -> Vec<u8> {
        let mut a = label.to_vec();
        a.push(0);
        a.extend_from_slice(row.to_string().as_bytes());
        a
    }

    /// Seals a citizen's field; the associated data is the table, the column and the row.
    pub fn seal(&self, field: Field, row: i64, value: &str) -> Vec<u8> {
        sm4gcm::seal(&self.data, value.as_bytes(), &Self::bound(field.label(), row))
    }

    /// The clear value; `None` when it does not decrypt (wrong key, another row or column,
    /// or altered data).
    pub fn open(&self, field: Field, row: i64, sealed: &[u8]) -> Option<String> {
        let clear = sm4gcm::open(&self.data, sealed, &Self::bound(field.label(), row)).ok()?;
        String::from_utf8(clear.to_vec()).ok()
    }

    /// Values sealed before the row was part of the associated data (only for re-sealing them
    /// once, see [`crate::maintenance`]).
    pub(crate) fn open_legacy(&self, label: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        sm4gcm::open(&self.data, sealed, label).ok().map(|c| c.to_vec())
    }

    /// Seals a value of another table under the personal-data key, bound to `label` (table and
    /// column) and the row.
    pub(crate) fn seal_bound(&self, label: &[u8], row: i64, clear: &[u8]) -> Vec<u8> {
        sm4gcm::seal(&self.data, clear, &Self::bound(label, row))
    }

    pub(crate) fn open_bound(&self, label: &[u8], row: i64, sealed: &[u8]) -> Option<String> {
        let clear = sm4gcm::open(&self.data, sealed, &Self::bound(label, row)).ok()?;
        String::from_utf8(clear.to_vec()).ok()
    }

    /// The blind index of a normalised value: equal values give equal indexes, and without the
    /// key nobody can compute one (so a list of all ID numbers cannot be matched against it).
    pub fn index(&self, field: Field, normalised: &str) -> String {
        to_hex(&hmac_sm3(self.index.as_ref(), &[field.label(), b"\0", normalised.as_bytes()]))
    }

    /// A case's answers (JSON), sealed; the associated data binds them to the case's row.
    pub fn seal_answers(&self, case_id: i64, json: &str) -> Vec<u8> {
        sm4gcm::seal(&self.data, json.as_bytes(), &Self::bound(b"cases.data", case_id))
    }

    pub fn open_answers(&self, case_id: i64, sealed: &[u8]) -> Option<String> {
        let clear = sm4gcm::open(&self.data, sealed, &Self::bound(b"cases.data", case_id)).ok()?;
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
        let sealed = k.seal(Field::IdNumber, 7, "110101199003070011");
        assert_eq!(k.open(Field::IdNumber, 7, &sealed).as_deref(), Some("110101199003070011"));
        assert_eq!(k.open(Field::Phone, 7, &sealed), None);
        assert_eq!(k.open(Field::IdNumber, 8, &sealed), None, "moved to another citizen's row");
        let answers = k.seal_answers(3, "{}");
        assert_eq!(k.open_answers(3, &answers).as_deref(), Some("{}"));
        assert_eq!(k.open_answers(4, &answers), None, "swapped between cases");
        assert_ne!(k.index(Field::IdNumber, "13800000000"), k.index(Field::Phone, "13800000000"));
        assert_eq!(k.index(Field::Phone, "13800000000"), k.index(Field::Phone, "13800000000"));
        assert!(!String::from_utf8_lossy(&sealed).contains("110101"));
    }
}
