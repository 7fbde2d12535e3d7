//! Means, variances and standard deviations: `(count, mean, M2)` partials in `f64`,
//! merged pairwise (Chan et al.), finished in [`Element::Float`].
//!
//! A running sum of squares loses every digit over 10⁹ elements of similar values; the
//! pairwise update of `(n, mean, M2)` does not. A mean carries no `M2`. Infinities
//! follow what a plain sum would give (`inf` stays `inf`, `inf - inf` is NaN, an
//! infinity's deviation is NaN), and `ddof` divides as NumPy does (by
//! `max(n - ddof, 0)`).

use dask_graph::{Args, BoxError, OpResult, Value, register_codec, register_op};
use ndarray::{ArrayD, Axis, Zip};

use super::Reduce;
use super::block_fold::{fold_mapped, reduce_block};
use super::tree::{Stage, tree};
use crate::array::{Array, Scalar};
use crate::block::{block_ref, block_value, decode_block, encode_block, recycle_value};
use crate::element::per_type::{per_element, per_float};
use crate::element::{Element, Float};
use crate::error::Result;
use crate::layer::{lit, usizes_arg};
use crate::op_code::{code_arg, op_code};

op_code! {
    /// What `array.moments.finish.<F>` makes of the merged partial.
    enum Moment("moment") {
        Mean = 0,
        Var = 1,
        Std = 2,
    }
}

impl<T: Element> Array<T> {
    fn moments(
        &self,
        label: &'static str,
        m: Moment,
        ddof: f64,
        r: Reduce,
    ) -> Result<Array<T::Float>> {
        let res = r.resolve(label, self.ndim())?;
        let axes = res.axes_lit();
        Ok(tree(
            self,
            label,
            &res,
            &(m.code(), ddof.to_bits()),
            Stage {
                op: moments_partial_for::<T>(),
                leading: vec![lit(u64::from(m != Moment::Mean)), lit(axes.clone())],
            },
            Stage {
                op: &MOMENTS_COMBINE,
                leading: vec![],
            },
            Stage {
                op: moments_finish_for::<T::Float>(),
                leading: vec![
                    lit(m.code()),
                    lit(ddof),
                    lit(if res.keepdims { Vec::new() } else { axes }),
                ],
            },
        ))
    }

    /// The arithmetic mean (`f64`, or `f32` for `f32` arrays; NaN for an empty array).
    pub fn mean(&self) -> Scalar<T::Float> {
        Scalar(self.must(self.mean_over(Reduce::all())))
    }

    /// The mean over some axes.
    pub fn mean_over(&self, r: impl Into<Reduce>) -> Result<Array<T::Float>> {
        self.moments("mean", Moment::Mean, 0.0, r.into())
    }

    /// The variance, dividing by `n - ddof` (NumPy's default is `ddof = 0`).
    pub fn var(&self, ddof: f64) -> Scalar<T::Float> {
        Scalar(self.must(self.var_over(Reduce::all(), ddof)))
    }

    /// The variance over some axes.
    pub fn var_over(&self, r: impl Into<Reduce>, ddof: f64) -> Result<Array<T::Float>> {
        self.moments("var", Moment::Var, ddof, r.into())
    }

    /// The standard deviation, dividing by `n - ddof`.
    pub fn std(&self, ddof: f64) -> Scalar<T::Float> {
        Scalar(self.must(self.std_over(Reduce::all(), ddof)))
    }

    /// The standard deviation over some axes.
    pub fn std_over(&self, r: impl Into<Reduce>, ddof: f64) -> Result<Array<T::Float>> {
        self.moments("std", Moment::Std, ddof, r.into())
    }
}

/// A `(count, mean, M2)` partial of a mean or variance (M2 empty for a mean).
#[derive(Clone, Debug)]
pub struct Moments {
    n: f64,
    mean: ArrayD<f64>,
    m2: Option<ArrayD<f64>>,
}

impl dask_graph::Data for Moments {
    fn nbytes(&self) -> usize {
        8 * (1 + self.mean.len() + self.m2.as_ref().map_or(0, ArrayD::len))
    }
}

fn encode_moments(v: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let m = v.get::<Moments>()?;
    out.extend_from_slice(&m.n.to_le_bytes());
    encode_block(&m.mean, out)?;
    if let Some(m2) = &m.m2 {
        encode_block(m2, out)?;
    }
    Ok(())
}

fn decode_moments(bytes: &[u8]) -> Result<Value, BoxError> {
    let raw: [u8; 8] = bytes.get(..8).ok_or("moments cut short")?.try_into()?;
    let (mean, used) = decode_block::<f64>(&bytes[8..])?;
    let rest = &bytes[8 + used..];
    let m2 = if rest.is_empty() {
        None
    } else {
        let (m2, used2) = decode_block::<f64>(rest)?;
        if used2 != rest.len() {
            return Err("trailing bytes after moments".into());
        }
        Some(m2)
    };
    Ok(Value::new(Moments {
        n: f64::from_le_bytes(raw),
        mean,
        m2,
    }))
}

register_codec!(Moments, "array-moments", encode_moments, decode_moments);

/// `array.moments.partial.<T>`: `[want_m2, axes, block]`.
fn moments_partial<T: Element>(args: Args) -> OpResult {
    let want_m2 = *args.get::<u64>(0)? != 0;
    let axes = usizes_arg(&args, 1)?;
    let v = args.value(2)?.clone();
    drop(args);
    let b = block_ref::<T>(&v)?;
    let n: usize = axes.iter().map(|&a| b.shape()[a]).product();
    let sum = reduce_block(b.view(), &axes, 0.0f64, T::to_f64, |a, x| a + x)?;
    let mean = if n > 0 {
        sum.mapv(|s| s / n as f64)
    } else {
        sum
    };
    let m2 = if !want_m2 {
        None
    } else if n == 0 {
        Some(ArrayD::zeros(mean.raw_dim()))
    } else {
        Some(squared_deviations(b, &axes, &mean)?)
    };
    recycle_value::<T>(v);
    Ok(Value::new(Moments {
        n: n as f64,
        mean,
        m2,
    }))
}

per_element!(fn moments_partial_for, "array.moments.partial", moments_partial);

/// The sum of squared deviations from `mean` (shaped like a partial) over `axes`: a
/// second pass over the block, allocation-free when reducing everything or the last
/// axis of a contiguous block.
fn squared_deviations<T: Element>(
    b: &ArrayD<T>,
    axes: &[usize],
    mean: &ArrayD<f64>,
) -> Result<ArrayD<f64>, BoxError> {
    let ndim = b.ndim();
    let sq = |mu: f64| {
        move |x: T| {
            let d = x.to_f64() - mu;
            d * d
        }
    };
    let add = |a: f64, x: f64| a + x;
    if axes.len() == ndim
        && let Some(&mu) = mean.iter().next()
    {
        // Logical order, as in `reduce_block`: the same result on every scheduler.
        let standard = b.as_standard_layout();
        if let Some(xs) = standard.as_slice() {
            return Ok(ArrayD::from_elem(
                mean.raw_dim(),
                fold_mapped(xs, 0.0, sq(mu), add),
            ));
        }
    }
    if axes == [ndim - 1] && b.is_standard_layout() {
        let lanes = b.lanes(Axis(ndim - 1));
        let mu = mean.index_axis(Axis(ndim - 1), 0);
        let out = Zip::from(lanes)
            .and(&mu)
            .map_collect(|lane, &mu| match lane.as_slice() {
                Some(xs) => fold_mapped(xs, 0.0, sq(mu), add),
                None => lane.iter().fold(0.0, |acc, &x| acc + sq(mu)(x)),
            });
        return Ok(out.insert_axis(Axis(ndim - 1)));
    }
    let mb = mean
        .broadcast(b.raw_dim())
        .ok_or("moments: mean does not broadcast")?;
    let dev = Zip::from(b).and(&mb).map_collect(|&x, &mu| sq(mu)(x));
    reduce_block(dev.view(), axes, 0.0, |x| x, add)
}

/// `array.moments.combine`: `[partials...]`, merged pairwise (Chan et al.).
fn moments_combine(args: Args) -> OpResult {
    let mut parts = args.into_values().into_iter();
    let first = parts.next().ok_or("combine of no partials")?;
    let mut acc = first.take::<Moments>()?;
    for v in parts {
        let b = v.get::<Moments>()?;
        if b.n == 0.0 {
            continue;
        }
        if acc.n == 0.0 {
            acc = b.clone();
            continue;
        }
        let n = acc.n + b.n;
        let (na, nb) = (acc.n, b.n);
        if acc.mean.shape() != b.mean.shape() {
            return Err(format!(
                "moment partials of shapes {:?} and {:?}",
                acc.mean.shape(),
                b.mean.shape()
            )
            .into());
        }
        if let (Some(m2a), Some(m2b)) = (&mut acc.m2, &b.m2) {
            Zip::from(m2a)
                .and(m2b)
                .and(&acc.mean)
                .and(&b.mean)
                .for_each(|m2, &m2b, &ma, &mb| {
                    if ma.is_finite() && mb.is_finite() {
                        let d = mb - ma;
                        *m2 += m2b + d * d * na * nb / n;
                    } else {
                        // An infinity's deviation is undefined (NumPy: NaN).
                        *m2 = f64::NAN;
                    }
                });
        }
        Zip::from(&mut acc.mean).and(&b.mean).for_each(|ma, &mb| {
            *ma = if ma.is_finite() && mb.is_finite() {
                *ma + (mb - *ma) * nb / n
            } else {
                // inf + inf stays inf, inf - inf is NaN: as a plain sum would give.
                (*ma * na + mb * nb) / n
            };
        });
        acc.n = n;
    }
    Ok(Value::new(acc))
}

register_op!(MOMENTS_COMBINE = "array.moments.combine" => moments_combine);

/// `array.moments.finish.<F>`: `[kind, ddof, drop_axes, partial]`.
fn moments_finish<F: Float>(args: Args) -> OpResult {
    let kind: Moment = code_arg(&args, 0)?;
    let ddof = *args.get::<f64>(1)?;
    let drop = usizes_arg(&args, 2)?;
    let m = args.get::<Moments>(3)?;
    let out: ArrayD<f64> = match kind {
        Moment::Mean => {
            if m.n == 0.0 {
                m.mean.mapv(|_| f64::NAN)
            } else {
                m.mean.clone()
            }
        }
        Moment::Var | Moment::Std => {
            // NumPy divides by max(n - ddof, 0): a positive M2 over 0 is infinite; a
            // NaN ddof gives NaN (`f64::max` would turn it into 0).
            let denom = if (m.n - ddof).is_nan() {
                f64::NAN
            } else {
                (m.n - ddof).max(0.0)
            };
            let m2 = m.m2.as_ref().ok_or("variance from a partial without M2")?;
            let var = m2.mapv(|s| s / denom);
            if kind == Moment::Std {
                var.mapv(f64::sqrt)
            } else {
                var
            }
        }
    };
    let mut out = out.mapv(F::from_f64);
    for &a in drop.iter().rev() {
        out = out.index_axis_move(Axis(a), 0);
    }
    Ok(block_value(out))
}

per_float!(fn moments_finish_for, "array.moments.finish", moments_finish);
