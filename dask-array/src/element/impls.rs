//! The element traits for the seven element types: NumPy's arithmetic per type.

use super::{DType, Element, Float, Number};

macro_rules! float_element {
    ($ty:ty, $dtype:ident, $float:ty) => {
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
        impl Float for $ty {}
    };
}

macro_rules! int_element {
    ($ty:ty, $dtype:ident, $acc:ty, signed = $signed:expr) => {
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

float_element!(f64, F64, f64);
float_element!(f32, F32, f32);
int_element!(i64, I64, i64, signed = true);
int_element!(i32, I32, i64, signed = true);
int_element!(u64, U64, u64, signed = false);
int_element!(u8, U8, u64, signed = false);

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
}
