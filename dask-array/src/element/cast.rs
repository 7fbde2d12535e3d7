//! Conversions between element types (`astype`).

use super::Element;

/// Conversion between element types with NumPy's `astype` semantics (`as` casts;
/// `bool` from numbers is `x != 0`, numbers from `bool` are 0 or 1).
pub trait CastTo<U: Element>: Element {
    /// Converts one element.
    fn cast(self) -> U;
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
pub(crate) trait CastAll:
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
