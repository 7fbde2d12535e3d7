//! Element types: what an `Array<T>` may hold, and the per-element arithmetic the
//! kernels are written against.
//!
//! [`Element`] is sealed and implemented for `f64`, `f32`, `i64`, `i32`, `u64`, `u8` and
//! `bool`. Its arithmetic follows NumPy where Rust and NumPy differ: integers wrap on
//! overflow (never a debug-build panic), integer division by zero is an error of the
//! task (checked before the loop), `min`/`max` propagate NaN, and on `bool` `add` is
//! *or* and `mul` is *and*. Sums and products accumulate in [`Element::Acc`] (`i64` for
//! signed integers and `bool`, `u64` for unsigned, the type itself for floats), and
//! means and variances are computed in `f64` and returned as [`Element::Float`] (`f32`
//! for `f32`, else `f64`), as NumPy does.
//!
//! ## Design decisions
//!
//! * **Sealed, with the closed lists in the seal.** [`Element`], [`Number`] and
//!   [`Float`] each have a supertrait in the private `sealed` module, so no other crate
//!   can implement them, and the two narrower seals carry which of their types a type
//!   is ([`NumberType`], [`FloatType`]): code that picks something per numeric or
//!   floating type matches on a closed enum of exactly those types, with no arm left
//!   over for types the bound excludes. That is what [`per_type`]'s registration
//!   macros dispatch on (and [`DType`] for every element type).
//! * **Byte layout stays internal.** [`LeBytes`](bytes::LeBytes) (what the block codec
//!   and the `.npy` reader use) is a supertrait of [`Element`] from a private module:
//!   every element type has it, but it is not part of the public API.
//! * **Kernels register themselves**, per element type, in the module that defines
//!   them ([`per_type`]); nothing here knows about operations.

use std::fmt::Debug;

mod bytes;
mod cast;
mod dtype;
mod impls;
pub(crate) mod per_type;

pub(crate) use bytes::scalar_bits;
pub(crate) use cast::CastAll;
pub use cast::CastTo;
pub use dtype::DType;
pub(crate) use sealed::{FloatType, NumberType};

/// The seals. Public items in a private module: this crate names them, other crates
/// cannot, so they can neither implement the element traits nor rely on these items.
mod sealed {
    /// Implemented by exactly the [`Element`](super::Element) types.
    pub trait Sealed {}

    /// Which numeric type a [`Number`](super::Number) is.
    pub trait SealedNumber {
        /// This type, as one of the numeric types.
        const NUMBER: NumberType;
    }

    /// Which floating-point type a [`Float`](super::Float) is.
    pub trait SealedFloat {
        /// This type, as one of the floating-point types.
        const FLOAT: FloatType;
    }

    /// The numeric element types (every [`DType`](super::DType) but `Bool`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum NumberType {
        F64,
        F32,
        I64,
        I32,
        U64,
        U8,
    }

    /// The floating-point element types.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum FloatType {
        F64,
        F32,
    }

    /// Seals the numeric types, each with its [`NumberType`] variant.
    macro_rules! numbers {
        ($($ty:ty => $variant:ident),+) => {$(
            impl Sealed for $ty {}
            impl SealedNumber for $ty {
                const NUMBER: NumberType = NumberType::$variant;
            }
        )+};
    }
    numbers!(f64 => F64, f32 => F32, i64 => I64, i32 => I32, u64 => U64, u8 => U8);
    impl Sealed for bool {}
    impl SealedFloat for f64 {
        const FLOAT: FloatType = FloatType::F64;
    }
    impl SealedFloat for f32 {
        const FLOAT: FloatType = FloatType::F32;
    }
}

/// A type an [`Array`](crate::Array) can hold. Sealed: the kernels and codecs exist for
/// exactly the implementing types.
pub trait Element:
    Copy
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Send
    + Sync
    + 'static
    + dask_graph::Data
    + bytes::LeBytes
    + sealed::Sealed
{
    /// The element type, as a value.
    const DTYPE: DType;
    /// Whether the type is an integer (division by zero is an error).
    const INTEGER: bool;
    /// The smallest value (negative infinity for floats): the identity of `max`.
    const LOWEST: Self;
    /// The largest value (infinity for floats): the identity of `min`.
    const HIGHEST: Self;
    /// The accumulator of sums and products.
    type Acc: Element;
    /// The type of means, variances and standard deviations.
    type Float: Float;
    /// Zero (`false`).
    fn zero() -> Self;
    /// One (`true`).
    fn one() -> Self;
    /// Widens to the accumulator type.
    fn to_acc(self) -> Self::Acc;
    /// Converts to `f64` (exact for everything but `i64`/`u64` beyond 2^53).
    fn to_f64(self) -> f64;
    /// Converts from `f64` the way `as` does (saturating, NaN to 0).
    fn from_f64(x: f64) -> Self;
    /// `a + b` (wrapping; *or* on `bool`).
    fn add(a: Self, b: Self) -> Self;
    /// `a - b` (wrapping; *xor* on `bool`).
    fn sub(a: Self, b: Self) -> Self;
    /// `a * b` (wrapping; *and* on `bool`).
    fn mul(a: Self, b: Self) -> Self;
    /// `a / b`; integer callers have checked `b != 0` (wrapping: `MIN / -1` is `MIN`).
    fn div(a: Self, b: Self) -> Self;
    /// The remainder of `a / b`, with the sign of `b` as in NumPy; integer callers have
    /// checked `b != 0`.
    fn rem(a: Self, b: Self) -> Self;
    /// The smaller, or NaN if either is NaN.
    fn min_of(a: Self, b: Self) -> Self;
    /// The larger, or NaN if either is NaN.
    fn max_of(a: Self, b: Self) -> Self;
    /// Whether the value is NaN (never, for integers).
    fn is_nan(self) -> bool;
    /// Whether the value is non-zero.
    fn truthy(self) -> bool;
}

/// The numeric element types (everything but `bool`): arithmetic, `arange`, sums.
pub trait Number: Element + sealed::SealedNumber {
    /// `-x` (wrapping for integers; `0 - x` for unsigned).
    fn neg(self) -> Self;
    /// `|x|` (wrapping: `|MIN|` is `MIN`, as in NumPy).
    fn abs(self) -> Self;
    /// `x` raised to an integer power (wrapping for integers).
    fn powi(self, n: i32) -> Self;
    /// `start + step * i` computed in the type (exact for integers).
    fn affine(start: Self, step: Self, i: u64) -> Self;
    /// How many values `arange(start, stop, step)` has (`step` is not zero): exact for
    /// integers, `None` when the float span is not finite.
    fn arange_len(start: Self, stop: Self, step: Self) -> Option<u128>;
}

/// The logical element type, `bool`: the operators `&`, `|`, `^` and `!` are *and*,
/// *or*, *xor* and *not* (numbers have no such operators here: NumPy's bitwise
/// operations on integers are not provided).
pub trait Logical: Element {}
impl Logical for bool {}

/// The floating-point element types: `f64` and `f32`.
pub trait Float: Number + num_traits::Float + sealed::SealedFloat {}
