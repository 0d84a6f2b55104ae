//! Chunking, per-chunk randomness and shuffles.
//!
//! Everything a side sends is a pure function of its session secret and the chunk index, so a
//! chunk can be computed on any thread, in any order, and computed again for a retry with the
//! same bytes: the session secret (drawn once from the injected RNG) seeds a ChaCha20 stream
//! per (purpose, chunk).

use std::ops::Range;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng as _};
use sha2::{Digest as _, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A side's secret for one session. Zeroised on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SessionSecret([u8; 32]);

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(..)")
    }
}

impl SessionSecret {
    pub(crate) fn random<R: RngCore>(rng: &mut R) -> Self {
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        Self(s)
    }

    /// The random stream for one purpose and index.
    pub(crate) fn rng(&self, purpose: &[u8], index: u64) -> ChaCha20Rng {
        let mut seed = [0u8; 32];
        seed.copy_from_slice(&self.derive(purpose, index)[..32]);
        let rng = ChaCha20Rng::from_seed(seed);
        seed.zeroize();
        rng
    }

    /// 64 pseudorandom bytes for one purpose and index.
    pub(crate) fn derive(&self, purpose: &[u8], index: u64) -> [u8; 64] {
        let mut h = Sha512::new();
        h.update(b"trellis-psi session v1");
        h.update(self.0);
        h.update([u8::try_from(purpose.len()).unwrap_or(u8::MAX)]);
        h.update(purpose);
        h.update(index.to_be_bytes());
        h.finalize().into()
    }
}

/// How many chunks of `size` hold `n` elements (at least one, so empty streams still say so).
pub(crate) fn count(n: usize, size: usize) -> u32 {
    u32::try_from(n.div_ceil(size.max(1)).max(1)).unwrap_or(u32::MAX)
}

/// The elements of chunk `c`.
pub(crate) fn range(c: u32, size: usize, n: usize) -> Range<usize> {
    let start = (c as usize).saturating_mul(size).min(n);
    start..start.saturating_add(size).min(n)
}

/// Whether chunk `frame.chunk` of a stream is new: `Ok(false)` for one already taken (a
/// retry, ignored), an error past the stream's end.
pub(crate) fn is_new(seen: &[bool], frame: &crate::wire::Frame) -> Result<bool, crate::Error> {
    match seen.get(frame.chunk as usize) {
        None => Err(crate::Error::ChunkOutOfRange {
            kind: frame.kind,
            chunk: frame.chunk,
        }),
        Some(&taken) => Ok(!taken),
    }
}

/// A uniformly random permutation of `0..n` (Fisher–Yates).
pub(crate) fn permutation<R: RngCore>(n: usize, rng: &mut R) -> Vec<u32> {
    let mut p: Vec<u32> = (0..u32::try_from(n).unwrap_or(u32::MAX)).collect();
    for i in (1..p.len()).rev() {
        let j = usize::try_from(rng.next_u64() % (i as u64 + 1)).unwrap_or(0);
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_every_element_once() {
        for (n, size) in [(0, 4), (1, 1), (10, 3), (10, 100), (9, 3)] {
            let chunks = count(n, size);
            let all: Vec<usize> = (0..chunks).flat_map(|c| range(c, size, n)).collect();
            assert_eq!(all, (0..n).collect::<Vec<_>>(), "n={n} size={size}");
        }
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let s = SessionSecret([5; 32]);
        assert_eq!(s.rng(b"a", 1).next_u64(), s.rng(b"a", 1).next_u64());
        assert_ne!(s.rng(b"a", 1).next_u64(), s.rng(b"a", 2).next_u64());
        assert_ne!(s.rng(b"a", 1).next_u64(), s.rng(b"b", 1).next_u64());
        let mut p = permutation(100, &mut s.rng(b"p", 0));
        p.sort_unstable();
        assert_eq!(p, (0..100).collect::<Vec<u32>>());
    }
}
