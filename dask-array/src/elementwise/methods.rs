//! The user-facing elementwise methods: comparisons, `maximum`/`minimum`, `clip`,
//! `astype`, `abs`, `powi`, the logical methods of `bool` arrays, the float functions,
//! `powf`, `is_nan`, and [`where_`].

use super::codes::{BinaryOp, CompareOp, FloatFn, UnaryOp, dtype_code};
use super::kernels::{
    binary_op_for, cast_op_for, compare_op_for, float_op_for, is_nan_op_for, powf_op_for,
    powi_op_for, unary_op_for, where_op_for,
};
use super::operators::scalar_op;
use super::{Operand, apply, broadcast_chunks, broadcast_shapes, elementwise, map_layer};
use crate::array::Array;
use crate::chunks::Chunks;
use crate::element::{CastTo, Element, Float, Number};
use crate::error::{Result, invalid};

impl<T: Element> Array<T> {
    pub(super) fn binary(
        &self,
        label: &'static str,
        op: BinaryOp,
        other: Operand<T>,
    ) -> Result<Array<T>> {
        apply(
            label,
            binary_op_for::<T>(),
            vec![op.code()],
            &[Operand::Array(self.clone()), other],
        )
    }

    fn compare(
        &self,
        label: &'static str,
        op: CompareOp,
        other: Operand<T>,
    ) -> Result<Array<bool>> {
        apply(
            label,
            compare_op_for::<T>(),
            vec![op.code()],
            &[Operand::Array(self.clone()), other],
        )
    }

    /// Elementwise `self == other` (NaN is unequal to everything).
    pub fn equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("equal", CompareOp::Eq, other.into())
    }

    /// Elementwise `self != other`.
    pub fn not_equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("not_equal", CompareOp::Ne, other.into())
    }

    /// Elementwise `self < other`.
    pub fn less(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("less", CompareOp::Lt, other.into())
    }

    /// Elementwise `self <= other`.
    pub fn less_equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("less_equal", CompareOp::Le, other.into())
    }

    /// Elementwise `self > other`.
    pub fn greater(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("greater", CompareOp::Gt, other.into())
    }

    /// Elementwise `self >= other`.
    pub fn greater_equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("greater_equal", CompareOp::Ge, other.into())
    }

    /// The elementwise larger of `self` and `other` (NaN if either is NaN).
    pub fn maximum(&self, other: impl Into<Operand<T>>) -> Result<Array<T>> {
        self.binary("maximum", BinaryOp::Max, other.into())
    }

    /// The elementwise smaller of `self` and `other` (NaN if either is NaN).
    pub fn minimum(&self, other: impl Into<Operand<T>>) -> Result<Array<T>> {
        self.binary("minimum", BinaryOp::Min, other.into())
    }

    /// Values limited to `[min, max]`, as NumPy's `clip` (`max` is applied last, so
    /// everything becomes `max` if `min > max`).
    pub fn clip(&self, min: T, max: T) -> Array<T> {
        scalar_op(
            &scalar_op(self, BinaryOp::Max, min, false),
            BinaryOp::Min,
            max,
            false,
        )
    }

    /// A copy with elements converted to `U` (NumPy's `astype`: `as` casts, `bool` is
    /// `x != 0`, `true` is 1).
    pub fn astype<U: Element>(&self) -> Array<U>
    where
        T: CastTo<U>,
    {
        map_layer(
            "astype",
            cast_op_for::<T>(),
            vec![dtype_code(U::DTYPE)],
            self,
        )
    }
}

impl<T: Number> Array<T> {
    /// Elementwise absolute value (wrapping for the most negative integer, as NumPy).
    pub fn abs(&self) -> Array<T> {
        map_layer("abs", unary_op_for::<T>(), vec![UnaryOp::Abs.code()], self)
    }

    /// Elementwise `x` raised to the integer power `n` (wrapping for integers). As in
    /// NumPy, integers to negative powers are an error.
    pub fn powi(&self, n: i32) -> Result<Array<T>> {
        if T::INTEGER && n < 0 {
            return Err(invalid(
                "powi",
                format!("integers to negative integer powers are not allowed (n = {n})"),
            ));
        }
        Ok(map_layer(
            "powi",
            powi_op_for::<T>(),
            vec![n as i64 as u64],
            self,
        ))
    }
}

impl Array<bool> {
    /// Elementwise logical *and*.
    pub fn and(&self, other: impl Into<Operand<bool>>) -> Result<Array<bool>> {
        self.binary("and", BinaryOp::And, other.into())
    }

    /// Elementwise logical *or*.
    pub fn or(&self, other: impl Into<Operand<bool>>) -> Result<Array<bool>> {
        self.binary("or", BinaryOp::Or, other.into())
    }

    /// Elementwise logical *xor*.
    pub fn xor(&self, other: impl Into<Operand<bool>>) -> Result<Array<bool>> {
        self.binary("xor", BinaryOp::Xor, other.into())
    }

    /// Elementwise logical *not*.
    pub fn not(&self) -> Array<bool> {
        map_layer(
            "not",
            unary_op_for::<bool>(),
            vec![UnaryOp::Not.code()],
            self,
        )
    }
}

macro_rules! float_methods {
    ($($(#[$doc:meta])* $name:ident => $f:ident;)*) => {
        impl<T: Float> Array<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Array<T> {
                    map_layer(stringify!($name), float_op_for::<T>(), vec![FloatFn::$f.code()], self)
                }
            )*
        }
    };
}

float_methods! {
    /// Elementwise square root (NaN for negative values).
    sqrt => Sqrt;
    /// Elementwise `e^x`.
    exp => Exp;
    /// Elementwise natural logarithm (NumPy's `log`).
    ln => Ln;
    /// Elementwise base-10 logarithm.
    log10 => Log10;
    /// Elementwise base-2 logarithm.
    log2 => Log2;
    /// Elementwise sine.
    sin => Sin;
    /// Elementwise cosine.
    cos => Cos;
    /// Elementwise tangent.
    tan => Tan;
    /// Elementwise hyperbolic tangent.
    tanh => Tanh;
    /// Elementwise floor.
    floor => Floor;
    /// Elementwise ceiling.
    ceil => Ceil;
    /// Elementwise rounding, half away from zero (NumPy rounds half to even).
    round => Round;
    /// Elementwise `2^x`.
    exp2 => Exp2;
    /// Elementwise `ln(1 + x)`, accurate near 0.
    ln_1p => Ln1p;
    /// Elementwise `e^x - 1`, accurate near 0.
    exp_m1 => ExpM1;
    /// Elementwise arcsine.
    asin => Asin;
    /// Elementwise arccosine.
    acos => Acos;
    /// Elementwise arctangent.
    atan => Atan;
    /// Elementwise hyperbolic sine.
    sinh => Sinh;
    /// Elementwise hyperbolic cosine.
    cosh => Cosh;
}

impl<T: Float> Array<T> {
    /// Elementwise `self ^ other` for floats.
    pub fn powf(&self, other: impl Into<Operand<T>>) -> Result<Array<T>> {
        apply(
            "powf",
            powf_op_for::<T>(),
            vec![],
            &[Operand::Array(self.clone()), other.into()],
        )
    }

    /// Elementwise test for NaN.
    pub fn is_nan(&self) -> Array<bool> {
        map_layer("isnan", is_nan_op_for::<T>(), vec![], self)
    }
}

/// `if cond { a } else { b }` elementwise, with all three broadcast together (NumPy's
/// `where`).
///
/// ```
/// use dask_array::{Array, where_};
/// use dask_graph::SyncScheduler;
/// let x = Array::from_ndarray(ndarray::arr1(&[-2.0, 3.0, -1.0]), 2)?;
/// let y = where_(&x.less(0.0)?, 0.0, &x)?;
/// assert_eq!(y.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![0.0, 3.0, 0.0]);
/// # Ok::<(), dask_array::Error>(())
/// ```
pub fn where_<T: Element>(
    cond: &Array<bool>,
    a: impl Into<Operand<T>>,
    b: impl Into<Operand<T>>,
) -> Result<Array<T>> {
    let (a, b) = (a.into(), b.into());
    let mut shaped: Vec<(Vec<usize>, &Chunks)> = vec![(cond.shape(), &cond.chunks)];
    shaped.extend(a.shape());
    shaped.extend(b.shape());
    let shapes: Vec<&[usize]> = shaped.iter().map(|(s, _)| s.as_slice()).collect();
    let out_shape = broadcast_shapes("where", &shapes)?;
    let out = broadcast_chunks(&out_shape, &shaped);
    let cond = Operand::Array(cond.clone()).aligned(&out)?;
    let (a, b) = (a.aligned(&out)?, b.aligned(&out)?);
    let erased = [cond.erased(), a.erased(), b.erased()];
    Ok(elementwise(
        "where",
        where_op_for::<T>(),
        vec![],
        &erased,
        &out,
    ))
}

// ---------------------------------------------------------------------------------------
