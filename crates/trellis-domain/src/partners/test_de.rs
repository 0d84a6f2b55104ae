//! A tiny self-describing value for deserialisation tests, so the domain crate checks that its
//! `try_from` validation runs on the wire without depending on a format crate.

use serde::de::value::{Error, MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

/// A JSON-like value.
#[derive(Clone, Debug)]
pub(crate) enum V {
    Null,
    U(u64),
    S(String),
    Seq(Vec<V>),
    Map(Vec<(String, V)>),
}

pub(crate) fn s(v: &str) -> V {
    V::S(v.to_owned())
}

pub(crate) fn map<const N: usize>(entries: [(&str, V); N]) -> V {
    V::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

pub(crate) fn seq<const N: usize>(items: [V; N]) -> V {
    V::Seq(items.into())
}

/// Deserialises `T` from `v`; the error is the message a client would see.
pub(crate) fn from_v<T: DeserializeOwned>(v: V) -> Result<T, String> {
    T::deserialize(v).map_err(|e| e.to_string())
}

impl<'de> de::Deserializer<'de> for V {
    type Error = Error;

    fn deserialize_any<W: Visitor<'de>>(self, w: W) -> Result<W::Value, Error> {
        match self {
            V::Null => w.visit_unit(),
            V::U(n) => w.visit_u64(n),
            V::S(s) => w.visit_string(s),
            V::Seq(items) => w.visit_seq(SeqDeserializer::new(items.into_iter())),
            V::Map(entries) => w.visit_map(MapDeserializer::new(entries.into_iter())),
        }
    }

    fn deserialize_option<W: Visitor<'de>>(self, w: W) -> Result<W::Value, Error> {
        match self {
            V::Null => w.visit_none(),
            other => w.visit_some(other),
        }
    }

    fn deserialize_enum<W: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        w: W,
    ) -> Result<W::Value, Error> {
        match self {
            V::S(s) => w.visit_enum(s.into_deserializer()),
            other => other.deserialize_any(w),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl IntoDeserializer<'_, Error> for V {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}
