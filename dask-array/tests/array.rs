//! Arrays against `ndarray` references, on every scheduler (sync, threads, processes).
#![allow(clippy::unwrap_used)]

mod common;

use common::{check, check_close, matrix, schedulers};
use dask_array::random::RandomState;
use dask_array::{Array, AxisChunks, Chunks, Error, Reduce, concatenate, stack, where_};
use dask_graph::{Optimizations, Plan, SyncScheduler};
use ndarray::{Array1, Array2, ArrayD, Axis, IxDyn, s};

dask_sched_procs::test_worker!();

fn m2(rows: usize, cols: usize) -> ArrayD<f64> {
    matrix(&[rows, cols])
}

#[test]
fn from_ndarray_round_trips_with_regular_and_irregular_chunks() {
    let data = m2(7, 5);
    let regular = Array::from_ndarray(data.clone(), [3, 2]).unwrap();
    assert_eq!(regular.numblocks(), vec![3, 3]);
    check(&regular, &data);
    let irregular = Array::from_ndarray(data.clone(), vec![vec![1, 4, 2], vec![5]]).unwrap();
    check(&irregular, &data);
    let ints = data.mapv(|x| x as i32);
    check(&Array::from_ndarray(ints.clone(), 4).unwrap(), &ints);
    let bools = data.mapv(|x| x > 0.0);
    check(&Array::from_ndarray(bools.clone(), 2).unwrap(), &bools);
}

#[test]
fn creation_functions_match_numpy() {
    check(
        &Array::<f64>::zeros(&[4, 3], 2).unwrap(),
        &ArrayD::zeros(IxDyn(&[4, 3])),
    );
    check(
        &Array::<i32>::ones(&[5], 2).unwrap(),
        &ArrayD::ones(IxDyn(&[5])),
    );
    check(
        &Array::full(&[2, 3], 7u8, [1, 2]).unwrap(),
        &ArrayD::from_elem(IxDyn(&[2, 3]), 7u8),
    );
    // np.arange(3, 20, 4) = [3, 7, 11, 15, 19]
    check(
        &Array::<i64>::arange(3, 20, 4, 2).unwrap(),
        &Array1::from(vec![3i64, 7, 11, 15, 19]).into_dyn(),
    );
    // np.arange(1.0, 0.0, -0.25) = [1, 0.75, 0.5, 0.25]
    check(
        &Array::<f64>::arange(1.0, 0.0, -0.25, 3).unwrap(),
        &Array1::from(vec![1.0, 0.75, 0.5, 0.25]).into_dyn(),
    );
    // np.linspace(0, 1, 5) and endpoint=False
    check(
        &Array::<f64>::linspace(0.0, 1.0, 5, true, 2).unwrap(),
        &Array1::from(vec![0.0, 0.25, 0.5, 0.75, 1.0]).into_dyn(),
    );
    check(
        &Array::<f64>::linspace(0.0, 1.0, 4, false, 3).unwrap(),
        &Array1::from(vec![0.0, 0.25, 0.5, 0.75]).into_dyn(),
    );
    assert!(Array::<i64>::arange(0, 5, 0, 2).is_err());
}

#[test]
fn arithmetic_with_arrays_and_scalars() {
    let a = m2(6, 5);
    let b = m2(6, 5).mapv(|x| x * 0.5 + 3.0);
    let x = Array::from_ndarray(a.clone(), [4, 2]).unwrap();
    let y = Array::from_ndarray(b.clone(), [3, 5]).unwrap(); // different chunks: unified
    let z = (((&x + &y).unwrap() * 2.0) - 1.5) / 4.0;
    let expected = ((&a + &b) * 2.0 - 1.5) / 4.0;
    check_close(&z, &expected, 1e-15);
    let w = (&(1.0 - &x) * &y).unwrap();
    check_close(&w, &((1.0 - &a) * &b), 1e-15);
    check_close(&-&x, &a.mapv(|v| -v), 0.0);
    check_close(&x.abs(), &a.mapv(f64::abs), 0.0);
    check_close(&(&x % 7.0), &a.mapv(|v| v.rem_euclid(7.0)), 1e-12);
}

#[test]
fn broadcasting_aligns_and_stretches() {
    let a = m2(6, 5);
    let row = matrix(&[5]);
    let col = matrix(&[6, 1]);
    let x = Array::from_ndarray(a.clone(), [4, 3]).unwrap();
    let r = Array::from_ndarray(row.clone(), 2).unwrap();
    let c = Array::from_ndarray(col.clone(), [5, 1]).unwrap();
    check_close(&(&x - &r).unwrap(), &(&a - &row), 0.0);
    check_close(&(&x * &c).unwrap(), &(&a * &col), 0.0);
    // (6, 1) with (5,) broadcasts to (6, 5).
    check_close(&(&c + &r).unwrap(), &(&col + &row), 0.0);
}

#[test]
fn shapes_that_do_not_broadcast_are_an_error_naming_both() {
    let x = Array::<f64>::zeros(&[3, 4], 2).unwrap();
    let y = Array::<f64>::zeros(&[5], 2).unwrap();
    let err = (&x + &y).unwrap_err().to_string();
    assert!(
        err.contains("(3, 4)") && err.contains("(5,)") && err.contains("axis 1"),
        "{err}"
    );
}

#[test]
fn integer_arithmetic_follows_numpy() {
    let a = Array1::from(vec![7i64, -7, 7, -7, i64::MAX]).into_dyn();
    let b = Array1::from(vec![2i64, 2, -2, -2, 1]).into_dyn();
    let x = Array::from_ndarray(a.clone(), 2).unwrap();
    let y = Array::from_ndarray(b.clone(), 3).unwrap();
    // Floor division and a remainder with the divisor's sign (NumPy // and %).
    check(
        &(&x / &y).unwrap(),
        &Array1::from(vec![3i64, -4, -4, 3, i64::MAX]).into_dyn(),
    );
    check(
        &(&x % &y).unwrap(),
        &Array1::from(vec![1i64, 1, -1, -1, 0]).into_dyn(),
    );
    // Overflow wraps.
    check(
        &(&x + 1),
        &Array1::from(vec![8i64, -6, 8, -6, i64::MIN]).into_dyn(),
    );
    // Division by zero is an error of the task, naming it.
    let zero = Array::from_ndarray(Array1::from(vec![1i64, 0, 2]).into_dyn(), 2).unwrap();
    let ones = Array::<i64>::ones(&[3], 2).unwrap();
    let q = (&ones / &zero).unwrap();
    for (name, s) in schedulers() {
        let err = q.compute(s).unwrap_err().to_string();
        assert!(err.contains("division by zero"), "{name}: {err}");
    }
}

#[test]
fn unary_math_comparisons_where_clip_and_casts() {
    let a = m2(5, 4);
    let x = Array::from_ndarray(a.clone(), [2, 3]).unwrap();
    check_close(&x.abs().sqrt(), &a.mapv(|v| v.abs().sqrt()), 1e-15);
    check_close(&x.sin(), &a.mapv(f64::sin), 1e-15);
    check_close(
        &(&x / 100.0).exp().ln(),
        &a.mapv(|v| (v / 100.0).exp().ln()),
        1e-12,
    );
    check(&x.greater(0.0).unwrap(), &a.mapv(|v| v > 0.0));
    let half = a.mapv(|v| v * 0.5);
    let y = Array::from_ndarray(half.t().to_owned(), 2).unwrap();
    check(
        &x.less_equal(y.t()).unwrap(),
        &ndarray::Zip::from(&a).and(&half).map_collect(|p, q| p <= q),
    );
    let w = where_(&x.less(0.0).unwrap(), 0.0, &x).unwrap();
    check(&w, &a.mapv(|v| if v < 0.0 { 0.0 } else { v }));
    check(&x.clip(-10.0, 10.0), &a.mapv(|v| v.clamp(-10.0, 10.0)));
    check(&x.astype::<i32>(), &a.mapv(|v| v as i32));
    check(
        &x.greater(0.0).unwrap().astype::<u8>(),
        &a.mapv(|v| u8::from(v > 0.0)),
    );
    let mask = x.greater(0.0).unwrap();
    check(
        &(!&mask).and(x.greater(-20.0).unwrap()).unwrap(),
        &a.mapv(|v| v <= 0.0 && v > -20.0),
    );
    check_close(&x.powf(2.0).unwrap(), &a.mapv(|v| v.powf(2.0)), 1e-15);
    check_close(&x.powi(3).unwrap(), &a.mapv(|v| v.powi(3)), 1e-15);
    let nan = Array::from_ndarray(Array1::from(vec![1.0, f64::NAN]).into_dyn(), 1).unwrap();
    check(&nan.is_nan(), &Array1::from(vec![false, true]).into_dyn());
}

#[test]
fn chains_of_elementwise_operations_fuse_to_one_task_per_block() {
    let x = RandomState::new(1).random(&[40, 30], [10, 10]).unwrap();
    let y = ((((&x + 1.0) * 2.0).sqrt() - 3.0).abs() + 0.5).ln();
    let plan = Plan::build(y.graph(), &y.keys(), &Optimizations::all()).unwrap();
    assert_eq!(plan.len(), 12, "one task per block");
    let unfused = Plan::build(y.graph(), &y.keys(), &Optimizations::none()).unwrap();
    assert_eq!(
        unfused.len(),
        12 * 8,
        "a random block and seven operations per block"
    );
    let expected = x
        .compute(&SyncScheduler)
        .unwrap()
        .mapv(|v| ((((v + 1.0) * 2.0).sqrt() - 3.0).abs() + 0.5).ln());
    check_close(&y, &expected, 1e-15);
}

#[test]
fn full_reductions_match_ndarray() {
    let a = m2(9, 7);
    for chunks in [
        vec![vec![9], vec![7]],
        vec![vec![2, 3, 4], vec![3, 4]],
        vec![vec![1; 9], vec![2, 2, 3]],
    ] {
        let x = Array::from_ndarray(a.clone(), chunks).unwrap();
        for (name, s) in schedulers() {
            let close = |got: f64, want: f64| {
                assert!(
                    (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "{name}: {got} vs {want}"
                )
            };
            close(x.sum().compute(s).unwrap(), a.sum());
            close(x.mean().compute(s).unwrap(), a.mean().unwrap());
            close(x.var(0.0).compute(s).unwrap(), a.var(0.0));
            close(x.std(1.0).compute(s).unwrap(), a.std(1.0));
            close(
                (&x / 50.0).prod().compute(s).unwrap(),
                a.mapv(|v| v / 50.0).product(),
            );
            let min = a.iter().copied().fold(f64::INFINITY, f64::min);
            let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(x.min().unwrap().compute(s).unwrap(), min, "{name}");
            assert_eq!(x.max().unwrap().compute(s).unwrap(), max, "{name}");
            let argmin = a.iter().position(|&v| v == min).unwrap() as i64;
            let argmax = a.iter().position(|&v| v == max).unwrap() as i64;
            assert_eq!(x.argmin().unwrap().compute(s).unwrap(), argmin, "{name}");
            assert_eq!(x.argmax().unwrap().compute(s).unwrap(), argmax, "{name}");
            for t in [-50.5, 0.0, 49.0, 60.0] {
                let gt = x.greater(t).unwrap();
                assert_eq!(
                    gt.any().compute(s).unwrap(),
                    a.iter().any(|&v| v > t),
                    "{name} any > {t}"
                );
                assert_eq!(
                    gt.all().compute(s).unwrap(),
                    a.iter().all(|&v| v > t),
                    "{name} all > {t}"
                );
            }
        }
    }
}

#[test]
fn axis_reductions_with_keepdims_and_split_every() {
    let a = matrix(&[6, 7, 5]);
    let x = Array::from_ndarray(a.clone(), vec![vec![1, 2, 3], vec![3, 3, 1], vec![5]]).unwrap();
    for split in [2, 4, 16] {
        let r = |axes: &[isize]| Reduce::axes(axes.iter().copied()).split_every(split);
        check_close(&x.sum_over(r(&[1])).unwrap(), &a.sum_axis(Axis(1)), 1e-12);
        check_close(
            &x.sum_over(r(&[0, 2]).keepdims(true)).unwrap(),
            &a.sum_axis(Axis(2))
                .sum_axis(Axis(0))
                .insert_axis(Axis(0))
                .insert_axis(Axis(2)),
            1e-12,
        );
        check_close(
            &x.mean_over(r(&[-1])).unwrap(),
            &a.mean_axis(Axis(2)).unwrap(),
            1e-12,
        );
        check_close(
            &x.var_over(r(&[0]), 1.0).unwrap(),
            &a.var_axis(Axis(0), 1.0),
            1e-12,
        );
        check_close(
            &x.std_over(r(&[1]), 0.0).unwrap(),
            &a.std_axis(Axis(1), 0.0),
            1e-12,
        );
        check(
            &x.max_over(r(&[1])).unwrap(),
            &a.fold_axis(Axis(1), f64::NEG_INFINITY, |&m, &v| m.max(v)),
        );
        check(
            &x.min_over(r(&[0, 1])).unwrap(),
            &a.fold_axis(Axis(1), f64::INFINITY, |&m, &v| m.min(v))
                .fold_axis(Axis(0), f64::INFINITY, |&m, &v| m.min(v)),
        );
    }
    let argmax = a.map_axis(Axis(1), |lane| {
        let m = lane.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        lane.iter().position(|&v| v == m).unwrap() as i64
    });
    check(&x.argmax_axis(1, false).unwrap(), &argmax);
    check(
        &x.argmax_axis(1, true).unwrap(),
        &argmax.clone().insert_axis(Axis(1)),
    );
    // Integer sums accumulate in i64; bool sums count.
    let ints = a.mapv(|v| v as i32);
    let xi = Array::from_ndarray(ints.clone(), 4).unwrap();
    check(
        &xi.sum_over(Reduce::axis(0)).unwrap(),
        &ints.mapv(i64::from).sum_axis(Axis(0)),
    );
    let count = x.greater(0.0).unwrap().sum();
    assert_eq!(
        count.compute(&SyncScheduler).unwrap(),
        a.iter().filter(|&&v| v > 0.0).count() as i64
    );
}

#[test]
fn reductions_reject_bad_axes_and_empty_minimums() {
    let x = Array::<f64>::zeros(&[3, 4], 2).unwrap();
    let err = x.sum_over(Reduce::axis(2)).unwrap_err().to_string();
    assert!(
        err.contains("axis 2") && err.contains("2 dimension"),
        "{err}"
    );
    assert!(
        x.sum_over(Reduce::axes([0, -2]))
            .unwrap_err()
            .to_string()
            .contains("repeated")
    );
    let empty = Array::<f64>::zeros(&[0, 3], 2).unwrap();
    assert!(empty.max().unwrap_err().to_string().contains("zero-size"));
    assert!(empty.argmin().is_err());
    assert_eq!(empty.sum().compute(&SyncScheduler).unwrap(), 0.0);
    assert!(empty.mean().compute(&SyncScheduler).unwrap().is_nan());
}

#[test]
fn cumulative_sums_and_products() {
    let a = m2(5, 7);
    let x = Array::from_ndarray(a.clone(), [2, 3]).unwrap();
    let mut cs0 = a.clone();
    cs0.accumulate_axis_inplace(Axis(0), |&p, c| *c += p);
    let mut cs1 = a.clone();
    cs1.accumulate_axis_inplace(Axis(1), |&p, c| *c += p);
    check_close(&x.cumsum(0).unwrap(), &cs0, 1e-12);
    check_close(&x.cumsum(-1).unwrap(), &cs1, 1e-12);
    let small = &x / 40.0;
    let mut cp = a.mapv(|v| v / 40.0);
    cp.accumulate_axis_inplace(Axis(1), |&p, c| *c *= p);
    check_close(&small.cumprod(1).unwrap(), &cp, 1e-12);
    let ints = Array::<i32>::arange(1, 11, 1, 3).unwrap();
    check(
        &ints.cumsum(0).unwrap(),
        &Array1::from(
            (1..=10)
                .scan(0i64, |s, v| {
                    *s += v;
                    Some(*s)
                })
                .collect::<Vec<_>>(),
        )
        .into_dyn(),
    );
}

#[test]
fn slicing_matches_ndarray() {
    let a = m2(9, 8);
    let x = Array::from_ndarray(a.clone(), [4, 3]).unwrap();
    check(
        &x.slice(s![1..7, 2..]).unwrap(),
        &a.slice(s![1..7, 2..]).to_owned().into_dyn(),
    );
    check(
        &x.slice(s![..;2, 1..;3]).unwrap(),
        &a.slice(s![..;2, 1..;3]).to_owned().into_dyn(),
    );
    check(
        &x.slice(s![..;-1, ..]).unwrap(),
        &a.slice(s![..;-1, ..]).to_owned().into_dyn(),
    );
    check(
        &x.slice(s![1..8;-3, -3..]).unwrap(),
        &a.slice(s![1..8;-3, -3..]).to_owned().into_dyn(),
    );
    check(
        &x.slice(s![-2, ..]).unwrap(),
        &a.slice(s![-2, ..]).to_owned().into_dyn(),
    );
    check(
        &x.slice(s![3, 5]).unwrap(),
        &a.slice(s![3, 5]).to_owned().into_dyn(),
    );
    check(
        &x.slice(s![2..2, ..]).unwrap(),
        &a.slice(s![2..2, ..]).to_owned().into_dyn(),
    );
    check(
        &x.slice(s![.., ndarray::NewAxis, 1..4]).unwrap(),
        &a.slice(s![.., ndarray::NewAxis, 1..4])
            .to_owned()
            .into_dyn(),
    );
    // Ranges clamp like NumPy; indices out of bounds are errors.
    check(
        &x.slice(s![5..100, ..]).unwrap(),
        &a.slice(s![5.., ..]).to_owned().into_dyn(),
    );
    let err = x.slice(s![9, ..]).unwrap_err().to_string();
    assert!(
        err.contains("index 9") && err.contains("axis 0") && err.contains("size 9"),
        "{err}"
    );
    let err = x.slice(s![.., .., 1]).unwrap_err().to_string();
    assert!(err.contains("too many indices"), "{err}");
}

#[test]
fn transpose_reshape_squeeze_expand_dims() {
    let a = matrix(&[4, 6, 5]);
    let x = Array::from_ndarray(a.clone(), [3, 4, 2]).unwrap();
    check(&x.t(), &a.t().to_owned());
    check(
        &x.transpose(&[1, 0, 2]).unwrap(),
        &a.clone()
            .permuted_axes(IxDyn(&[1, 0, 2]))
            .as_standard_layout()
            .to_owned(),
    );
    assert!(
        x.transpose(&[0, 0, 1])
            .unwrap_err()
            .to_string()
            .contains("repeated")
    );
    for shape in [
        vec![24, 5],
        vec![4, 30],
        vec![120],
        vec![2, 2, 6, 5],
        vec![-1, 10],
        vec![5, 4, 6],
    ] {
        let want: Vec<usize> = {
            let known: isize = shape.iter().filter(|&&d| d > 0).product();
            shape
                .iter()
                .map(|&d| {
                    if d < 0 {
                        (120 / known) as usize
                    } else {
                        d as usize
                    }
                })
                .collect()
        };
        let expected = a.clone().into_shape_with_order(IxDyn(&want)).unwrap();
        check(&x.reshape(&shape).unwrap(), &expected);
    }
    let err = x.reshape(&[7, 17]).unwrap_err().to_string();
    assert!(err.contains("(4, 6, 5)") && err.contains("120"), "{err}");
    let e = x.expand_dims(1).unwrap();
    assert_eq!(e.shape(), vec![4, 1, 6, 5]);
    check(&e, &a.clone().insert_axis(Axis(1)));
    check(&e.squeeze(&[]).unwrap(), &a);
    assert!(
        x.squeeze(&[0])
            .unwrap_err()
            .to_string()
            .contains("length 4")
    );
}

#[test]
fn concatenate_and_stack() {
    let a = m2(4, 5);
    let b = m2(3, 5).mapv(|v| v + 1000.0);
    let x = Array::from_ndarray(a.clone(), [2, 5]).unwrap();
    let y = Array::from_ndarray(b.clone(), [3, 2]).unwrap();
    check(
        &concatenate(&[&x, &y], 0).unwrap(),
        &ndarray::concatenate(Axis(0), &[a.view(), b.view()]).unwrap(),
    );
    let err = concatenate(&[&x, &y], 1).unwrap_err().to_string();
    assert!(err.contains("(3, 5)") && err.contains("(4, 5)"), "{err}");
    let z = Array::from_ndarray(a.mapv(|v| v * 2.0), [1, 3]).unwrap();
    check(
        &stack(&[&x, &z], 1).unwrap(),
        &ndarray::stack(Axis(1), &[a.view(), a.mapv(|v| v * 2.0).view()]).unwrap(),
    );
    assert!(stack(&[&x, &y], 0).is_err());
}

#[test]
fn rechunk_keeps_values_and_splits_expensive_plans() {
    let a = m2(30, 100);
    let x = Array::from_ndarray(a.clone(), [30, 1]).unwrap();
    let y = x.rechunk([1, 100]).unwrap();
    assert_eq!(y.numblocks(), vec![30, 1]);
    check(&y, &a);
    // Rows to columns would make every output block read 100 inputs: a middle step
    // keeps the fan-in bounded.
    let plan = Plan::build(y.graph(), &y.keys(), &Optimizations::cull_only()).unwrap();
    assert!(
        plan.len() > 30 + 100,
        "intermediate layer present: {} tasks",
        plan.len()
    );
    check(&x.rechunk(vec![vec![7, 23], vec![100]]).unwrap(), &a);
    check(
        &x.rechunk(vec![AxisChunks::Whole, AxisChunks::Whole])
            .unwrap(),
        &a,
    );
    let err = x
        .rechunk(vec![vec![10, 10], vec![100]])
        .unwrap_err()
        .to_string();
    assert!(err.contains("axis 0"), "{err}");
}

#[test]
fn random_arrays_are_reproducible_across_schedulers() {
    let x = RandomState::new(7)
        .normal(10.0, 0.5, &[200, 300], [64, 100])
        .unwrap();
    let first = x.compute(&SyncScheduler).unwrap();
    for (name, s) in schedulers() {
        assert_eq!(x.compute(s).unwrap(), first, "{name}");
    }
    let again = RandomState::new(7)
        .normal(10.0, 0.5, &[200, 300], [64, 100])
        .unwrap();
    assert_eq!(again.compute(&SyncScheduler).unwrap(), first);
    let rs = RandomState::new(7);
    let _ = rs.normal(10.0, 0.5, &[200, 300], [64, 100]).unwrap();
    let second_call = rs.normal(10.0, 0.5, &[200, 300], [64, 100]).unwrap();
    assert_ne!(second_call.compute(&SyncScheduler).unwrap(), first);
    let n = first.len() as f64;
    let mean = first.sum() / n;
    let sd = (first.mapv(|v| (v - mean).powi(2)).sum() / n).sqrt();
    assert!(
        (mean - 10.0).abs() < 0.01 && (sd - 0.5).abs() < 0.01,
        "{mean} {sd}"
    );
    let u = RandomState::new(3)
        .uniform(-2.0, 2.0, &[10_000], 999)
        .unwrap()
        .compute(&SyncScheduler)
        .unwrap();
    assert!(u.iter().all(|&v| (-2.0..2.0).contains(&v)));
    let i = RandomState::new(3)
        .integers(5, 9, &[10_000], 999)
        .unwrap()
        .compute(&SyncScheduler)
        .unwrap();
    assert!(i.iter().all(|&v| (5..9).contains(&v)));
    assert!((5..9).all(|k| i.iter().any(|&v| v == k)));
    assert!(RandomState::new(0).normal(0.0, -1.0, &[3], 1).is_err());
    assert!(RandomState::new(0).integers(3, 3, &[3], 1).is_err());
}

#[test]
fn seed_demonstration_and_centering_in_two_dimensions() {
    // The seed's `x - x.mean(axis=1)`: row means removed, rows then average 0.
    let a = m2(40, 30);
    let x = Array::from_ndarray(a.clone(), [16, 7]).unwrap();
    let centered = (&x - &x.mean_over(Reduce::axis(1).keepdims(true)).unwrap()).unwrap();
    let means = a.mean_axis(Axis(1)).unwrap().insert_axis(Axis(1));
    check_close(&centered, &(&a - &means), 1e-12);
    let normal = RandomState::new(42)
        .normal(10.0, 0.1, &[2_000_000], 100_000)
        .unwrap();
    for (name, s) in schedulers() {
        let m = normal.mean().compute(s).unwrap();
        assert!((m - 10.0).abs() < 1e-3, "{name}: {m}");
    }
}

#[test]
fn persist_keeps_values_and_names() {
    let x = RandomState::new(5).random(&[20, 20], 7).unwrap();
    let p = x.persist(&SyncScheduler).unwrap();
    assert_eq!(p.name(), x.name());
    check(
        &(&p * 2.0),
        &x.compute(&SyncScheduler).unwrap().mapv(|v| v * 2.0),
    );
}

#[test]
fn build_errors_are_typed() {
    let x = Array::<f64>::zeros(&[3], 1).unwrap();
    match x.reshape(&[2, 2]) {
        Err(Error::Invalid { op, .. }) => assert_eq!(op, "reshape"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Array::<f64>::zeros(&[3], vec![vec![1, 1]]),
        Err(Error::Chunks(_))
    ));
    let two = Array2::<f64>::zeros((2, 2));
    assert!(Array::from_ndarray(two, [3, 3]).is_ok());
}

/// Cases a review found wrong; each checked on every scheduler where it computes.
#[test]
fn edge_cases_follow_numpy() {
    // Scalars above 2^53 keep their identity in layer names.
    let a = Array::full(&[2], (1i64 << 53) + 1, 2).unwrap();
    let b = Array::full(&[2], 1i64 << 53, 2).unwrap();
    assert_ne!(a.name(), b.name());
    check(&(&a - &b).unwrap(), &Array1::from(vec![1i64, 1]).into_dyn());
    // arange lengths are exact for integers; a non-finite span is an error.
    check(
        &Array::<i64>::arange(i64::MAX - 2, i64::MAX, 1, 2).unwrap(),
        &Array1::from(vec![i64::MAX - 2, i64::MAX - 1]).into_dyn(),
    );
    assert_eq!(
        Array::<i64>::arange((1 << 53) + 1, (1 << 53) + 3, 1, 2)
            .unwrap()
            .shape(),
        vec![2]
    );
    assert_eq!(
        Array::<u64>::arange(u64::MAX - 3, u64::MAX, 1, 2)
            .unwrap()
            .shape(),
        vec![3]
    );
    assert!(Array::<f64>::arange(0.0, f64::NAN, 1.0, 2).is_err());
    // Reshape to and from 0-d.
    let one = Array::from_ndarray(Array1::from(vec![5.0]).into_dyn(), 1).unwrap();
    let scalar = one.reshape(&[]).unwrap();
    check(&scalar, &ndarray::arr0(5.0).into_dyn());
    check(
        &scalar.reshape(&[1, 1]).unwrap(),
        &ndarray::arr2(&[[5.0]]).into_dyn(),
    );
    // argmin/argmax and cumsum across empty blocks.
    let empty = Array::<f64>::zeros(&[0], 2).unwrap();
    let xs = Array::from_ndarray(Array1::from(vec![1.0, 5.0, 2.0]).into_dyn(), 2).unwrap();
    let joined = concatenate(&[&empty, &xs], 0).unwrap();
    for (name, s) in schedulers() {
        assert_eq!(joined.argmax().unwrap().compute(s).unwrap(), 1, "{name}");
    }
    check(
        &Array::<f64>::zeros(&[0, 4], 2)
            .unwrap()
            .argmin_axis(1, false)
            .unwrap(),
        &ArrayD::zeros(IxDyn(&[0])),
    );
    let ints = Array::from_ndarray(Array1::from(vec![1i64, 2]).into_dyn(), 2).unwrap();
    let more = Array::from_ndarray(Array1::from(vec![3i64, 4]).into_dyn(), 1).unwrap();
    let gap = concatenate(&[&ints, &Array::<i64>::zeros(&[0], 1).unwrap(), &more], 0).unwrap();
    check(
        &gap.cumsum(0).unwrap(),
        &Array1::from(vec![1i64, 3, 6, 10]).into_dyn(),
    );
    check(
        &gap.cumprod(0).unwrap(),
        &Array1::from(vec![1i64, 2, 6, 24]).into_dyn(),
    );
    // A length-1 axis cut as [0, 1] still broadcasts and squeezes.
    let row = Array::from_ndarray(
        Array2::from_shape_vec((1, 3), vec![1.0, 2.0, 3.0]).unwrap(),
        vec![vec![0, 1], vec![3]],
    )
    .unwrap();
    let twos = (&row + &Array::<f64>::ones(&[2, 3], 1).unwrap()).unwrap();
    check(
        &twos,
        &ndarray::arr2(&[[2.0, 3.0, 4.0], [2.0, 3.0, 4.0]]).into_dyn(),
    );
    check(
        &row.squeeze(&[0]).unwrap(),
        &Array1::from(vec![1.0, 2.0, 3.0]).into_dyn(),
    );
    // Infinities across blocks: mean inf, variance NaN; ddof >= n divides by zero.
    let inf =
        Array::from_ndarray(Array1::from(vec![1.0, f64::INFINITY, 2.0]).into_dyn(), 1).unwrap();
    let both = Array::from_ndarray(Array1::from(vec![3.0, 5.0]).into_dyn(), 1).unwrap();
    for (name, s) in schedulers() {
        assert_eq!(inf.mean().compute(s).unwrap(), f64::INFINITY, "{name}");
        assert!(inf.var(0.0).compute(s).unwrap().is_nan(), "{name}");
        assert_eq!(both.var(2.0).compute(s).unwrap(), f64::INFINITY, "{name}");
    }
    // Integers to negative powers are an error; clip applies max last.
    assert!(ints.powi(-1).unwrap_err().to_string().contains("negative"));
    check(
        &xs.clip(5.0, 3.0),
        &Array1::from(vec![3.0, 3.0, 3.0]).into_dyn(),
    );
    // Sizes that cannot be built are errors, not aborts or overflows.
    let err = Array::<f64>::zeros(&[1 << 40], 1).unwrap_err().to_string();
    assert!(err.contains("blocks"), "{err}");
    assert!(xs.reshape(&[1 << 32, 1 << 32]).is_err());
    assert!(dask_array::normalize_chunks(vec![vec![usize::MAX, 2]], &[1], 8).is_err());
}

/// Transposed blocks are strided views when nobody else holds them: every path that
/// reads one must give the same answer as a C-order block, bit for bit on every
/// scheduler (decoded blocks are C order).
#[test]
fn transposed_views_reduce_and_compute_like_copies() {
    let x = RandomState::new(9)
        .random(&[4, 5, 6], vec![vec![4], vec![5], vec![6]])
        .unwrap();
    let a = x.compute(&SyncScheduler).unwrap();
    let at = a.t().to_owned();
    check_close(
        &x.t().sum_over(Reduce::axis(-1)).unwrap(),
        &at.sum_axis(Axis(2)),
        1e-12,
    );
    check_close(
        &(&x.t() + 1.0).mean_over(Reduce::axis(-1)).unwrap(),
        &at.mapv(|v| v + 1.0).mean_axis(Axis(2)).unwrap(),
        1e-12,
    );
    check_close(
        &x.t().var_over(Reduce::axis(-1), 0.0).unwrap(),
        &at.var_axis(Axis(2), 0.0),
        1e-12,
    );
    let single = x.t().compute(&SyncScheduler).unwrap();
    assert!(single.is_standard_layout());
    assert_eq!(single, at);
    let sums: Vec<f64> = schedulers()
        .iter()
        .map(|(_, s)| x.t().sum().compute(*s).unwrap())
        .collect();
    assert!(
        sums.windows(2).all(|w| w[0].to_bits() == w[1].to_bits()),
        "{sums:?}"
    );
    assert!(RandomState::new(0).uniform(-1e308, 1e308, &[3], 1).is_err());
}

#[test]
fn matrix_products_match_ndarray() {
    let a = m2(7, 40);
    let b = m2(40, 5).mapv(|v| v / 10.0);
    // Different blocks along the contracted axis (unified), and more than 16 of them
    // (the grouped path).
    let x = Array::from_ndarray(a.clone(), vec![vec![3, 4], vec![2; 20]]).unwrap();
    let y = Array::from_ndarray(b.clone(), vec![vec![15, 25], vec![2, 3]]).unwrap();
    let a2 = a.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let b2 = b.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    check_close(&x.matmul(&y).unwrap(), &a2.dot(&b2).into_dyn(), 1e-12);
    let few = Array::from_ndarray(a.clone(), [4, 13]).unwrap();
    check_close(&few.matmul(&y).unwrap(), &a2.dot(&b2).into_dyn(), 1e-12);
    // dot of vectors and matrices.
    let v = matrix(&[40]);
    let v1 = v.clone().into_dimensionality::<ndarray::Ix1>().unwrap();
    let xv = Array::from_ndarray(v.clone(), 7).unwrap();
    check_close(&x.dot(&xv).unwrap(), &a2.dot(&v1).into_dyn(), 1e-12);
    check_close(&xv.dot(&y).unwrap(), &v1.dot(&b2).into_dyn(), 1e-12);
    check_close(
        &xv.dot(&xv).unwrap(),
        &ndarray::arr0(v1.dot(&v1)).into_dyn(),
        1e-12,
    );
    let f = Array::from_ndarray(a.mapv(|v| v as f32), 8).unwrap();
    let g = Array::from_ndarray(b.mapv(|v| v as f32), 9).unwrap();
    let want32 = a2.mapv(|v| v as f32).dot(&b2.mapv(|v| v as f32));
    let got32 = f.matmul(&g).unwrap().compute(&SyncScheduler).unwrap();
    assert!(
        got32
            .iter()
            .zip(want32.iter())
            .all(|(p, q)| (p - q).abs() <= 1e-3 * q.abs().max(1.0))
    );
    // Outer products flatten their inputs.
    let o = dask_array::outer(&xv, &Array::from_ndarray(matrix(&[2, 3]), 2).unwrap()).unwrap();
    let w = matrix(&[2, 3]).into_shape_with_order(IxDyn(&[6])).unwrap();
    let want = ndarray::Array2::from_shape_fn((40, 6), |(i, j)| v1[i] * w[j]).into_dyn();
    check_close(&o, &want, 1e-12);
    // Shapes that do not align say so.
    let err = x.matmul(&x).unwrap_err().to_string();
    assert!(
        err.contains("(7, 40)") && err.contains("do not align"),
        "{err}"
    );
    assert!(xv.dot(&Array::<f64>::zeros(&[3], 1).unwrap()).is_err());
    assert!(
        Array::<f64>::zeros(&[2, 2, 2], 1)
            .unwrap()
            .dot(&xv)
            .is_err()
    );
}

fn scaled_by_index(args: dask_graph::Args) -> dask_graph::OpResult {
    let index = args.get::<Vec<u64>>(0)?;
    let block = args.get::<ArrayD<f64>>(1)?;
    let k = index.iter().sum::<u64>() as f64;
    Ok(dask_array::block_value(block.mapv(|v| v * 2.0 + k)))
}
dask_graph::register_op!(SCALED_BY_INDEX = "tests.array.scaled_by_index" => scaled_by_index);

#[test]
fn map_blocks_with_closures_and_registered_functions() {
    let a = m2(6, 5);
    let x = Array::from_ndarray(a.clone(), [4, 2]).unwrap();
    // The index of each block, from its position.
    let expected = ArrayD::from_shape_fn(IxDyn(&[6, 5]), |i| {
        a[[i[0], i[1]]] * 2.0 + (i[0] / 4 + i[1] / 2) as f64
    });
    let by_op = x.map_blocks_op::<f64>(&SCALED_BY_INDEX, None).unwrap();
    check_close(&by_op, &expected, 0.0);
    let by_closure = x.map_blocks(|b, idx| b.mapv(|v| v * 2.0 + (idx[0] + idx[1]) as f64));
    for (name, s) in schedulers() {
        match by_closure.compute(s) {
            Ok(got) => assert_eq!(got, expected, "{name}"),
            Err(e) => {
                assert_eq!(name, "processes", "{e}");
                assert!(e.to_string().contains("map_blocks"), "{e}");
            }
        }
    }
    // Declared chunks: one number per block.
    let sums = x
        .map_blocks_to(
            Chunks::from_lengths(vec![vec![1, 1], vec![1, 1, 1]]),
            |b: &ArrayD<f64>, _| ArrayD::from_elem(IxDyn(&[1, 1]), b.sum()),
        )
        .unwrap();
    let got = sums.compute(&SyncScheduler).unwrap();
    assert!((got.sum() - a.sum()).abs() < 1e-9);
    assert!(
        x.map_blocks_to(
            Chunks::from_lengths(vec![vec![6], vec![5]]),
            |b: &ArrayD<f64>, _| b.clone()
        )
        .is_err()
    );
    // A block of the wrong shape is an error naming it, not a misassembled array.
    let wrong = x.map_blocks(|b: &ArrayD<f64>, _| b.slice(s![..1, ..]).to_owned().into_dyn());
    let err = wrong.compute(&SyncScheduler).unwrap_err().to_string();
    assert!(
        err.contains("block [0, 0]") && err.contains("chunks say"),
        "{err}"
    );
    // Also when the blocks only feed a reduction (which would otherwise add up the
    // wrong blocks), from a closure or from a registered operation, on every scheduler.
    let err = wrong.sum().compute(&SyncScheduler).unwrap_err().to_string();
    assert!(
        err.contains("has shape (1, 2) but the chunks say (4, 2)"),
        "{err}"
    );
    let declared = Chunks::from_lengths(vec![vec![3, 3], vec![2, 2, 1]]);
    let by_op = x
        .map_blocks_op::<f64>(&SCALED_BY_INDEX, Some(declared))
        .unwrap();
    for (name, s) in schedulers() {
        let err = by_op.sum().compute(s).unwrap_err().to_string();
        // Which block fails first depends on the scheduler; every one has 3 rows
        // declared and 4 or 2 computed.
        let first = err.contains("has shape (4, ") || err.contains("has shape (2, ");
        let first = first && err.contains("but the chunks say (3, ");
        assert!(first, "{name}: {err}");
    }
}

#[test]
fn tensordot_matches_a_direct_sum() {
    let a = matrix(&[3, 4, 5]);
    let b = matrix(&[5, 4, 2]);
    let x = Array::from_ndarray(a.clone(), [2, 3, 2]).unwrap();
    let y = Array::from_ndarray(b.clone(), [3, 2, 1]).unwrap();
    // out[i, l] = Σ_{j,k} a[i, j, k] b[k, j, l]
    let want = ndarray::Array2::from_shape_fn((3, 2), |(i, l)| {
        let mut s = 0.0;
        for j in 0..4 {
            for k in 0..5 {
                s += a[[i, j, k]] * b[[k, j, l]];
            }
        }
        s
    })
    .into_dyn();
    check_close(
        &dask_array::tensordot(&x, &y, (&[1, 2], &[1, 0])).unwrap(),
        &want,
        1e-12,
    );
    // All axes contracted: a 0-d result.
    let full = dask_array::tensordot(&x, &x, (&[0, 1, 2], &[0, 1, 2])).unwrap();
    check_close(
        &full,
        &ndarray::arr0(a.mapv(|v| v * v).sum()).into_dyn(),
        1e-12,
    );
    let err = dask_array::tensordot(&x, &y, (&[0], &[0]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("length 3") && err.contains("length 5"),
        "{err}"
    );
    assert!(dask_array::tensordot(&x, &y, (&[1, 1], &[1, 0])).is_err());
}

#[test]
fn histograms_count_like_numpy() {
    // Values on the edges, outside the range, NaN; 40 blocks (a two-level sum tree).
    let mut values: Vec<f64> = (0..400).map(|i| (i as f64) * 0.037 - 2.0).collect();
    values.extend([0.0, 1.0, 10.0, -2.0, 12.0, f64::NAN, 3.75, 5.0]);
    let a = Array1::from(values.clone()).into_dyn();
    let x = Array::from_ndarray(a, 11).unwrap();
    assert!(x.numblocks()[0] > 16);
    let h = x.histogram(8, (0.0, 10.0)).unwrap();
    assert_eq!(
        h.edges,
        vec![0.0, 1.25, 2.5, 3.75, 5.0, 6.25, 7.5, 8.75, 10.0]
    );
    let mut want = vec![0i64; 8];
    for &v in &values {
        if (0.0..=10.0).contains(&v) {
            let bin = (0..8).rev().find(|&i| h.edges[i] <= v).unwrap_or(0).min(7);
            want[bin] += 1;
        }
    }
    check(&h.counts, &Array1::from(want).into_dyn());
    // Integer arrays, and a zero-width range widened as NumPy does.
    let ints = Array::<i64>::arange(0, 10, 1, 3).unwrap();
    let h = ints.histogram(1, (4.0, 4.0)).unwrap();
    assert_eq!(h.edges, vec![3.5, 4.5]);
    check(&h.counts, &Array1::from(vec![1i64]).into_dyn());
    assert!(x.histogram(0, (0.0, 1.0)).is_err());
    assert!(x.histogram(4, (1.0, 0.0)).is_err());
    assert!(x.histogram(4, (0.0, f64::INFINITY)).is_err());
}

#[test]
fn topk_selects_like_a_full_sort() {
    let a = m2(30, 20); // 600 values with repeats, 40 blocks: a two-level tree
    let x = Array::from_ndarray(a.clone(), [5, 3]).unwrap();
    let mut sorted: Vec<f64> = a.iter().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let largest: Vec<f64> = sorted.iter().rev().take(25).copied().collect();
    check(&x.topk(25).unwrap(), &Array1::from(largest).into_dyn());
    check(
        &x.topk(-7).unwrap(),
        &Array1::from(sorted[..7].to_vec()).into_dyn(),
    );
    // k beyond the size: everything, sorted; NaN counts as the largest, as in NumPy.
    let small = Array::from_ndarray(Array1::from(vec![2.0, f64::NAN, -1.0]).into_dyn(), 2).unwrap();
    let all = small.topk(10).unwrap().compute(&SyncScheduler).unwrap();
    assert!(all[0].is_nan() && all[1] == 2.0 && all[2] == -1.0 && all.len() == 3);
    let ints = Array::<i32>::arange(0, 100, 1, 9).unwrap();
    check(
        &ints.topk(3).unwrap(),
        &Array1::from(vec![99, 98, 97]).into_dyn(),
    );
    assert!(x.topk(0).is_err());
}

#[test]
fn any_ddof_is_accepted_as_numpy_does() {
    // NumPy divides by max(n - ddof, 0) for any ddof; a NaN ddof gives NaN.
    let a: ArrayD<f64> = Array1::from(vec![1.0, 2.0, 4.0, 7.0]).into_dyn();
    let x = Array::from_ndarray(a.clone(), 3).unwrap();
    let m2 = a.mapv(|v| (v - 3.5) * (v - 3.5)).sum();
    for (name, s) in schedulers() {
        let var: f64 = x.var(-1.0).compute(s).unwrap();
        assert!((var - m2 / 5.0).abs() < 1e-12, "{name}");
        assert!(x.std(f64::NAN).compute(s).unwrap().is_nan(), "{name}");
    }
}
