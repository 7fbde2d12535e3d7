//! Property tests: for random shapes, random chunkings and random data, elementwise
//! operations, reductions, slicing and rechunking agree with the same computation done
//! directly on the whole `ndarray`, on every scheduler.
#![allow(clippy::unwrap_used)]

mod common;

use common::schedulers;
use dask_array::{Array, Reduce};
use ndarray::{ArrayD, Axis, IxDyn, SliceInfoElem};
use proptest::prelude::*;

dask_sched_procs::test_worker!();

/// A random split of `len` into block lengths (at least one block).
fn split(len: usize) -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(1usize..=len.max(1), 1..=4).prop_map(move |cuts| {
        let mut bounds: Vec<usize> = cuts.into_iter().filter(|&c| c < len).collect();
        bounds.push(len);
        bounds.sort_unstable();
        bounds.dedup();
        let mut prev = 0;
        bounds
            .into_iter()
            .map(|b| {
                let l = b - prev;
                prev = b;
                l
            })
            .collect()
    })
}

/// A shape of 1 to 3 axes, data, and two independent chunkings of it.
fn case() -> impl Strategy<Value = (ArrayD<f64>, Vec<Vec<usize>>, Vec<Vec<usize>>)> {
    proptest::collection::vec(1usize..8, 1..=3).prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        let chunks: Vec<_> = shape.iter().map(|&d| split(d)).collect();
        let chunks2: Vec<_> = shape.iter().map(|&d| split(d)).collect();
        (proptest::collection::vec(-100i32..100, n), chunks, chunks2).prop_map(
            move |(data, c1, c2)| {
                let a = ArrayD::from_shape_vec(
                    IxDyn(&shape),
                    data.into_iter().map(|v| f64::from(v) / 4.0).collect(),
                )
                .unwrap();
                (a, c1, c2)
            },
        )
    })
}

fn all_close(name: &str, got: &ArrayD<f64>, want: &ArrayD<f64>) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.shape(), want.shape(), "{}", name);
    for (g, w) in got.iter().zip(want) {
        prop_assert!(
            (g - w).abs() <= 1e-9 * w.abs().max(1.0),
            "{}: {} vs {}",
            name,
            g,
            w
        );
    }
    Ok(())
}

fn on_every_scheduler(a: &Array<f64>, want: &ArrayD<f64>) -> Result<(), TestCaseError> {
    for (name, s) in schedulers() {
        all_close(name, &a.compute(s).unwrap(), want)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn elementwise_matches_ndarray((a, c1, c2) in case()) {
        let x = Array::from_ndarray(a.clone(), c1).unwrap();
        let y = Array::from_ndarray(a.mapv(|v| v * 0.5 - 1.0), c2).unwrap();
        let z = ((&(&x * 2.0) - &y).unwrap().abs() + 1.0).sqrt();
        let want = ((&a * 2.0 - a.mapv(|v| v * 0.5 - 1.0)).mapv(f64::abs) + 1.0).mapv(f64::sqrt);
        on_every_scheduler(&z, &want)?;
    }

    #[test]
    fn reductions_match_ndarray((a, c1, _c2) in case(), pick in 0usize..8, split_every in 2usize..5) {
        let x = Array::from_ndarray(a.clone(), c1).unwrap();
        let ndim = a.ndim();
        let axes: Vec<usize> = (0..ndim).filter(|d| pick & (1 << d) != 0).collect();
        let r = Reduce::axes(axes.iter().map(|&d| d as isize)).split_every(split_every);
        let mut sum = a.clone();
        let mut n = 1usize;
        for &d in axes.iter().rev() {
            n *= a.shape()[d];
            sum = sum.sum_axis(Axis(d));
        }
        on_every_scheduler(&x.sum_over(r.clone()).unwrap(), &sum)?;
        let mean = sum.mapv(|s| s / n as f64);
        on_every_scheduler(&x.mean_over(r.clone()).unwrap(), &mean)?;
        // Variance by the definition, on the whole array.
        let mut sq = (&a - &{
            let mut m = mean.clone();
            for &d in &axes {
                m = m.insert_axis(Axis(d));
            }
            m
        }).mapv(|v| v * v);
        for &d in axes.iter().rev() {
            sq = sq.sum_axis(Axis(d));
        }
        on_every_scheduler(&x.var_over(r.clone(), 0.0).unwrap(), &sq.mapv(|s| s / n as f64))?;
        let mut max = a.clone();
        for &d in axes.iter().rev() {
            max = max.fold_axis(Axis(d), f64::NEG_INFINITY, |&m, &v| m.max(v));
        }
        on_every_scheduler(&x.max_over(r).unwrap(), &max)?;
    }

    #[test]
    fn slicing_matches_ndarray(
        (a, c1, _c2) in case(),
        raw in proptest::collection::vec((-9isize..9, proptest::option::of(-9isize..9), prop_oneof![1isize..4, -3isize..0], 0u8..6), 3),
    ) {
        let x = Array::from_ndarray(a.clone(), c1).unwrap();
        let info: Vec<SliceInfoElem> = raw
            .iter()
            .zip(a.shape())
            .map(|(&(start, end, step, kind), &len)| {
                let n = len as isize;
                if kind == 0 {
                    SliceInfoElem::Index(start.rem_euclid(n))
                } else {
                    // ndarray panics on out-of-range bounds; keep them in range (our
                    // clamping beyond the ends is tested elsewhere).
                    let clamp = |v: isize| v.clamp(-n, n);
                    let (s, e) = (clamp(start), end.map(clamp));
                    let (ps, pe) = (if s < 0 { s + n } else { s }, e.map_or(n, |e| if e < 0 { e + n } else { e }));
                    if pe < ps {
                        SliceInfoElem::Slice { start: ps, end: Some(ps), step }
                    } else {
                        SliceInfoElem::Slice { start: s, end: e, step }
                    }
                }
            })
            .collect();
        // The same selection on the whole array, axis by axis from the back (an index
        // removes its axis without renumbering the ones before it).
        let mut want = a.clone();
        for (ax, e) in info.iter().enumerate().rev() {
            want = match *e {
                SliceInfoElem::Index(i) => want.index_axis_move(Axis(ax), i as usize),
                SliceInfoElem::Slice { start, end, step } => {
                    want.slice_axis(Axis(ax), ndarray::Slice { start, end, step }).to_owned()
                }
                SliceInfoElem::NewAxis => want,
            };
        }
        on_every_scheduler(&x.slice(&info).unwrap(), &want)?;
    }

    #[test]
    fn transposed_blocks_flow_through_every_kernel((a, c1, _c2) in case()) {
        // A transposed block may be a strided view of its input (no copy); kernels,
        // reductions, reshapes and the process scheduler's codec must all read it right.
        let x = Array::from_ndarray(a.clone(), c1).unwrap();
        let y = x.t();
        let at = a.t().to_owned();
        on_every_scheduler(&(&y * 2.0 - 1.0), &at.mapv(|v| v * 2.0 - 1.0))?;
        on_every_scheduler(&y.sum_over(Reduce::axis(0)).unwrap(), &at.sum_axis(Axis(0)))?;
        let n = at.len() as f64;
        let mean = at.sum() / n;
        let var = at.mapv(|v| (v - mean) * (v - mean)).sum() / n;
        on_every_scheduler(&y.var_over(Reduce::all(), 0.0).unwrap(), &ndarray::arr0(var).into_dyn())?;
        let flat = at.as_standard_layout().into_owned().into_shape_with_order(IxDyn(&[at.len()])).unwrap();
        on_every_scheduler(&y.reshape(&[-1]).unwrap(), &flat)?;
        on_every_scheduler(&(&y + &y.t().t()).unwrap(), &at.mapv(|v| v * 2.0))?;
    }

    #[test]
    fn rechunk_keeps_every_value((a, c1, c2) in case()) {
        let x = Array::from_ndarray(a.clone(), c1).unwrap();
        let y = x.rechunk(c2.clone()).unwrap();
        prop_assert_eq!(y.chunks().per_axis(), c2.as_slice());
        on_every_scheduler(&y, &a)?;
    }
}
