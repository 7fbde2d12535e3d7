//! Arrays on disk: round trips through every format against in-memory references,
//! files written by NumPy, failed writes that leave nothing behind, and custom sources
//! and sinks — on every scheduler.
#![allow(clippy::unwrap_used)]

mod common;

dask_sched_procs::test_worker!();

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::{check, matrix, schedulers};
use dask_array::io::{ChunkedSink, ChunkedSource, Region};
use dask_array::{Array, Reduce};
use dask_graph::BoxError;
use ndarray::{ArrayD, ArrayViewD, Dimension, IxDyn};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn ints(shape: &[usize]) -> ArrayD<i32> {
    ArrayD::from_shape_fn(IxDyn(shape), |i| {
        i.slice().iter().fold(0i32, |acc, &x| acc * 100 + x as i32) - 500
    })
}

#[test]
fn npy_round_trips_every_dtype_with_irregular_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let f = matrix(&[13, 7, 3]);
    let i = ints(&[9, 11]);
    let u = i.mapv(|v| (v.rem_euclid(256)) as u8);
    let b = i.mapv(|v| v % 3 == 0);
    for (name, s) in schedulers() {
        let path = dir.path().join(format!("f-{name}.npy"));
        let x = Array::from_ndarray(f.clone(), vec![vec![5, 8], vec![7], vec![1, 2]]).unwrap();
        x.to_npy(&path, s).unwrap();
        check(&Array::<f64>::from_npy(&path, [4, 3, 2]).unwrap(), &f);
        check(&Array::<f64>::from_npy(&path, [13, 7, 3]).unwrap(), &f);

        let path = dir.path().join(format!("i-{name}.npy"));
        Array::from_ndarray(i.clone(), [4, 5])
            .unwrap()
            .to_npy(&path, s)
            .unwrap();
        check(&Array::<i32>::from_npy(&path, [2, 11]).unwrap(), &i);

        let path = dir.path().join(format!("u-{name}.npy"));
        Array::from_ndarray(u.clone(), [9, 3])
            .unwrap()
            .to_npy(&path, s)
            .unwrap();
        check(&Array::<u8>::from_npy(&path, [5, 5]).unwrap(), &u);

        let path = dir.path().join(format!("b-{name}.npy"));
        Array::from_ndarray(b.clone(), [2, 2])
            .unwrap()
            .to_npy(&path, s)
            .unwrap();
        check(&Array::<bool>::from_npy(&path, [3, 4]).unwrap(), &b);
    }
    // Only the finished files remain: no temporary names.
    assert!(listing(dir.path()).iter().all(|n| !n.starts_with('.')));
}

#[test]
fn npy_files_written_by_numpy_are_read() {
    // np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4))
    let fortran = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]), (0..24).collect()).unwrap();
    check(
        &Array::<i32>::from_npy(fixture("i4_fortran_2x3x4.npy"), [1, 2, 3]).unwrap(),
        &fortran,
    );
    // Format version 2.0: np.arange(12.) .reshape(3, 4) / 4 - 1
    let v2 = ArrayD::from_shape_fn(IxDyn(&[3, 4]), |i| (i[0] * 4 + i[1]) as f64 / 4.0 - 1.0);
    check(
        &Array::<f64>::from_npy(fixture("f8_v2_3x4.npy"), 2).unwrap(),
        &v2,
    );
    let flags = ArrayD::from_shape_vec(IxDyn(&[5]), vec![true, false, false, true, true]).unwrap();
    check(
        &Array::<bool>::from_npy(fixture("b1_5.npy"), 2).unwrap(),
        &flags,
    );
    let scalar = ArrayD::from_elem(IxDyn(&[]), 2.5);
    check(
        &Array::<f64>::from_npy(fixture("f8_scalar.npy"), 1).unwrap(),
        &scalar,
    );
}

#[test]
fn npy_errors_name_the_file_and_the_problem() {
    let err = |r: dask_array::Result<Array<f64>>| r.unwrap_err().to_string();
    let e = err(Array::<f64>::from_npy(fixture("f8_bigendian_3.npy"), 1));
    assert!(
        e.contains("f8_bigendian_3.npy") && e.contains("big-endian"),
        "{e}"
    );
    let e = err(Array::<f64>::from_npy(fixture("c16_2.npy"), 1));
    assert!(e.contains("'<c16' is not supported"), "{e}");
    let e = err(Array::<f64>::from_npy(fixture("i4_fortran_2x3x4.npy"), 1));
    assert!(e.contains("holds int32, not float64"), "{e}");
    let e = err(Array::<f64>::from_npy(fixture("missing.npy"), 1));
    assert!(
        e.contains("missing.npy") && e.contains("No such file"),
        "{e}"
    );

    let dir = tempfile::tempdir().unwrap();
    let not_npy = dir.path().join("text.npy");
    std::fs::write(&not_npy, "hello, world").unwrap();
    let e = err(Array::<f64>::from_npy(&not_npy, 1));
    assert!(e.contains("not an .npy file"), "{e}");
    // A header promising more data than the file holds.
    let truncated = dir.path().join("truncated.npy");
    let mut bytes = std::fs::read(fixture("f8_v2_3x4.npy")).unwrap();
    bytes.truncate(bytes.len() - 8);
    std::fs::write(&truncated, bytes).unwrap();
    let e = err(Array::<f64>::from_npy(&truncated, 1));
    assert!(
        e.contains("truncated") && e.contains("96 data bytes"),
        "{e}"
    );
}

#[test]
fn a_failed_store_leaves_no_file_that_looks_complete() {
    let dir = tempfile::tempdir().unwrap();
    // Integer division by zero fails in one block out of four, midway through.
    let mut divisor = ints(&[8, 8]).mapv(|v| v.abs() + 1);
    divisor[[6, 1]] = 0;
    let x = Array::from_ndarray(ints(&[8, 8]), 4).unwrap();
    let y = (&x / &Array::from_ndarray(divisor, 4).unwrap()).unwrap();
    for (name, s) in schedulers() {
        let path = dir.path().join(format!("quotient-{name}.npy"));
        let e = y.to_npy(&path, s).unwrap_err().to_string();
        assert!(e.contains("division by zero"), "{name}: {e}");
        assert!(!path.exists(), "{name}");
        // A previous complete file is left as it was.
        x.to_npy(&path, s).unwrap();
        y.to_npy(&path, s).unwrap_err();
        check(&Array::<i32>::from_npy(&path, 8).unwrap(), &ints(&[8, 8]));
    }
    assert_eq!(
        listing(dir.path()),
        vec![
            "quotient-processes.npy",
            "quotient-sync.npy",
            "quotient-threads.npy"
        ]
    );
}

#[test]
fn centering_a_stored_matrix_into_another_file() {
    // The seed's example: x - x.mean(axis=1), read from and stored to disk.
    let dir = tempfile::tempdir().unwrap();
    let m = matrix(&[30, 20]);
    let input = dir.path().join("x.npy");
    Array::from_ndarray(m.clone(), [7, 6])
        .unwrap()
        .to_npy(&input, &dask_graph::SyncScheduler)
        .unwrap();
    let means = m
        .mean_axis(ndarray::Axis(1))
        .unwrap()
        .insert_axis(ndarray::Axis(1));
    let expected = (&m - &means).into_dyn();
    for (name, s) in schedulers() {
        let x = Array::<f64>::from_npy(&input, [10, 20]).unwrap();
        let centered = (&x - &x.mean_over(Reduce::axis(1).keepdims(true)).unwrap()).unwrap();
        let output = dir.path().join(format!("centered-{name}.npy"));
        centered.to_npy(&output, s).unwrap();
        common::check_close(
            &Array::<f64>::from_npy(&output, 8).unwrap(),
            &expected,
            1e-12,
        );
    }
}

/// `a[i, j] = 10 i + j`, computed on demand.
struct Formula;

impl ChunkedSource<i64> for Formula {
    fn shape(&self) -> Vec<usize> {
        vec![7, 9]
    }
    fn read(&self, r: &Region) -> Result<ArrayD<i64>, BoxError> {
        Ok(ArrayD::from_shape_fn(
            IxDyn(&[r[0].len(), r[1].len()]),
            |i| 10 * (r[0].start + i[0]) as i64 + (r[1].start + i[1]) as i64,
        ))
    }
    fn describe(&self) -> String {
        "formula".into()
    }
}

/// Regions written and their values, in C order.
type Written = Mutex<Vec<(Vec<Range<usize>>, Vec<i64>)>>;

/// A sink keeping what it is given in memory and checking alignment to a grid.
struct Recorder {
    shape: Vec<usize>,
    grid: Option<Vec<usize>>,
    written: Written,
    committed: Mutex<bool>,
}

impl ChunkedSink<i64> for &'static Recorder {
    fn shape(&self) -> Vec<usize> {
        self.shape.clone()
    }
    fn chunk_shape(&self) -> Option<Vec<usize>> {
        self.grid.clone()
    }
    fn write(&self, region: &Region, block: ArrayViewD<'_, i64>) -> Result<(), BoxError> {
        let values = block.iter().copied().collect();
        self.written.lock().unwrap().push((region.to_vec(), values));
        Ok(())
    }
    fn describe(&self) -> String {
        "recorder".into()
    }
    fn commit(&self) -> Result<(), BoxError> {
        *self.committed.lock().unwrap() = true;
        Ok(())
    }
}

#[test]
fn custom_sources_and_sinks_run_in_process() {
    let expected = ArrayD::from_shape_fn(IxDyn(&[7, 9]), |i| 10 * i[0] as i64 + i[1] as i64);
    let x = Array::from_array(Formula, [3, 4]).unwrap();
    assert_eq!(x.numblocks(), vec![3, 3]);
    for (name, s) in schedulers() {
        if name == "processes" {
            // A source without a description cannot be reopened by a worker process.
            let e = x.compute(s).unwrap_err().to_string();
            assert!(e.contains("from_array"), "{e}");
            continue;
        }
        assert_eq!(x.compute(s).unwrap(), expected, "{name}");
        // The sink's grid is 2 × 5: blocks of 3 × 4 are rechunked onto it.
        let recorder: &'static Recorder = Box::leak(Box::new(Recorder {
            shape: vec![7, 9],
            grid: Some(vec![2, 5]),
            written: Mutex::new(Vec::new()),
            committed: Mutex::new(false),
        }));
        x.store(recorder, s).unwrap();
        assert!(*recorder.committed.lock().unwrap());
        let mut rebuilt = ArrayD::<i64>::zeros(IxDyn(&[7, 9]));
        for (region, values) in recorder.written.lock().unwrap().iter() {
            for (r, g) in region.iter().zip([2, 5]) {
                assert!(r.start % g == 0 && (r.end % g == 0 || r.end == 7 || r.end == 9));
            }
            let mut view = rebuilt.slice_each_axis_mut(|ax| region[ax.axis.index()].clone().into());
            let block = ArrayD::from_shape_vec(view.raw_dim(), values.clone()).unwrap();
            view.assign(&block);
        }
        assert_eq!(rebuilt, expected, "{name}");
    }
    // A sink of another shape is refused before anything runs.
    let wrong: &'static Recorder = Box::leak(Box::new(Recorder {
        shape: vec![9, 7],
        grid: None,
        written: Mutex::new(Vec::new()),
        committed: Mutex::new(false),
    }));
    let e = x
        .store(wrong, &dask_graph::SyncScheduler)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("shape (7, 9) but recorder has shape (9, 7)"),
        "{e}"
    );
}

#[cfg(feature = "zarr")]
mod zarr {
    use super::*;
    use dask_array::io::zarr::{Compression, ZarrOptions, ZarrSource};

    #[test]
    fn zarr_round_trips_with_every_compressor() {
        let dir = tempfile::tempdir().unwrap();
        let f = matrix(&[17, 10]);
        let x = Array::from_ndarray(f.clone(), [5, 4]).unwrap();
        for (name, s) in schedulers() {
            for (label, compression) in [
                ("none", Compression::None),
                ("zstd", Compression::Zstd(3)),
                ("gzip", Compression::Gzip(5)),
            ] {
                let path = dir.path().join(format!("{label}-{name}.zarr"));
                let options = ZarrOptions {
                    compression,
                    ..ZarrOptions::default()
                };
                x.to_zarr(&path, &options, s).unwrap();
                // The store's own chunks by default; any others on request.
                let y = Array::<f64>::from_zarr(&path).unwrap();
                assert_eq!(y.chunks().per_axis(), x.chunks().per_axis());
                check(&y, &f);
                check(&Array::<f64>::from_zarr_chunks(&path, [6, 7]).unwrap(), &f);
            }
        }
        assert!(listing(dir.path()).iter().all(|n| !n.starts_with('.')));
    }

    #[test]
    fn zarr_stores_integers_and_bools_with_irregular_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let i = ints(&[9, 11, 2]);
        let b = i.mapv(|v| v % 3 == 0);
        for (name, s) in schedulers() {
            // Irregular blocks are rechunked onto the store's regular grid.
            let x =
                Array::from_ndarray(i.clone(), vec![vec![2, 7], vec![4, 4, 3], vec![2]]).unwrap();
            let path = dir.path().join(format!("i-{name}.zarr"));
            x.to_zarr(&path, &ZarrOptions::default(), s).unwrap();
            check(&Array::<i32>::from_zarr(&path).unwrap(), &i);
            // Stored chunks chosen explicitly, not matching the blocks.
            let path = dir.path().join(format!("b-{name}.zarr"));
            let options = ZarrOptions {
                chunks: Some(vec![3, 5, 1]),
                ..ZarrOptions::default()
            };
            Array::from_ndarray(b.clone(), [4, 4, 2])
                .unwrap()
                .to_zarr(&path, &options, s)
                .unwrap();
            let y = Array::<bool>::from_zarr(&path).unwrap();
            assert_eq!(y.chunks().per_axis()[0], vec![3, 3, 3]);
            check(&y, &b);
        }
    }

    #[test]
    fn zarr_failures_leave_no_store_and_errors_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let mut divisor = ints(&[8, 8]).mapv(|v| v.abs() + 1);
        divisor[[6, 1]] = 0;
        let x = Array::from_ndarray(ints(&[8, 8]), 4).unwrap();
        let y = (&x / &Array::from_ndarray(divisor, 4).unwrap()).unwrap();
        let replace = ZarrOptions {
            overwrite: true,
            ..ZarrOptions::default()
        };
        for (name, s) in schedulers() {
            let path = dir.path().join(format!("q-{name}.zarr"));
            let e = y
                .to_zarr(&path, &ZarrOptions::default(), s)
                .unwrap_err()
                .to_string();
            assert!(e.contains("division by zero"), "{name}: {e}");
            assert!(!path.exists(), "{name}");
            x.to_zarr(&path, &ZarrOptions::default(), s).unwrap();
            // Existing stores are kept unless replacing is asked for...
            let e = x
                .to_zarr(&path, &ZarrOptions::default(), s)
                .unwrap_err()
                .to_string();
            assert!(e.contains("already exists"), "{e}");
            // ...and a failed replacement keeps the old one.
            y.to_zarr(&path, &replace, s).unwrap_err();
            check(&Array::<i32>::from_zarr(&path).unwrap(), &ints(&[8, 8]));
            (&x * 2).to_zarr(&path, &replace, s).unwrap();
            check(
                &Array::<i32>::from_zarr(&path).unwrap(),
                &ints(&[8, 8]).mapv(|v| v * 2),
            );
        }
        assert_eq!(
            listing(dir.path()),
            vec!["q-processes.zarr", "q-sync.zarr", "q-threads.zarr"]
        );
        let err = |r: dask_array::Result<ZarrSource<f64>>| r.unwrap_err().to_string();
        let e = err(ZarrSource::<f64>::open(dir.path().join("q-sync.zarr")));
        assert!(e.contains("holds int32, not float64"), "{e}");
        let e = err(ZarrSource::<f64>::open(dir.path()));
        assert!(e.contains("not a Zarr v3 array"), "{e}");
    }
}

#[cfg(feature = "hdf5")]
mod hdf5 {
    use super::*;

    #[test]
    fn hdf5_files_written_by_h5py_are_read() {
        let path = fixture("h5py_small.h5");
        let big = ArrayD::from_shape_fn(IxDyn(&[5, 4]), |i| (i[0] * 4 + i[1]) as f64 / 2.0);
        // The seed's example: from_array(f['/big-data'], chunks=...) and x - x.mean(axis=1).
        let x = Array::<f64>::from_hdf5(&path, "/big-data", [2, 3]).unwrap();
        check(&x, &big);
        let means = big.mean_axis(ndarray::Axis(1)).unwrap();
        common::check_close(
            &x.mean_over(Reduce::axis(1)).unwrap(),
            &means.into_dyn(),
            1e-12,
        );
        // A chunked, gzip-compressed dataset in a group.
        let ints = ArrayD::from_shape_fn(IxDyn(&[3, 10]), |i| (i[0] * 10 + i[1]) as i32 - 7);
        check(
            &Array::<i32>::from_hdf5(&path, "group/ints", [2, 4]).unwrap(),
            &ints,
        );
        let flags = ArrayD::from_shape_vec(IxDyn(&[3]), vec![true, false, true]).unwrap();
        check(
            &Array::<bool>::from_hdf5(&path, "/flags", 2).unwrap(),
            &flags,
        );

        let err = |r: dask_array::Result<Array<f64>>| r.unwrap_err().to_string();
        let e = err(Array::<f64>::from_hdf5(&path, "/missing", 2));
        assert!(
            e.contains("h5py_small.h5:/missing") && e.contains("no dataset"),
            "{e}"
        );
        let e = err(Array::<f64>::from_hdf5(&path, "/complex", 2));
        assert!(e.contains("not supported"), "{e}");
        let e = err(Array::<f64>::from_hdf5(&path, "/flags", 2));
        assert!(e.contains("holds bool, not float64"), "{e}");
    }

    #[test]
    fn hdf5_round_trips_and_failed_writes_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let f = matrix(&[13, 7, 3]);
        let u = ints(&[9, 11]).mapv(|v| v.rem_euclid(256) as u8);
        let mut divisor = ints(&[8, 8]).mapv(|v| v.abs() + 1);
        divisor[[6, 1]] = 0;
        let x = Array::from_ndarray(ints(&[8, 8]), 4).unwrap();
        let y = (&x / &Array::from_ndarray(divisor, 4).unwrap()).unwrap();
        for (name, s) in schedulers() {
            let path = dir.path().join(format!("f-{name}.h5"));
            Array::from_ndarray(f.clone(), vec![vec![5, 8], vec![7], vec![1, 2]])
                .unwrap()
                .to_hdf5(&path, "/data/f", s)
                .unwrap();
            check(
                &Array::<f64>::from_hdf5(&path, "/data/f", [4, 3, 2]).unwrap(),
                &f,
            );
            let path = dir.path().join(format!("u-{name}.h5"));
            Array::from_ndarray(u.clone(), [4, 5])
                .unwrap()
                .to_hdf5(&path, "u", s)
                .unwrap();
            check(&Array::<u8>::from_hdf5(&path, "u", [9, 2]).unwrap(), &u);

            let path = dir.path().join(format!("q-{name}.h5"));
            let e = y.to_hdf5(&path, "q", s).unwrap_err().to_string();
            assert!(e.contains("division by zero"), "{name}: {e}");
            assert!(!path.exists(), "{name}");
        }
        let names = listing(dir.path());
        assert!(
            names
                .iter()
                .all(|n| !n.starts_with('.') && !n.starts_with('q')),
            "{names:?}"
        );
    }

    #[test]
    fn hdf5_adds_datasets_to_existing_files_as_dask_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.h5");
        let a = Array::from_ndarray(ints(&[4, 3]), 2).unwrap();
        for (name, s) in schedulers() {
            let _ = std::fs::remove_file(&path);
            a.to_hdf5(&path, "/a", s).unwrap();
            (&a * 2).to_hdf5(&path, "/group/b", s).unwrap();
            check(
                &Array::<i32>::from_hdf5(&path, "/a", 2).unwrap(),
                &ints(&[4, 3]),
            );
            check(
                &Array::<i32>::from_hdf5(&path, "/group/b", 2).unwrap(),
                &ints(&[4, 3]).mapv(|v| v * 2),
            );
            let e = a.to_hdf5(&path, "/a", s).unwrap_err().to_string();
            assert!(e.contains("\"/a\" already exists"), "{name}: {e}");
            assert_eq!(listing(dir.path()), vec!["two.h5"], "{name}");
        }
    }
}

#[test]
fn corrupt_npy_headers_are_errors_not_panics_or_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, header: &str, data: usize| {
        let mut dict = header.to_string();
        while !(10 + dict.len() + 1).is_multiple_of(64) {
            dict.push(' ');
        }
        dict.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
        bytes.extend_from_slice(dict.as_bytes());
        bytes.resize(bytes.len() + data, 0);
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let cases = [
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693951,), }",
            "too big",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (5), }",
            "trailing comma",
        ),
        (
            "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'extra': 1, }",
            "unexpected key",
        ),
        ("{'descr': '<f8', 'shape': (2,), }", "exactly the keys"),
    ];
    for (i, (header, why)) in cases.into_iter().enumerate() {
        let path = write(&format!("bad{i}.npy"), header, 16);
        let e = Array::<f64>::from_npy(&path, 2).unwrap_err().to_string();
        assert!(
            e.contains(&format!("bad{i}.npy")) && e.contains(why),
            "{header}: {e}"
        );
    }
    // A header length that points into the dict, and one beyond the file.
    let path = write(
        "cut.npy",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
        16,
    );
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[8..10].copy_from_slice(&40u16.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let e = Array::<f64>::from_npy(&path, 2).unwrap_err().to_string();
    assert!(e.contains("bad header"), "{e}");
    bytes[8..10].copy_from_slice(&60000u16.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let e = Array::<f64>::from_npy(&path, 2).unwrap_err().to_string();
    assert!(e.contains("the header claims 60000 bytes"), "{e}");
}

#[test]
fn a_failed_commit_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let x = Array::from_ndarray(ints(&[4, 4]), 2).unwrap();
    // The target is a non-empty directory: renaming a file over it fails.
    let target = dir.path().join("out.npy");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let e = x
        .to_npy(&target, &dask_graph::SyncScheduler)
        .unwrap_err()
        .to_string();
    assert!(e.contains("committing") && e.contains("out.npy"), "{e}");
    assert_eq!(listing(dir.path()), vec!["out.npy"]);
    assert_eq!(listing(&target), vec!["keep"]);
}

#[cfg(feature = "zarr")]
#[test]
fn zarr_commits_never_clobber_what_appeared_meanwhile() {
    use dask_array::io::zarr::{ZarrOptions, ZarrSink};
    let dir = tempfile::tempdir().unwrap();
    let x = Array::from_ndarray(ints(&[4, 4]), 2).unwrap();
    let target = dir.path().join("x.zarr");
    let sink = ZarrSink::<i32>::create(&target, &[4, 4], &[2, 2], &ZarrOptions::default()).unwrap();
    // Another writer's store appears before this one commits.
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("theirs"), "x").unwrap();
    let e = x
        .store(sink, &dask_graph::SyncScheduler)
        .unwrap_err()
        .to_string();
    assert!(e.contains("appeared while the array was written"), "{e}");
    assert_eq!(listing(&target), vec!["theirs"]);
    assert_eq!(listing(dir.path()), vec!["x.zarr"]);
    // Replacing a plain file with a store, when asked to, leaves nothing else behind.
    let file = dir.path().join("file.zarr");
    std::fs::write(&file, "not a store").unwrap();
    let replace = ZarrOptions {
        overwrite: true,
        ..ZarrOptions::default()
    };
    x.to_zarr(&file, &replace, &dask_graph::SyncScheduler)
        .unwrap();
    check(&Array::<i32>::from_zarr(&file).unwrap(), &ints(&[4, 4]));
    assert_eq!(listing(dir.path()), vec!["file.zarr", "x.zarr"]);
}
