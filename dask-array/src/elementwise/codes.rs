//! The operation codes of the elementwise kernels: which arithmetic, comparison, unary
//! or float function a task applies, and a cast's target type.
//!
//! The values are fixed (they are in every task and in the layer names): binary
//! operations 0–9, comparisons 20–25, unary operations 40–42, float functions 0–19,
//! cast targets the position in [`DType::ALL`].

use crate::element::DType;
use crate::op_code::{UnknownCode, op_code};

op_code! {
    /// The operations of `array.binary.<T>`. On `bool`, `And`, `Or` and `Xor` run as
    /// `mul`, `add` and `sub` (which are *and*, *or* and *xor* there).
    enum BinaryOp("binary operation") {
        Add = 0,
        Sub = 1,
        Mul = 2,
        Div = 3,
        Rem = 4,
        Min = 5,
        Max = 6,
        And = 7,
        Or = 8,
        Xor = 9,
    }
}

op_code! {
    /// The comparisons of `array.compare.<T>`.
    enum CompareOp("comparison") {
        Eq = 20,
        Ne = 21,
        Lt = 22,
        Le = 23,
        Gt = 24,
        Ge = 25,
    }
}

op_code! {
    /// The operations of `array.unary.<T>` (`Neg` and `Abs` for numbers, `Not` for
    /// `bool`).
    enum UnaryOp("unary operation") {
        Neg = 40,
        Abs = 41,
        Not = 42,
    }
}

op_code! {
    /// The functions of `array.float.<T>`.
    enum FloatFn("float function") {
        Sqrt = 0,
        Exp = 1,
        Ln = 2,
        Log10 = 3,
        Log2 = 4,
        Sin = 5,
        Cos = 6,
        Tan = 7,
        Tanh = 8,
        Floor = 9,
        Ceil = 10,
        Round = 11,
        Exp2 = 12,
        Ln1p = 13,
        ExpM1 = 14,
        Asin = 15,
        Acos = 16,
        Atan = 17,
        Sinh = 18,
        Cosh = 19,
    }
}

/// The code of a cast's target type in `array.cast.<T>` tasks.
pub(crate) fn dtype_code(d: DType) -> u64 {
    d as u64
}

/// The target type of a cast, from its code.
pub(crate) fn dtype_from_code(code: u64) -> Result<DType, UnknownCode> {
    DType::ALL
        .into_iter()
        .find(|&d| dtype_code(d) == code)
        .ok_or_else(|| UnknownCode::new("target dtype", code))
}
