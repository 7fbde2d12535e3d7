//! Folds: sum, prod, min, max, any, all — a partial per block in the accumulator type,
//! merged elementwise by the combine tasks, the reduced axes dropped at the end.
//!
//! Sums and products of integers accumulate in [`Element::Acc`] (wrapping, as NumPy);
//! `any`/`all` fold truthiness into `bool`. The combine operation is shared: linalg adds
//! its partial matrix products and histograms their counts with `Fold::Sum`.

use dask_graph::{Args, OpResult};
use ndarray::Zip;

use super::Reduce;
use super::block_fold::reduce_block;
use super::tree::{Stage, tree};
use crate::array::{Array, Scalar};
use crate::block::{block_ref, block_value, recycle_value, take_block};
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::{Result, invalid, shape_str};
use crate::layer::{lit, usizes_arg};
use crate::op_code::{code_arg, op_code};
use crate::shape::squeeze_op_for;

op_code! {
    /// The folds of `array.fold.partial.<T>` and `array.fold.combine.<T>` (`Min` and
    /// `Max` also tell argmin from argmax).
    enum Fold("fold") {
        Sum = 0,
        Prod = 1,
        Min = 2,
        Max = 3,
        Any = 4,
        All = 5,
    }
}

impl<T: Element> Array<T> {
    fn fold<U: Element>(&self, label: &'static str, f: Fold, r: Reduce) -> Result<Array<U>> {
        let res = r.resolve(label, self.ndim())?;
        if matches!(f, Fold::Min | Fold::Max) && self.empty_over(&res) {
            return Err(invalid(
                label,
                format!(
                    "zero-size reduction over an array of shape {}: {label} has no identity",
                    shape_str(&self.shape())
                ),
            ));
        }
        let axes = res.axes_lit();
        Ok(tree(
            self,
            label,
            &res,
            &f.code(),
            Stage {
                op: fold_partial_for::<T>(),
                leading: vec![lit(f.code()), lit(axes.clone())],
            },
            Stage {
                op: fold_combine_for::<U>(),
                leading: vec![lit(f.code())],
            },
            Stage {
                op: squeeze_op_for::<U>(),
                leading: vec![lit(if res.keepdims { Vec::new() } else { axes })],
            },
        ))
    }

    /// The sum of all elements (in [`Element::Acc`]: `i64` for signed integers and
    /// `bool`, `u64` for unsigned).
    pub fn sum(&self) -> Scalar<T::Acc> {
        Scalar(self.must(self.sum_over(Reduce::all())))
    }

    /// The sum over some axes.
    pub fn sum_over(&self, r: impl Into<Reduce>) -> Result<Array<T::Acc>> {
        self.fold("sum", Fold::Sum, r.into())
    }

    /// The product of all elements (in [`Element::Acc`]).
    pub fn prod(&self) -> Scalar<T::Acc> {
        Scalar(self.must(self.prod_over(Reduce::all())))
    }

    /// The product over some axes.
    pub fn prod_over(&self, r: impl Into<Reduce>) -> Result<Array<T::Acc>> {
        self.fold("prod", Fold::Prod, r.into())
    }

    /// The smallest element (NaN if any is NaN); an error for an empty array.
    pub fn min(&self) -> Result<Scalar<T>> {
        Ok(Scalar(self.min_over(Reduce::all())?))
    }

    /// The smallest elements over some axes.
    pub fn min_over(&self, r: impl Into<Reduce>) -> Result<Array<T>> {
        self.fold("min", Fold::Min, r.into())
    }

    /// The largest element (NaN if any is NaN); an error for an empty array.
    pub fn max(&self) -> Result<Scalar<T>> {
        Ok(Scalar(self.max_over(Reduce::all())?))
    }

    /// The largest elements over some axes.
    pub fn max_over(&self, r: impl Into<Reduce>) -> Result<Array<T>> {
        self.fold("max", Fold::Max, r.into())
    }

    /// Whether any element is non-zero.
    pub fn any(&self) -> Scalar<bool> {
        Scalar(self.must(self.any_over(Reduce::all())))
    }

    /// Whether any element is non-zero, over some axes.
    pub fn any_over(&self, r: impl Into<Reduce>) -> Result<Array<bool>> {
        self.fold("any", Fold::Any, r.into())
    }

    /// Whether every element is non-zero.
    pub fn all(&self) -> Scalar<bool> {
        Scalar(self.must(self.all_over(Reduce::all())))
    }

    /// Whether every element is non-zero, over some axes.
    pub fn all_over(&self, r: impl Into<Reduce>) -> Result<Array<bool>> {
        self.fold("all", Fold::All, r.into())
    }
}

/// `array.fold.partial.<T>`: `[code, axes, block]`.
fn fold_partial<T: Element>(args: Args) -> OpResult {
    let f: Fold = code_arg(&args, 0)?;
    let axes = usizes_arg(&args, 1)?;
    let v = args.value(2)?.clone();
    drop(args);
    let b = block_ref::<T>(&v)?.view();
    let out = match f {
        Fold::Sum => block_value(reduce_block(
            b,
            &axes,
            T::Acc::zero(),
            T::to_acc,
            <T::Acc>::add,
        )?),
        Fold::Prod => block_value(reduce_block(
            b,
            &axes,
            T::Acc::one(),
            T::to_acc,
            <T::Acc>::mul,
        )?),
        Fold::Min => block_value(reduce_block(b, &axes, T::HIGHEST, |x| x, T::min_of)?),
        Fold::Max => block_value(reduce_block(b, &axes, T::LOWEST, |x| x, T::max_of)?),
        Fold::Any => block_value(reduce_block(b, &axes, false, T::truthy, |a, x| a | x)?),
        Fold::All => block_value(reduce_block(b, &axes, true, T::truthy, |a, x| a & x)?),
    };
    recycle_value::<T>(v);
    Ok(out)
}

per_element!(fn fold_partial_for, "array.fold.partial", fold_partial);

/// `array.fold.combine.<U>`: `[code, partials...]`, all of one shape.
fn fold_combine<U: Element>(args: Args) -> OpResult {
    let f: fn(U, U) -> U = match code_arg(&args, 0)? {
        Fold::Sum | Fold::Any => U::add,
        Fold::Prod | Fold::All => U::mul,
        Fold::Min => U::min_of,
        Fold::Max => U::max_of,
    };
    let mut values = args.into_values().into_iter().skip(1);
    let first = values.next().ok_or("combine of no partials")?;
    let mut acc = take_block::<U>(first)?;
    for v in values {
        let b = block_ref::<U>(&v)?;
        if b.shape() != acc.shape() {
            return Err(format!("partials of shapes {:?} and {:?}", acc.shape(), b.shape()).into());
        }
        Zip::from(&mut acc).and(b).for_each(|a, &x| *a = f(*a, x));
    }
    Ok(block_value(acc))
}

per_element!(fn fold_combine_for, "array.fold.combine", fold_combine);
