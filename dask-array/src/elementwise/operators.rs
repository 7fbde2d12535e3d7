//! The operators: `+ - * / %` for numbers and `& | ^ !` for `bool`, between arrays
//! (returning `Result`: shapes may not broadcast) or with a scalar on either side
//! (returning the array), and unary `-`.

use super::codes::{BinaryOp, UnaryOp};
use super::kernels::{binary_op_for, unary_op_for};
use super::{Erased, Operand, elementwise, map_layer};
use crate::array::Array;
use crate::element::{Element, Logical, Number};
use crate::error::Result;

macro_rules! binary_operator {
    ($trait:ident, $method:ident, $code:expr, $bound:ident) => {
        impl<T: $bound> std::ops::$trait<&Array<T>> for &Array<T> {
            type Output = Result<Array<T>>;
            fn $method(self, rhs: &Array<T>) -> Result<Array<T>> {
                self.binary(stringify!($method), $code, Operand::Array(rhs.clone()))
            }
        }
        impl<T: $bound> std::ops::$trait<Array<T>> for Array<T> {
            type Output = Result<Array<T>>;
            fn $method(self, rhs: Array<T>) -> Result<Array<T>> {
                self.binary(stringify!($method), $code, Operand::Array(rhs))
            }
        }
        impl<T: $bound> std::ops::$trait<&Array<T>> for Array<T> {
            type Output = Result<Array<T>>;
            fn $method(self, rhs: &Array<T>) -> Result<Array<T>> {
                self.binary(stringify!($method), $code, Operand::Array(rhs.clone()))
            }
        }
        impl<T: $bound> std::ops::$trait<Array<T>> for &Array<T> {
            type Output = Result<Array<T>>;
            fn $method(self, rhs: Array<T>) -> Result<Array<T>> {
                self.binary(stringify!($method), $code, Operand::Array(rhs))
            }
        }
        impl<T: $bound> std::ops::$trait<T> for &Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                scalar_op(self, $code, rhs, false)
            }
        }
        impl<T: $bound> std::ops::$trait<T> for Array<T> {
            type Output = Array<T>;
            fn $method(self, rhs: T) -> Array<T> {
                scalar_op(&self, $code, rhs, false)
            }
        }
    };
}

binary_operator!(Add, add, BinaryOp::Add, Number);
binary_operator!(Sub, sub, BinaryOp::Sub, Number);
binary_operator!(Mul, mul, BinaryOp::Mul, Number);
binary_operator!(Div, div, BinaryOp::Div, Number);
binary_operator!(Rem, rem, BinaryOp::Rem, Number);
binary_operator!(BitAnd, bitand, BinaryOp::And, Logical);
binary_operator!(BitOr, bitor, BinaryOp::Or, Logical);
binary_operator!(BitXor, bitxor, BinaryOp::Xor, Logical);

/// `array op scalar` (or `scalar op array` when `swapped`): one operand is a scalar, so
/// the shapes always broadcast.
pub(super) fn scalar_op<T: Element>(a: &Array<T>, op: BinaryOp, s: T, swapped: bool) -> Array<T> {
    let mut operands = [Operand::Array(a.clone()), Operand::Scalar(s)];
    if swapped {
        operands.swap(0, 1);
    }
    let erased: Vec<Erased<'_>> = operands.iter().map(Operand::erased).collect();
    elementwise(
        "scalar",
        binary_op_for::<T>(),
        vec![op.code()],
        &erased,
        &a.chunks,
    )
}

macro_rules! scalar_left {
    ($($ty:ty),*) => {$(
        impl std::ops::Add<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn add(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, BinaryOp::Add, self, true) }
        }
        impl std::ops::Sub<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn sub(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, BinaryOp::Sub, self, true) }
        }
        impl std::ops::Mul<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn mul(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, BinaryOp::Mul, self, true) }
        }
        impl std::ops::Div<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn div(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, BinaryOp::Div, self, true) }
        }
    )*};
}
scalar_left!(f64, f32, i64, i32, u64, u8);

impl<T: Number> std::ops::Neg for &Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        map_layer("neg", unary_op_for::<T>(), vec![UnaryOp::Neg.code()], self)
    }
}

impl<T: Number> std::ops::Neg for Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        -&self
    }
}

impl std::ops::Not for &Array<bool> {
    type Output = Array<bool>;
    fn not(self) -> Array<bool> {
        Array::not(self)
    }
}

// ---------------------------------------------------------------------------------------
