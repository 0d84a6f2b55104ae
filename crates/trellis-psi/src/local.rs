//! Both sides in one process: the drivers tests, the benchmark and a single-machine file
//! exchange use. Every message is encoded to bytes and decoded again on the way, as a real
//! transport would, and the bytes are counted per direction.
//!
//! The drivers call `phase` whenever the work switches phase, so a caller with a clock can add
//! up the time of each; this crate has none.

use rand_core::{CryptoRng, RngCore};

use crate::counts::{CountsReceiver, CountsSender, PairCount};
use crate::record::{RecordOverlap, RecordReceiver, RecordSender, WRAP_LEN};
use crate::wire::{Frame, Kind};
use crate::{Cache, Error};

/// A protocol phase, announced each time work of it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Hello and Setup.
    Handshake,
    /// The receiver blinds its keys (record) or sends its blinded populations (counts).
    Blind,
    /// The sender evaluates the receiver's elements.
    Evaluate,
    /// The receiver unblinds (record) or applies its keys to the sender's points (counts).
    Finalize,
    /// The sender publishes its entries and labels (record) or tags (counts).
    Publish,
    /// The receiver matches and decrypts (record) or counts (counts).
    Match,
    /// Finished.
    Done,
}

/// Bytes exchanged, as encoded frames (header and checksum included).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    pub to_sender: u64,
    pub to_receiver: u64,
    /// The part of `to_receiver` that exists only for labels: Labels frames and the wraps in
    /// Entries frames.
    pub label_bytes: u64,
    pub frames: u64,
    /// Elements the receiver sent blinded.
    pub blinded: u64,
}

impl Traffic {
    /// Sends a frame through bytes, counting it.
    fn carry(&mut self, frame: &Frame) -> Result<Frame, Error> {
        let bytes = frame.encode();
        match frame.kind {
            Kind::Hello => self.to_sender += bytes.len() as u64,
            Kind::Blinded => {
                self.to_sender += bytes.len() as u64;
                self.blinded += (frame.payload.len() / 32) as u64;
            }
            _ => self.to_receiver += bytes.len() as u64,
        }
        self.frames += 1;
        Frame::decode(&bytes)
    }
}

/// Runs record mode to the end. Chunks go one at a time through blind, evaluate and finalize
/// (then publish and match), so at most one chunk per stream is in flight; `phase` is called
/// each time the work switches phase.
pub fn record<R: RngCore + CryptoRng>(
    sender: &mut RecordSender,
    receiver: &mut RecordReceiver,
    rng: &mut R,
    phase: &mut dyn FnMut(Phase),
) -> Result<(Vec<RecordOverlap>, Cache, Traffic), Error> {
    let mut traffic = Traffic::default();
    phase(Phase::Handshake);
    let hello = traffic.carry(&receiver.hello())?;
    let setup = traffic.carry(&sender.setup(&hello, rng)?)?;
    receiver.accept_setup(&setup)?;
    for c in 0..receiver.blinded_chunks()? {
        phase(Phase::Blind);
        let blinded = traffic.carry(&receiver.blinded(c)?)?;
        phase(Phase::Evaluate);
        let evaluated = traffic.carry(&sender.evaluate(&blinded)?)?;
        phase(Phase::Finalize);
        receiver.accept(&evaluated)?;
    }
    let labels = sender.label_chunks()? > 0;
    for c in 0..sender.entry_chunks()? {
        phase(Phase::Publish);
        let f = traffic.carry(&sender.entries_chunk(c)?)?;
        if labels {
            traffic.label_bytes += (f.payload.len() / sender.entry_len()? * WRAP_LEN) as u64;
        }
        phase(Phase::Match);
        receiver.accept(&f)?;
    }
    for c in 0..sender.label_chunks()? {
        phase(Phase::Publish);
        let f = traffic.carry(&sender.labels_chunk(c)?)?;
        traffic.label_bytes += f.wire_len() as u64;
        phase(Phase::Match);
        receiver.accept(&f)?;
    }
    phase(Phase::Match);
    let (overlaps, cache) = receiver.finish()?;
    phase(Phase::Done);
    Ok((overlaps, cache, traffic))
}

/// Runs counts mode to the end, a chunk at a time as `record` does.
pub fn counts<R: RngCore + CryptoRng>(
    sender: &mut CountsSender,
    receiver: &mut CountsReceiver,
    rng: &mut R,
    phase: &mut dyn FnMut(Phase),
) -> Result<(Vec<PairCount>, Cache, Traffic), Error> {
    let mut traffic = Traffic::default();
    phase(Phase::Handshake);
    let hello = traffic.carry(&receiver.hello())?;
    let setup = traffic.carry(&sender.setup(&hello, rng)?)?;
    receiver.accept_setup(&setup)?;
    for (slot, _) in receiver.populations() {
        for c in 0..receiver.blinded_chunks(slot)? {
            phase(Phase::Blind);
            let blinded = traffic.carry(&receiver.blinded(slot, c)?)?;
            phase(Phase::Evaluate);
            sender.accept_blinded(&blinded)?;
        }
    }
    for (slot, _) in sender.populations() {
        for c in 0..sender.points_chunks(slot)? {
            phase(Phase::Publish);
            let points = traffic.carry(&sender.points_chunk(slot, c)?)?;
            phase(Phase::Finalize);
            receiver.accept(&points)?;
        }
    }
    for (theirs, _) in receiver.populations() {
        for (ours, _) in sender.populations() {
            for c in 0..sender.tags_chunks(theirs)? {
                phase(Phase::Publish);
                let tags = traffic.carry(&sender.tags_chunk(theirs, ours, c)?)?;
                phase(Phase::Match);
                receiver.accept(&tags)?;
            }
        }
    }
    phase(Phase::Match);
    let (counts, cache) = receiver.finish()?;
    phase(Phase::Done);
    Ok((counts, cache, traffic))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng as _;

    use super::*;
    use crate::counts::{CountsItem, CountsKey};
    use crate::keys::{Key, registrable_domain};
    use crate::record::SenderRecord;
    use crate::{Config, OprfKey};

    fn key(i: u16) -> Key {
        registrable_domain(&format!("company{i}.example")).unwrap()
    }

    /// Sender records as key numbers and a label.
    type Theirs = Vec<(Vec<u16>, Vec<u8>)>;

    /// Receiver records (each up to two keys) and sender records with labels, over a small
    /// universe so that they overlap.
    fn record_sets() -> impl Strategy<Value = (Vec<Vec<u16>>, Theirs)> {
        let keys = proptest::collection::vec(0u16..60, 0..=2);
        let label = proptest::collection::vec(any::<u8>(), 0..12);
        (
            proptest::collection::vec(keys.clone(), 0..25),
            proptest::collection::vec((keys, label), 0..25),
        )
    }

    /// The plain answer: for each receiver record, the labels of the sender records sharing a
    /// key with it.
    fn plain_records(
        ours: &[Vec<u16>],
        theirs: &[(Vec<u16>, Vec<u8>)],
    ) -> BTreeMap<usize, BTreeSet<Vec<u8>>> {
        let mut out = BTreeMap::new();
        for (r, keys) in ours.iter().enumerate() {
            for (k, label) in theirs {
                if keys.iter().any(|x| k.contains(x)) {
                    out.entry(r)
                        .or_insert_with(BTreeSet::new)
                        .insert(label.clone());
                }
            }
        }
        out
    }

    fn as_map(overlaps: &[RecordOverlap]) -> BTreeMap<usize, BTreeSet<Vec<u8>>> {
        overlaps
            .iter()
            .map(|o| (o.record, o.labels.iter().cloned().collect()))
            .collect()
    }

    struct RecordRun {
        overlaps: Vec<RecordOverlap>,
        sender_cache: Cache,
        receiver_cache: Cache,
        sender_computed: usize,
    }

    fn run_record(
        ours: &[Vec<u16>],
        theirs: &[(Vec<u16>, Vec<u8>)],
        chunk_size: usize,
        caches: Option<(&Cache, Cache)>,
        seed: u64,
    ) -> RecordRun {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let config = Config { chunk_size };
        let records = theirs
            .iter()
            .map(|(k, l)| SenderRecord {
                keys: k.iter().map(|&i| key(i)).collect(),
                label: l.clone(),
            })
            .collect();
        let (sender_cache, receiver_cache) =
            caches.map_or((None, None), |(s, r)| (Some(s), Some(r)));
        let mut sender = RecordSender::new(
            OprfKey::derive(&[1; 32], b"test").unwrap(),
            records,
            sender_cache,
            config,
        );
        let receiver_records = ours
            .iter()
            .map(|r| r.iter().map(|&i| key(i)).collect())
            .collect();
        let mut receiver = RecordReceiver::new(receiver_records, receiver_cache, config, &mut rng);
        let (overlaps, receiver_cache, _) =
            record(&mut sender, &mut receiver, &mut rng, &mut |_| {}).unwrap();
        RecordRun {
            overlaps,
            sender_cache: sender.updated_cache(),
            receiver_cache,
            sender_computed: sender.computed(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Record mode finds exactly the plain overlap, with exactly the overlapping sender
        /// records' labels, at any chunk size, and a refresh from the caches agrees.
        #[test]
        fn record_mode_equals_the_plain_intersection(
            (ours, theirs) in record_sets(), chunk_size in prop_oneof![Just(1usize), 2usize..8, Just(1000)],
        ) {
            // With labels on, every record's label shows when it matches, empty ones included.
            let labelled = theirs.iter().any(|(_, l)| !l.is_empty());
            let mut want = plain_records(&ours, &theirs);
            if !labelled {
                want.values_mut().for_each(BTreeSet::clear);
            }
            let cold = run_record(&ours, &theirs, chunk_size, None, 1);
            prop_assert_eq!(as_map(&cold.overlaps), want.clone());
            let warm = run_record(&ours, &theirs, chunk_size, Some((&cold.sender_cache, cold.receiver_cache)), 2);
            prop_assert_eq!(as_map(&warm.overlaps), want);
            prop_assert_eq!(warm.sender_computed, 0);
        }
    }

    /// Items as (key number, population mask) over a small universe and three populations.
    fn count_items() -> impl Strategy<Value = Vec<(u16, u64)>> {
        proptest::collection::vec(
            (0u16..50, prop_oneof![Just(1u64), Just(2), Just(5), Just(7)]),
            0..30,
        )
        .prop_map(|mut v| {
            // One item per key on a side, as the caller's dedup would leave it.
            v.sort_unstable_by_key(|x| x.0);
            v.dedup_by_key(|x| x.0);
            v
        })
    }

    fn plain_counts(ours: &[(u16, u64)], theirs: &[(u16, u64)]) -> BTreeMap<(u8, u8), u64> {
        let mut out = BTreeMap::new();
        for i in 0..3u8 {
            for j in 0..3u8 {
                let mine: BTreeSet<u16> = ours
                    .iter()
                    .filter(|x| x.1 >> i & 1 == 1)
                    .map(|x| x.0)
                    .collect();
                let other: BTreeSet<u16> = theirs
                    .iter()
                    .filter(|x| x.1 >> j & 1 == 1)
                    .map(|x| x.0)
                    .collect();
                if !mine.is_empty() && !other.is_empty() {
                    out.insert((i, j), mine.intersection(&other).count() as u64);
                }
            }
        }
        out
    }

    fn items(v: &[(u16, u64)]) -> Vec<CountsItem> {
        v.iter()
            .map(|&(k, populations)| CountsItem {
                key: key(k),
                populations,
            })
            .collect()
    }

    /// Counts per pair, both updated caches, and what the sender computed.
    type CountsRun = (BTreeMap<(u8, u8), u64>, Cache, Cache, (usize, usize));

    fn run_counts(
        ours: &[(u16, u64)],
        theirs: &[(u16, u64)],
        chunk_size: usize,
        caches: (Option<Cache>, Option<Cache>),
    ) -> CountsRun {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let config = Config { chunk_size };
        let (a, b) = (
            CountsKey::from_bytes([1; 32]),
            CountsKey::from_bytes([2; 32]),
        );
        let mut sender = CountsSender::new(&b, items(theirs), caches.0, config);
        let mut receiver = CountsReceiver::new(&a, items(ours), caches.1, config, &mut rng);
        let (counts, receiver_cache, _) =
            counts(&mut sender, &mut receiver, &mut rng, &mut |_| {}).unwrap();
        let got = counts
            .iter()
            .map(|c| ((c.receiver_population, c.sender_population), c.count))
            .collect();
        (
            got,
            sender.updated_cache(),
            receiver_cache,
            sender.computed(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        /// Counts mode gives the plain count of every population pair, at any chunk size, and a
        /// refresh from the caches agrees without computing anything.
        #[test]
        fn counts_mode_equals_the_plain_counts(
            (ours, theirs) in (count_items(), count_items()),
            chunk_size in prop_oneof![Just(1usize), 2usize..8, Just(1000)],
        ) {
            let want = plain_counts(&ours, &theirs);
            let (got, sender_cache, receiver_cache, _) = run_counts(&ours, &theirs, chunk_size, (None, None));
            prop_assert_eq!(&got, &want);
            let (again, _, _, computed) =
                run_counts(&ours, &theirs, chunk_size, (Some(sender_cache), Some(receiver_cache)));
            prop_assert_eq!(again, want);
            prop_assert_eq!(computed, (0, 0));
        }
    }

    /// A record-mode pair of sides over small fixed sets: receiver keys 0..10, sender 5..15
    /// with labels.
    fn record_sides(chunk_size: usize) -> (RecordSender, RecordReceiver, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let config = Config { chunk_size };
        let theirs = (5..15)
            .map(|i| SenderRecord {
                keys: vec![key(i)],
                label: vec![u8::try_from(i).unwrap(); 3],
            })
            .collect();
        let sender = RecordSender::new(OprfKey::random(&mut rng), theirs, None, config);
        let receiver = RecordReceiver::new(
            (0..10).map(|i| vec![key(i)]).collect(),
            None,
            config,
            &mut rng,
        );
        (sender, receiver, rng)
    }

    /// A transport that loses chunks, delivers some twice and resumes from `missing()` ends
    /// with the same result as a clean run.
    #[test]
    fn a_resumed_session_with_lost_and_repeated_chunks_gives_the_same_result() {
        let (mut sender, mut receiver, mut rng) = record_sides(3);
        let setup = sender.setup(&receiver.hello(), &mut rng).unwrap();
        receiver.accept_setup(&setup).unwrap();
        // First attempt: every other chunk is lost; the others arrive twice.
        for c in (0..receiver.blinded_chunks().unwrap()).step_by(2) {
            let e = sender.evaluate(&receiver.blinded(c).unwrap()).unwrap();
            receiver.accept(&e).unwrap();
            receiver.accept(&e).unwrap();
        }
        receiver.accept(&sender.entries_chunk(0).unwrap()).unwrap();
        assert!(matches!(receiver.finish(), Err(Error::Incomplete(_))));
        // Resume: ask for exactly what is missing.
        for (kind, c) in receiver.missing() {
            let frame = match kind {
                Kind::Evaluated => sender.evaluate(&receiver.blinded(c).unwrap()).unwrap(),
                Kind::Entries => sender.entries_chunk(c).unwrap(),
                Kind::Labels => sender.labels_chunk(c).unwrap(),
                other => unreachable!("record mode has no missing {other:?}"),
            };
            receiver.accept(&frame).unwrap();
        }
        assert!(receiver.missing().is_empty());
        let (overlaps, _) = receiver.finish().unwrap();
        let found: Vec<(usize, Vec<Vec<u8>>)> =
            overlaps.into_iter().map(|o| (o.record, o.labels)).collect();
        let want: Vec<(usize, Vec<Vec<u8>>)> = (5..10)
            .map(|i| (i, vec![vec![u8::try_from(i).unwrap(); 3]]))
            .collect();
        assert_eq!(found, want);
    }

    /// Without a cache, the receiver's Blinded chunks can go with its Hello (a one-way
    /// transport such as a file): they are the bytes it would send after Setup.
    #[test]
    fn blinded_chunks_before_setup_equal_those_after_it() {
        let (mut sender, mut receiver, mut rng) = record_sides(3);
        let early: Vec<Frame> = (0..receiver.blinded_chunks().unwrap())
            .map(|c| receiver.blinded(c).unwrap())
            .collect();
        assert_eq!(early.len(), 4);
        let setup = sender.setup(&receiver.hello(), &mut rng).unwrap();
        receiver.accept_setup(&setup).unwrap();
        let late: Vec<Frame> = (0..receiver.blinded_chunks().unwrap())
            .map(|c| receiver.blinded(c).unwrap())
            .collect();
        assert_eq!(early, late);
        let cached = RecordReceiver::new(
            vec![vec![key(1)]],
            Some(Cache::new([0; 16])),
            Config::default(),
            &mut rng,
        );
        assert!(matches!(cached.blinded(0), Err(Error::NotReady(_))));
    }

    /// Frames of another session, of the wrong kind, past the end, resized or with a point
    /// off the curve are refused with a named error, and leave the session usable.
    #[test]
    fn foreign_and_damaged_frames_are_refused() {
        let (mut sender, mut receiver, mut rng) = record_sides(4);
        let setup = sender.setup(&receiver.hello(), &mut rng).unwrap();
        receiver.accept_setup(&setup).unwrap();
        let blinded = receiver.blinded(0).unwrap();
        let mut other = blinded.clone();
        other.session[0] ^= 1;
        assert_eq!(sender.evaluate(&other), Err(Error::Session));
        assert_eq!(sender.evaluate(&setup), Err(Error::Unexpected(Kind::Setup)));
        let mut off_curve = blinded.clone();
        off_curve.payload[..32].copy_from_slice(&[0xff; 32]);
        assert_eq!(sender.evaluate(&off_curve), Err(Error::InvalidPoint));
        let e = sender.evaluate(&blinded).unwrap();
        let mut short = e.clone();
        short.payload.truncate(32);
        assert!(matches!(receiver.accept(&short), Err(Error::Malformed(_))));
        let mut beyond = e.clone();
        beyond.chunk = 99;
        assert!(matches!(
            receiver.accept(&beyond),
            Err(Error::ChunkOutOfRange { .. })
        ));
        assert!(matches!(
            sender.entries_chunk(99),
            Err(Error::ChunkOutOfRange { .. })
        ));
        receiver.accept(&e).unwrap();
        let mut bytes = e.encode();
        bytes[4] = 2;
        assert_eq!(
            Frame::decode(&bytes),
            Err(Error::Version { ours: 1, theirs: 2 })
        );
    }

    /// A receiver on another key-format version, or the other mode, is refused at Hello.
    #[test]
    fn mismatched_sessions_are_refused_at_the_handshake() {
        let (mut sender, receiver, mut rng) = record_sides(4);
        let mut hello = receiver.hello();
        hello.payload[1] = 2;
        assert_eq!(
            sender.setup(&hello, &mut rng),
            Err(Error::KeyFormat { ours: 1, theirs: 2 })
        );
        hello.payload[0] = 2;
        assert_eq!(sender.setup(&hello, &mut rng), Err(Error::Mode));
    }

    /// The receiver opens the labels of overlapping records only: without a shared key it
    /// finds nothing, though it holds every sealed label.
    #[test]
    fn labels_open_only_for_overlapping_keys() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let config = Config::default();
        let theirs = (0..20)
            .map(|i| SenderRecord {
                keys: vec![key(i)],
                label: b"secret".to_vec(),
            })
            .collect();
        let mut sender = RecordSender::new(OprfKey::random(&mut rng), theirs, None, config);
        let mut receiver = RecordReceiver::new(
            (100..140).map(|i| vec![key(i)]).collect(),
            None,
            config,
            &mut rng,
        );
        let (overlaps, _, traffic) =
            record(&mut sender, &mut receiver, &mut rng, &mut |_| {}).unwrap();
        assert!(overlaps.is_empty());
        assert!(traffic.label_bytes > 0);
    }

    /// Counts mode: tags wait for the whole receiver population, repeated chunks change
    /// nothing, and a population slot nobody announced is refused.
    #[test]
    fn counts_chunks_may_repeat_and_tags_wait_for_their_population() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let config = Config { chunk_size: 4 };
        let (a, b) = (CountsKey::random(&mut rng), CountsKey::random(&mut rng));
        let mut sender = CountsSender::new(
            &b,
            items(&(0..10).map(|k| (k, 1)).collect::<Vec<_>>()),
            None,
            config,
        );
        let mut receiver = CountsReceiver::new(
            &a,
            items(&(5..12).map(|k| (k, 3)).collect::<Vec<_>>()),
            None,
            config,
            &mut rng,
        );
        let setup = sender.setup(&receiver.hello(), &mut rng).unwrap();
        receiver.accept_setup(&setup).unwrap();
        let first = receiver.blinded(0, 0).unwrap();
        sender.accept_blinded(&first).unwrap();
        assert!(matches!(
            sender.tags_chunk(0, 0, 0),
            Err(Error::NotReady(_))
        ));
        assert_eq!(sender.missing(), vec![(0, 1), (1, 0), (1, 1)]);
        for (slot, c) in sender.missing() {
            let f = receiver.blinded(slot, c).unwrap();
            sender.accept_blinded(&f).unwrap();
            sender.accept_blinded(&f).unwrap();
        }
        sender.accept_blinded(&first).unwrap();
        assert!(sender.missing().is_empty());
        assert_eq!(sender.points_chunk(5, 0).unwrap_err(), Error::Population);
        for c in 0..sender.points_chunks(0).unwrap() {
            let f = sender.points_chunk(0, c).unwrap();
            receiver.accept(&f).unwrap();
            receiver.accept(&f).unwrap();
        }
        for (mine, _) in receiver.populations() {
            for c in 0..sender.tags_chunks(mine).unwrap() {
                let f = sender.tags_chunk(mine, 0, c).unwrap();
                receiver.accept(&f).unwrap();
                receiver.accept(&f).unwrap();
            }
        }
        let (counts, _) = receiver.finish().unwrap();
        let got: Vec<(u8, u8, u64)> = counts
            .iter()
            .map(|c| (c.receiver_population, c.sender_population, c.count))
            .collect();
        assert_eq!(got, vec![(0, 0, 5), (1, 0, 5)]);
    }
}
