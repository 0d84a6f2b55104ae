//! The binary frame every protocol message travels in, and its checks.
//!
//! ```text
//! offset size field
//!      0    4 magic "TPSI"
//!      4    1 protocol version (PROTOCOL_VERSION)
//!      5    1 message type (Kind)
//!      6    2 reserved, zero
//!      8   16 session id (chosen by the receiver in Hello)
//!     24    4 chunk index within the message type's stream (big-endian)
//!     28    4 payload length in bytes (big-endian)
//!     32    n payload
//!   32+n    8 the first 8 bytes of SHA-256(header || payload)
//! ```
//!
//! The checksum catches a damaged file or a truncated upload before any point is parsed; it is
//! not authentication (the transport authenticates the peer).

use sha2::{Digest as _, Sha256};

use crate::Error;

/// The version of the messages and of the protocol they carry.
pub const PROTOCOL_VERSION: u8 = 1;
const MAGIC: &[u8; 4] = b"TPSI";
/// Header bytes before the payload.
pub const HEADER_LEN: usize = 32;
/// Checksum bytes after the payload.
pub const TRAILER_LEN: usize = 8;
/// The largest payload a frame may carry (a chunk of 1M points is 32 MiB).
pub const MAX_PAYLOAD: usize = 64 << 20;

/// What a frame carries; each kind is its own stream of chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// Receiver → sender: opens a session.
    Hello = 1,
    /// Sender → receiver: the session's public parameters.
    Setup = 2,
    /// Receiver → sender: blinded elements.
    Blinded = 3,
    /// Sender → receiver: evaluated elements, one chunk per `Blinded` chunk.
    Evaluated = 4,
    /// Sender → receiver (record mode): tags and wrapped label keys of the sender's keys.
    Entries = 5,
    /// Sender → receiver (record mode): sealed labels.
    Labels = 6,
    /// Sender → receiver (counts mode): the sender's blinded elements of one population.
    Points = 7,
    /// Sender → receiver (counts mode): sorted tags of one population pair.
    Tags = 8,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            1 => Kind::Hello,
            2 => Kind::Setup,
            3 => Kind::Blinded,
            4 => Kind::Evaluated,
            5 => Kind::Entries,
            6 => Kind::Labels,
            7 => Kind::Points,
            8 => Kind::Tags,
            _ => return None,
        })
    }
}

/// A session id: 16 random bytes.
pub type SessionId = [u8; 16];

/// One message: a typed, indexed chunk of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: Kind,
    pub session: SessionId,
    pub chunk: u32,
    pub payload: Vec<u8>,
}

impl Frame {
    /// Bytes on the wire for this frame.
    pub fn wire_len(&self) -> usize {
        HEADER_LEN + self.payload.len() + TRAILER_LEN
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.wire_len());
        out.extend_from_slice(MAGIC);
        out.push(PROTOCOL_VERSION);
        out.push(self.kind as u8);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.session);
        out.extend_from_slice(&self.chunk.to_be_bytes());
        let len = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.payload);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum[..TRAILER_LEN]);
        out
    }

    /// The payload, if the frame is of `kind`.
    pub(crate) fn expect(&self, kind: Kind) -> Result<&[u8], Error> {
        if self.kind == kind {
            Ok(&self.payload)
        } else {
            Err(Error::Unexpected(self.kind))
        }
    }

    /// Parses one frame that fills `bytes` exactly.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < HEADER_LEN + TRAILER_LEN || &bytes[..4] != MAGIC {
            return Err(Error::Malformed("not a Trellis PSI message"));
        }
        if bytes[4] != PROTOCOL_VERSION {
            return Err(Error::Version {
                ours: PROTOCOL_VERSION,
                theirs: bytes[4],
            });
        }
        let kind = Kind::from_u8(bytes[5]).ok_or(Error::Malformed("unknown message type"))?;
        if bytes[6..8] != [0, 0] {
            return Err(Error::Malformed("reserved header bytes are not zero"));
        }
        let len = usize::try_from(u32::from_be_bytes(be4(&bytes[28..32])))
            .map_err(|_| Error::Malformed("payload too long"))?;
        if len > MAX_PAYLOAD || bytes.len() != HEADER_LEN + len + TRAILER_LEN {
            return Err(Error::Malformed("the length does not match the message"));
        }
        let body = &bytes[..HEADER_LEN + len];
        if Sha256::digest(body)[..TRAILER_LEN] != bytes[HEADER_LEN + len..] {
            return Err(Error::Malformed(
                "checksum mismatch: the message is damaged",
            ));
        }
        let mut session = [0u8; 16];
        session.copy_from_slice(&bytes[8..24]);
        Ok(Frame {
            kind,
            session,
            chunk: u32::from_be_bytes(be4(&bytes[24..28])),
            payload: bytes[HEADER_LEN..HEADER_LEN + len].to_vec(),
        })
    }
}

fn be4(b: &[u8]) -> [u8; 4] {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    a
}

/// Writes payload fields in order.
#[derive(Debug, Default)]
pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub(crate) fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(v);
        self
    }
}

/// Reads payload fields in order; every read checks the length.
#[derive(Debug)]
pub(crate) struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Self(b)
    }
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if self.0.len() < n {
            return Err(Error::Malformed("the payload is shorter than its fields"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn u32(&mut self) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(be4(self.take(4)?)))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(a))
    }
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }
    pub(crate) fn end(&self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error::Malformed(
                "trailing bytes after the payload's fields",
            ))
        }
    }
}

/// Splits a payload of fixed-size records (points, tags).
pub(crate) fn records<const N: usize>(payload: &[u8]) -> Result<Vec<[u8; N]>, Error> {
    if !payload.len().is_multiple_of(N) {
        return Err(Error::Malformed(
            "the payload is not a whole number of elements",
        ));
    }
    Ok(payload
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            a
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn frame() -> Frame {
        Frame {
            kind: Kind::Blinded,
            session: [7; 16],
            chunk: 3,
            payload: vec![1; 64],
        }
    }

    #[test]
    fn a_frame_round_trips() {
        let f = frame();
        let bytes = f.encode();
        assert_eq!(bytes.len(), f.wire_len());
        assert_eq!(Frame::decode(&bytes).unwrap(), f);
    }

    #[test]
    fn a_foreign_version_is_named() {
        let mut bytes = frame().encode();
        bytes[4] = 9;
        assert_eq!(
            Frame::decode(&bytes),
            Err(Error::Version { ours: 1, theirs: 9 })
        );
        assert!(
            Frame::decode(&bytes)
                .unwrap_err()
                .to_string()
                .contains("version 9")
        );
    }

    #[test]
    fn truncated_or_foreign_bytes_are_refused() {
        let bytes = frame().encode();
        assert!(Frame::decode(&bytes[..bytes.len() - 1]).is_err());
        assert!(Frame::decode(b"GET / HTTP/1.1\r\n\r\n....................").is_err());
        let mut odd = bytes.clone();
        odd[5] = 99;
        assert_eq!(
            Frame::decode(&odd),
            Err(Error::Malformed("unknown message type"))
        );
        assert!(records::<32>(&[0; 33]).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any single flipped bit is caught.
        #[test]
        fn any_flipped_bit_is_refused(bit in 0usize..(32 + 64 + 8) * 8) {
            let mut bytes = frame().encode();
            bytes[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(Frame::decode(&bytes).is_err());
        }

        #[test]
        fn random_frames_round_trip(
            kind in 1u8..=8, session in any::<[u8; 16]>(), chunk in any::<u32>(),
            payload in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let f = Frame { kind: Kind::from_u8(kind).unwrap(), session, chunk, payload };
            prop_assert_eq!(Frame::decode(&f.encode()).unwrap(), f);
        }
    }
}
