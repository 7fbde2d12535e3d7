//! The matrix-product kernel `array.matmul.<T>` (floats): `Σ_l a_l · b_l` over the
//! blocks of one output block, each product by ndarray's `general_mat_mul` accumulating
//! into one buffer — `matrixmultiply`, or OpenBLAS's `cblas_?gemm` with the `blas`
//! feature.

use dask_graph::{Args, OpResult};
use ndarray::{Array2, ArrayD, Ix2, IxDyn, LinalgScalar};

use crate::block::{block_ref, block_value};
use crate::element::Element;
use crate::element::per_type::per_float;

/// `array.matmul.<T>`: `[n, a_1..a_n, b_1..b_n]`: `Σ a_l · b_l`.
fn matmul_op<T: Element + LinalgScalar>(args: Args) -> OpResult {
    let n = *args.get::<u64>(0)? as usize;
    let values = &args.values()[1..];
    if values.len() != 2 * n || n == 0 {
        return Err(format!("matmul: {} blocks for {n} products", values.len()).into());
    }
    let two_d = |i: usize| -> Result<ndarray::ArrayView2<'_, T>, dask_graph::BoxError> {
        Ok(block_ref::<T>(&values[i])?
            .view()
            .into_dimensionality::<Ix2>()?)
    };
    let (m, cols) = (two_d(0)?.nrows(), two_d(n)?.ncols());
    #[cfg(feature = "blas")]
    blas::one_thread();
    let mut out = Array2::<T>::zeros((m, cols));
    for l in 0..n {
        let (a, b) = (two_d(l)?, two_d(n + l)?);
        if a.nrows() != m || b.ncols() != cols || a.ncols() != b.nrows() {
            return Err(format!(
                "matmul: blocks of shapes {:?} and {:?} do not fit a {m} x {cols} output",
                a.shape(),
                b.shape()
            )
            .into());
        }
        ndarray::linalg::general_mat_mul(
            <T as Element>::one(),
            &a,
            &b,
            <T as Element>::one(),
            &mut out,
        );
    }
    let out: ArrayD<T> = out.into_dimensionality::<IxDyn>()?;
    Ok(block_value(out))
}

per_float!(fn matmul_op_for, "array.matmul", matmul_op);

/// The optional OpenBLAS backend (feature `blas`): ndarray's `general_mat_mul` calls
/// `cblas_?gemm` for `f32`/`f64` blocks once this crate links a BLAS.
#[cfg(feature = "blas")]
mod blas {
    // Links the system OpenBLAS that ndarray's `blas` feature calls.
    use blas_src as _;

    unsafe extern "C" {
        fn openblas_set_num_threads(n: std::ffi::c_int);
    }

    /// One BLAS thread per task: the scheduler's workers are the parallelism, and
    /// OpenBLAS's own pool (one thread per core by default) would oversubscribe them.
    pub(super) fn one_thread() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: a plain setter of OpenBLAS's thread count, called before this
        // process's first product and never concurrently (`Once`).
        ONCE.call_once(|| unsafe { openblas_set_num_threads(1) });
    }
}
