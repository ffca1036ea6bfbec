//! Password policy and hashing (argon2id, OWASP parameters: 19 MiB, 2 passes, 1 lane).
//! Hashing takes tens of milliseconds of CPU, so it runs on the blocking pool, never on the
//! async executor — and at most one hash per core at a time, in reused memory (see
//! [`Hashing`]).

use argon2::{
    password_hash::{PasswordHash, PasswordVerifier},
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

const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN))
        .unwrap_or_else(|_| unreachable!("fixed valid parameters"));
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Too many passwords are being checked at once: the caller answers "busy, try again".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many sign-ins are being checked at once")]
pub struct Busy;

/// How long a sign-in waits for a free hashing slot before it is answered "busy".
pub const HASH_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Hashing is bounded: at most one hash per core runs at a time, each in a 19 MiB block of
/// memory taken from a pool and given back after, so memory for hashing never exceeds
/// cores × 19 MiB however many sign-ins arrive (a flood of them once grew the server to
/// 3.5 GB). The limit is the machine's, shared by everything in the process.
struct Hashing {
    slots: tokio::sync::Semaphore,
    blocks: std::sync::Mutex<Vec<Box<[argon2::Block]>>>,
}

fn hashing() -> &'static Hashing {
    static H: std::sync::OnceLock<Hashing> = std::sync::OnceLock::new();
    H.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 16);
        Hashing { slots: tokio::sync::Semaphore::new(cores), blocks: std::sync::Mutex::new(Vec::new()) }
    })
}

/// How many hashes may run at once (the number of cores).
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 16)
}

/// Runs `f` with one memory block, reusing the pool's (blocking; call inside a slot).
fn with_block<T>(f: impl FnOnce(&mut [argon2::Block]) -> T) -> T {
    let pool = &hashing().blocks;
    let mut block = pool
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .pop()
        .unwrap_or_else(|| vec![argon2::Block::default(); M_COST as usize].into_boxed_slice());
    let out = f(&mut block);
    let mut kept = pool.lock().unwrap_or_else(|p| p.into_inner());
    // Never more blocks kept than slots (direct blocking callers, such as the first dummy hash,
    // run outside the slots).
    if kept.len() < hashing_slots() {
        kept.push(block);
    }
    out
}

fn phc(salt: &[u8], hash: &[u8]) -> String {
    let b64 = |b: &[u8]| data_encoding::BASE64_NOPAD.encode(b);
    format!("$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${}", b64(salt), b64(hash))
}

/// The PHC string of `password` under a fresh salt (blocking; see [`hash_password`]).
pub fn hash_password_blocking(password: &str) -> String {
    let mut salt = [0u8; 16];
    zhengwu_crypto::random_bytes(&mut salt);
    let mut out = [0u8; OUTPUT_LEN];
    with_block(|block| argon2().hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, block))
        .unwrap_or_else(|_| unreachable!("argon2 with valid parameters does not fail"));
    phc(&salt, &out)
}

/// Whether `password` matches the PHC string; a malformed string matches nothing.
pub fn verify_password_blocking(password: &str, phc: &str) -> bool {
    let Ok(h) = PasswordHash::new(phc) else { return false };
    let ours = h.algorithm.as_str() == "argon2id"
        && h.version == Some(0x13)
        && Params::try_from(&h).is_ok_and(|p| p.m_cost() == M_COST && p.t_cost() == T_COST && p.p_cost() == P_COST);
    let (Some(salt), Some(expected)) = (h.salt, h.hash) else { return false };
    if !ours || expected.len() != OUTPUT_LEN {
        // Other parameters (none are written today): the library's own verification.
        return argon2().verify_password(password.as_bytes(), &h).is_ok();
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let mut out = [0u8; OUTPUT_LEN];
    let done = with_block(|block| argon2().hash_password_into_with_memory(password.as_bytes(), salt, &mut out, block));
    done.is_ok() && zhengwu_crypto::constant_time_eq(&out, expected.as_bytes())
}

async fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Busy> {
    let permit =
        tokio::time::timeout(HASH_WAIT, hashing().slots.acquire()).await.map_err(|_| Busy)?.map_err(|_| Busy)?;
    let out = tokio::task::spawn_blocking(f).await;
    drop(permit);
    out.map_err(|e| if e.is_panic() { std::panic::resume_unwind(e.into_panic()) } else { Busy })
}

/// Hashes on the blocking pool, within the hashing limit.
pub async fn hash_password(password: String) -> Result<String, Busy> {
    bounded(move || hash_password_blocking(&password)).await
}

/// Verifies on the blocking pool, within the hashing limit.
pub async fn verify_password(password: String, phc: String) -> Result<bool, Busy> {
    bounded(move || verify_password_blocking(&password, &phc)).await
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
        // The library's own hasher and ours agree, both ways.
        use argon2::password_hash::{PasswordHasher, SaltString};
        let theirs =
            argon2().hash_password(b"Qingshan-2026", &SaltString::encode_b64(&[9u8; 16]).unwrap()).unwrap().to_string();
        assert!(verify_password_blocking("Qingshan-2026", &theirs));
        assert!(argon2().verify_password(b"Qingshan-2026", &PasswordHash::new(&h1).unwrap()).is_ok());
        // Other parameters still verify through the library.
        let light = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(1024, 1, 1, None).unwrap())
            .hash_password(b"pw", &SaltString::encode_b64(&[1u8; 16]).unwrap())
            .unwrap()
            .to_string();
        assert!(verify_password_blocking("pw", &light));
        assert!(!verify_password_blocking("pw2", &light));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashing_is_bounded_and_memory_is_reused() {
        let n = 4 * hashing_slots();
        let tasks: Vec<_> =
            (0..n).map(|i| tokio::spawn(verify_password(format!("pw{i}"), dummy_hash().to_string()))).collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(false));
        }
        let pooled = hashing().blocks.lock().unwrap().len();
        assert!(pooled >= 1 && pooled <= hashing_slots(), "{pooled} blocks for {} slots", hashing_slots());
    }
}
