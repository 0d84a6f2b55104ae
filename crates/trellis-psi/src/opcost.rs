//! The per-operation costs behind the protocol's speed bound.
//!
//! [`Workload`] runs `n` of one [`Op`] on prepared data; the caller (`trellis bench psi`)
//! times it, since this crate reads no clock. [`OpCounts`] says how many of each operation a
//! run needs, so that `Σ count × cost ÷ cores` is the time no implementation of this protocol
//! on this machine can beat, and a run's wall time divided by it says how much is overhead.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand_core::SeedableRng as _;

use crate::oprf::{Output, Suite, output_hash};
use crate::record::EntryKdf;

/// One operation the protocol performs per element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// RFC 9497 `HashToGroup` of a short key (expand_message_xmd + two Elligator maps).
    HashToGroup,
    /// Constant-time variable-base scalar multiplication.
    VarMul,
    /// Constant-time fixed-base scalar multiplication with a radix-16 table.
    FixedMul,
    /// One full point compression (an inverse square root).
    Compress,
    /// One point decompression and validation (an inverse square root).
    Decompress,
    /// One point of a 256-point `double_and_compress_batch` (shared inversion).
    BatchCompress,
    /// The RFC 9497 output hash (SHA-512 over key, element and "Finalize").
    OutputHash,
    /// Deriving a key's tag and label pad from its OPRF output (HKDF-Extract: HMAC-SHA512).
    TagKdf,
    /// Sealing one label padded to `LABEL_SIZE` bytes (SHA-512 for its key, ChaCha20-Poly1305).
    SealLabel,
}

impl Op {
    pub const ALL: [Op; 9] = [
        Op::HashToGroup,
        Op::VarMul,
        Op::FixedMul,
        Op::Compress,
        Op::Decompress,
        Op::BatchCompress,
        Op::OutputHash,
        Op::TagKdf,
        Op::SealLabel,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::HashToGroup => "hash_to_group",
            Op::VarMul => "var_mul",
            Op::FixedMul => "fixed_mul",
            Op::Compress => "compress",
            Op::Decompress => "decompress",
            Op::BatchCompress => "batch_compress",
            Op::OutputHash => "output_hash",
            Op::TagKdf => "tag_kdf",
            Op::SealLabel => "seal_label",
        }
    }
}

/// Prepared inputs for timing operations; cheap to share between threads.
pub struct Workload {
    suite: Suite,
    keys: Vec<Vec<u8>>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    encoded: Vec<CompressedRistretto>,
    outputs: Vec<Output>,
    table: RistrettoBasepointTable,
}

/// The padded label size the label operations are timed with.
pub const LABEL_SIZE: usize = 64;

impl std::fmt::Debug for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workload").finish_non_exhaustive()
    }
}

/// How many distinct inputs a workload cycles through.
const DISTINCT: usize = 256;

impl Workload {
    pub fn new(seed: u64) -> Self {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
        let suite = Suite::new();
        let keys: Vec<Vec<u8>> = (0..DISTINCT)
            .map(|i| format!("\x01dcompany{}.example", i * 7919).into_bytes())
            .collect();
        let scalars: Vec<Scalar> = (0..DISTINCT)
            .map(|_| crate::group::random_scalar(&mut rng))
            .collect();
        let points: Vec<RistrettoPoint> = keys.iter().map(|k| suite.hash_to_group(k)).collect();
        let encoded: Vec<CompressedRistretto> =
            points.iter().map(RistrettoPoint::compress).collect();
        let outputs = keys
            .iter()
            .zip(&encoded)
            .map(|(k, e)| output_hash(k, e.as_bytes()))
            .collect();
        let table = RistrettoBasepointTable::create(&(RISTRETTO_BASEPOINT_TABLE * &scalars[0]));
        Self {
            suite,
            keys,
            scalars,
            points,
            encoded,
            outputs,
            table,
        }
    }

    /// Runs `op` `n` times; returns a value derived from every result so none is optimised
    /// away.
    pub fn run(&self, op: Op, n: usize) -> u64 {
        let mut acc = 0u64;
        let mut fold = |b: &[u8]| acc = acc.wrapping_add(u64::from(b[0]) ^ u64::from(b[31]));
        match op {
            Op::HashToGroup => {
                // Summed, not compressed one by one: a compression costs as much as a third of
                // the hash and is not part of it.
                let mut sum = RistrettoPoint::default();
                for i in 0..n {
                    sum += self.suite.hash_to_group(&self.keys[i % DISTINCT]);
                }
                fold(sum.compress().as_bytes());
            }
            Op::VarMul => {
                let mut p = self.points[0];
                (0..n).for_each(|i| p = self.scalars[i % DISTINCT] * p);
                fold(p.compress().as_bytes());
            }
            Op::FixedMul => {
                let mut p = self.points[0];
                (0..n).for_each(|i| p += &self.table * &self.scalars[i % DISTINCT]);
                fold(p.compress().as_bytes());
            }
            Op::Compress => {
                (0..n).for_each(|i| fold(self.points[i % DISTINCT].compress().as_bytes()));
            }
            Op::Decompress => {
                let mut sum = RistrettoPoint::default();
                for i in 0..n {
                    sum += self.encoded[i % DISTINCT].decompress().unwrap_or_default();
                }
                fold(sum.compress().as_bytes());
            }
            Op::BatchCompress => {
                for _ in 0..n.div_ceil(DISTINCT) {
                    let out = RistrettoPoint::double_and_compress_batch(&self.points);
                    fold(out[0].as_bytes());
                }
            }
            Op::OutputHash => (0..n).for_each(|i| {
                fold(&output_hash(
                    &self.keys[i % DISTINCT],
                    self.encoded[i % DISTINCT].as_bytes(),
                ));
            }),
            Op::TagKdf => {
                let kdf = EntryKdf::new([7; 32]);
                (0..n).for_each(|i| fold(&kdf.okm(&self.outputs[i % DISTINCT], 0)[..32]));
            }
            Op::SealLabel => {
                let kdf = EntryKdf::new([7; 32]);
                (0..n).for_each(|i| {
                    fold(&kdf.seal(&[3; 16], &self.keys[i % DISTINCT], LABEL_SIZE)[..32]);
                });
            }
        }
        acc
    }
}
