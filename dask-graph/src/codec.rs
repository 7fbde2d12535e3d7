//! Codecs: how a [`Value`] crosses a process or machine boundary.
//!
//! A codec is registered at link time (a `linkme` distributed slice, so a re-executed
//! worker binary knows every codec without running any start-up code) under a stable
//! name. Encoding looks the codec up by the value's `TypeId`; decoding by the name that
//! travels with the bytes. A value whose type has no codec cannot be encoded, and the
//! error names the type. Any serde type gets a codec in one line with
//! [`register_serde_codec!`](crate::register_serde_codec) (postcard encoding); block
//! types with large buffers register hand-written codecs that write raw little-endian
//! data.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::OnceLock;

use linkme::distributed_slice;

use crate::error::{BoxError, Error};
use crate::registry::NameIndex;
use crate::value::Value;

/// A registered codec: a stable name and a pair of functions.
pub struct Codec {
    /// The stable name that travels with encoded bytes, e.g. `"i64"` or `"ndarray-f64"`.
    pub name: &'static str,
    /// The `TypeId` of the values this codec handles.
    pub type_id: fn() -> TypeId,
    /// The Rust type name, for messages.
    pub type_name: fn() -> &'static str,
    /// Appends the encoding of `value` (guaranteed to be of this codec's type) to `out`.
    pub encode: fn(value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError>,
    /// Decodes bytes produced by `encode`.
    pub decode: fn(bytes: &[u8]) -> Result<Value, BoxError>,
}

/// Every codec linked into the binary.
#[distributed_slice]
pub static CODECS: [Codec];

struct CodecIndex {
    names: NameIndex<Codec>,
    by_type: HashMap<TypeId, &'static Codec>,
    /// Types with two codecs (which one would encode is ambiguous).
    duplicate_types: Vec<TypeId>,
}

fn index() -> &'static CodecIndex {
    static INDEX: OnceLock<CodecIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut by_type = HashMap::new();
        let mut duplicate_types = Vec::new();
        for codec in CODECS.iter() {
            if by_type.insert((codec.type_id)(), codec).is_some() {
                duplicate_types.push((codec.type_id)());
            }
        }
        CodecIndex {
            names: NameIndex::new(&CODECS, |c| c.name),
            by_type,
            duplicate_types,
        }
    })
}

/// The codec registered under `name`.
pub fn codec_by_name(name: &str) -> Result<&'static Codec, Error> {
    index()
        .names
        .get(name, "codec", |name| Error::UnknownCodec { name })
}

/// The codec for values of the type inside `value`, if one is registered.
pub fn codec_for(value: &Value) -> Option<&'static Codec> {
    index().by_type.get(&value.type_id_of_inner()).copied()
}

/// Names of every registered codec, sorted.
pub fn codec_names() -> Vec<&'static str> {
    index().names.sorted_names()
}

/// A value encoded for transport: the codec name and the bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Encoded {
    /// Name of the codec that produced `bytes`.
    pub codec: String,
    /// The encoded value.
    pub bytes: Vec<u8>,
}

impl Value {
    /// Whether this value's type has a registered codec.
    pub fn has_codec(&self) -> bool {
        codec_for(self).is_some()
    }

    /// Encodes the value with its type's codec.
    ///
    /// ```
    /// use dask_graph::Value;
    /// let e = Value::new(41i64).encode().unwrap();
    /// assert_eq!(e.codec, "i64");
    /// let back = Value::decode(&e.codec, &e.bytes).unwrap();
    /// assert_eq!(back.downcast_ref::<i64>(), Some(&41));
    ///
    /// struct NoCodec;
    /// let err = Value::opaque(NoCodec).encode().unwrap_err();
    /// assert!(err.to_string().contains("NoCodec"));
    /// ```
    pub fn encode(&self) -> Result<Encoded, Error> {
        let mut bytes = Vec::new();
        let codec = self.encode_into(&mut bytes)?;
        Ok(Encoded {
            codec: codec.name.to_string(),
            bytes,
        })
    }

    /// Appends the encoding to `out` and returns the codec used.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<&'static Codec, Error> {
        let codec = codec_for(self).ok_or_else(|| Error::NoCodec {
            type_name: self.type_name().to_string(),
        })?;
        let idx = index();
        if idx.duplicate_types.contains(&self.type_id_of_inner()) {
            return Err(Error::DuplicateCodecType {
                type_name: self.type_name().to_string(),
            });
        }
        // A codec whose name is taken twice could not be decoded on the other side.
        if idx.names.is_duplicate(codec.name) {
            return Err(Error::DuplicateRegistration {
                kind: "codec",
                name: codec.name.to_string(),
            });
        }
        (codec.encode)(self, out).map_err(|source| Error::Codec {
            codec: codec.name,
            action: "encode",
            source,
        })?;
        Ok(codec)
    }

    /// Decodes bytes produced by the codec named `codec`.
    pub fn decode(codec: &str, bytes: &[u8]) -> Result<Value, Error> {
        let c = codec_by_name(codec)?;
        (c.decode)(bytes).map_err(|source| Error::Codec {
            codec: c.name,
            action: "decode",
            source,
        })
    }
}

/// Encodes a serde value with the project's standard serde format (postcard).
pub fn serde_encode<T: serde::Serialize + 'static>(
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), BoxError> {
    let v = value.get::<T>()?;
    let bytes = postcard::to_stdvec(v)?;
    out.extend_from_slice(&bytes);
    Ok(())
}

/// Decodes a serde value written by [`serde_encode`] and wraps it with [`Value::new`].
pub fn serde_decode<T: serde::de::DeserializeOwned + crate::Data>(
    bytes: &[u8],
) -> Result<Value, BoxError> {
    Ok(Value::new(postcard::from_bytes::<T>(bytes)?))
}

/// Registers a codec for a serde type that implements [`Data`](crate::Data), in one line.
///
/// ```
/// use dask_graph::{register_serde_codec, Data, Value};
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Point { x: f64, y: f64 }
/// impl Data for Point {}
/// register_serde_codec!(Point, "doc-example-point");
///
/// let e = Value::new(Point { x: 1.0, y: 2.0 }).encode().unwrap();
/// let back = Value::decode("doc-example-point", &e.bytes).unwrap();
/// assert_eq!(back.downcast_ref::<Point>(), Some(&Point { x: 1.0, y: 2.0 }));
/// ```
#[macro_export]
macro_rules! register_serde_codec {
    ($ty:ty, $name:expr) => {
        $crate::register_codec!(
            $ty,
            $name,
            $crate::codec::serde_encode::<$ty>,
            $crate::codec::serde_decode::<$ty>
        );
    };
}

/// Registers a hand-written codec for a type, in one line: the encoder appends bytes to
/// a `Vec<u8>` (the value is guaranteed to be of the type), the decoder makes a
/// [`Value`] from them. For large buffers (array blocks) write raw little-endian data
/// with a small header instead of going through serde.
///
/// ```
/// use dask_graph::{register_codec, Value, BoxError};
/// struct Celsius(f64);
/// impl dask_graph::Data for Celsius {}
/// fn enc(v: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
///     out.extend_from_slice(&v.get::<Celsius>()?.0.to_le_bytes());
///     Ok(())
/// }
/// fn dec(bytes: &[u8]) -> Result<Value, BoxError> {
///     let raw: [u8; 8] = bytes.try_into().map_err(|_| "expected 8 bytes")?;
///     Ok(Value::new(Celsius(f64::from_le_bytes(raw))))
/// }
/// register_codec!(Celsius, "doc-example-celsius", enc, dec);
///
/// let e = Value::new(Celsius(21.5)).encode().unwrap();
/// assert_eq!(e.bytes.len(), 8);
/// let back = Value::decode(&e.codec, &e.bytes).unwrap();
/// assert_eq!(back.downcast_ref::<Celsius>().map(|c| c.0), Some(21.5));
/// ```
#[macro_export]
macro_rules! register_codec {
    ($ty:ty, $name:expr, $encode:expr, $decode:expr) => {
        const _: () = {
            #[$crate::__linkme::distributed_slice($crate::CODECS)]
            #[linkme(crate = $crate::__linkme)]
            static CODEC: $crate::Codec = $crate::Codec {
                name: $name,
                type_id: ::std::any::TypeId::of::<$ty>,
                type_name: ::std::any::type_name::<$ty>,
                encode: $encode,
                decode: $decode,
            };
        };
    };
}

register_serde_codec!((), "unit");
register_serde_codec!(bool, "bool");
register_serde_codec!(u8, "u8");
register_serde_codec!(u16, "u16");
register_serde_codec!(u32, "u32");
register_serde_codec!(u64, "u64");
register_serde_codec!(usize, "usize");
register_serde_codec!(i8, "i8");
register_serde_codec!(i16, "i16");
register_serde_codec!(i32, "i32");
register_serde_codec!(i64, "i64");
register_serde_codec!(isize, "isize");
register_serde_codec!(f32, "f32");
register_serde_codec!(f64, "f64");
register_serde_codec!(String, "string");
register_serde_codec!(Vec<u8>, "vec-u8");

/// Vectors of fixed-size numbers are raw little-endian bytes (no header: the length
/// follows from the byte count), which encodes and decodes at memory speed.
macro_rules! le_vec_codec {
    ($ty:ty, $name:expr) => {
        register_codec!(
            Vec<$ty>,
            $name,
            |v: &Value, out: &mut Vec<u8>| {
                const N: usize = std::mem::size_of::<$ty>();
                let xs = v.get::<Vec<$ty>>()?;
                let start = out.len();
                out.resize(start + xs.len() * N, 0);
                // Fixed-size chunks: the compiler turns this into a plain copy.
                for (dst, x) in out[start..].chunks_exact_mut(N).zip(xs) {
                    dst.copy_from_slice(&x.to_le_bytes());
                }
                Ok(())
            },
            |bytes: &[u8]| {
                const N: usize = std::mem::size_of::<$ty>();
                if bytes.len() % N != 0 {
                    return Err(format!(
                        "{} bytes is not a whole number of {}-byte elements",
                        bytes.len(),
                        N
                    )
                    .into());
                }
                let mut xs: Vec<$ty> = vec![<$ty>::default(); bytes.len() / N];
                for (x, src) in xs.iter_mut().zip(bytes.chunks_exact(N)) {
                    let mut raw = [0u8; N];
                    raw.copy_from_slice(src);
                    *x = <$ty>::from_le_bytes(raw);
                }
                Ok(Value::new(xs))
            }
        );
    };
}
le_vec_codec!(i32, "vec-i32");
le_vec_codec!(i64, "vec-i64");
le_vec_codec!(u64, "vec-u64");
le_vec_codec!(f32, "vec-f32");
le_vec_codec!(f64, "vec-f64");
register_serde_codec!(Vec<String>, "vec-string");
register_serde_codec!((i64, i64), "tuple-i64-i64");
register_serde_codec!((i64, i64, i64), "tuple-i64-i64-i64");
register_serde_codec!((f64, f64), "tuple-f64-f64");
register_serde_codec!((u64, f64, f64), "tuple-u64-f64-f64");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_codecs_round_trip() {
        for v in [
            Value::new(7i64),
            Value::new(String::from("héllo")),
            Value::new(vec![1.5f64, -2.0]),
        ] {
            let e = v.encode().unwrap();
            let back = Value::decode(&e.codec, &e.bytes).unwrap();
            assert_eq!(back.type_name(), v.type_name());
            assert_eq!(back.encode().unwrap(), e);
        }
    }

    #[test]
    fn unknown_codec_is_named() {
        let err = Value::decode("no-such-codec", &[]).unwrap_err();
        assert!(err.to_string().contains("no-such-codec"), "{err}");
    }

    #[test]
    fn corrupt_bytes_are_an_error_not_a_panic() {
        let err = Value::decode("string", &[200, 1]).unwrap_err();
        assert!(err.to_string().contains("decode"), "{err}");
    }

    #[test]
    fn codec_names_are_unique() {
        let names = codec_names();
        let mut dedup = names.clone();
        dedup.dedup();
        assert_eq!(names, dedup);
    }
}
