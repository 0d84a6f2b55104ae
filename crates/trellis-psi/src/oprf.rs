//! The OPRF of RFC 9497, ciphersuite ristretto255-SHA512, OPRF mode (mode 0): the server
//! holds a key `k`, the client learns `Hash(x, k·HashToGroup(x))` for its inputs `x` without
//! the server seeing them.
//!
//! This module is the RFC, step by step, and is what the RFC's test vectors check. The
//! protocol's batch paths (`group`) compute the same outputs with fewer group operations per
//! element; their tests compare them with [`evaluate`] here.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity as _;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest as _, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::Error;
use crate::xmd::Xmd;

/// `contextString` = "OPRFV1-" || I2OSP(mode = 0, 1) || "-" || identifier.
pub const CONTEXT: &[u8] = b"OPRFV1-\x00-ristretto255-SHA512";

/// An OPRF output: 64 bytes (`Nh` of SHA-512).
pub type Output = [u8; 64];

/// A server's OPRF key. Long-lived per partner connection; the caller stores it with
/// [`OprfKey::to_bytes`] and must keep it as secret as a password hash key. Zeroised on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct OprfKey(Scalar);

impl std::fmt::Debug for OprfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OprfKey(..)")
    }
}

impl OprfKey {
    /// A fresh random key.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        loop {
            let k = crate::group::random_scalar(rng);
            if k != Scalar::ZERO {
                return Self(k);
            }
        }
    }

    /// `DeriveKeyPair(seed, info)` of RFC 9497 §3.2.1.
    pub fn derive(seed: &[u8; 32], info: &[u8]) -> Result<Self, Error> {
        let info_len = u16::try_from(info.len()).map_err(|_| Error::InvalidInput)?;
        let mut dst = b"DeriveKeyPair".to_vec();
        dst.extend_from_slice(CONTEXT);
        let xmd = Xmd::new(&dst);
        for counter in 0..=255u8 {
            let wide = xmd.expand64(&[seed, &info_len.to_be_bytes(), info, &[counter]]);
            let k = Scalar::from_bytes_mod_order_wide(&wide);
            if k != Scalar::ZERO {
                return Ok(Self(k));
            }
        }
        Err(Error::InvalidInput)
    }

    /// The 32-byte little-endian scalar (`SerializeScalar`).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, Error> {
        let k = Option::<Scalar>::from(Scalar::from_canonical_bytes(*bytes))
            .filter(|k| *k != Scalar::ZERO)
            .ok_or(Error::InvalidKey)?;
        Ok(Self(k))
    }

    /// `pkS = k·G`, serialised.
    pub fn public_key(&self) -> [u8; 32] {
        (&self.0 * RISTRETTO_BASEPOINT_TABLE).compress().to_bytes()
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.0
    }
}

/// The hash-to-group and output hash of the ciphersuite, set up once.
#[derive(Debug, Clone)]
pub struct Suite {
    to_group: Xmd,
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

impl Suite {
    pub fn new() -> Self {
        let mut dst = b"HashToGroup-".to_vec();
        dst.extend_from_slice(CONTEXT);
        Self {
            to_group: Xmd::new(&dst),
        }
    }

    /// `HashToGroup(input)`: `hash_to_ristretto255` with `expand_message_xmd` (RFC 9380).
    pub fn hash_to_group(&self, input: &[u8]) -> RistrettoPoint {
        RistrettoPoint::from_uniform_bytes(&self.to_group.expand64(&[input]))
    }
}

/// `Blind(input, blind)` with the blind given (the RFC's deterministic form, for its test
/// vectors); the client's random form is [`blind`].
pub fn blind_with(suite: &Suite, input: &[u8], blind: &Scalar) -> Result<[u8; 32], Error> {
    let element = suite.hash_to_group(input);
    if element == RistrettoPoint::identity() {
        return Err(Error::InvalidInput);
    }
    Ok((blind * element).compress().to_bytes())
}

/// `Blind(input)`: a random non-zero blind and the blinded element.
pub fn blind<R: RngCore + CryptoRng>(
    suite: &Suite,
    input: &[u8],
    rng: &mut R,
) -> Result<(Scalar, [u8; 32]), Error> {
    let blind = OprfKey::random(rng).0;
    Ok((blind, blind_with(suite, input, &blind)?))
}

/// `BlindEvaluate(skS, blindedElement)`.
pub fn blind_evaluate(key: &OprfKey, blinded: &[u8; 32]) -> Result<[u8; 32], Error> {
    let element = decompress(blinded)?;
    Ok((key.scalar() * element).compress().to_bytes())
}

/// `Finalize(input, blind, evaluatedElement)`.
pub fn finalize(input: &[u8], blind: &Scalar, evaluated: &[u8; 32]) -> Result<Output, Error> {
    let element = decompress(evaluated)?;
    let unblinded = (blind.invert() * element).compress().to_bytes();
    Ok(output_hash(input, &unblinded))
}

/// `Evaluate(skS, input)`: the server's own evaluation, with no blinding.
pub fn evaluate(suite: &Suite, key: &OprfKey, input: &[u8]) -> Result<Output, Error> {
    let element = suite.hash_to_group(input);
    if element == RistrettoPoint::identity() {
        return Err(Error::InvalidInput);
    }
    let issued = (key.scalar() * element).compress().to_bytes();
    Ok(output_hash(input, &issued))
}

/// `Hash(I2OSP(len(input), 2) || input || I2OSP(32, 2) || element || "Finalize")`.
/// Inputs longer than 65,535 bytes have no RFC encoding; keys are far shorter (`keys`).
pub(crate) fn output_hash(input: &[u8], element: &[u8; 32]) -> Output {
    let len = u16::try_from(input.len()).unwrap_or(u16::MAX);
    let mut h = Sha512::new();
    h.update(len.to_be_bytes());
    h.update(input);
    h.update([0, 32]);
    h.update(element);
    h.update(b"Finalize");
    h.finalize().into()
}

/// `DeserializeElement`: a canonical encoding of a point other than the identity.
pub(crate) fn decompress(bytes: &[u8; 32]) -> Result<RistrettoPoint, Error> {
    CompressedRistretto(*bytes)
        .decompress()
        .filter(|p| *p != RistrettoPoint::identity())
        .ok_or(Error::InvalidPoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{hex, unhex};

    const SEED: [u8; 32] = [0xa3; 32];
    const KEY_INFO: &str = "74657374206b6579";
    const SK: &str = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e";
    const BLIND: &str = "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706";

    /// RFC 9497 Appendix A.1.1, ristretto255-SHA512, OPRF mode: (input, blinded element,
    /// evaluation element, output).
    const VECTORS: [(&str, &str, &str, &str); 2] = [
        (
            "00",
            "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
            "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
            "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3\
             ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
        ),
        (
            "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
            "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
            "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
            "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4\
             f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
        ),
    ];

    fn arr32(s: &str) -> [u8; 32] {
        unhex(s).try_into().unwrap()
    }

    #[test]
    fn rfc_9497_derive_key_pair() {
        let key = OprfKey::derive(&SEED, &unhex(KEY_INFO)).unwrap();
        assert_eq!(hex(&key.to_bytes()), SK);
    }

    #[test]
    fn rfc_9497_vectors_blind_evaluate_finalize() {
        let suite = Suite::new();
        let key = OprfKey::from_bytes(&arr32(SK)).unwrap();
        let blind = Scalar::from_canonical_bytes(arr32(BLIND)).unwrap();
        for (input, blinded, evaluated, output) in VECTORS {
            let input = unhex(input);
            let b = blind_with(&suite, &input, &blind).unwrap();
            assert_eq!(hex(&b), blinded);
            let e = blind_evaluate(&key, &b).unwrap();
            assert_eq!(hex(&e), evaluated);
            assert_eq!(hex(&finalize(&input, &blind, &e).unwrap()), output);
            assert_eq!(hex(&evaluate(&suite, &key, &input).unwrap()), output);
        }
    }

    #[test]
    fn keys_round_trip_and_reject_zero_or_non_canonical() {
        let key = OprfKey::derive(&SEED, b"x").unwrap();
        let back = OprfKey::from_bytes(&key.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        assert!(matches!(
            OprfKey::from_bytes(&[0; 32]),
            Err(Error::InvalidKey)
        ));
        assert!(matches!(
            OprfKey::from_bytes(&[0xff; 32]),
            Err(Error::InvalidKey)
        ));
        assert_eq!(format!("{key:?}"), "OprfKey(..)");
    }

    #[test]
    fn the_random_blind_round_trip_equals_direct_evaluation() {
        let suite = Suite::new();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let key = OprfKey::random(&mut rng);
        let (b, blinded) = blind(&suite, b"acme.com", &mut rng).unwrap();
        let out = finalize(b"acme.com", &b, &blind_evaluate(&key, &blinded).unwrap()).unwrap();
        assert_eq!(out, evaluate(&suite, &key, b"acme.com").unwrap());
        assert!(matches!(decompress(&[0; 32]), Err(Error::InvalidPoint)));
        assert!(matches!(decompress(&[0xff; 32]), Err(Error::InvalidPoint)));
    }

    /// The `voprf` crate (the RFC's reference Rust implementation) agrees on random inputs.
    #[test]
    fn agrees_with_the_voprf_crate() {
        use voprf::{OprfClient, OprfServer, Ristretto255};
        let suite = Suite::new();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for i in 0..8u8 {
            let seed = [i; 32];
            let server = OprfServer::<Ristretto255>::new_from_seed(&seed, b"info").unwrap();
            let key = OprfKey::derive(&seed, b"info").unwrap();
            let input = vec![i; usize::from(i) * 7];
            let client = OprfClient::<Ristretto255>::blind(&input, &mut rng).unwrap();
            let response = server.blind_evaluate(&client.message);
            let theirs = client.state.finalize(&input, &response).unwrap();
            assert_eq!(theirs.as_slice(), evaluate(&suite, &key, &input).unwrap());
        }
    }

    use rand_core::SeedableRng as _;
}
