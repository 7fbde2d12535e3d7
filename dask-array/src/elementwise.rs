//! Elementwise operations: arithmetic, comparisons, math functions, `where`, casts,
//! with NumPy broadcasting.
//!
//! **Building.** Shapes broadcast the NumPy way (aligned at the last axis; a length-1
//! axis stretches). Along each output axis the inputs that are not stretched must agree
//! on their chunks; where they do not, they are rechunked to the common refinement of
//! their block boundaries first (as Dask's `unify_chunks`). Then one task per output
//! block reads the matching block of each input (block 0 along stretched axes). Shapes
//! that do not broadcast are an error before any task exists.
//!
//! **Fusion.** Every elementwise operation is registered as *cheap*, so the graph
//! optimizer folds a one-input elementwise task into its only user, and chains into one
//! task per block: `((x + 1) * 2).sqrt()` runs as one task per block of `x`, and the
//! kernels work in place on a block nobody else holds (the previous step's output), so
//! no intermediate block is allocated.
//!
//! **Semantics** follow NumPy where Rust and NumPy differ: integer `/` and `%` are
//! NumPy's `//` and `%` (floor division, a remainder with the divisor's sign), integer
//! arithmetic wraps, and an integer division by zero is an error of the task naming
//! its block (NumPy warns and returns 0). `&`, `|`, `^` and `!` exist for `bool`
//! arrays only.
//!
//! **Kernels** are generic over the element type and instantiated once per operation
//! code (the `match` is outside the loop), so each inner loop is a plain, vectorizable
//! loop over contiguous memory.

use std::sync::Arc;

use dask_graph::{Arg, Args, BoxError, Graph, OpResult, Value};
use ndarray::{ArrayD, IxDyn, Zip};

use crate::array::{Array, block_key, build, layer_name, task};
use crate::block::{block_ref, block_value};
use crate::chunks::Chunks;
use crate::element::{CastAll, CastTo, DType, Element, Float, Logical, Number};
use crate::error::{Result, invalid, shape_str};

/// Operation codes of the binary kernels (a literal argument of each task).
pub(crate) mod code {
    pub const ADD: u64 = 0;
    pub const SUB: u64 = 1;
    pub const MUL: u64 = 2;
    pub const DIV: u64 = 3;
    pub const REM: u64 = 4;
    pub const MIN: u64 = 5;
    pub const MAX: u64 = 6;
    pub const AND: u64 = 7;
    pub const OR: u64 = 8;
    pub const XOR: u64 = 9;

    pub const EQ: u64 = 20;
    pub const NE: u64 = 21;
    pub const LT: u64 = 22;
    pub const LE: u64 = 23;
    pub const GT: u64 = 24;
    pub const GE: u64 = 25;

    pub const NEG: u64 = 40;
    pub const ABS: u64 = 41;
    pub const NOT: u64 = 42;
}

/// The float functions of [`Array::map_float`]-style methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum FloatFn {
    Sqrt = 0,
    Exp,
    Ln,
    Log10,
    Log2,
    Sin,
    Cos,
    Tan,
    Tanh,
    Floor,
    Ceil,
    Round,
    Exp2,
    Ln1p,
    ExpM1,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
}

impl FloatFn {
    const ALL: [FloatFn; 20] = [
        FloatFn::Sqrt,
        FloatFn::Exp,
        FloatFn::Ln,
        FloatFn::Log10,
        FloatFn::Log2,
        FloatFn::Sin,
        FloatFn::Cos,
        FloatFn::Tan,
        FloatFn::Tanh,
        FloatFn::Floor,
        FloatFn::Ceil,
        FloatFn::Round,
        FloatFn::Exp2,
        FloatFn::Ln1p,
        FloatFn::ExpM1,
        FloatFn::Asin,
        FloatFn::Acos,
        FloatFn::Atan,
        FloatFn::Sinh,
        FloatFn::Cosh,
    ];
}

/// An operand of an elementwise operation: an array or a scalar.
#[derive(Clone, Debug)]
pub enum Operand<T> {
    /// A lazy array (broadcast against the other operands).
    Array(Array<T>),
    /// One value, applied to every element.
    Scalar(T),
}

impl<T: Element> From<T> for Operand<T> {
    fn from(x: T) -> Self {
        Operand::Scalar(x)
    }
}

impl<T: Element> From<&Array<T>> for Operand<T> {
    fn from(x: &Array<T>) -> Self {
        Operand::Array(x.clone())
    }
}

impl<T: Element> From<Array<T>> for Operand<T> {
    fn from(x: Array<T>) -> Self {
        Operand::Array(x)
    }
}

/// An operand with its type erased: what the layer builder needs.
pub(crate) enum Erased<'a> {
    Array(&'a Graph, &'a Arc<str>, &'a Chunks),
    Scalar(Value, u64),
}

impl<T: Element> Operand<T> {
    fn shape(&self) -> Option<(Vec<usize>, &Chunks)> {
        match self {
            Operand::Array(a) => Some((a.shape(), &a.chunks)),
            Operand::Scalar(_) => None,
        }
    }

    fn aligned(&self, out: &Chunks) -> Result<Operand<T>> {
        match self {
            Operand::Array(a) => Ok(Operand::Array(align(a, out)?)),
            Operand::Scalar(x) => Ok(Operand::Scalar(*x)),
        }
    }

    fn erased(&self) -> Erased<'_> {
        match self {
            Operand::Array(a) => Erased::Array(&a.graph, &a.name, &a.chunks),
            Operand::Scalar(x) => Erased::Scalar(Value::new(*x), crate::block::scalar_bits(*x)),
        }
    }
}

/// The broadcast shape of `shapes`, or an error naming the output axis (counted from
/// the end, NumPy style, and from the start) whose lengths disagree.
pub(crate) fn broadcast_shapes(op: &'static str, shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for (j, o) in out.iter_mut().enumerate() {
        let from_end = ndim - j;
        for s in shapes {
            if from_end > s.len() {
                continue;
            }
            let d = s[s.len() - from_end];
            if d == 1 {
                continue;
            }
            if *o != 1 && *o != d {
                let all: Vec<String> = shapes.iter().map(|s| shape_str(s)).collect();
                return Err(invalid(
                    op,
                    format!(
                        "shapes {} do not broadcast: axis {j} (axis -{from_end} from the end) has lengths {} and {d}",
                        all.join(" and "),
                        *o
                    ),
                ));
            }
            *o = d;
        }
    }
    Ok(out)
}

/// Output chunks for operands of the given shapes and chunks: per output axis, the
/// common refinement of the non-stretched operands' block boundaries.
fn broadcast_chunks(out_shape: &[usize], inputs: &[(Vec<usize>, &Chunks)]) -> Chunks {
    let ndim = out_shape.len();
    let mut per_axis = Vec::with_capacity(ndim);
    for (j, &len) in out_shape.iter().enumerate() {
        let from_end = ndim - j;
        let mut lists: Vec<&[usize]> = Vec::new();
        for (shape, chunks) in inputs {
            if from_end <= shape.len() {
                let axis = shape.len() - from_end;
                if shape[axis] == len {
                    lists.push(chunks.axis(axis));
                }
            }
        }
        per_axis.push(match lists.as_slice() {
            [] => vec![len],
            [first, rest @ ..] if rest.iter().all(|l| l == first) => first.to_vec(),
            _ => refine(&lists),
        });
    }
    Chunks::from_lengths(per_axis)
}

/// The common refinement of several block-length lists of one axis.
pub(crate) fn refine(lists: &[&[usize]]) -> Vec<usize> {
    let mut bounds: Vec<usize> = lists
        .iter()
        .flat_map(|l| {
            l.iter().scan(0usize, |acc, &x| {
                *acc += x;
                Some(*acc)
            })
        })
        .collect();
    bounds.sort_unstable();
    bounds.dedup();
    let mut prev = 0;
    let mut out = Vec::with_capacity(bounds.len());
    for b in bounds {
        if b > prev {
            out.push(b - prev);
            prev = b;
        }
    }
    if out.is_empty() {
        out.push(0);
    }
    out
}

/// `a` rechunked so that each axis that is not stretched has the output's chunks.
fn align<T: Element>(a: &Array<T>, out: &Chunks) -> Result<Array<T>> {
    let shape = a.shape();
    let offset = out.ndim() - shape.len();
    let target: Vec<Vec<usize>> = (0..shape.len())
        .map(|i| {
            if shape[i] == 1 && out.axis(i + offset).iter().sum::<usize>() != 1 {
                // Stretched: one block (a length-1 axis may come as `[0, 1]`).
                vec![1]
            } else {
                out.axis(i + offset).to_vec()
            }
        })
        .collect();
    let target = Chunks::from_lengths(target);
    if target == a.chunks {
        Ok(a.clone())
    } else {
        a.rechunk_to(&target)
    }
}

/// How a task gets an operand: the block of layer `name` at the output's index (its
/// first axis at `offset` in the output; block 0 along axes that are one block), or a
/// literal.
enum ReadPlan<'a> {
    Block {
        name: &'a Arc<str>,
        offset: usize,
        single: Vec<bool>,
    },
    Literal(&'a Value),
}

/// Builds the elementwise layer: `leading` literal arguments, then one argument per
/// operand (the matching block, or the scalar).
pub(crate) fn elementwise<U: Element>(
    label: &'static str,
    op: &'static dask_graph::RegisteredOp,
    leading: Vec<u64>,
    operands: &[Erased<'_>],
    out: &Chunks,
) -> Array<U> {
    let out_shape = out.shape();
    let mut graphs = Vec::new();
    let mut token: Vec<(String, u64)> = Vec::new();
    for o in operands {
        match o {
            Erased::Array(g, name, _) => {
                graphs.push(*g);
                token.push((name.to_string(), 0));
            }
            Erased::Scalar(_, bits) => token.push((String::new(), *bits)),
        }
    }
    let name = layer_name(
        label,
        &(op.name, leading.clone(), &token, out.per_axis().to_vec()),
    );
    // Per operand, once: its axes' offset in the output and which of them are single
    // blocks (stretched or not, block 0 is the one to read).
    let plans: Vec<ReadPlan<'_>> = operands
        .iter()
        .map(|o| match o {
            Erased::Array(_, name, chunks) => ReadPlan::Block {
                name,
                offset: out_shape.len() - chunks.ndim(),
                single: (0..chunks.ndim())
                    .map(|i| chunks.axis(i).len() == 1)
                    .collect(),
            },
            Erased::Scalar(v, _) => ReadPlan::Literal(v),
        })
        .collect();
    let leading: Vec<Arg> = leading
        .iter()
        .map(|&c| Arg::Literal(Value::new(c)))
        .collect();
    build(&graphs, name, out.clone(), |index| {
        let mut args = leading.clone();
        for plan in &plans {
            args.push(match plan {
                ReadPlan::Block {
                    name,
                    offset,
                    single,
                } => {
                    let idx: Vec<usize> = single
                        .iter()
                        .enumerate()
                        .map(|(i, &one)| if one { 0 } else { index[i + offset] })
                        .collect();
                    Arg::Key(block_key(name, &idx))
                }
                ReadPlan::Literal(v) => Arg::Literal((*v).clone()),
            });
        }
        task(op, args)
    })
}

/// Broadcasts typed operands of one type, aligns their chunks and builds the layer.
pub(crate) fn apply<T: Element, U: Element>(
    label: &'static str,
    op: &'static dask_graph::RegisteredOp,
    leading: Vec<u64>,
    operands: &[Operand<T>],
) -> Result<Array<U>> {
    let shaped: Vec<(Vec<usize>, &Chunks)> = operands.iter().filter_map(|o| o.shape()).collect();
    let shapes: Vec<&[usize]> = shaped.iter().map(|(s, _)| s.as_slice()).collect();
    let out_shape = broadcast_shapes(label, &shapes)?;
    let out = broadcast_chunks(&out_shape, &shaped);
    let aligned: Vec<Operand<T>> = operands
        .iter()
        .map(|o| o.aligned(&out))
        .collect::<Result<_>>()?;
    let erased: Vec<Erased<'_>> = aligned.iter().map(Operand::erased).collect();
    Ok(elementwise(label, op, leading, &erased, &out))
}

// ---------------------------------------------------------------------------------------
// The user-facing methods.

impl<T: Element> Array<T> {
    fn binary(&self, label: &'static str, c: u64, other: Operand<T>) -> Result<Array<T>> {
        apply(
            label,
            T::ops().binary,
            vec![c],
            &[Operand::Array(self.clone()), other],
        )
    }

    fn compare(&self, label: &'static str, c: u64, other: Operand<T>) -> Result<Array<bool>> {
        apply(
            label,
            T::ops().compare,
            vec![c],
            &[Operand::Array(self.clone()), other],
        )
    }

    /// Elementwise `self == other` (NaN is unequal to everything).
    pub fn equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("equal", code::EQ, other.into())
    }

    /// Elementwise `self != other`.
    pub fn not_equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("not_equal", code::NE, other.into())
    }

    /// Elementwise `self < other`.
    pub fn less(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("less", code::LT, other.into())
    }

    /// Elementwise `self <= other`.
    pub fn less_equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("less_equal", code::LE, other.into())
    }

    /// Elementwise `self > other`.
    pub fn greater(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("greater", code::GT, other.into())
    }

    /// Elementwise `self >= other`.
    pub fn greater_equal(&self, other: impl Into<Operand<T>>) -> Result<Array<bool>> {
        self.compare("greater_equal", code::GE, other.into())
    }

    /// The elementwise larger of `self` and `other` (NaN if either is NaN).
    pub fn maximum(&self, other: impl Into<Operand<T>>) -> Result<Array<T>> {
        self.binary("maximum", code::MAX, other.into())
    }

    /// The elementwise smaller of `self` and `other` (NaN if either is NaN).
    pub fn minimum(&self, other: impl Into<Operand<T>>) -> Result<Array<T>> {
        self.binary("minimum", code::MIN, other.into())
    }

    /// Values limited to `[min, max]`, as NumPy's `clip` (`max` is applied last, so
    /// everything becomes `max` if `min > max`).
    pub fn clip(&self, min: T, max: T) -> Array<T> {
        scalar_op(
            &scalar_op(self, code::MAX, min, false),
            code::MIN,
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
        let erased = [Operand::Array(self.clone())];
        let erased: Vec<Erased<'_>> = erased.iter().map(Operand::erased).collect();
        elementwise(
            "astype",
            T::ops().cast,
            vec![dtype_code(U::DTYPE)],
            &erased,
            &self.chunks,
        )
    }

    pub(crate) fn unary(
        &self,
        label: &'static str,
        op: &'static dask_graph::RegisteredOp,
        c: u64,
    ) -> Array<T> {
        let operand = [Operand::Array(self.clone())];
        let erased: Vec<Erased<'_>> = operand.iter().map(Operand::erased).collect();
        elementwise(label, op, vec![c], &erased, &self.chunks)
    }
}

impl<T: Number> Array<T> {
    /// Elementwise absolute value (wrapping for the most negative integer, as NumPy).
    pub fn abs(&self) -> Array<T> {
        self.unary("abs", T::ops().unary, code::ABS)
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
        let operand = [Operand::Array(self.clone())];
        let erased: Vec<Erased<'_>> = operand.iter().map(Operand::erased).collect();
        Ok(elementwise(
            "powi",
            T::ops().powi,
            vec![n as i64 as u64],
            &erased,
            &self.chunks,
        ))
    }
}

impl Array<bool> {
    /// Elementwise logical *and*.
    pub fn and(&self, other: impl Into<Operand<bool>>) -> Result<Array<bool>> {
        self.binary("and", code::AND, other.into())
    }

    /// Elementwise logical *or*.
    pub fn or(&self, other: impl Into<Operand<bool>>) -> Result<Array<bool>> {
        self.binary("or", code::OR, other.into())
    }

    /// Elementwise logical *xor*.
    pub fn xor(&self, other: impl Into<Operand<bool>>) -> Result<Array<bool>> {
        self.binary("xor", code::XOR, other.into())
    }

    /// Elementwise logical *not*.
    pub fn not(&self) -> Array<bool> {
        self.unary("not", bool::ops().unary, code::NOT)
    }
}

macro_rules! float_methods {
    ($($(#[$doc:meta])* $name:ident => $f:ident;)*) => {
        impl<T: Float> Array<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Array<T> {
                    self.unary(stringify!($name), T::float_ops().unary, FloatFn::$f as u64)
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
            T::float_ops().powf,
            vec![],
            &[Operand::Array(self.clone()), other.into()],
        )
    }

    /// Elementwise test for NaN.
    pub fn is_nan(&self) -> Array<bool> {
        let operand = [Operand::Array(self.clone())];
        let erased: Vec<Erased<'_>> = operand.iter().map(Operand::erased).collect();
        elementwise(
            "isnan",
            T::float_ops().is_nan,
            vec![],
            &erased,
            &self.chunks,
        )
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
    Ok(elementwise("where", T::ops().where_, vec![], &erased, &out))
}

/// The code of a dtype in cast tasks.
fn dtype_code(d: DType) -> u64 {
    d as u64
}

// ---------------------------------------------------------------------------------------
// Operators.

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

binary_operator!(Add, add, code::ADD, Number);
binary_operator!(Sub, sub, code::SUB, Number);
binary_operator!(Mul, mul, code::MUL, Number);
binary_operator!(Div, div, code::DIV, Number);
binary_operator!(Rem, rem, code::REM, Number);
binary_operator!(BitAnd, bitand, code::AND, Logical);
binary_operator!(BitOr, bitor, code::OR, Logical);
binary_operator!(BitXor, bitxor, code::XOR, Logical);

/// `array op scalar` (or `scalar op array` when `swapped`): one operand is a scalar, so
/// the shapes always broadcast.
fn scalar_op<T: Element>(a: &Array<T>, c: u64, s: T, swapped: bool) -> Array<T> {
    let mut operands = [Operand::Array(a.clone()), Operand::Scalar(s)];
    if swapped {
        operands.swap(0, 1);
    }
    let erased: Vec<Erased<'_>> = operands.iter().map(Operand::erased).collect();
    elementwise("scalar", T::ops().binary, vec![c], &erased, &a.chunks)
}

macro_rules! scalar_left {
    ($($ty:ty),*) => {$(
        impl std::ops::Add<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn add(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, code::ADD, self, true) }
        }
        impl std::ops::Sub<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn sub(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, code::SUB, self, true) }
        }
        impl std::ops::Mul<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn mul(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, code::MUL, self, true) }
        }
        impl std::ops::Div<&Array<$ty>> for $ty {
            type Output = Array<$ty>;
            fn div(self, rhs: &Array<$ty>) -> Array<$ty> { scalar_op(rhs, code::DIV, self, true) }
        }
    )*};
}
scalar_left!(f64, f32, i64, i32, u64, u8);

impl<T: Number> std::ops::Neg for &Array<T> {
    type Output = Array<T>;
    fn neg(self) -> Array<T> {
        self.unary("neg", T::ops().unary, code::NEG)
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
// Kernels.

/// An operand of a kernel: a block or a scalar literal.
enum Side<T> {
    Block(Value),
    Scalar(T),
}

fn side<T: Element>(v: Value) -> Result<Side<T>, BoxError> {
    if let Some(x) = v.downcast_ref::<T>() {
        return Ok(Side::Scalar(*x));
    }
    block_ref::<T>(&v)?;
    Ok(Side::Block(v))
}

fn as_block<T: Element>(s: &Side<T>) -> Result<std::borrow::Cow<'_, ArrayD<T>>, BoxError> {
    Ok(match s {
        Side::Block(v) => std::borrow::Cow::Borrowed(block_ref::<T>(v)?),
        Side::Scalar(x) => std::borrow::Cow::Owned(ArrayD::from_elem(IxDyn(&[]), *x)),
    })
}

/// The broadcast shape of two blocks in a kernel.
fn kernel_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>, BoxError> {
    Ok(broadcast_shapes("kernel", &[a, b]).map_err(|e| e.to_string())?)
}

/// Applies `f` elementwise to two operands of one type, in place on a block that nobody
/// else holds and that already has the output's shape.
fn zip_same<T: Element>(
    a: Side<T>,
    b: Side<T>,
    f: impl Fn(T, T) -> T,
) -> Result<ArrayD<T>, BoxError> {
    match (a, b) {
        (Side::Block(a), Side::Scalar(s)) => Ok(match a.try_take::<ArrayD<T>>() {
            Ok(mut blk) => {
                blk.mapv_inplace(|x| f(x, s));
                blk
            }
            Err(v) => block_ref::<T>(&v)?.mapv(|x| f(x, s)),
        }),
        (Side::Scalar(s), Side::Block(b)) => Ok(match b.try_take::<ArrayD<T>>() {
            Ok(mut blk) => {
                blk.mapv_inplace(|x| f(s, x));
                blk
            }
            Err(v) => block_ref::<T>(&v)?.mapv(|x| f(s, x)),
        }),
        (Side::Scalar(x), Side::Scalar(y)) => Ok(ArrayD::from_elem(IxDyn(&[]), f(x, y))),
        (Side::Block(a), Side::Block(b)) => {
            let shape = kernel_shape(block_ref::<T>(&a)?.shape(), block_ref::<T>(&b)?.shape())?;
            let a = match a.try_take::<ArrayD<T>>() {
                Ok(mut blk) if blk.shape() == shape.as_slice() => {
                    let rhs = block_ref::<T>(&b)?;
                    Zip::from(&mut blk)
                        .and_broadcast(rhs)
                        .for_each(|x, &y| *x = f(*x, y));
                    crate::block::recycle_value::<T>(b);
                    return Ok(blk);
                }
                Ok(blk) => Value::with_nbytes(blk, 0),
                Err(v) => v,
            };
            let b = match b.try_take::<ArrayD<T>>() {
                Ok(mut blk) if blk.shape() == shape.as_slice() => {
                    let lhs = block_ref::<T>(&a)?;
                    Zip::from(&mut blk)
                        .and_broadcast(lhs)
                        .for_each(|y, &x| *y = f(x, *y));
                    crate::block::recycle_value::<T>(a);
                    return Ok(blk);
                }
                Ok(blk) => Value::with_nbytes(blk, 0),
                Err(v) => v,
            };
            let (a, b) = (block_ref::<T>(&a)?, block_ref::<T>(&b)?);
            let (av, bv) = (broadcast_view(a, &shape)?, broadcast_view(b, &shape)?);
            Ok(Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)))
        }
    }
}

fn broadcast_view<'a, T>(
    a: &'a ArrayD<T>,
    shape: &[usize],
) -> Result<ndarray::ArrayViewD<'a, T>, BoxError> {
    a.broadcast(IxDyn(shape)).ok_or_else(|| {
        format!(
            "cannot broadcast {} to {}",
            shape_str(a.shape()),
            shape_str(shape)
        )
        .into()
    })
}

/// Applies `f` to two operands into a new block of another type.
fn zip_new<T: Element, U: Element>(
    a: &Side<T>,
    b: &Side<T>,
    f: impl Fn(T, T) -> U,
) -> Result<ArrayD<U>, BoxError> {
    let (a, b) = (as_block(a)?, as_block(b)?);
    let shape = kernel_shape(a.shape(), b.shape())?;
    let (av, bv) = (broadcast_view(&a, &shape)?, broadcast_view(&b, &shape)?);
    Ok(Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)))
}

fn operands<T: Element>(args: Args, first: usize) -> Result<(Side<T>, Side<T>), BoxError> {
    let mut values = args.into_values().into_iter().skip(first);
    let (Some(a), Some(b)) = (values.next(), values.next()) else {
        return Err("expected two operands".into());
    };
    Ok((side::<T>(a)?, side::<T>(b)?))
}

fn is_zero_divisor<T: Element>(b: &Side<T>) -> Result<bool, BoxError> {
    Ok(match b {
        Side::Scalar(x) => *x == T::zero(),
        Side::Block(v) => block_ref::<T>(v)?.iter().any(|&x| x == T::zero()),
    })
}

/// `array.binary.<T>`: `[code, a, b]`.
pub(crate) fn binary_op<T: Element>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let (a, b) = operands::<T>(args, 1)?;
    if T::INTEGER && (c == code::DIV || c == code::REM) && is_zero_divisor(&b)? {
        return Err(format!(
            "integer {} by zero",
            if c == code::DIV {
                "division"
            } else {
                "remainder"
            }
        )
        .into());
    }
    let out = match c {
        code::ADD | code::OR => zip_same(a, b, T::add)?,
        code::SUB | code::XOR => zip_same(a, b, T::sub)?,
        code::MUL | code::AND => zip_same(a, b, T::mul)?,
        code::DIV => zip_same(a, b, T::div)?,
        code::REM => zip_same(a, b, T::rem)?,
        code::MIN => zip_same(a, b, T::min_of)?,
        code::MAX => zip_same(a, b, T::max_of)?,
        other => return Err(format!("unknown binary operation {other}").into()),
    };
    Ok(block_value(out))
}

/// `array.compare.<T>`: `[code, a, b]` to a `bool` block.
pub(crate) fn compare_op<T: Element>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let (a, b) = operands::<T>(args, 1)?;
    let out = match c {
        code::EQ => zip_new(&a, &b, |x, y| x == y)?,
        code::NE => zip_new(&a, &b, |x, y| x != y)?,
        code::LT => zip_new(&a, &b, |x, y| x < y)?,
        code::LE => zip_new(&a, &b, |x, y| x <= y)?,
        code::GT => zip_new(&a, &b, |x, y| x > y)?,
        code::GE => zip_new(&a, &b, |x, y| x >= y)?,
        other => return Err(format!("unknown comparison {other}").into()),
    };
    Ok(block_value(out))
}

/// Applies `f` to one block, in place when nobody else holds it.
fn map_same<T: Element>(v: Value, f: impl Fn(T) -> T) -> Result<ArrayD<T>, BoxError> {
    Ok(match v.try_take::<ArrayD<T>>() {
        Ok(mut blk) => {
            blk.mapv_inplace(f);
            blk
        }
        Err(v) => block_ref::<T>(&v)?.mapv(f),
    })
}

fn only_operand(args: Args, index: usize) -> Result<Value, BoxError> {
    args.into_values()
        .into_iter()
        .nth(index)
        .ok_or_else(|| "missing operand".into())
}

/// `array.unary.<T>`: `[code, a]` (neg and abs for numbers, not for `bool`).
pub(crate) fn unary_op<T: Element>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let v = only_operand(args, 1)?;
    let out = match c {
        code::NEG => map_same(v, |x: T| T::sub(T::zero(), x))?,
        code::ABS => map_same(v, |x: T| {
            if x < T::zero() {
                T::sub(T::zero(), x)
            } else {
                x
            }
        })?,
        code::NOT => map_same(v, |x: T| if x.truthy() { T::zero() } else { T::one() })?,
        other => return Err(format!("unknown unary operation {other}").into()),
    };
    Ok(block_value(out))
}

/// `array.powi.<T>`: `[n as u64, a]`.
pub(crate) fn powi_op<T: Number>(args: Args) -> OpResult {
    let n = *args.get::<u64>(0)? as i64 as i32;
    let v = only_operand(args, 1)?;
    Ok(block_value(map_same(v, |x: T| x.powi(n))?))
}

/// `array.float.<T>`: `[function, a]`.
pub(crate) fn float_op<T: Float>(args: Args) -> OpResult {
    let c = *args.get::<u64>(0)?;
    let v = only_operand(args, 1)?;
    let Some(f) = FloatFn::ALL.iter().find(|f| **f as u64 == c) else {
        return Err(format!("unknown float function {c}").into());
    };
    let out = match f {
        FloatFn::Sqrt => map_same(v, T::sqrt)?,
        FloatFn::Exp => map_same(v, T::exp)?,
        FloatFn::Ln => map_same(v, T::ln)?,
        FloatFn::Log10 => map_same(v, T::log10)?,
        FloatFn::Log2 => map_same(v, T::log2)?,
        FloatFn::Sin => map_same(v, T::sin)?,
        FloatFn::Cos => map_same(v, T::cos)?,
        FloatFn::Tan => map_same(v, T::tan)?,
        FloatFn::Tanh => map_same(v, T::tanh)?,
        FloatFn::Floor => map_same(v, T::floor)?,
        FloatFn::Ceil => map_same(v, T::ceil)?,
        FloatFn::Round => map_same(v, T::round)?,
        FloatFn::Exp2 => map_same(v, T::exp2)?,
        FloatFn::Ln1p => map_same(v, T::ln_1p)?,
        FloatFn::ExpM1 => map_same(v, T::exp_m1)?,
        FloatFn::Asin => map_same(v, T::asin)?,
        FloatFn::Acos => map_same(v, T::acos)?,
        FloatFn::Atan => map_same(v, T::atan)?,
        FloatFn::Sinh => map_same(v, T::sinh)?,
        FloatFn::Cosh => map_same(v, T::cosh)?,
    };
    Ok(block_value(out))
}

/// `array.powf.<T>`: `[a, b]`.
pub(crate) fn powf_op<T: Float>(args: Args) -> OpResult {
    let (a, b) = operands::<T>(args, 0)?;
    Ok(block_value(zip_same(a, b, num_traits::Float::powf)?))
}

/// `array.isnan.<T>`: `[a]`.
pub(crate) fn is_nan_op<T: Float>(args: Args) -> OpResult {
    let v = args.value(0)?;
    Ok(block_value(block_ref::<T>(v)?.mapv(|x| Element::is_nan(x))))
}

/// `array.where.<T>`: `[cond, a, b]`.
pub(crate) fn where_op<T: Element>(args: Args) -> OpResult {
    let cond = as_block(&side::<bool>(args.value(0)?.clone())?)?.into_owned();
    let a = side::<T>(args.value(1)?.clone())?;
    let b = side::<T>(args.value(2)?.clone())?;
    let (a, b) = (as_block(&a)?, as_block(&b)?);
    let shape = broadcast_shapes("where", &[cond.shape(), a.shape(), b.shape()])
        .map_err(|e| e.to_string())?;
    let (cv, av, bv) = (
        broadcast_view(&cond, &shape)?,
        broadcast_view(&a, &shape)?,
        broadcast_view(&b, &shape)?,
    );
    Ok(block_value(
        Zip::from(&cv)
            .and(&av)
            .and(&bv)
            .map_collect(|&c, &x, &y| if c { x } else { y }),
    ))
}

/// `array.cast.<T>`: `[target dtype, a]`.
pub(crate) fn cast_op<T: Element + CastAll>(args: Args) -> OpResult {
    let target = *args.get::<u64>(0)?;
    let a = block_ref::<T>(args.value(1)?)?;
    let v = match target {
        t if t == DType::F64 as u64 => block_value(a.mapv(CastTo::<f64>::cast)),
        t if t == DType::F32 as u64 => block_value(a.mapv(CastTo::<f32>::cast)),
        t if t == DType::I64 as u64 => block_value(a.mapv(CastTo::<i64>::cast)),
        t if t == DType::I32 as u64 => block_value(a.mapv(CastTo::<i32>::cast)),
        t if t == DType::U64 as u64 => block_value(a.mapv(CastTo::<u64>::cast)),
        t if t == DType::U8 as u64 => block_value(a.mapv(CastTo::<u8>::cast)),
        t if t == DType::Bool as u64 => block_value(a.mapv(CastTo::<bool>::cast)),
        other => return Err(format!("unknown target dtype {other}").into()),
    };
    Ok(v)
}
