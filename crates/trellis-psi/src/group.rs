//! Batch group operations of the protocol, built so that no element pays for a full point
//! compression.
//!
//! Compressing a ristretto255 point costs an inverse square root, about as much as hashing to
//! the group. `RistrettoPoint::double_and_compress_batch` encodes `2·P` for a whole batch with
//! one shared field inversion instead, so wherever we must send or hash `s·P` we compute
//! `(s/2)·P` and let the batch doubling supply the factor 2. The halved scalars are fixed per
//! key, so this costs nothing per element.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;

use crate::Error;
use crate::oprf::{Suite, decompress};

/// `s / 2^e` in the scalar field.
/// A uniformly random scalar: 64 random bytes reduced modulo ℓ, as curve25519-dalek's own
/// `Scalar::random` does (ours takes the `rand_core` traits the rest of the crate uses).
pub(crate) fn random_scalar<R: rand_core::RngCore + rand_core::CryptoRng>(rng: &mut R) -> Scalar {
    let mut wide = zeroize::Zeroizing::new([0u8; 64]);
    rng.fill_bytes(wide.as_mut());
    Scalar::from_bytes_mod_order_wide(&wide)
}

pub(crate) fn halve(s: &Scalar, e: u32) -> Scalar {
    let inv2 = Scalar::from(2u8).invert();
    (0..e).fold(*s, |acc, _| acc * inv2)
}

/// The encodings of `2·P` for each `P`.
pub(crate) fn encode_doubled(points: &[RistrettoPoint]) -> Vec<[u8; 32]> {
    RistrettoPoint::double_and_compress_batch(points)
        .into_iter()
        .map(|c| c.to_bytes())
        .collect()
}

/// The issued elements `enc(k·HashToGroup(x))` of RFC 9497 `Evaluate(k, x)` for a batch of
/// the server's own inputs, given `k/2`; `output_hash` turns one into the OPRF output.
pub(crate) fn evaluate_own<K: AsRef<[u8]>>(
    suite: &Suite,
    k_half: &Scalar,
    inputs: &[K],
) -> Vec<[u8; 32]> {
    let points: Vec<RistrettoPoint> = inputs
        .iter()
        .map(|x| k_half * suite.hash_to_group(x.as_ref()))
        .collect();
    encode_doubled(&points)
}

/// The client's additive blinding: `M = 2·(HashToGroup(y) + s·G)` for each input and its
/// blind `s`. `M` is uniform whatever `y` is, and needs only a fixed-base multiplication.
pub(crate) fn blind<K: AsRef<[u8]>>(
    suite: &Suite,
    inputs: &[K],
    blinds: &[Scalar],
) -> Vec<[u8; 32]> {
    let points: Vec<RistrettoPoint> = inputs
        .iter()
        .zip(blinds)
        .map(|(y, s)| suite.hash_to_group(y.as_ref()) + s * RISTRETTO_BASEPOINT_TABLE)
        .collect();
    encode_doubled(&points)
}

/// The server's evaluation of blinded elements, given `k/8`: it answers `(k/4)·M`, which is
/// `(k/2)·(HashToGroup(y) + s·G)`.
pub(crate) fn evaluate_blinded(
    k_eighth: &Scalar,
    blinded: &[[u8; 32]],
) -> Result<Vec<[u8; 32]>, Error> {
    let points = blinded
        .iter()
        .map(|b| decompress(b).map(|p| k_eighth * p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encode_doubled(&points))
}

/// The client's unblinding: from `Z = (k/2)·H(y) + s·P` with `P = (k/2)·G` (the server's
/// published point, as a table), `Z − s·P = (k/2)·H(y)`, whose doubled encoding is RFC 9497's
/// unblinded element; `output_hash` of it is `Finalize`.
pub(crate) fn unblind(
    table: &RistrettoBasepointTable,
    blinds: &[Scalar],
    evaluated: &[[u8; 32]],
) -> Result<Vec<[u8; 32]>, Error> {
    let points = evaluated
        .iter()
        .zip(blinds)
        .map(|(z, s)| decompress(z).map(|z| z - s * table))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encode_doubled(&points))
}

/// `enc(s·HashToGroup(x))` for each input, given `s/2` (counts mode's blinding, which
/// `counts::own_values` inlines to hash each item once).
#[cfg(test)]
pub(crate) fn hash_and_multiply<K: AsRef<[u8]>>(
    suite: &Suite,
    s_half: &Scalar,
    inputs: &[K],
) -> Vec<[u8; 32]> {
    let points: Vec<RistrettoPoint> = inputs
        .iter()
        .map(|x| s_half * suite.hash_to_group(x.as_ref()))
        .collect();
    encode_doubled(&points)
}

/// `enc(s·Q)` for each encoded point `Q`, given `s/2` (counts mode's second exponentiation).
pub(crate) fn multiply(s_half: &Scalar, points: &[[u8; 32]]) -> Result<Vec<[u8; 32]>, Error> {
    let points = points
        .iter()
        .map(|q| decompress(q).map(|q| s_half * q))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(encode_doubled(&points))
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::ristretto::RistrettoBasepointTable;
    use rand_core::SeedableRng as _;

    use super::*;
    use crate::oprf::{OprfKey, Output, evaluate, output_hash};

    #[test]
    fn the_batch_oprf_path_gives_the_rfc_outputs() {
        let suite = Suite::new();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let key = OprfKey::random(&mut rng);
        let inputs: Vec<Vec<u8>> = (0..9u8).map(|i| vec![i; usize::from(i)]).collect();
        let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
        let rfc: Vec<Output> = refs
            .iter()
            .map(|x| evaluate(&suite, &key, x).unwrap())
            .collect();

        let outputs = |encoded: Vec<[u8; 32]>| -> Vec<Output> {
            encoded
                .iter()
                .zip(&refs)
                .map(|(e, x)| output_hash(x, e))
                .collect()
        };
        assert_eq!(
            outputs(evaluate_own(&suite, &halve(key.scalar(), 1), &refs)),
            rfc
        );

        let blinds: Vec<Scalar> = refs
            .iter()
            .map(|_| crate::group::random_scalar(&mut rng))
            .collect();
        let blinded = blind(&suite, &refs, &blinds);
        let evaluated = evaluate_blinded(&halve(key.scalar(), 3), &blinded).unwrap();
        let p =
            RistrettoBasepointTable::create(&(&halve(key.scalar(), 1) * RISTRETTO_BASEPOINT_TABLE));
        assert_eq!(outputs(unblind(&p, &blinds, &evaluated).unwrap()), rfc);
    }

    #[test]
    fn diffie_hellman_commutes_through_the_halved_path() {
        let suite = Suite::new();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let (a, b) = (
            crate::group::random_scalar(&mut rng),
            crate::group::random_scalar(&mut rng),
        );
        let x: [&[u8]; 2] = [b"acme.com", b"globex.com"];
        let ab = multiply(&halve(&b, 1), &hash_and_multiply(&suite, &halve(&a, 1), &x)).unwrap();
        let ba = multiply(&halve(&a, 1), &hash_and_multiply(&suite, &halve(&b, 1), &x)).unwrap();
        assert_eq!(ab, ba);
        let direct = ((a * b) * suite.hash_to_group(x[0])).compress().to_bytes();
        assert_eq!(ab[0], direct);
        assert!(multiply(&a, &[[0xff; 32]]).is_err());
    }
}
