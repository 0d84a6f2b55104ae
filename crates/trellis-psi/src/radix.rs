//! A radix index over a sorted array of uniformly distributed keys (digests, PSI tags).
//!
//! The bucket of a key is its leading `bits` bits, with about one key per bucket, so finding a
//! key reads the bucket's bounds and then one or two entries: two memory reads where a binary
//! search over a million entries misses the cache a dozen times. Refreshes look up every key
//! they hold, so this is most of their time beside the protocol's own hashing.

use std::ops::Range;

/// Bucket bounds: `starts[b]..starts[b + 1]` are the positions of keys in bucket `b`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RadixIndex {
    starts: Vec<u32>,
    bits: u32,
}

impl RadixIndex {
    /// Indexes `len` sorted keys whose leading 32 bits `lead(i)` gives.
    pub(crate) fn new(len: usize, lead: impl Fn(usize) -> u32) -> Self {
        let bits = len.next_power_of_two().trailing_zeros().min(32);
        let mut starts = Vec::with_capacity((1 << bits) + 1);
        for i in 0..len {
            let b = bucket(lead(i), bits);
            while starts.len() <= b {
                starts.push(u32::try_from(i).unwrap_or(u32::MAX));
            }
        }
        starts.resize((1 << bits) + 1, u32::try_from(len).unwrap_or(u32::MAX));
        Self { starts, bits }
    }

    /// The positions whose keys share `lead`'s bucket: the only places a key with these
    /// leading bits can be.
    pub(crate) fn range(&self, lead: u32) -> Range<usize> {
        let b = bucket(lead, self.bits);
        self.starts[b] as usize..self.starts[b + 1] as usize
    }
}

fn bucket(lead: u32, bits: u32) -> usize {
    // Through u64 so that shifting by 32 (an index of at most one key) is defined.
    usize::try_from(u64::from(lead) >> (32 - bits)).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_in_its_range_and_ranges_partition_the_keys() {
        for len in [0u32, 1, 2, 3, 5, 8, 9, 100, 1024, 1025] {
            // Spread and clustered keys alike, sorted.
            let mut keys: Vec<u32> = (0..len)
                .map(|i| i.wrapping_mul(2_654_435_761) ^ (i % 3))
                .collect();
            keys.sort_unstable();
            let index = RadixIndex::new(keys.len(), |i| keys[i]);
            for (i, &k) in keys.iter().enumerate() {
                assert!(index.range(k).contains(&i), "len {len}, key {k}");
            }
            assert_eq!(index.range(0).start, 0);
            assert_eq!(index.range(u32::MAX).end, keys.len());
        }
    }
}
