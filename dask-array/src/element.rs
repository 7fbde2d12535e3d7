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

use std::fmt::{self, Debug, Display};

/// The element type of an array, known without computing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DType {
    /// `f64` (NumPy `float64`).
    F64,
    /// `f32` (`float32`).
    F32,
    /// `i64` (`int64`).
    I64,
    /// `i32` (`int32`).
    I32,
    /// `u64` (`uint64`).
    U64,
    /// `u8` (`uint8`).
    U8,
    /// `bool`.
    Bool,
}

impl DType {
    /// Every element type, in declaration order.
    pub const ALL: [DType; 7] = [
        DType::F64,
        DType::F32,
        DType::I64,
        DType::I32,
        DType::U64,
        DType::U8,
        DType::Bool,
    ];

    /// NumPy's name for the type, e.g. `"float64"`.
    pub fn name(self) -> &'static str {
        match self {
            DType::F64 => "float64",
            DType::F32 => "float32",
            DType::I64 => "int64",
            DType::I32 => "int32",
            DType::U64 => "uint64",
            DType::U8 => "uint8",
            DType::Bool => "bool",
        }
    }

    /// Bytes per element.
    pub fn itemsize(self) -> usize {
        match self {
            DType::F64 | DType::I64 | DType::U64 => 8,
            DType::F32 | DType::I32 => 4,
            DType::U8 | DType::Bool => 1,
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
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
    + crate::block::LeBytes
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
    /// The registered operations for this type.
    #[doc(hidden)]
    fn ops() -> &'static crate::registry::ElementOps;
}

/// The numeric element types (everything but `bool`): arithmetic, `arange`, sums.
pub trait Number: Element {
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
pub trait Float: Number + num_traits::Float {
    /// The registered operations that only floats have.
    #[doc(hidden)]
    fn float_ops() -> &'static crate::registry::FloatOps;
}

/// Conversion between element types with NumPy's `astype` semantics (`as` casts;
/// `bool` from numbers is `x != 0`, numbers from `bool` are 0 or 1).
pub trait CastTo<U: Element>: Element {
    /// Converts one element.
    fn cast(self) -> U;
}

macro_rules! float_element {
    ($ty:ty, $dtype:ident, $float:ty, $ops:ident, $fops:ident) => {
        impl sealed::Sealed for $ty {}
        impl Element for $ty {
            const DTYPE: DType = DType::$dtype;
            const INTEGER: bool = false;
            const LOWEST: Self = <$ty>::NEG_INFINITY;
            const HIGHEST: Self = <$ty>::INFINITY;
            type Acc = $ty;
            type Float = $float;
            fn zero() -> Self {
                0.0
            }
            fn one() -> Self {
                1.0
            }
            fn to_acc(self) -> Self::Acc {
                self
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(x: f64) -> Self {
                x as $ty
            }
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a + b
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a - b
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a * b
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self {
                a / b
            }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self {
                let r = a % b;
                if r != 0.0 && ((r < 0.0) != (b < 0.0)) {
                    r + b
                } else {
                    r
                }
            }
            #[inline(always)]
            fn min_of(a: Self, b: Self) -> Self {
                if a.is_nan() || b.is_nan() {
                    <$ty>::NAN
                } else if b < a {
                    b
                } else {
                    a
                }
            }
            #[inline(always)]
            fn max_of(a: Self, b: Self) -> Self {
                if a.is_nan() || b.is_nan() {
                    <$ty>::NAN
                } else if b > a {
                    b
                } else {
                    a
                }
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$ty>::is_nan(self)
            }
            #[inline(always)]
            fn truthy(self) -> bool {
                self != 0.0
            }
            fn ops() -> &'static crate::registry::ElementOps {
                &crate::registry::$ops::OPS
            }
        }
        impl Number for $ty {
            #[inline(always)]
            fn neg(self) -> Self {
                -self
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$ty>::abs(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                <$ty>::powi(self, n)
            }
            fn affine(start: Self, step: Self, i: u64) -> Self {
                start + step * (i as $ty)
            }
            fn arange_len(start: Self, stop: Self, step: Self) -> Option<u128> {
                let span = ((stop as f64) - (start as f64)) / (step as f64);
                if !span.is_finite() {
                    return None;
                }
                Some(if span > 0.0 { span.ceil() as u128 } else { 0 })
            }
        }
        impl Float for $ty {
            fn float_ops() -> &'static crate::registry::FloatOps {
                &crate::registry::$fops::FLOAT_OPS
            }
        }
    };
}

macro_rules! int_element {
    ($ty:ty, $dtype:ident, $acc:ty, signed = $signed:expr, $ops:ident) => {
        impl sealed::Sealed for $ty {}
        impl Element for $ty {
            const DTYPE: DType = DType::$dtype;
            const INTEGER: bool = true;
            const LOWEST: Self = <$ty>::MIN;
            const HIGHEST: Self = <$ty>::MAX;
            type Acc = $acc;
            type Float = f64;
            fn zero() -> Self {
                0
            }
            fn one() -> Self {
                1
            }
            fn to_acc(self) -> Self::Acc {
                self as $acc
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_f64(x: f64) -> Self {
                x as $ty
            }
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                a.wrapping_add(b)
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> Self {
                a.wrapping_sub(b)
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                a.wrapping_mul(b)
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> Self {
                // Floor division, as NumPy's `//` on integers.
                let q = a.wrapping_div(b);
                if $signed && (a.wrapping_rem(b) != 0) && (((a as i128) < 0) != ((b as i128) < 0)) {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self {
                let r = a.wrapping_rem(b);
                if $signed && r != 0 && (((r as i128) < 0) != ((b as i128) < 0)) {
                    r.wrapping_add(b)
                } else {
                    r
                }
            }
            #[inline(always)]
            fn min_of(a: Self, b: Self) -> Self {
                if b < a { b } else { a }
            }
            #[inline(always)]
            fn max_of(a: Self, b: Self) -> Self {
                if b > a { b } else { a }
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                false
            }
            #[inline(always)]
            fn truthy(self) -> bool {
                self != 0
            }
            fn ops() -> &'static crate::registry::ElementOps {
                &crate::registry::$ops::OPS
            }
        }
        impl Number for $ty {
            #[inline(always)]
            fn neg(self) -> Self {
                (0 as $ty).wrapping_sub(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                if $signed && (self as i128) < 0 {
                    self.neg()
                } else {
                    self
                }
            }
            fn powi(self, n: i32) -> Self {
                self.wrapping_pow(n.max(0) as u32)
            }
            fn affine(start: Self, step: Self, i: u64) -> Self {
                ((start as i128) + (step as i128) * (i as i128)) as $ty
            }
            fn arange_len(start: Self, stop: Self, step: Self) -> Option<u128> {
                let (a, b, s) = (start as i128, stop as i128, step as i128);
                Some(if s > 0 && b > a {
                    ((b - a + s - 1) / s) as u128
                } else if s < 0 && b < a {
                    ((a - b - s - 1) / -s) as u128
                } else {
                    0
                })
            }
        }
    };
}

float_element!(f64, F64, f64, f64_ops, f64_float);
float_element!(f32, F32, f32, f32_ops, f32_float);
int_element!(i64, I64, i64, signed = true, i64_ops);
int_element!(i32, I32, i64, signed = true, i32_ops);
int_element!(u64, U64, u64, signed = false, u64_ops);
int_element!(u8, U8, u64, signed = false, u8_ops);

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    const INTEGER: bool = false;
    const LOWEST: Self = false;
    const HIGHEST: Self = true;
    type Acc = i64;
    type Float = f64;
    fn zero() -> Self {
        false
    }
    fn one() -> Self {
        true
    }
    fn to_acc(self) -> i64 {
        i64::from(self)
    }
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
    fn from_f64(x: f64) -> Self {
        x != 0.0
    }
    fn add(a: Self, b: Self) -> Self {
        a | b
    }
    fn sub(a: Self, b: Self) -> Self {
        a ^ b
    }
    fn mul(a: Self, b: Self) -> Self {
        a & b
    }
    fn div(a: Self, _b: Self) -> Self {
        a
    }
    fn rem(_a: Self, _b: Self) -> Self {
        false
    }
    fn min_of(a: Self, b: Self) -> Self {
        a & b
    }
    fn max_of(a: Self, b: Self) -> Self {
        a | b
    }
    fn is_nan(self) -> bool {
        false
    }
    fn truthy(self) -> bool {
        self
    }
    fn ops() -> &'static crate::registry::ElementOps {
        &crate::registry::bool_ops::OPS
    }
}

/// `as` between every pair of numeric types, and the `bool` rules.
macro_rules! casts {
    (@one $from:ty => $to:ty, $conv:expr) => {
        impl CastTo<$to> for $from {
            #[inline(always)]
            fn cast(self) -> $to {
                let f: fn($from) -> $to = $conv;
                f(self)
            }
        }
    };
    ($($from:ty),*) => {
        $(
            casts!(@one $from => f64, |x| x as f64);
            casts!(@one $from => f32, |x| x as f32);
            casts!(@one $from => i64, |x| x as i64);
            casts!(@one $from => i32, |x| x as i32);
            casts!(@one $from => u64, |x| x as u64);
            casts!(@one $from => u8, |x| x as u8);
            casts!(@one $from => bool, |x| x != (0 as $from));
        )*
    };
}
casts!(f64, f32, i64, i32, u64, u8);
casts!(@one bool => f64, |x| f64::from(u8::from(x)));
casts!(@one bool => f32, |x| f32::from(u8::from(x)));
casts!(@one bool => i64, i64::from);
casts!(@one bool => i32, i32::from);
casts!(@one bool => u64, u64::from);
casts!(@one bool => u8, u8::from);
casts!(@one bool => bool, |x| x);

/// Every element type converts to every other: what the block cast kernel needs.
pub trait CastAll:
    CastTo<f64> + CastTo<f32> + CastTo<i64> + CastTo<i32> + CastTo<u64> + CastTo<u8> + CastTo<bool>
{
}
impl<T> CastAll for T where
    T: CastTo<f64>
        + CastTo<f32>
        + CastTo<i64>
        + CastTo<i32>
        + CastTo<u64>
        + CastTo<u8>
        + CastTo<bool>
{
}
