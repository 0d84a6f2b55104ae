//! Names of frames (which chunk of which stream), and batches of frames in one body.
//!
//! A batch is encoded frames one after another: each frame's header holds its payload length,
//! so a batch needs no framing of its own. A [`FrameRef`] names a frame a side still needs or
//! asks for; it travels as JSON.

use serde::{Deserialize, Serialize};
use trellis_psi::wire::{HEADER_LEN, MAX_PAYLOAD, TRAILER_LEN};
use trellis_psi::{Frame, Kind};

use crate::{Error, Result};

/// A frame's kind as JSON spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RefKind {
    Hello,
    Setup,
    Blinded,
    Evaluated,
    Entries,
    Labels,
    Points,
    Tags,
}

impl From<Kind> for RefKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Hello => RefKind::Hello,
            Kind::Setup => RefKind::Setup,
            Kind::Blinded => RefKind::Blinded,
            Kind::Evaluated => RefKind::Evaluated,
            Kind::Entries => RefKind::Entries,
            Kind::Labels => RefKind::Labels,
            Kind::Points => RefKind::Points,
            Kind::Tags => RefKind::Tags,
        }
    }
}

/// One frame of a run: its kind, the population slots it is about (counts mode: `slot` is the
/// Blinded or Points population, or for Tags the receiver's population with `other` the
/// sender's), and the chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct FrameRef {
    pub(crate) kind: RefKind,
    #[serde(default)]
    pub(crate) slot: u8,
    #[serde(default)]
    pub(crate) other: u8,
    #[serde(default)]
    pub(crate) chunk: u32,
}

impl FrameRef {
    pub(crate) fn new(kind: RefKind, slot: u8, other: u8, chunk: u32) -> Self {
        Self {
            kind,
            slot,
            other,
            chunk,
        }
    }

    pub(crate) fn of(kind: RefKind) -> Self {
        Self::new(kind, 0, 0, 0)
    }
}

/// Frames one after another.
pub(crate) fn encode(frames: &[Frame]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frames.iter().map(Frame::wire_len).sum());
    for f in frames {
        out.extend_from_slice(&f.encode());
    }
    out
}

/// The length of the frame at the start of `bytes`, from its header.
pub(crate) fn frame_len(header: &[u8]) -> Result<usize> {
    let n = header
        .get(28..32)
        .ok_or_else(|| Error::Malformed("a frame is cut short".to_owned()))?;
    let n = u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize;
    if n > MAX_PAYLOAD {
        return Err(Error::Malformed(
            "a frame is larger than allowed".to_owned(),
        ));
    }
    Ok(HEADER_LEN + n + TRAILER_LEN)
}

/// Splits a batch into frames, each checked by `Frame::decode`.
pub(crate) fn decode(mut bytes: &[u8]) -> Result<Vec<Frame>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let len = frame_len(bytes)?;
        let one = bytes
            .get(..len)
            .ok_or_else(|| Error::Malformed("a frame is cut short".to_owned()))?;
        out.push(Frame::decode(one)?);
        bytes = &bytes[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split_back_into_their_frames() {
        let f = |chunk, n| Frame {
            kind: Kind::Blinded,
            session: [7; 16],
            chunk,
            payload: vec![1; n],
        };
        let frames = vec![f(0, 3), f(1, 0), f(2, 64)];
        assert_eq!(decode(&encode(&frames)).unwrap(), frames);
        let bytes = encode(&frames);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
        let r = FrameRef::new(RefKind::Tags, 1, 2, 3);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"kind":"tags","slot":1,"other":2,"chunk":3}"#);
        assert_eq!(serde_json::from_str::<FrameRef>(&json).unwrap(), r);
    }
}
