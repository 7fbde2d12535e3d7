//! `(a @ b).sum()` for 4000 x 4000 random matrices in 1000 x 1000 blocks, on 2 worker
//! threads, median of 5 runs: the issue's matrix-product figure.
//!
//! ```text
//! cargo run --release -p dask-array --example matmul                  # matrixmultiply
//! cargo run --release -p dask-array --features blas --example matmul  # system OpenBLAS
//! ```

use std::time::Instant;

use dask_array::random::RandomState;
use dask_sched_threads::ThreadScheduler;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let threads = ThreadScheduler::new(2)?;
    let rs = RandomState::new(1);
    let a = rs.random(&[4000, 4000], [1000, 1000])?;
    let b = rs.random(&[4000, 4000], [1000, 1000])?;
    let total = a.matmul(&b)?.sum();
    let mut times = Vec::new();
    let mut value = 0.0;
    for _ in 0..5 {
        let t = Instant::now();
        value = total.compute(&threads)?;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let backend = if cfg!(feature = "blas") {
        "OpenBLAS"
    } else {
        "matrixmultiply"
    };
    println!(
        "(a @ b).sum() = {value:.6e}; {backend}: median {:.2} s (min {:.2}, max {:.2})",
        times[2], times[0], times[4]
    );
    Ok(())
}
