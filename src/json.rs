//! Compact JSON straight from a `Serialize` value, byte for byte what `serde_json::to_string`
//! writes, faster on replies: a struct's field names (identifiers of our own response types) are
//! copied without an escaping pass, strings are scanned eight bytes at a time for the characters
//! that need escaping, and the buffer is sized by the caller. A page of 50 gateways is ~65 KB of
//! JSON, so this is most of what a list answer costs (docs/performance.md). Everything that is not
//! a struct field name goes through the same escaping rules as serde_json (`"`, `\`, and control
//! characters; `\u00XX` in lower-case hex); floats are written by serde_json itself.

use std::fmt::Display;

use serde::ser::{self, Serialize};

#[derive(Debug)]
pub struct Error(String);

impl Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// `value` as compact JSON, appended to `out`.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

/// `value` as compact JSON text.
pub fn to_string<T: Serialize + ?Sized>(value: &T, capacity: usize) -> Result<String, Error> {
    let mut out = Vec::with_capacity(capacity);
    write(&mut out, value)?;
    // Only UTF-8 is ever written: ASCII punctuation, escapes, and whole `str`s.
    String::from_utf8(out).map_err(|e| Error(e.to_string()))
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Whether any of the eight bytes is `"`, `\` or below 0x20 (SWAR: no byte-by-byte branch).
#[inline]
fn needs_escape8(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let below_0x20 = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
    (below_0x20 | has_zero(w ^ (ONES * b'"' as u64)) | has_zero(w ^ (ONES * b'\\' as u64))) != 0
}

#[inline]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if i + 8 <= bytes.len() {
            let mut chunk = [0u8; 8];
            chunk.copy_from_slice(&bytes[i..i + 8]);
            if !needs_escape8(u64::from_le_bytes(chunk)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        if needs_escape(b) {
            out.extend_from_slice(&bytes[start..i]);
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\x08' => out.extend_from_slice(b"\\b"),
                b'\x0c' => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]),
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Numbers as serde_json writes them (itoa and ryu, through serde_json itself): NaN and the
/// infinities are `null`.
fn write_number<N: Serialize>(out: &mut Vec<u8>, v: N) -> Result<(), Error> {
    serde_json::to_writer(out, &v).map_err(|e| Error(e.to_string()))
}

/// A sequence, map or struct being written: whether a comma is due.
pub struct Compound<'a, 'o> {
    w: &'a mut Writer<'o>,
    first: bool,
    /// Closing bytes (`]`, `}`, or `}}` for a variant).
    close: &'static [u8],
}

impl Compound<'_, '_> {
    #[inline]
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.w.out.push(b',');
        }
    }
}

macro_rules! numbers {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            write_number(self.out, v)
        }
    )*};
}

impl<'a, 'o> ser::Serializer for &'a mut Writer<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    numbers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128,
        serialize_f32: f32, serialize_f64: f64);

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        write_str(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'[');
        Ok(Compound { w: self, first: true, close: b"]" })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Compound { w: self, first: true, close: b"]}" })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        Ok(Compound { w: self, first: true, close: b"}" })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a, 'o>, Error> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a, 'o>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":{");
        Ok(Compound { w: self, first: true, close: b"}}" })
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        write_str(self.out, &value.to_string());
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(KeyWriter { out: self.w.out })?;
        self.w.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// A struct field: its name is one of our identifiers (checked in debug builds), copied as is.
fn field_name(out: &mut Vec<u8>, key: &'static str) {
    debug_assert!(!key.bytes().any(needs_escape), "a field name that needs escaping: {key:?}");
    out.reserve(key.len() + 3);
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.comma();
        field_name(self.w.out, key);
        value.serialize(&mut *self.w)
    }
    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

/// Map keys, as serde_json writes them: strings (escaped), and integers, chars and booleans quoted.
struct KeyWriter<'o> {
    out: &'o mut Vec<u8>,
}

/// As serde_json: a finite float key is written quoted; NaN and infinities are refused.
fn float_key<F: Serialize>(out: &mut Vec<u8>, finite: bool, v: &F) -> Result<(), Error> {
    if !finite {
        return Err(Error("float key must be finite (got NaN or +/-inf)".into()));
    }
    out.push(b'"');
    write_number(out, v)?;
    out.push(b'"');
    Ok(())
}

fn key_must_be_a_string() -> Error {
    Error("key must be a string".into())
}

macro_rules! quoted_int_key {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            self.out.push(b'"');
            write_number(self.out, v)?;
            self.out.push(b'"');
            Ok(())
        }
    )*};
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    quoted_int_key!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_i128: i128,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128);

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.extend_from_slice(if v { b"\"true\"" } else { b"\"false\"" });
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        float_key(self.out, v.is_finite(), &v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        float_key(self.out, v.is_finite(), &v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_str(self.out, v.encode_utf8(&mut [0u8; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        write_str(self.out, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        write_str(self.out, &value.to_string());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::Ipv4Addr;

    use serde::Serialize;
    use serde_json::json;

    use super::*;

    fn same<T: Serialize>(v: &T) {
        let ours = to_string(v, 0).expect("serializes");
        let theirs = serde_json::to_string(v).expect("serializes");
        assert_eq!(ours, theirs);
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Shape<'a> {
        name: &'a str,
        count: u64,
        delta: i32,
        ratio: f64,
        ok: bool,
        none: Option<u8>,
        some: Option<&'a str>,
        list: Vec<Inner>,
        map: BTreeMap<String, u16>,
        ip: Ipv4Addr,
        unit: (),
        kind: Kind,
        tuple: (u8, &'a str),
        nested: serde_json::Value,
    }

    #[derive(Serialize)]
    struct Inner {
        #[serde(rename = "X")]
        x: i64,
    }

    #[derive(Serialize)]
    enum Kind {
        Plain,
        #[allow(dead_code)]
        Wrapped(u8),
    }

    #[derive(Serialize)]
    enum Variants {
        New(u8),
        Tuple(u8, u8),
        Struct { a: u8 },
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let weird =
            "quote\" backslash\\ nl\n tab\t cr\r bs\u{8} ff\u{c} nul\u{0} esc\u{1b} del\u{7f} é 中文 emoji 🎉 end";
        same(&Shape {
            name: weird,
            count: u64::MAX,
            delta: i32::MIN,
            ratio: 0.1,
            ok: true,
            none: None,
            some: Some(""),
            list: vec![Inner { x: -5 }, Inner { x: 0 }],
            map: [("k\"1".to_owned(), 1), ("k2".to_owned(), 65535)].into_iter().collect(),
            ip: Ipv4Addr::new(10, 0, 0, 255),
            unit: (),
            kind: Kind::Plain,
            tuple: (7, "t"),
            nested: json!({"a": [1, 2.5, null, "x\ny"], "b": {}, "c": []}),
        });
        same(&vec![Variants::New(1), Variants::Tuple(1, 2), Variants::Struct { a: 3 }]);
        let ints: BTreeMap<u32, bool> = [(1, true), (20, false)].into_iter().collect();
        same(&ints);
        // Keys serde_json also accepts: finite floats (quoted) and `Some(key)`.
        same(&BTreeMap::from([(Some("k"), 1), (Some("j\n"), 2)]));
        struct FloatKeys;
        impl Serialize for FloatKeys {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map([(1.5f64, 1), (-0.25, 2)])
            }
        }
        same(&FloatKeys);
        struct F32Keys;
        impl Serialize for F32Keys {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map([(1.1f32, 1)])
            }
        }
        same(&F32Keys);
        struct NanKey;
        impl Serialize for NanKey {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map([(f64::NAN, 1)])
            }
        }
        assert!(to_string(&NanKey, 0).is_err() && serde_json::to_string(&NanKey).is_err());
        same(&[i8::MIN as i64, i64::MIN, 0, i64::MAX]);
        same(&[u128::MAX]);
        same(&[f64::NAN, f64::INFINITY, 1e300, -0.0]);
        same(&'"');
        same(&"");
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(s in "\\PC*|[\\x00-\\x7f]*") {
            same(&s);
        }
    }

    #[test]
    fn every_string_length_and_position_escapes_alike() {
        for len in 0..40 {
            for pos in 0..len {
                for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', ' ', '~', 'é'] {
                    let mut s: String = "a".repeat(len);
                    s.replace_range(pos..pos + 1, &special.to_string());
                    same(&s);
                }
            }
        }
    }
}
