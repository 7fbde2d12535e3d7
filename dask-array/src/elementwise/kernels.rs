//! The elementwise kernels, each registered for its element types right after it
//! (`array.binary.<T>`, ...; all *cheap*, so the optimizer fuses chains of them).
//!
//! Operands arrive as blocks or scalar literals. A kernel writes into a block that
//! nobody else holds when it already has the output's shape (the previous step's
//! output, in a fused chain), so a chain allocates no intermediate blocks; otherwise it
//! broadcasts views into a new block. Codes come first in the arguments and are decoded
//! before any work ([`code_arg`]): an unknown one fails the task.

use dask_graph::{Args, BoxError, OpResult, Value};
use ndarray::{ArrayD, IxDyn, Zip};

use super::broadcast_shapes;
use super::codes::{BinaryOp, CompareOp, FloatFn, UnaryOp, dtype_from_code};
use crate::block::{block_ref, block_value, recycle_value};
use crate::element::per_type::{per_element, per_float, per_number};
use crate::element::{CastAll, CastTo, DType, Element, Float, Number};
use crate::error::shape_str;
use crate::op_code::code_arg;

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
                    recycle_value::<T>(b);
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
                    recycle_value::<T>(a);
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
fn binary_op<T: Element>(args: Args) -> OpResult {
    let op: BinaryOp = code_arg(&args, 0)?;
    let (a, b) = operands::<T>(args, 1)?;
    let by_zero = match op {
        BinaryOp::Div => Some("division"),
        BinaryOp::Rem => Some("remainder"),
        _ => None,
    };
    if let Some(what) = by_zero
        && T::INTEGER
        && is_zero_divisor(&b)?
    {
        return Err(format!("integer {what} by zero").into());
    }
    let out = match op {
        BinaryOp::Add | BinaryOp::Or => zip_same(a, b, T::add)?,
        BinaryOp::Sub | BinaryOp::Xor => zip_same(a, b, T::sub)?,
        BinaryOp::Mul | BinaryOp::And => zip_same(a, b, T::mul)?,
        BinaryOp::Div => zip_same(a, b, T::div)?,
        BinaryOp::Rem => zip_same(a, b, T::rem)?,
        BinaryOp::Min => zip_same(a, b, T::min_of)?,
        BinaryOp::Max => zip_same(a, b, T::max_of)?,
    };
    Ok(block_value(out))
}

per_element!(fn binary_op_for, "array.binary", binary_op, cheap);

/// `array.compare.<T>`: `[code, a, b]` to a `bool` block.
fn compare_op<T: Element>(args: Args) -> OpResult {
    let op: CompareOp = code_arg(&args, 0)?;
    let (a, b) = operands::<T>(args, 1)?;
    let out = match op {
        CompareOp::Eq => zip_new(&a, &b, |x, y| x == y)?,
        CompareOp::Ne => zip_new(&a, &b, |x, y| x != y)?,
        CompareOp::Lt => zip_new(&a, &b, |x, y| x < y)?,
        CompareOp::Le => zip_new(&a, &b, |x, y| x <= y)?,
        CompareOp::Gt => zip_new(&a, &b, |x, y| x > y)?,
        CompareOp::Ge => zip_new(&a, &b, |x, y| x >= y)?,
    };
    Ok(block_value(out))
}

per_element!(fn compare_op_for, "array.compare", compare_op, cheap);

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
fn unary_op<T: Element>(args: Args) -> OpResult {
    let op: UnaryOp = code_arg(&args, 0)?;
    let v = only_operand(args, 1)?;
    let out = match op {
        UnaryOp::Neg => map_same(v, |x: T| T::sub(T::zero(), x))?,
        UnaryOp::Abs => map_same(v, |x: T| {
            if x < T::zero() {
                T::sub(T::zero(), x)
            } else {
                x
            }
        })?,
        UnaryOp::Not => map_same(v, |x: T| if x.truthy() { T::zero() } else { T::one() })?,
    };
    Ok(block_value(out))
}

per_element!(fn unary_op_for, "array.unary", unary_op, cheap);

/// `array.powi.<T>`: `[n as u64, a]`.
fn powi_op<T: Number>(args: Args) -> OpResult {
    let n = *args.get::<u64>(0)? as i64 as i32;
    let v = only_operand(args, 1)?;
    Ok(block_value(map_same(v, |x: T| x.powi(n))?))
}

per_number!(fn powi_op_for, "array.powi", powi_op, cheap);

/// `array.float.<T>`: `[function, a]`.
fn float_op<T: Float>(args: Args) -> OpResult {
    let f: FloatFn = code_arg(&args, 0)?;
    let v = only_operand(args, 1)?;
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

per_float!(fn float_op_for, "array.float", float_op, cheap);

/// `array.powf.<T>`: `[a, b]`.
fn powf_op<T: Float>(args: Args) -> OpResult {
    let (a, b) = operands::<T>(args, 0)?;
    Ok(block_value(zip_same(a, b, num_traits::Float::powf)?))
}

per_float!(fn powf_op_for, "array.powf", powf_op, cheap);

/// `array.isnan.<T>`: `[a]`.
fn is_nan_op<T: Float>(args: Args) -> OpResult {
    let v = args.value(0)?;
    Ok(block_value(block_ref::<T>(v)?.mapv(|x| Element::is_nan(x))))
}

per_float!(fn is_nan_op_for, "array.isnan", is_nan_op, cheap);

/// `array.where.<T>`: `[cond, a, b]`.
fn where_op<T: Element>(args: Args) -> OpResult {
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

per_element!(fn where_op_for, "array.where", where_op, cheap);

/// `array.cast.<T>`: `[target dtype, a]`.
fn cast_op<T: Element + CastAll>(args: Args) -> OpResult {
    let target = dtype_from_code(*args.get::<u64>(0)?)?;
    let a = block_ref::<T>(args.value(1)?)?;
    Ok(match target {
        DType::F64 => block_value(a.mapv(CastTo::<f64>::cast)),
        DType::F32 => block_value(a.mapv(CastTo::<f32>::cast)),
        DType::I64 => block_value(a.mapv(CastTo::<i64>::cast)),
        DType::I32 => block_value(a.mapv(CastTo::<i32>::cast)),
        DType::U64 => block_value(a.mapv(CastTo::<u64>::cast)),
        DType::U8 => block_value(a.mapv(CastTo::<u8>::cast)),
        DType::Bool => block_value(a.mapv(CastTo::<bool>::cast)),
    })
}

per_element!(fn cast_op_for, "array.cast", cast_op, cheap);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use dask_graph::{Args, Value};

    use super::*;
    use crate::element::DType;
    use crate::elementwise::codes::dtype_code;

    fn run(op: &'static dask_graph::RegisteredOp, args: Vec<Value>) -> OpResult {
        (op.func)(Args::new(args))
    }

    #[test]
    fn unknown_codes_fail_the_task() {
        let block = || block_value(ArrayD::from_elem(IxDyn(&[2]), 1.0f64));
        let err = run(
            binary_op_for::<f64>(),
            vec![Value::new(99u64), block(), block()],
        );
        assert_eq!(err.unwrap_err().to_string(), "unknown binary operation 99");
        let err = run(
            compare_op_for::<f64>(),
            vec![Value::new(0u64), block(), block()],
        );
        assert_eq!(err.unwrap_err().to_string(), "unknown comparison 0");
        let err = run(unary_op_for::<f64>(), vec![Value::new(7u64), block()]);
        assert_eq!(err.unwrap_err().to_string(), "unknown unary operation 7");
        let err = run(float_op_for::<f64>(), vec![Value::new(20u64), block()]);
        assert_eq!(err.unwrap_err().to_string(), "unknown float function 20");
        let err = run(cast_op_for::<f64>(), vec![Value::new(7u64), block()]);
        assert_eq!(err.unwrap_err().to_string(), "unknown target dtype 7");
        // Known codes still run.
        let sum = run(
            binary_op_for::<f64>(),
            vec![
                Value::new(BinaryOp::Add.code()),
                block(),
                Value::new(2.0f64),
            ],
        )
        .unwrap();
        assert_eq!(
            block_ref::<f64>(&sum).unwrap().as_slice(),
            Some(&[3.0, 3.0][..])
        );
        let cast = run(
            cast_op_for::<f64>(),
            vec![Value::new(dtype_code(DType::Bool)), block()],
        )
        .unwrap();
        assert!(block_ref::<bool>(&cast).unwrap().iter().all(|&b| b));
    }
}
