//! Password policy and hashing (argon2id, OWASP parameters: 19 MiB, 2 passes, 1 lane).
//! Hashing takes tens of milliseconds of CPU, so it runs on the blocking pool, never on the
//! async executor.

use argon2::{
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};

/// What the policy requires of a new password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_length: usize,
    /// Of lower case, upper case, digits and other characters.
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: 8, min_classes: 3 }
    }
}

/// Why a new password is refused, in words for the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("密码至少 {0} 个字符")]
    TooShort(usize),
    #[error("密码须包含大写字母、小写字母、数字、其他符号中的至少 {0} 类")]
    TooFewClasses(usize),
    #[error("密码不能与用户名相同或包含用户名")]
    ContainsUsername,
    #[error("密码最长 128 个字符")]
    TooLong,
}

impl PasswordPolicy {
    pub fn check(&self, password: &str, username: &str) -> Result<(), PasswordProblem> {
        let len = password.chars().count();
        if len < self.min_length {
            return Err(PasswordProblem::TooShort(self.min_length));
        }
        if len > 128 {
            return Err(PasswordProblem::TooLong);
        }
        let classes = [
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            // Symbols and uncased scripts (Chinese characters) are "other".
            password.chars().any(|c| !c.is_ascii_alphanumeric() && !c.is_uppercase() && !c.is_lowercase()),
        ]
        .into_iter()
        .filter(|x| *x)
        .count();
        if classes < self.min_classes {
            return Err(PasswordProblem::TooFewClasses(self.min_classes));
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err(PasswordProblem::ContainsUsername);
        }
        Ok(())
    }
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_else(|_| unreachable!("fixed valid parameters"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` under a fresh salt (blocking; see [`hash_password`]).
pub fn hash_password_blocking(password: &str) -> String {
    let mut salt = [0u8; 16];
    zhengwu_crypto::random_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).unwrap_or_else(|_| unreachable!("16 bytes encode"));
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_else(|_| unreachable!("argon2 with valid parameters does not fail"))
}

/// Whether `password` matches the PHC string; a malformed string matches nothing.
pub fn verify_password_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => argon2().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

pub async fn hash_password(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
}

pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password_blocking(&password, &phc)).await.unwrap_or(false)
}

/// A hash of a password nobody knows, verified against when the account does not exist, so
/// unknown users take as long as wrong passwords.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 24];
        zhengwu_crypto::random_bytes(&mut random);
        hash_password_blocking(&zhengwu_crypto::to_hex(&random))
    })
}

/// A random initial password that satisfies the default policy (for new and reset accounts).
pub fn generate_initial_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut bytes = [0u8; 12];
    zhengwu_crypto::random_bytes(&mut bytes);
    let body: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    // Guarantee all four classes whatever the random part holds.
    format!("Zw{body}#7")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_wants_length_classes_and_no_username() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("Ab1!", "u"), Err(PasswordProblem::TooShort(8)));
        assert_eq!(p.check("abcdefgh1", "u"), Err(PasswordProblem::TooFewClasses(3)));
        assert_eq!(p.check("Zhangsan-2026", "zhangsan"), Err(PasswordProblem::ContainsUsername));
        assert_eq!(p.check("Qingshan-2026", "zhangsan"), Ok(()));
        assert_eq!(p.check("青山县政务2026a", "u"), Ok(()), "Chinese characters count as 'other'");
        for _ in 0..20 {
            assert_eq!(p.check(&generate_initial_password(), "admin"), Ok(()));
        }
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let h1 = hash_password_blocking("Qingshan-2026");
        let h2 = hash_password_blocking("Qingshan-2026");
        assert!(h1.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h1}");
        assert_ne!(h1, h2, "salted");
        assert!(verify_password_blocking("Qingshan-2026", &h1));
        assert!(!verify_password_blocking("qingshan-2026", &h1));
        assert!(!verify_password_blocking("x", "not a hash"));
    }
}
