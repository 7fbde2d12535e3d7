//! `map_overlap`, `blockwise` and `percentile` against references computed directly
//! with `ndarray` (and a few fixtures from Python Dask and NumPy), on every scheduler.
#![allow(clippy::unwrap_used)]

mod common;

use common::{check, check_close, matrix, schedulers};
use dask_array::random::RandomState;
use dask_array::{Array, Boundary, Element, blockwise, blockwise_op, percentile_rank_error};
use dask_graph::{Args, OpResult, SyncScheduler};
use ndarray::{Array1, ArrayD, Axis, Ix2, IxDyn, Slice};

dask_sched_procs::test_worker!();

// ---------------------------------------------------------------------------------------
// References.

/// NumPy's `pad`, one axis after the other (what Dask's boundaries amount to); `None`
/// pads nothing.
fn pad<T: Element>(x: &ArrayD<T>, depth: &[usize], boundary: &[Boundary<T>]) -> ArrayD<T> {
    let mut cur = x.clone();
    for a in 0..x.ndim() {
        let (d, n) = (depth[a], cur.shape()[a] as i64);
        if matches!(boundary[a], Boundary::None) || d == 0 {
            continue;
        }
        let mut shape = cur.shape().to_vec();
        shape[a] += 2 * d;
        let mut out = ArrayD::from_elem(IxDyn(&shape), T::default());
        for (k, p) in (-(d as i64)..n + d as i64).enumerate() {
            let mut dst = out.index_axis_mut(Axis(a), k);
            let src = match boundary[a] {
                Boundary::Reflect if p < 0 => -1 - p,
                Boundary::Reflect if p >= n => 2 * n - 1 - p,
                Boundary::Periodic => p.rem_euclid(n),
                Boundary::Nearest => p.clamp(0, n - 1),
                Boundary::Constant(c) if !(0..n).contains(&p) => {
                    dst.fill(c);
                    continue;
                }
                _ => p,
            };
            dst.assign(&cur.index_axis(Axis(a), src as usize));
        }
        cur = out;
    }
    cur
}

/// A weighted window sum of radius `r` per axis, skipping cells outside the array, with
/// asymmetric weights (a flipped margin would show).
fn stencil<T: Element>(x: &ArrayD<T>, r: &[usize], weight: impl Fn(&[i64]) -> T) -> ArrayD<T> {
    let ndim = x.ndim();
    ArrayD::from_shape_fn(x.raw_dim(), |i| {
        let mut acc = T::default();
        let mut off = vec![0i64; ndim];
        let total: usize = r.iter().map(|&d| 2 * d + 1).product();
        for mut k in 0..total {
            for a in (0..ndim).rev() {
                let w = 2 * r[a] + 1;
                off[a] = (k % w) as i64 - r[a] as i64;
                k /= w;
            }
            let pos: Option<Vec<usize>> = (0..ndim)
                .map(|a| {
                    let p = i[a] as i64 + off[a];
                    (0..x.shape()[a] as i64).contains(&p).then_some(p as usize)
                })
                .collect();
            if let Some(pos) = pos {
                acc = T::add(acc, T::mul(weight(&off), x[IxDyn(&pos)]));
            }
        }
        acc
    })
}

/// The stencil of the padded array, cropped back to the array's own cells.
fn padded_stencil<T: Element>(
    x: &ArrayD<T>,
    depth: &[usize],
    boundary: &[Boundary<T>],
    weight: impl Fn(&[i64]) -> T,
) -> ArrayD<T> {
    let full = stencil(&pad(x, depth, boundary), depth, weight);
    full.slice_each_axis(|ax| {
        let a = ax.axis.index();
        let d = if matches!(boundary[a], Boundary::None) {
            0
        } else {
            depth[a]
        };
        Slice::from(d..d + x.shape()[a])
    })
    .to_owned()
}

fn w2(off: &[i64]) -> f64 {
    ((off[0] + 3) * 10 + off[1] + 2) as f64 * 0.125
}

fn w1(off: &[i64]) -> i64 {
    3 * off[0] + 7
}

// ---------------------------------------------------------------------------------------
// map_overlap.

#[test]
fn map_overlap_2d_stencil_matches_a_padded_reference_for_every_boundary() {
    let a = matrix(&[11, 13]);
    // Irregular chunks, a chunk of 1 (shorter than the depth) inside and at an edge.
    let x = Array::from_ndarray(a.clone(), vec![vec![3, 1, 4, 2, 1], vec![5, 2, 6]]).unwrap();
    let depth = [2, 1];
    let cases: Vec<[Boundary<f64>; 2]> = vec![
        [Boundary::Reflect, Boundary::Reflect],
        [Boundary::Periodic, Boundary::Periodic],
        [Boundary::Nearest, Boundary::Nearest],
        [Boundary::Constant(7.5), Boundary::Constant(-1.0)],
        [Boundary::None, Boundary::None],
        [Boundary::Reflect, Boundary::Periodic],
        [Boundary::Constant(2.0), Boundary::Nearest],
        [Boundary::Periodic, Boundary::Constant(3.0)],
        [Boundary::None, Boundary::Reflect],
    ];
    for boundary in cases {
        let want = padded_stencil(&a, &depth, &boundary, w2);
        let y = x
            .map_overlap(&depth, &boundary, true, |b, _| stencil(b, &[2, 1], w2))
            .unwrap();
        for (name, s) in schedulers() {
            match y.compute(s) {
                Ok(got) => assert_eq!(got, want, "{name} {boundary:?}"),
                Err(e) => {
                    assert_eq!(name, "processes", "{e}");
                    assert!(e.to_string().contains("map_overlap"), "{e}");
                }
            }
        }
        // The padded boundaries keep the chunks; None merges the short edge chunk.
        if !matches!(boundary[0], Boundary::None) {
            assert_eq!(y.chunks(), x.chunks(), "{boundary:?}");
        }
        // The overlapped array, trimmed, is the array; and with trim = false the
        // function sees (and returns) the expanded blocks.
        let g = x.overlap(&depth, &boundary).unwrap();
        check(&g.trim_internal(&depth, &boundary).unwrap(), &a);
        let untrimmed = x
            .map_overlap(&depth, &boundary, false, |b, _| b.clone())
            .unwrap();
        assert_eq!(untrimmed.chunks(), g.chunks());
        assert_eq!(
            untrimmed.compute(&SyncScheduler).unwrap(),
            g.compute(&SyncScheduler).unwrap()
        );
    }
}

#[test]
fn map_overlap_1d_integer_stencil_with_depth_beyond_the_chunks() {
    let a: ArrayD<i64> = Array1::from_iter((0..17).map(|i| (i * i * 7) % 23 - 11)).into_dyn();
    let x = Array::from_ndarray(a.clone(), vec![vec![4, 1, 7, 5]]).unwrap();
    for boundary in [
        Boundary::Reflect,
        Boundary::Periodic,
        Boundary::Nearest,
        Boundary::Constant(100),
        Boundary::None,
    ] {
        let want = padded_stencil(&a, &[3], &[boundary], w1);
        let y = x
            .map_overlap(&[3], &[boundary], true, |b, _| stencil(b, &[3], w1))
            .unwrap();
        let got = y.compute(&SyncScheduler).unwrap();
        assert_eq!(got, want, "{boundary:?}");
        let g = x.overlap(&[3], &[boundary]).unwrap();
        check(&g.trim_internal(&[3], &[boundary]).unwrap(), &a);
    }
}

#[test]
fn overlap_matches_dask_fixtures() {
    // da.overlap.overlap(da.from_array(np.arange(10), chunks=5), depth={0: 2}, boundary=...)
    let x = Array::<i64>::arange(0, 10, 1, 5).unwrap();
    let cases: [(Boundary<i64>, Vec<i64>); 5] = [
        (
            Boundary::Reflect,
            vec![1, 0, 0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9, 9, 8],
        ),
        (
            Boundary::Periodic,
            vec![8, 9, 0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9, 0, 1],
        ),
        (
            Boundary::Nearest,
            vec![0, 0, 0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9, 9, 9],
        ),
        (
            Boundary::Constant(-1),
            vec![-1, -1, 0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9, -1, -1],
        ),
        (
            Boundary::None,
            vec![0, 1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9],
        ),
    ];
    for (boundary, want) in cases {
        let g = x.overlap(&[2], &[boundary]).unwrap();
        check(&g, &Array1::from(want).into_dyn());
    }
    // 2-d, periodic rows and constant columns (the constant fills the corners):
    // overlap(from_array(arange(20).reshape(4, 5), chunks=(2, 3)), depth={0: 1, 1: 2},
    //         boundary={0: 'periodic', 1: 5})
    let m = Array::<i64>::arange(0, 20, 1, 20)
        .unwrap()
        .reshape(&[4, 5])
        .unwrap()
        .rechunk([2, 3])
        .unwrap();
    let g = m
        .overlap(&[1, 2], &[Boundary::Periodic, Boundary::Constant(5)])
        .unwrap();
    assert_eq!(g.chunks().per_axis(), &[vec![4, 4], vec![7, 6]]);
    let want = ndarray::arr2(&[
        [5, 5, 15, 16, 17, 18, 19, 16, 17, 18, 19, 5, 5],
        [5, 5, 0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 5],
        [5, 5, 5, 6, 7, 8, 9, 6, 7, 8, 9, 5, 5],
        [5, 5, 10, 11, 12, 13, 14, 11, 12, 13, 14, 5, 5],
        [5, 5, 5, 6, 7, 8, 9, 6, 7, 8, 9, 5, 5],
        [5, 5, 10, 11, 12, 13, 14, 11, 12, 13, 14, 5, 5],
        [5, 5, 15, 16, 17, 18, 19, 16, 17, 18, 19, 5, 5],
        [5, 5, 0, 1, 2, 3, 4, 1, 2, 3, 4, 5, 5],
    ]);
    check(&g, &want.into_dyn());
}

/// A registered 3x3 stencil (radius 1 on both axes) with the block index added.
fn stencil_op(args: Args) -> OpResult {
    let index = args.get::<Vec<u64>>(0)?;
    let block = args.get::<ArrayD<f64>>(1)?;
    let k = index.iter().sum::<u64>() as f64 * 1000.0;
    Ok(dask_array::block_value(
        stencil(block, &[1, 1], w2).mapv(|v| v + k),
    ))
}
dask_graph::register_op!(STENCIL = "tests.overlap.stencil" => stencil_op);

#[test]
fn map_overlap_op_runs_on_worker_processes() {
    let a = matrix(&[9, 8]);
    let x = Array::from_ndarray(a.clone(), vec![vec![4, 2, 3], vec![3, 5]]).unwrap();
    for boundary in [
        [Boundary::Reflect, Boundary::Constant(0.5)],
        [Boundary::Periodic, Boundary::None],
    ] {
        let mut want = padded_stencil(&a, &[1, 1], &boundary, w2);
        for ((i, j), v) in want
            .view_mut()
            .into_dimensionality::<Ix2>()
            .unwrap()
            .indexed_iter_mut()
        {
            let bi = [4, 6, 9].iter().position(|&e| i < e).unwrap();
            let bj = [3, 8].iter().position(|&e| j < e).unwrap();
            *v += ((bi + bj) * 1000) as f64;
        }
        let y = x
            .map_overlap_op::<f64>(&STENCIL, &[1, 1], &boundary, true)
            .unwrap();
        check(&y, &want);
    }
}

#[test]
fn map_overlap_reports_bad_arguments_and_blocks() {
    let x = Array::from_ndarray(matrix(&[6, 4]), [3, 2]).unwrap();
    let b2 = [Boundary::Reflect, Boundary::Reflect];
    let msg = |r: dask_array::Result<Array<f64>>| r.unwrap_err().to_string();
    let e = msg(x.overlap(&[1], &b2));
    assert!(e.contains("one depth and one boundary per axis"), "{e}");
    let e = msg(x.overlap(&[1, 1], &[Boundary::Nearest]));
    assert!(e.contains("1 boundary"), "{e}");
    let e = msg(x.overlap(&[1, 5], &b2));
    assert!(
        e.contains("depth 5 on axis 1") && e.contains("length 4"),
        "{e}"
    );
    let e = msg(x.map_overlap(&[7, 0], &b2, true, |b, _| b.clone()));
    assert!(e.contains("depth 7 on axis 0"), "{e}");
    let e = msg(x.trim_internal(&[2, 2], &b2));
    assert!(e.contains("fewer than the 4 to cut"), "{e}");
    // A function that changes the block's shape: the error names the block.
    let wrong = x
        .map_overlap(&[1, 1], &b2, true, |b: &ArrayD<f64>, _| {
            b.slice_each_axis(|ax| Slice::from(0..ax.len - 1))
                .to_owned()
        })
        .unwrap();
    let e = wrong.compute(&SyncScheduler).unwrap_err().to_string();
    assert!(e.contains("block [0, 0]") && e.contains("(5, 4)"), "{e}");
    // One array trimmed two ways with equal output chunks: two layers, not one.
    let g = Array::<i64>::arange(0, 8, 1, 4)
        .unwrap()
        .overlap(&[1], &[Boundary::Reflect])
        .unwrap();
    let t1 = g.trim_internal(&[1], &[Boundary::Reflect]).unwrap();
    let t2 = g.trim_internal(&[2], &[Boundary::None]).unwrap();
    assert_eq!(t1.chunks(), t2.chunks());
    check(
        &(&(&t1 * 10) + &t2).unwrap(),
        &Array1::from(vec![0, 10, 21, 32, 45, 56, 67, 77]).into_dyn(),
    );
    // Depth 0 everywhere is map_blocks.
    let same = x
        .map_overlap(&[0, 0], &b2, true, |b, _| b.mapv(|v| v + 1.0))
        .unwrap();
    assert_eq!(
        same.compute(&SyncScheduler).unwrap(),
        matrix(&[6, 4]).mapv(|v| v + 1.0)
    );
}

// ---------------------------------------------------------------------------------------
// blockwise.

fn two_d(b: &ArrayD<f64>) -> ndarray::ArrayView2<'_, f64> {
    b.view().into_dimensionality::<Ix2>().unwrap()
}

fn matmul_blocks(args: Args) -> OpResult {
    let a = args
        .get::<ArrayD<f64>>(1)?
        .view()
        .into_dimensionality::<Ix2>()?;
    let b = args
        .get::<ArrayD<f64>>(2)?
        .view()
        .into_dimensionality::<Ix2>()?;
    Ok(dask_array::block_value(a.dot(&b).into_dyn()))
}
dask_graph::register_op!(MATMUL_BLOCKS = "tests.overlap.matmul_blocks" => matmul_blocks);

/// Checks a closure-built array on the in-process schedulers; processes must refuse it.
fn check_closure(y: &Array<f64>, want: &ArrayD<f64>) {
    for (name, s) in schedulers() {
        match y.compute(s) {
            Ok(got) => {
                assert_eq!(got.shape(), want.shape(), "{name}");
                for (g, w) in got.iter().zip(want) {
                    assert!(
                        (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                        "{name}: {g} vs {w}"
                    );
                }
            }
            Err(e) => {
                assert_eq!(name, "processes", "{e}");
                assert!(e.to_string().contains("blockwise"), "{e}");
            }
        }
    }
}

#[test]
fn blockwise_matmul_transpose_broadcast_and_contraction() {
    let a = matrix(&[7, 6]);
    let b = matrix(&[6, 5]).mapv(|v| v * 0.5 + 1.0);
    // The chunks of j disagree: unified to the common refinement, then one block.
    let x = Array::from_ndarray(a.clone(), vec![vec![3, 4], vec![2, 4]]).unwrap();
    let y = Array::from_ndarray(b.clone(), vec![vec![3, 3], vec![1, 4]]).unwrap();
    let want = two_d(&a).dot(&two_d(&b)).into_dyn();
    let c = blockwise("ij,jk->ik", &[&x, &y], |bs, _| {
        two_d(bs[0]).dot(&two_d(bs[1])).into_dyn()
    })
    .unwrap();
    assert_eq!(c.chunks().per_axis(), &[vec![3, 4], vec![1, 4]]);
    check_closure(&c, &want);
    let c = blockwise_op::<f64, f64>("ij,jk->ik", &[&x, &y], &MATMUL_BLOCKS).unwrap();
    check_close(&c, &want, 1e-12);

    // Transpose: block (i, j) of the output is block (j, i) of the input, transposed.
    let t = blockwise("ij->ji", &[&x], |bs, _| bs[0].t().to_owned()).unwrap();
    assert_eq!(t.chunks().per_axis(), &[vec![2, 4], vec![3, 4]]);
    check_closure(&t, &a.t().to_owned());

    // Broadcast-like: a row vector added to every row; chunks of j unified.
    let v: ArrayD<f64> = Array1::from_iter((0..6).map(|j| j as f64 * 10.0)).into_dyn();
    let vx = Array::from_ndarray(v.clone(), vec![vec![1, 2, 3]]).unwrap();
    let s = blockwise("ij,j->ij", &[&x, &vx], |bs, _| bs[0] + bs[1]).unwrap();
    assert_eq!(s.chunks().per_axis(), &[vec![3, 4], vec![1, 1, 1, 3]]);
    check_closure(&s, &(&a + &v));

    // Contracted index: each output block sees whole rows.
    let r = blockwise("ij->i", &[&x], |bs, _| bs[0].sum_axis(Axis(1))).unwrap();
    assert_eq!(r.chunks().per_axis(), &[vec![3, 4]]);
    check_closure(&r, &a.sum_axis(Axis(1)));

    // The output block's index reaches the function.
    let idx = blockwise("ij->ij", &[&x], |bs, index| {
        bs[0].mapv(|_| (index[0] * 10 + index[1]) as f64)
    })
    .unwrap();
    let got = idx.compute(&SyncScheduler).unwrap();
    assert_eq!(got[[6, 5]], 11.0);
    assert_eq!(got[[0, 0]], 0.0);
}

#[test]
fn blockwise_rejects_bad_specs() {
    let x = Array::from_ndarray(matrix(&[4, 3]), 2).unwrap();
    let y = Array::from_ndarray(matrix(&[5, 2]), 2).unwrap();
    let err = |spec: &str, inputs: &[&Array<f64>]| {
        blockwise(spec, inputs, |bs: &[&ArrayD<f64>], _| bs[0].clone())
            .unwrap_err()
            .to_string()
    };
    assert!(err("ij,jk", &[&x, &y]).contains("no `->`"));
    assert!(err("i j->i", &[&x]).contains("' '"));
    assert!(err("i1->i", &[&x]).contains("'1'"));
    assert!(err("ij->ii", &[&x]).contains("repeated in the output"));
    assert!(err("ii->i", &[&x]).contains("repeated in input 0"));
    assert!(err("ij->ik", &[&x]).contains("output index 'k' appears in no input"));
    assert!(err("ij,jk->ik", &[&x]).contains("2 input(s) but 1 array(s)"));
    assert!(err("ijk->i", &[&x]).contains("input 0 has 3 ind"));
    let e = err("ij,jk->ik", &[&x, &y]);
    assert!(
        e.contains("index 'j' has length 3 in input 0 (axis 1) but 5 in input 1 (axis 0)"),
        "{e}"
    );
    // A block of the wrong shape: named at compute.
    let wrong = blockwise("ij->ij", &[&x], |bs: &[&ArrayD<f64>], _| {
        bs[0].t().to_owned()
    })
    .unwrap();
    let e = wrong.compute(&SyncScheduler).unwrap_err().to_string();
    assert!(
        e.contains("block [0, 1]") && e.contains("chunks say"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// percentile.

/// NumPy's `percentile` (method 'linear') by a full sort.
fn exact_percentile(sorted: &[f64], q: f64) -> f64 {
    let h = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let (a, b, t) = (sorted[lo], sorted[hi], h - h.floor());
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

const QS: [f64; 12] = [
    0.0, 0.1, 1.0, 12.5, 25.0, 33.3, 50.0, 66.7, 90.0, 99.0, 99.9, 100.0,
];

#[test]
fn percentiles_of_small_arrays_are_exact() {
    // At most `points` values: nothing is compressed.
    let a = matrix(&[25, 20]); // 500 values with repeats, 20 blocks (a two-level tree)
    let x = Array::from_ndarray(a.clone(), [5, 5]).unwrap();
    let mut sorted: Vec<f64> = a.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let want: Vec<f64> = QS.iter().map(|&q| exact_percentile(&sorted, q)).collect();
    check(&x.percentile(&QS).unwrap(), &Array1::from(want).into_dyn());
    // NumPy fixtures: np.percentile(np.arange(10.0) ** 2, [0, 33, 50, 87.5, 100]) and an
    // integer array.
    let sq = Array::<f64>::arange(0.0, 10.0, 1.0, 3)
        .unwrap()
        .powi(2)
        .unwrap();
    check_close(
        &sq.percentile(&[0.0, 33.0, 50.0, 87.5, 100.0]).unwrap(),
        &Array1::from(vec![0.0, 8.85, 20.5, 62.125, 81.0]).into_dyn(),
        1e-12,
    );
    let ints = Array::from_ndarray(ndarray::arr1(&[3i64, -1, 7, 7, 2, 10, 0]), 3).unwrap();
    check_close(
        &ints.percentile(&[10.0, 25.0, 50.0, 90.0]).unwrap(),
        &Array1::from(vec![-0.4, 1.0, 3.0, 8.2]).into_dyn(),
        1e-12,
    );
    assert_eq!(percentile_rank_error(500, 20, 1000), 0);
}

#[test]
fn approximate_percentiles_stay_within_the_documented_rank_bound() {
    // 120,000 normal values in 40 blocks (3 levels: the blocks, a merge level of 3
    // tasks, the last merge),
    // summaries of 100 and 400 points.
    let x = RandomState::new(7)
        .standard_normal(&[400, 300], [50, 60])
        .unwrap();
    let n = x.size();
    let data = x.compute(&SyncScheduler).unwrap();
    let mut sorted: Vec<f64> = data.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let blocks = x.numblocks().iter().product::<usize>();
    for points in [100, 400] {
        let bound = percentile_rank_error(n, blocks, points);
        assert_eq!(
            bound,
            (3.0 * n as f64 / (2.0 * points as f64)).ceil() as usize
        );
        let p = x.percentile_with(&QS, points).unwrap();
        for (name, s) in schedulers() {
            let got = p.compute(s).unwrap();
            let mut worst = 0.0f64;
            for (&q, &v) in QS.iter().zip(got.iter()) {
                let h = q / 100.0 * (n - 1) as f64;
                let lo = sorted[(h.floor() as usize).saturating_sub(bound)];
                let hi = sorted[(h.ceil() as usize + bound).min(n - 1)];
                assert!(
                    lo <= v && v <= hi,
                    "{name}: q = {q}, m = {points}: {v} outside [{lo}, {hi}] (E = {bound})"
                );
                // The measured rank error: how far v's rank is from h.
                let below = sorted.partition_point(|&s| s < v) as f64;
                let at_most = sorted.partition_point(|&s| s <= v) as f64;
                let err = if h < below {
                    below - h
                } else if h > at_most {
                    h - at_most
                } else {
                    0.0
                };
                worst = worst.max(err);
            }
            // The extremes are exact.
            assert_eq!(got[0], sorted[0]);
            assert_eq!(got[QS.len() - 1], sorted[n - 1]);
            eprintln!("m = {points}: worst rank error {worst} of bound {bound} ({name})");
            assert!(worst <= bound as f64);
        }
    }
    // The default: 1000 points.
    let p = x
        .percentile(&[50.0])
        .unwrap()
        .compute(&SyncScheduler)
        .unwrap();
    let bound = percentile_rank_error(n, blocks, 1000);
    let h = 0.5 * (n - 1) as f64;
    assert!(
        sorted[h.floor() as usize - bound] <= p[0] && p[0] <= sorted[h.ceil() as usize + bound]
    );
}

#[test]
fn percentile_handles_nan_and_rejects_bad_arguments() {
    let x = Array::from_ndarray(ndarray::arr1(&[1.0, f64::NAN, 2.0, 5.0]), 2).unwrap();
    let got = x
        .percentile(&[0.0, 50.0])
        .unwrap()
        .compute(&SyncScheduler)
        .unwrap();
    assert!(got.iter().all(|v| v.is_nan()) && got.len() == 2);
    let e = |r: dask_array::Result<Array<f64>>| r.unwrap_err().to_string();
    let empty = Array::<f64>::zeros(&[0, 3], 2).unwrap();
    assert!(e(empty.percentile(&[50.0])).contains("empty"));
    assert!(e(x.percentile(&[101.0])).contains("0..=100, got 101"));
    assert!(e(x.percentile(&[f64::NAN])).contains("0..=100"));
    assert!(e(x.percentile_with(&[50.0], 1)).contains("at least 2 points"));
    // No percentiles asked: an empty result.
    assert_eq!(
        x.percentile(&[])
            .unwrap()
            .compute(&SyncScheduler)
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn empty_axes_and_zero_dimensional_arrays() {
    let e = Array::<f64>::zeros(&[0, 5], [1, 2]).unwrap();
    let y = e
        .map_overlap(
            &[0, 2],
            &[Boundary::Reflect, Boundary::Periodic],
            true,
            |b, _| b.clone(),
        )
        .unwrap();
    assert_eq!(
        y.compute(&SyncScheduler).unwrap(),
        ArrayD::<f64>::zeros(IxDyn(&[0, 5]))
    );

    let g = e
        .overlap(&[0, 1], &[Boundary::Nearest, Boundary::Constant(1.0)])
        .unwrap();
    assert_eq!(g.chunks().per_axis(), &[vec![0], vec![4, 4, 3]]);
    check(&g, &ArrayD::zeros(IxDyn(&[0, 11])));
    let s = blockwise_op::<f64, f64>("ij,jk->ik", &[&e.t(), &e], &MATMUL_BLOCKS).unwrap();
    check(&s, &ArrayD::zeros(IxDyn(&[5, 5])));
    // 0-d: no axes, nothing to overlap; one value, an exact percentile.
    let z = Array::from_ndarray(ndarray::arr0(4.0).into_dyn(), 1).unwrap();
    check(
        &z.overlap(&[], &[]).unwrap(),
        &ndarray::arr0(4.0).into_dyn(),
    );
    check(
        &z.percentile(&[0.0, 50.0, 100.0]).unwrap(),
        &Array1::from(vec![4.0; 3]).into_dyn(),
    );
    let r = blockwise("->", &[&z], |bs: &[&ArrayD<f64>], _| bs[0] * 2.0).unwrap();
    assert_eq!(
        r.compute(&SyncScheduler).unwrap(),
        ndarray::arr0(8.0).into_dyn()
    );
}

/// A function returning blocks of the wrong shape fails the compute naming the block,
/// also when its result only feeds a reduction (which would otherwise add up the
/// wrong blocks).
#[test]
fn wrong_block_shapes_fail_even_inside_reductions() {
    let x = Array::from_ndarray(Array1::<f64>::ones(10).into_dyn(), 4).unwrap();
    let longer = |b: &ArrayD<f64>, _: &[usize]| {
        ndarray::concatenate(Axis(0), &[b.view(), b.view()]).unwrap()
    };
    let untrimmed = x
        .map_overlap(&[1], &[Boundary::Constant(0.0)], false, longer)
        .unwrap();
    let err = untrimmed
        .sum()
        .compute(&SyncScheduler)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("block [0] has shape (12,) but the chunks say (6,)"),
        "{err}"
    );
    let doubled = blockwise("i->i", &[&x], move |b: &[&ArrayD<f64>], idx: &[usize]| {
        longer(b[0], idx)
    })
    .unwrap();
    let err = doubled
        .sum()
        .compute(&SyncScheduler)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("block [0] has shape (8,) but the chunks say (4,)"),
        "{err}"
    );
}
