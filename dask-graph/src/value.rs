//! Type-erased task results.
//!
//! A [`Value`] is an `Arc<dyn Any + Send + Sync>` plus two facts recorded when it is made:
//! its size in bytes (for memory accounting, spilling and diagnostics) and its type name
//! (for error messages). Cloning is one reference-count increment. A value can be
//! downcast by reference, or *taken* by value without a copy when the holder has the last
//! reference, which is what lets in-place kernels reuse the buffers of inputs that no
//! other task needs.
//!
//! Sizes come from the [`Data`] trait, the analogue of Dask's `sizeof` dispatch: it is
//! implemented here for primitives, strings and standard containers, and by each
//! collection crate for its block type. Types that do not implement it can still be
//! wrapped with [`Value::opaque`] (shallow size) or [`Value::with_nbytes`].

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

/// Types whose values can report how many bytes they hold.
///
/// The default is the shallow size of the value; override it for types that own heap
/// memory.
///
/// ```
/// use dask_graph::Data;
/// struct Block { samples: Vec<f64> }
/// impl Data for Block {
///     fn nbytes(&self) -> usize { 8 * self.samples.len() }
/// }
/// assert_eq!(Block { samples: vec![0.0; 4] }.nbytes(), 32);
/// ```
pub trait Data: Any + Send + Sync {
    /// Bytes held by this value, including what it owns on the heap.
    fn nbytes(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

macro_rules! data_shallow {
    ($($ty:ty),*) => {$( impl Data for $ty {} )*};
}

data_shallow!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64
);

impl Data for String {
    fn nbytes(&self) -> usize {
        std::mem::size_of::<String>() + self.len()
    }
}

impl Data for &'static str {
    fn nbytes(&self) -> usize {
        std::mem::size_of::<&str>() + self.len()
    }
}

impl<T: Data> Data for Vec<T> {
    fn nbytes(&self) -> usize {
        std::mem::size_of::<Vec<T>>() + self.iter().map(Data::nbytes).sum::<usize>()
    }
}

impl<T: Data> Data for Box<T> {
    fn nbytes(&self) -> usize {
        std::mem::size_of::<Box<T>>() + (**self).nbytes()
    }
}

impl<T: Data> Data for Option<T> {
    fn nbytes(&self) -> usize {
        std::mem::size_of::<Option<T>>()
            + self
                .as_ref()
                .map_or(0, |x| x.nbytes().saturating_sub(std::mem::size_of::<T>()))
    }
}

impl<T: Data> Data for Arc<T> {
    fn nbytes(&self) -> usize {
        std::mem::size_of::<Arc<T>>() + (**self).nbytes()
    }
}

/// Shallow size of a map plus the sizes of its entries.
fn map_nbytes<'a, K: Data, V: Data>(
    shallow: usize,
    entries: impl Iterator<Item = (&'a K, &'a V)>,
) -> usize {
    shallow + entries.map(|(k, v)| k.nbytes() + v.nbytes()).sum::<usize>()
}

impl<K: Data, V: Data, S: Send + Sync + 'static> Data for std::collections::HashMap<K, V, S> {
    fn nbytes(&self) -> usize {
        map_nbytes(std::mem::size_of::<Self>(), self.iter())
    }
}

impl<K: Data, V: Data> Data for std::collections::BTreeMap<K, V> {
    fn nbytes(&self) -> usize {
        map_nbytes(std::mem::size_of::<Self>(), self.iter())
    }
}

macro_rules! data_tuple {
    ($($name:ident)+) => {
        impl<$($name: Data),+> Data for ($($name,)+) {
            #[allow(non_snake_case)]
            fn nbytes(&self) -> usize {
                let ($($name,)+) = self;
                0 $(+ $name.nbytes())+
            }
        }
    };
}

data_tuple!(A);
data_tuple!(A B);
data_tuple!(A B C);
data_tuple!(A B C D);

/// A computed result: a cheaply clonable, thread-safe, type-erased handle.
///
/// ```
/// use dask_graph::Value;
/// let v = Value::new(vec![1.0f64, 2.0, 3.0]);
/// assert_eq!(v.downcast_ref::<Vec<f64>>().map(|x| x.len()), Some(3));
/// assert!(v.nbytes() >= 24);
/// // The only reference: taken without copying the vector.
/// let owned: Vec<f64> = v.take().unwrap();
/// assert_eq!(owned, [1.0, 2.0, 3.0]);
/// ```
#[derive(Clone)]
pub struct Value {
    data: Arc<dyn Any + Send + Sync>,
    nbytes: usize,
    type_name: &'static str,
}

impl Value {
    /// Wraps a value whose size is known through [`Data`].
    pub fn new<T: Data>(value: T) -> Value {
        let nbytes = value.nbytes();
        Value::with_nbytes(value, nbytes)
    }

    /// Wraps any thread-safe value, counting only its shallow size.
    pub fn opaque<T: Any + Send + Sync>(value: T) -> Value {
        Value::with_nbytes(value, std::mem::size_of::<T>())
    }

    /// Wraps any thread-safe value with an explicitly stated size.
    pub fn with_nbytes<T: Any + Send + Sync>(value: T, nbytes: usize) -> Value {
        Value {
            data: Arc::new(value),
            nbytes,
            type_name: std::any::type_name::<T>(),
        }
    }

    /// Bytes held by the value (as reported when it was made).
    pub fn nbytes(&self) -> usize {
        self.nbytes
    }

    /// The Rust type name of the value, for messages.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The `TypeId` of the value inside.
    pub fn type_id_of_inner(&self) -> TypeId {
        (*self.data).type_id()
    }

    /// Whether the value is a `T`.
    pub fn is<T: Any>(&self) -> bool {
        self.data.is::<T>()
    }

    /// A reference to the value if it is a `T`.
    pub fn downcast_ref<T: Any>(&self) -> Option<&T> {
        self.data.downcast_ref::<T>()
    }

    /// The value as a `T`, or a [`TypeMismatch`] naming both types.
    pub fn get<T: Any>(&self) -> Result<&T, TypeMismatch> {
        self.data.downcast_ref::<T>().ok_or_else(|| TypeMismatch {
            expected: std::any::type_name::<T>(),
            found: self.type_name,
        })
    }

    /// Takes the value out without copying when this is the last reference; otherwise
    /// (or when it is not a `T`) gives the handle back.
    pub fn try_take<T: Any + Send + Sync>(self) -> Result<T, Value> {
        let Value {
            data,
            nbytes,
            type_name,
        } = self;
        match data.downcast::<T>() {
            Ok(typed) => Arc::try_unwrap(typed).map_err(|typed| Value {
                data: typed,
                nbytes,
                type_name,
            }),
            Err(data) => Err(Value {
                data,
                nbytes,
                type_name,
            }),
        }
    }

    /// Takes the value out: moved when this is the last reference, cloned otherwise.
    pub fn take<T: Any + Send + Sync + Clone>(self) -> Result<T, TypeMismatch> {
        match self.try_take::<T>() {
            Ok(v) => Ok(v),
            Err(shared) => shared.get::<T>().cloned(),
        }
    }

    /// Whether this is the only handle to the value (so [`Value::try_take`] would move).
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.data) == 1
    }

    /// Whether two handles point at the same value.
    pub fn ptr_eq(&self, other: &Value) -> bool {
        Arc::ptr_eq(&self.data, &other.data)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Value<{}>({} bytes)",
            short_type_name(self.type_name),
            self.nbytes
        )
    }
}

/// A type name without module paths, for messages: `alloc::vec::Vec<alloc::string::String>`
/// becomes `Vec<String>`.
///
/// ```
/// assert_eq!(dask_graph::short_type_name("alloc::vec::Vec<f64>"), "Vec<f64>");
/// assert_eq!(
///     dask_graph::short_type_name("std::collections::HashMap<alloc::string::String, (i64, my::Point)>"),
///     "HashMap<String, (i64, Point)>"
/// );
/// ```
pub fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    let flush = |segment: &mut String, out: &mut String| {
        out.push_str(segment.rsplit("::").next().unwrap_or(segment));
        segment.clear();
    };
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            flush(&mut segment, &mut out);
            out.push(c);
        }
    }
    flush(&mut segment, &mut out);
    out
}

/// A value was not of the type a task expected.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "expected a value of type `{}`, found `{}`",
    short_type_name(expected),
    short_type_name(found)
)]
pub struct TypeMismatch {
    /// The type asked for.
    pub expected: &'static str,
    /// The type the value has.
    pub found: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_moves_only_the_last_reference() {
        let v = Value::new(vec![1u8; 100]);
        let w = v.clone();
        assert!(!v.is_unique());
        let back = v.try_take::<Vec<u8>>().unwrap_err();
        drop(w);
        assert!(back.is_unique());
        let ptr_before = back.downcast_ref::<Vec<u8>>().unwrap().as_ptr();
        let owned: Vec<u8> = back.try_take().unwrap();
        assert_eq!(owned.as_ptr(), ptr_before, "no copy");
    }

    #[test]
    fn get_reports_both_types() {
        let v = Value::new(1i64);
        let err = v.get::<String>().unwrap_err();
        assert_eq!(err.found, "i64");
        assert_eq!(err.expected, "alloc::string::String");
        assert_eq!(
            err.to_string(),
            "expected a value of type `String`, found `i64`"
        );
    }

    #[test]
    fn sizes_count_heap_memory() {
        assert_eq!(Value::new(3.0f64).nbytes(), 8);
        assert_eq!(Value::new(vec![0f64; 1000]).nbytes(), 8000 + 24);
        assert_eq!(Value::with_nbytes((), 77).nbytes(), 77);
    }
}
