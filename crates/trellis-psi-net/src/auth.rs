//! Signed requests and responses: each side proves, on every message, that it holds the
//! connection's secret. That is the mutual authentication on top of TLS (which authenticates
//! only the server, and only to a client that checks its certificate).
//!
//! ```text
//! request:  HMAC-SHA256(secret, "trellis-psi request v1" \n METHOD \n PATH?QUERY \n CONNECTION
//!                               \n TIMESTAMP_MS \n NONCE \n hex(SHA-256(body)))
//! response: HMAC-SHA256(secret, "trellis-psi response v1" \n REQUEST_NONCE \n STATUS
//!                               \n TIMESTAMP_MS \n hex(SHA-256(body)))
//! ```
//! Headers carry the connection id, timestamp, nonce and signature (base64url). The server
//! refuses a timestamp more than [`WINDOW_MS`] from its clock and a nonce it has seen within
//! the window; a response is bound to its request's nonce, so an old response cannot be
//! replayed either.

use std::collections::HashMap;

use hmac::{Hmac, Mac as _};
use sha2::{Digest as _, Sha256};

use crate::connections::Secret;
use crate::{Error, Result, b64, hex, unb64};

pub(crate) const CONNECTION: &str = "trellis-psi-connection";
pub(crate) const TIMESTAMP: &str = "trellis-psi-timestamp";
pub(crate) const NONCE: &str = "trellis-psi-nonce";
pub(crate) const SIGNATURE: &str = "trellis-psi-signature";

/// How far a signed timestamp may be from the verifier's clock, either way.
pub(crate) const WINDOW_MS: i64 = 5 * 60 * 1000;

/// Most nonces remembered per connection: past it the oldest are forgotten early, which only
/// narrows the window a replay could use.
const MAX_NONCES: usize = 100_000;

fn body_digest(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// What a request's signature covers.
pub(crate) fn request_input(
    method: &str,
    path_and_query: &str,
    connection: &str,
    timestamp_ms: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    format!(
        "trellis-psi request v1\n{method}\n{path_and_query}\n{connection}\n{timestamp_ms}\n{nonce}\n{}",
        body_digest(body)
    )
    .into_bytes()
}

/// What a response's signature covers.
pub(crate) fn response_input(
    request_nonce: &str,
    status: u16,
    timestamp_ms: i64,
    body: &[u8],
) -> Vec<u8> {
    format!(
        "trellis-psi response v1\n{request_nonce}\n{status}\n{timestamp_ms}\n{}",
        body_digest(body)
    )
    .into_bytes()
}

fn mac(secret: &Secret) -> Hmac<Sha256> {
    <Hmac<Sha256> as hmac::Mac>::new_from_slice(secret.expose()).unwrap_or_else(|_| {
        // HMAC takes keys of any length; this branch cannot be taken.
        unreachable!("HMAC accepts a 32-byte key")
    })
}

pub(crate) fn sign(secret: &Secret, input: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(input);
    b64(&m.finalize().into_bytes())
}

/// Checks a signature in constant time.
pub(crate) fn verify(secret: &Secret, input: &[u8], signature: &str) -> bool {
    let Some(sig) = unb64(signature) else {
        return false;
    };
    let mut m = mac(secret);
    m.update(input);
    m.verify_slice(&sig).is_ok()
}

/// Whether a timestamp is within the window of `now`.
pub(crate) fn fresh(timestamp_ms: i64, now_ms: i64) -> bool {
    (timestamp_ms - now_ms).abs() <= WINDOW_MS
}

/// The nonces seen within the window, per connection.
#[derive(Debug, Default)]
pub(crate) struct Replay {
    seen: HashMap<String, HashMap<String, i64>>,
}

impl Replay {
    /// Records a nonce of a verified request; refuses one already seen in the window.
    pub(crate) fn check(&mut self, connection: &str, nonce: &str, now_ms: i64) -> Result<()> {
        let seen = self.seen.entry(connection.to_owned()).or_default();
        if seen.len() >= MAX_NONCES / 2 {
            seen.retain(|_, t| *t > now_ms - 2 * WINDOW_MS);
        }
        if seen.len() >= MAX_NONCES
            && let Some(oldest) = seen.iter().min_by_key(|(_, t)| **t).map(|(n, _)| n.clone())
        {
            seen.remove(&oldest);
        }
        if seen.insert(nonce.to_owned(), now_ms).is_some() {
            return Err(Error::Unauthenticated(
                "the request was replayed (its nonce was already used)".to_owned(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_every_field() {
        let s = Secret::from_bytes([3; 32]);
        let input = request_input("POST", "/a?b", "c1", 10, "n", b"body");
        let sig = sign(&s, &input);
        assert!(verify(&s, &input, &sig));
        for other in [
            request_input("PUT", "/a?b", "c1", 10, "n", b"body"),
            request_input("POST", "/a", "c1", 10, "n", b"body"),
            request_input("POST", "/a?b", "c2", 10, "n", b"body"),
            request_input("POST", "/a?b", "c1", 11, "n", b"body"),
            request_input("POST", "/a?b", "c1", 10, "m", b"body"),
            request_input("POST", "/a?b", "c1", 10, "n", b"bodY"),
        ] {
            assert!(!verify(&s, &other, &sig));
        }
        assert!(!verify(&Secret::from_bytes([4; 32]), &input, &sig));
        assert!(!verify(&s, &input, "not base64!"));
    }

    #[test]
    fn a_nonce_is_taken_once() {
        let mut r = Replay::default();
        r.check("c", "n1", 0).unwrap();
        assert!(r.check("c", "n1", 5).is_err());
        r.check("d", "n1", 5).unwrap();
        assert!(fresh(WINDOW_MS, 0) && !fresh(WINDOW_MS + 1, 0));
    }
}
