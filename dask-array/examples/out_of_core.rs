//! Larger than memory, measured: arrays on disk read and written block by block.
//!
//! ```text
//! cargo run --release -p dask-array --features zarr --example out_of_core -- \
//!     create DIR ROWS COLS CHUNK [FORMATS]  # random float64 as DIR/x.npy, x.zarr,
//!                                           # x-zstd.zarr (FORMATS: e.g. npy,zarr)
//!     sum FILE [CHUNK]                  # x.sum()
//!     mean-axis FILE [CHUNK]            # x.mean(axis=1)
//!     center FILE OUT [CHUNK]           # x - x.mean(axis=1), stored to OUT (same format)
//! ```
//!
//! `FILE` ends in `.npy` or `.zarr`; `CHUNK` is the block shape used to read (`N` or `ROWSxCOLS`) (default:
//! the store's chunks for Zarr, 4096 for `.npy`). Every command prints its wall time
//! and the process's peak resident memory (VmHWM), and runs on 2 worker threads.

use std::path::Path;
use std::time::Instant;

use dask_array::io::zarr::{Compression, ZarrOptions};
use dask_array::random::RandomState;
use dask_array::{Array, Reduce};
use dask_sched_threads::ThreadScheduler;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let threads = ThreadScheduler::new(2)?;
    let start = Instant::now();
    let arg = |i: usize| -> Res<&str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| format!("missing argument {i}; see the file's header").into())
    };
    let number = |i: usize| -> Res<usize> { Ok(arg(i)?.parse()?) };
    // A block side `N`, or `ROWSxCOLS`.
    let chunk = |i: usize| -> Option<Vec<usize>> {
        let s = args.get(i)?;
        let sides: Vec<usize> = s.split('x').filter_map(|p| p.parse().ok()).collect();
        match sides.as_slice() {
            [n] => Some(vec![*n, *n]),
            [r, c] => Some(vec![*r, *c]),
            _ => None,
        }
    };
    match arg(0)? {
        "create" => {
            let dir = Path::new(arg(1)?);
            let (rows, cols, side) = (number(2)?, number(3)?, number(4)?);
            std::fs::create_dir_all(dir)?;
            let formats = args.get(5).map_or("npy,zarr,zstd", String::as_str);
            let x = RandomState::new(42).random(&[rows, cols], [side, side])?;
            if formats.contains("npy") {
                let t = Instant::now();
                x.to_npy(dir.join("x.npy"), &threads)?;
                println!("wrote x.npy in {:.2} s", t.elapsed().as_secs_f64());
            }
            for (name, compression) in [
                ("x.zarr", Compression::None),
                ("x-zstd.zarr", Compression::Zstd(1)),
            ] {
                let wanted = if compression == Compression::None {
                    "zarr"
                } else {
                    "zstd"
                };
                if !formats.split(',').any(|f| f == wanted) {
                    continue;
                }
                let t = Instant::now();
                let options = ZarrOptions {
                    compression,
                    overwrite: true,
                    ..ZarrOptions::default()
                };
                x.to_zarr(dir.join(name), &options, &threads)?;
                println!("wrote {name} in {:.2} s", t.elapsed().as_secs_f64());
            }
        }
        "sum" => {
            let x = open(arg(1)?, chunk(2))?;
            println!("sum = {}", x.sum().compute(&threads)?);
        }
        "mean-axis" => {
            let x = open(arg(1)?, chunk(2))?;
            let m = x.mean_over(Reduce::axis(1))?.compute(&threads)?;
            println!("mean(axis=1): {} values, first {:.6}", m.len(), m[[0]]);
        }
        "center" => {
            let x = open(arg(1)?, chunk(3))?;
            let centered = (&x - &x.mean_over(Reduce::axis(1).keepdims(true))?)?;
            let out = arg(2)?;
            if out.ends_with(".npy") {
                centered.to_npy(out, &threads)?;
            } else {
                let options = ZarrOptions {
                    compression: Compression::None,
                    overwrite: true,
                    ..ZarrOptions::default()
                };
                centered.to_zarr(out, &options, &threads)?;
            }
            println!("stored {out}");
        }
        other => return Err(format!("unknown command {other:?}; see the file's header").into()),
    }
    println!(
        "time {:.2} s, peak RSS {} MB",
        start.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
    Ok(())
}

fn open(path: &str, chunk: Option<Vec<usize>>) -> Res<Array<f64>> {
    Ok(match (path.ends_with(".npy"), chunk) {
        (true, c) => Array::from_npy(path, c.unwrap_or(vec![4096, 4096]))?,
        (false, Some(c)) => Array::from_zarr_chunks(path, c)?,
        (false, None) => Array::from_zarr(path)?,
    })
}

/// VmHWM of this process, in MB.
fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1000)
}
