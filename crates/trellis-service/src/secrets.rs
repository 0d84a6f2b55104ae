//! Random tokens, their stored hashes and password hashing.
//!
//! Session, API and action tokens carry 256 bits of randomness, so a fast hash (SHA-256) is
//! enough to store them; passwords are low-entropy and get argon2id.

use argon2::Argon2;
use argon2::password_hash::{self, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use rand::rngs::OsRng;
use sha2::{Digest as _, Sha256};

/// A new random token: `prefix` followed by 32 random bytes in base64url.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token: hex SHA-256.
pub fn hash_token(token: &str) -> String {
    use std::fmt::Write as _;
    Sha256::digest(token.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// An argon2id hash of a password that met the policy.
#[derive(Clone)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Hashes a validated password.
    pub fn of(password: &trellis_domain::Password) -> anyhow::Result<Self> {
        hash_password(password.expose()).map(Self)
    }

    /// The PHC string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// Verifies a password against a PHC hash; false on mismatch or an unreadable hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    password_hash::PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A fixed hash to verify against when the user does not exist, so that a login for an
/// unknown address takes as long as one with a wrong password.
pub fn dummy_password_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9Uj5OsmmIdWn9W8NoTNMXGdx6DAYJ5X2xgxKJmGaU2o"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", dummy_password_hash()));
    }

    #[test]
    fn tokens_are_random_and_hash_deterministically() {
        let (a, b) = (new_token("trl_"), new_token("trl_"));
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 43);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_eq!(hash_token(&a).len(), 64);
    }
}
