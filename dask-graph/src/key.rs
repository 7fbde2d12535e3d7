//! Task keys and stable tokens.
//!
//! A [`Key`] is a name plus an optional block index, e.g. `('sum-3f2a', 0, 4)`. It is two
//! words: a pointer and the hash computed once at construction, so cloning bumps a
//! reference count, hashing reads no memory behind the pointer, and equality compares
//! pointers before contents (resolving a million keys is a million hash-table probes,
//! not two million cache misses). The name is an `Arc<str>` so every block of a layer
//! shares one allocation.
//!
//! [`tokenize`] derives names from content with a fixed, portable hash (XXH3-128 over a
//! little-endian encoding defined here, not `std::hash`, whose output may change between
//! Rust releases and platforms), so the same expression gets the same keys in every run and
//! on every machine, and identical sub-expressions merge.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use xxhash_rust::xxh3::Xxh3;

/// A task's name: a string plus an optional block index.
///
/// Keys are totally ordered (by name, then index) so that ties are broken the same way
/// in every run.
///
/// ```
/// use dask_graph::Key;
/// let k = Key::with_index("sum-3f2a", [0, 4]);
/// assert_eq!(k.to_string(), "('sum-3f2a', 0, 4)");
/// assert_eq!(Key::new("total").to_string(), "total");
/// assert_eq!(k.index(), Some(&[0u32, 4][..]));
/// ```
#[derive(Clone)]
pub struct Key {
    inner: Arc<KeyInner>,
    hash: u64,
}

struct KeyInner {
    name: Arc<str>,
    index: BlockIndex,
}

/// A block index stored inline up to three dimensions (no allocation), on the heap
/// beyond.
#[derive(Clone)]
enum BlockIndex {
    None,
    Inline { len: u8, idx: [u32; 3] },
    Heap(Box<[u32]>),
}

impl BlockIndex {
    fn new(index: Option<&[u32]>) -> BlockIndex {
        match index {
            None => BlockIndex::None,
            Some(i) if i.len() <= 3 => {
                let mut idx = [0u32; 3];
                idx[..i.len()].copy_from_slice(i);
                BlockIndex::Inline {
                    len: i.len() as u8,
                    idx,
                }
            }
            Some(i) => BlockIndex::Heap(i.into()),
        }
    }

    fn get(&self) -> Option<&[u32]> {
        match self {
            BlockIndex::None => None,
            BlockIndex::Inline { len, idx } => Some(&idx[..*len as usize]),
            BlockIndex::Heap(b) => Some(b),
        }
    }
}

impl Key {
    /// A key without a block index.
    pub fn new(name: impl Into<Arc<str>>) -> Key {
        Key::from_parts(name.into(), None)
    }

    /// A key with a block index, e.g. `Key::with_index("x-1a2b", [0, 3])`.
    pub fn with_index(name: impl Into<Arc<str>>, index: impl AsRef<[u32]>) -> Key {
        Key::from_parts(name.into(), Some(index.as_ref()))
    }

    /// A block key sharing an existing name allocation (the fast path used when a layer
    /// creates thousands of keys with the same name).
    pub fn block(name: &Arc<str>, index: &[u32]) -> Key {
        Key::from_parts(Arc::clone(name), Some(index))
    }

    fn from_parts(name: Arc<str>, index: Option<&[u32]>) -> Key {
        let mut h = rustc_hash::FxHasher::default();
        name.hash(&mut h);
        index.hash(&mut h);
        Key {
            hash: mix(h.finish()),
            inner: Arc::new(KeyInner {
                name,
                index: BlockIndex::new(index),
            }),
        }
    }

    /// The name part.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The shared name allocation (to build sibling keys cheaply).
    pub fn name_arc(&self) -> &Arc<str> {
        &self.inner.name
    }

    /// The block index, if this is a block key.
    pub fn index(&self) -> Option<&[u32]> {
        self.inner.index.get()
    }
}

/// The splitmix64 finaliser: spreads entropy into every bit, so hash tables can use the
/// stored hash as is (see [`KeyHasher`]).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A hasher for maps keyed by [`Key`]: keys carry a well-mixed hash, so this passes it
/// through instead of hashing it again.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only reached for non-`Key` use; fold the bytes in.
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 ^= x;
    }
}

/// A `HashMap` keyed by [`Key`] that reuses each key's stored hash.
pub type KeyMap<V> = std::collections::HashMap<Key, V, std::hash::BuildHasherDefault<KeyHasher>>;

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
            || (self.hash == other.hash
                && self.inner.name == other.inner.name
                && self.inner.index.get() == other.inner.index.get())
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        if Arc::ptr_eq(&self.inner, &other.inner) {
            return Ordering::Equal;
        }
        self.inner
            .name
            .cmp(&other.inner.name)
            .then_with(|| self.inner.index.get().cmp(&other.inner.index.get()))
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.index.get() {
            None => f.write_str(&self.inner.name),
            Some(index) => {
                write!(f, "('{}'", self.inner.name)?;
                for i in index.iter() {
                    write!(f, ", {i}")?;
                }
                f.write_str(")")
            }
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key({self})")
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key::new(s)
    }
}

impl From<String> for Key {
    fn from(s: String) -> Key {
        Key::new(s)
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (&*self.inner.name, self.inner.index.get()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        let (name, index): (String, Option<Vec<u32>>) = Deserialize::deserialize(d)?;
        Ok(Key::from_parts(name.into(), index.as_deref()))
    }
}

/// A stable, portable hasher for [`tokenize`].
///
/// Everything is fed as little-endian bytes with explicit lengths, so the token of a
/// value does not depend on the platform, the Rust version or the run.
pub struct Tokenizer(Xxh3);

impl Tokenizer {
    /// A fresh tokenizer.
    pub fn new() -> Tokenizer {
        Tokenizer(Xxh3::new())
    }

    /// Feeds raw bytes (prefixed by their length, so `("ab", "c")` and `("a", "bc")` differ).
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Feeds anything [`Tokenize`].
    pub fn feed<T: Tokenize + ?Sized>(&mut self, value: &T) -> &mut Self {
        value.tokenize(self);
        self
    }

    fn tag(&mut self, tag: u8) {
        self.0.update(&[tag]);
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The 128-bit token as 32 lowercase hex digits.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.0.digest128())
    }
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new()
    }
}

/// Values that contribute to a stable token. Implemented for primitives, strings, keys,
/// options, slices, vectors and tuples; implement it for your own parameter types by
/// feeding their fields.
pub trait Tokenize {
    /// Feeds `self` into `t`.
    fn tokenize(&self, t: &mut Tokenizer);
}

macro_rules! tokenize_num {
    ($($ty:ty => $tag:expr),* $(,)?) => {$(
        impl Tokenize for $ty {
            fn tokenize(&self, t: &mut Tokenizer) {
                t.tag($tag);
                t.raw(&self.to_le_bytes());
            }
        }
    )*};
}

tokenize_num!(u8 => 1, u16 => 2, u32 => 3, u64 => 4, i8 => 5, i16 => 6, i32 => 7, i64 => 8,
    f32 => 9, f64 => 10, u128 => 11, i128 => 12);

impl Tokenize for usize {
    fn tokenize(&self, t: &mut Tokenizer) {
        (*self as u64).tokenize(t)
    }
}

impl Tokenize for isize {
    fn tokenize(&self, t: &mut Tokenizer) {
        (*self as i64).tokenize(t)
    }
}

impl Tokenize for bool {
    fn tokenize(&self, t: &mut Tokenizer) {
        t.tag(13);
        t.raw(&[u8::from(*self)]);
    }
}

impl Tokenize for char {
    fn tokenize(&self, t: &mut Tokenizer) {
        t.tag(14);
        t.raw(&u32::from(*self).to_le_bytes());
    }
}

impl Tokenize for str {
    fn tokenize(&self, t: &mut Tokenizer) {
        t.tag(15);
        t.bytes(self.as_bytes());
    }
}

impl Tokenize for String {
    fn tokenize(&self, t: &mut Tokenizer) {
        self.as_str().tokenize(t)
    }
}

impl Tokenize for Key {
    fn tokenize(&self, t: &mut Tokenizer) {
        t.tag(16);
        self.name().tokenize(t);
        self.index().tokenize(t);
    }
}

impl<T: Tokenize> Tokenize for [T] {
    fn tokenize(&self, t: &mut Tokenizer) {
        t.tag(17);
        t.raw(&(self.len() as u64).to_le_bytes());
        for x in self {
            x.tokenize(t);
        }
    }
}

impl<T: Tokenize> Tokenize for Vec<T> {
    fn tokenize(&self, t: &mut Tokenizer) {
        self.as_slice().tokenize(t)
    }
}

impl<T: Tokenize, const N: usize> Tokenize for [T; N] {
    fn tokenize(&self, t: &mut Tokenizer) {
        self.as_slice().tokenize(t)
    }
}

impl<T: Tokenize> Tokenize for Option<T> {
    fn tokenize(&self, t: &mut Tokenizer) {
        match self {
            None => t.tag(18),
            Some(x) => {
                t.tag(19);
                x.tokenize(t);
            }
        }
    }
}

impl<T: Tokenize + ?Sized> Tokenize for &T {
    fn tokenize(&self, t: &mut Tokenizer) {
        (**self).tokenize(t)
    }
}

macro_rules! tokenize_tuple {
    ($($name:ident)+) => {
        impl<$($name: Tokenize),+> Tokenize for ($($name,)+) {
            #[allow(non_snake_case)]
            fn tokenize(&self, t: &mut Tokenizer) {
                t.tag(20);
                let ($($name,)+) = self;
                $($name.tokenize(t);)+
            }
        }
    };
}

tokenize_tuple!(A);
tokenize_tuple!(A B);
tokenize_tuple!(A B C);
tokenize_tuple!(A B C D);
tokenize_tuple!(A B C D E);
tokenize_tuple!(A B C D E F);

/// A deterministic name `"{prefix}-{token}"` for an operation and its inputs.
///
/// The same inputs give the same name in every run and on every machine; that is what
/// lets two collections built from the same expression share their tasks.
///
/// ```
/// use dask_graph::tokenize;
/// let a = tokenize("add", &(1u64, "x"));
/// assert_eq!(a, tokenize("add", &(1u64, "x")));
/// assert_ne!(a, tokenize("add", &(2u64, "x")));
/// assert!(a.starts_with("add-"));
/// ```
pub fn tokenize<T: Tokenize + ?Sized>(prefix: &str, inputs: &T) -> String {
    let mut t = Tokenizer::new();
    t.feed(prefix).feed(inputs);
    format!("{prefix}-{}", t.hex())
}

/// A name `"{prefix}-{token}"` that no other call makes: a token of `inputs` together with
/// a process-wide call counter, the process id and the clock.
///
/// For what has no stable identity — a closure, a user's own source or sink, a write
/// — and so must never be merged with anything else. Deterministic work uses
/// [`tokenize`] instead, so that equal expressions share their tasks.
///
/// ```
/// use dask_graph::unique_token;
/// let a = unique_token("map", &"f");
/// assert_ne!(a, unique_token("map", &"f"));
/// assert!(a.starts_with("map-"));
/// ```
pub fn unique_token<T: Tokenize + ?Sized>(prefix: &str, inputs: &T) -> String {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    tokenize(
        prefix,
        &(inputs, call, u64::from(std::process::id()), nanos),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_by_content_and_order_by_name_then_index() {
        let a = Key::with_index("x", [0, 1]);
        let b = Key::with_index("x", [0, 1]);
        assert_eq!(a, b);
        assert!(Key::with_index("x", [0, 2]) > a);
        assert!(Key::new("w") < a);
        assert!(Key::new("x") < a, "a plain name sorts before its blocks");
        assert_ne!(Key::new("x"), Key::with_index("x", []));
    }

    #[test]
    fn long_block_indices_behave_like_short_ones() {
        let a = Key::with_index("x", [1, 2, 3, 4]);
        assert_eq!(a, Key::with_index("x", vec![1, 2, 3, 4]));
        assert_eq!(a.index(), Some(&[1u32, 2, 3, 4][..]));
        assert_eq!(a.to_string(), "('x', 1, 2, 3, 4)");
        assert!(Key::with_index("x", [1, 2, 3]) < a);
        assert!(a < Key::with_index("x", [1, 2, 4]));
        let back: Key = postcard::from_bytes(&postcard::to_stdvec(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }

    #[test]
    fn key_serde_round_trip() {
        let k = Key::with_index("blocks", [3, 4]);
        let bytes = postcard::to_stdvec(&k).unwrap();
        let back: Key = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, k);
        assert_eq!(back.to_string(), "('blocks', 3, 4)");
    }

    #[test]
    fn tokens_are_stable_across_runs_and_machines() {
        assert_eq!(
            tokenize("sum", &(1u64, "x", vec![1.5f64])),
            tokenize("sum", &(1u64, "x", vec![1.5f64]))
        );
        // A fixed expected value, computed independently with Python's `xxhash` package
        // over the byte encoding documented on `Tokenizer` (tag bytes, little-endian
        // lengths and numbers). If this changes, every key ever produced changes.
        let t = tokenize("ones", &(vec![10usize, 10], 5i64));
        assert_eq!(t, "ones-6130e68725876369333766d4f1669d72");
    }

    #[test]
    fn token_distinguishes_boundaries() {
        assert_ne!(tokenize("p", &("ab", "c")), tokenize("p", &("a", "bc")));
        assert_ne!(tokenize("p", &1u32), tokenize("p", &1u64));
    }
}
