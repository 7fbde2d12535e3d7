//! Linear algebra: matrix products as blockwise contractions, and outer products.
//!
//! `a @ b` for `a` of shape `(m, k)` and `b` of shape `(k, n)`: the two arrays are first
//! given the same blocks along `k` (the common refinement of their boundaries); then
//! output block `(i, j)` is `Σ_l a[i, l] · b[l, j]`, each product computed by ndarray's
//! matrix multiply (`matrixmultiply`, with the CPU's vector units detected at run time)
//! accumulating into one output buffer. With more than [`CONTRACTION_GROUP`] blocks
//! along `k`, groups of that many are summed by separate tasks first and the partial
//! sums added by a last one — a one-level tree, which bounds every task's inputs.

use dask_graph::Arg;
use ndarray::LinalgScalar;

use crate::array::Array;
use crate::chunks::{Chunks, refine};
use crate::element::{Float, Number};
use crate::error::{Result, invalid, shape_str};
use crate::layer::{block_key, build, layer_name, lit, task};
use crate::reduce::{Fold, fold_combine_for};

mod kernels;

use kernels::matmul_op_for;

/// Most blocks along the contracted axis one task multiplies and sums.
pub const CONTRACTION_GROUP: usize = 16;

impl<T: Float + LinalgScalar> Array<T> {
    /// The matrix product of two 2-d arrays (NumPy's `a @ b`).
    ///
    /// ```
    /// use dask_array::Array;
    /// use dask_graph::SyncScheduler;
    /// let a = Array::from_ndarray(ndarray::arr2(&[[1.0, 2.0], [3.0, 4.0]]), 1)?;
    /// let b = Array::from_ndarray(ndarray::arr2(&[[5.0], [6.0]]), [1, 1])?;
    /// let c = a.matmul(&b)?;
    /// assert_eq!(c.compute(&SyncScheduler)?, ndarray::arr2(&[[17.0], [39.0]]).into_dyn());
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn matmul(&self, other: &Array<T>) -> Result<Array<T>> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.len() != 2 || sb.len() != 2 {
            return Err(invalid(
                "matmul",
                format!(
                    "needs two 2-d arrays, got shapes {} and {} (use dot for vectors)",
                    shape_str(&sa),
                    shape_str(&sb)
                ),
            ));
        }
        if sa[1] != sb[0] {
            return Err(invalid(
                "matmul",
                format!(
                    "shapes {} and {} do not align: {} (axis 1) != {} (axis 0)",
                    shape_str(&sa),
                    shape_str(&sb),
                    sa[1],
                    sb[0]
                ),
            ));
        }
        let k = refine(&[self.chunks.axis(1), other.chunks.axis(0)]);
        let a = self.rechunk_to(&Chunks::from_lengths(vec![
            self.chunks.axis(0).to_vec(),
            k.clone(),
        ]))?;
        let b = other.rechunk_to(&Chunks::from_lengths(vec![
            k.clone(),
            other.chunks.axis(1).to_vec(),
        ]))?;
        let out = Chunks::from_lengths(vec![a.chunks.axis(0).to_vec(), b.chunks.axis(1).to_vec()]);
        let base = layer_name("matmul", &(a.name(), b.name()));
        let op = matmul_op_for::<T>();
        let nk = k.len();
        let (an, bn) = (&a.name, &b.name);
        let product = |i: usize, j: usize, ls: std::ops::Range<usize>| {
            let mut args = vec![lit(ls.len() as u64)];
            args.extend(ls.clone().map(|l| Arg::Key(block_key(an, &[i, l]))));
            args.extend(ls.map(|l| Arg::Key(block_key(bn, &[l, j]))));
            task(op, args)
        };
        if nk <= CONTRACTION_GROUP {
            return Ok(build(&[&a.graph, &b.graph], base, out, |index| {
                product(index[0], index[1], 0..nk)
            }));
        }
        // Partial sums over groups of the contracted blocks, then their sum.
        let groups = nk.div_ceil(CONTRACTION_GROUP);
        let partial_chunks = Chunks::from_lengths(vec![
            out.axis(0).to_vec(),
            out.axis(1).to_vec(),
            vec![1; groups],
        ]);
        let partials: Array<T> = build(
            &[&a.graph, &b.graph],
            layer_name("matmul-partial", &base.to_string()),
            partial_chunks,
            |index| {
                let start = index[2] * CONTRACTION_GROUP;
                product(
                    index[0],
                    index[1],
                    start..(start + CONTRACTION_GROUP).min(nk),
                )
            },
        );
        let pn = &partials.name;
        Ok(build(&[&partials.graph], base.clone(), out, |index| {
            let mut args = vec![lit(Fold::Sum.code())];
            args.extend((0..groups).map(|g| Arg::Key(block_key(pn, &[index[0], index[1], g]))));
            task(fold_combine_for::<T>(), args)
        }))
    }

    /// NumPy's `dot` for 1-d and 2-d arrays: the inner product of two vectors (a 0-d
    /// array), matrix-vector and vector-matrix products, or [`matmul`](Array::matmul).
    pub fn dot(&self, other: &Array<T>) -> Result<Array<T>> {
        let (na, nb) = (self.ndim(), other.ndim());
        let (sa, sb) = (self.shape(), other.shape());
        let as_row = |x: &Array<T>, n: usize| x.reshape(&[1, n as isize]);
        let as_col = |x: &Array<T>, n: usize| x.reshape(&[n as isize, 1]);
        match (na, nb) {
            (1, 1) => {
                if sa[0] != sb[0] {
                    return Err(invalid(
                        "dot",
                        format!("vectors of lengths {} and {} do not align", sa[0], sb[0]),
                    ));
                }
                as_row(self, sa[0])?
                    .matmul(&as_col(other, sb[0])?)?
                    .reshape(&[])
            }
            (2, 1) => self
                .matmul(&as_col(other, sb[0])?)?
                .reshape(&[sa[0] as isize]),
            (1, 2) => as_row(self, sa[0])?
                .matmul(other)?
                .reshape(&[sb[1] as isize]),
            (2, 2) => self.matmul(other),
            _ => Err(invalid(
                "dot",
                format!(
                    "supports 1-d and 2-d arrays, got shapes {} and {}",
                    shape_str(&sa),
                    shape_str(&sb)
                ),
            )),
        }
    }
}

/// NumPy's `tensordot`: sums the products of `a` and `b` over the paired axes
/// `axes.0[i]` of `a` and `axes.1[i]` of `b`; the result's axes are `a`'s other axes,
/// then `b`'s. Built as a transpose and reshape of each side to a matrix, a
/// [`matmul`](Array::matmul), and a reshape back.
///
/// ```
/// use dask_array::{Array, tensordot};
/// use dask_graph::SyncScheduler;
/// let a = Array::<f64>::arange(0.0, 24.0, 1.0, 5)?.reshape(&[2, 3, 4])?;
/// let b = Array::<f64>::ones(&[4, 3], 2)?;
/// let c = tensordot(&a, &b, (&[1, 2], &[1, 0]))?;
/// assert_eq!(c.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![66.0, 210.0]);
/// # Ok::<(), dask_array::Error>(())
/// ```
pub fn tensordot<T: Float + LinalgScalar>(
    a: &Array<T>,
    b: &Array<T>,
    axes: (&[isize], &[isize]),
) -> Result<Array<T>> {
    let (sa, sb) = (a.shape(), b.shape());
    if axes.0.len() != axes.1.len() {
        return Err(invalid(
            "tensordot",
            format!(
                "{} axes of a paired with {} axes of b",
                axes.0.len(),
                axes.1.len()
            ),
        ));
    }
    let resolve = |list: &[isize], ndim: usize| -> Result<Vec<usize>> {
        let out = list
            .iter()
            .map(|&x| crate::error::resolve_axis("tensordot", x, ndim))
            .collect::<Result<Vec<_>>>()?;
        let mut sorted = out.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != out.len() {
            return Err(invalid(
                "tensordot",
                format!("an axis is repeated in {list:?}"),
            ));
        }
        Ok(out)
    };
    let (ca, cb) = (resolve(axes.0, sa.len())?, resolve(axes.1, sb.len())?);
    if let Some((x, y)) = ca.iter().zip(&cb).find(|(x, y)| sa[**x] != sb[**y]) {
        return Err(invalid(
            "tensordot",
            format!(
                "axis {x} of a (length {}) and axis {y} of b (length {}) differ; shapes {} and {}",
                sa[*x],
                sb[*y],
                shape_str(&sa),
                shape_str(&sb)
            ),
        ));
    }
    let free_a: Vec<usize> = (0..sa.len()).filter(|d| !ca.contains(d)).collect();
    let free_b: Vec<usize> = (0..sb.len()).filter(|d| !cb.contains(d)).collect();
    let m: usize = free_a.iter().map(|&d| sa[d]).product();
    let n: usize = free_b.iter().map(|&d| sb[d]).product();
    let k: usize = ca.iter().map(|&d| sa[d]).product();
    let perm = |order: Vec<usize>| order.into_iter().map(|d| d as isize).collect::<Vec<_>>();
    let a2 = a
        .transpose(&perm(free_a.iter().chain(&ca).copied().collect()))?
        .reshape(&[m as isize, k as isize])?;
    let b2 = b
        .transpose(&perm(cb.iter().chain(&free_b).copied().collect()))?
        .reshape(&[k as isize, n as isize])?;
    let shape: Vec<isize> = free_a
        .iter()
        .map(|&d| sa[d] as isize)
        .chain(free_b.iter().map(|&d| sb[d] as isize))
        .collect();
    a2.matmul(&b2)?.reshape(&shape)
}

/// The outer product of two arrays, flattened first (NumPy's `outer`):
/// `out[i, j] = a[i] * b[j]`.
pub fn outer<T: Number>(a: &Array<T>, b: &Array<T>) -> Result<Array<T>> {
    let col = a.reshape(&[-1])?.expand_dims(1)?;
    let row = b.reshape(&[-1])?.expand_dims(0)?;
    &col * &row
}
