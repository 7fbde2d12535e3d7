//! The chunks model against Python Dask 2026.8's `normalize_chunks` (fixtures computed
//! once with `limit="128MiB"`, summarised as (blocks, first, last) per axis), plus
//! properties on random shapes and specs.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use dask_array::{AxisChunks, ChunkError, ChunkSpec, Chunks, normalize_chunks};
use proptest::prelude::*;

/// (blocks, first length, last length) per axis, as printed by the fixture script.
fn summary(c: &Chunks) -> Vec<(usize, usize, usize)> {
    c.per_axis()
        .iter()
        .map(|a| (a.len(), a[0], *a.last().unwrap()))
        .collect()
}

/// A fixture: the spec, the shape, the element size, and Dask's summary.
type Case = (ChunkSpec, Vec<usize>, usize, Vec<(usize, usize, usize)>);

#[test]
fn auto_matches_dask() {
    use AxisChunks::{Auto, Size, Whole};
    let cases: Vec<Case> = vec![
        (
            ChunkSpec::Auto,
            vec![20000, 20000],
            8,
            vec![(5, 4096, 3616), (5, 4096, 3616)],
        ),
        (
            ChunkSpec::Auto,
            vec![2_000_000_000],
            8,
            vec![(120, 16_777_216, 3_511_296)],
        ),
        (
            ChunkSpec::Auto,
            vec![1000, 1000, 1000],
            4,
            vec![(4, 322, 34); 3],
        ),
        (
            vec![Auto, Size(100)].into(),
            vec![100_000, 100],
            8,
            vec![(1, 100_000, 100_000), (1, 100, 100)],
        ),
        (
            vec![Auto, Whole].into(),
            vec![1_000_000, 50],
            8,
            vec![(3, 335_544, 328_912), (1, 50, 50)],
        ),
        (ChunkSpec::Auto, vec![10], 1, vec![(1, 10, 10)]),
        (ChunkSpec::Auto, vec![7, 3], 8, vec![(1, 7, 7), (1, 3, 3)]),
        (
            ChunkSpec::Auto,
            vec![100, 1_000_000],
            8,
            vec![(1, 100, 100), (6, 167_772, 161_140)],
        ),
        (
            ChunkSpec::Auto,
            vec![50, 60000, 70000],
            8,
            vec![(1, 50, 50), (104, 579, 363), (121, 579, 520)],
        ),
        (
            ChunkSpec::Auto,
            vec![3000, 5000, 100],
            4,
            vec![(6, 579, 105), (9, 579, 368), (1, 100, 100)],
        ),
        (
            vec![Auto, Auto, Size(10)].into(),
            vec![9000, 9000, 10],
            8,
            vec![(7, 1295, 1230), (7, 1295, 1230), (1, 10, 10)],
        ),
    ];
    for (spec, shape, itemsize, want) in cases {
        let c = normalize_chunks(spec.clone(), &shape, itemsize).unwrap();
        assert_eq!(summary(&c), want, "{spec:?} {shape:?}");
    }
}

#[test]
fn explicit_forms_match_dask() {
    // normalize_chunks((3, -1), (10, 5)) == ((3, 3, 3, 1), (5,))
    let c = normalize_chunks(
        vec![
            AxisChunks::from_i64(3).unwrap(),
            AxisChunks::from_i64(-1).unwrap(),
        ],
        &[10, 5],
        8,
    )
    .unwrap();
    assert_eq!(c.per_axis(), &[vec![3, 3, 3, 1], vec![5]]);
    // normalize_chunks((4,), (0,)) == ((0,),)
    assert_eq!(
        normalize_chunks([4], &[0], 8).unwrap().per_axis(),
        &[vec![0]]
    );
    // normalize_chunks(((2, 3, 5),), (10,)) == ((2, 3, 5),)
    let c = normalize_chunks(vec![vec![2, 3, 5]], &[10], 8).unwrap();
    assert_eq!(c.per_axis(), &[vec![2, 3, 5]]);
    assert_eq!(c.block_range(0, 1), Some(2..5));
    assert_eq!(c.block_shape(&[2]), Some(vec![5]));
    assert_eq!(c.block_shape(&[3]), None);
    assert_eq!(
        (c.numblocks(), c.num_blocks_total(), c.shape()),
        (vec![3], 3, vec![10])
    );
    // One size for every axis.
    let c = normalize_chunks(4usize, &[10, 4], 8).unwrap();
    assert_eq!(c.per_axis(), &[vec![4, 4, 2], vec![4]]);
}

#[test]
fn bad_specs_say_what_and_where() {
    let err = normalize_chunks(vec![vec![5], vec![2, 2]], &[5, 5], 8).unwrap_err();
    assert_eq!(
        err,
        ChunkError::Mismatch {
            axis: 1,
            len: 5,
            sum: 4
        }
    );
    assert!(err.to_string().contains("axis 1") && err.to_string().contains("1 too few"));
    let err = normalize_chunks(vec![vec![4, 4]], &[5], 8).unwrap_err();
    assert!(err.to_string().contains("3 too many"), "{err}");
    let err = normalize_chunks([2, 2], &[4, 4, 4], 8).unwrap_err();
    assert_eq!(
        err,
        ChunkError::AxisCount {
            expected: 3,
            found: 2
        }
    );
    let err = normalize_chunks([0], &[4], 8).unwrap_err();
    assert_eq!(err, ChunkError::ZeroBlock { axis: 0, len: 4 });
    assert_eq!(
        AxisChunks::from_i64(-3).unwrap_err(),
        ChunkError::InvalidSize { value: -3 }
    );
    assert_eq!(
        normalize_chunks(ChunkSpec::Auto, &[4], 0).unwrap_err(),
        ChunkError::ZeroItemSize
    );
}

fn axis_spec(len: usize) -> impl Strategy<Value = AxisChunks> {
    prop_oneof![
        (1usize..20).prop_map(AxisChunks::Size),
        Just(AxisChunks::Whole),
        Just(AxisChunks::Auto),
        prop::collection::vec(0usize..5, 1..6).prop_map(move |weights| {
            // Explicit lengths summing to `len`, from random weights.
            let total: usize = weights.iter().sum::<usize>().max(1);
            let mut lens: Vec<usize> = weights.iter().map(|w| w * len / total).collect();
            let short = len - lens.iter().sum::<usize>();
            lens[0] += short;
            AxisChunks::Lengths(lens)
        }),
    ]
}

fn shape_and_spec() -> impl Strategy<Value = (Vec<usize>, Vec<AxisChunks>, usize)> {
    prop::collection::vec(0usize..200, 1..4).prop_flat_map(|shape| {
        let specs: Vec<_> = shape.iter().map(|&d| axis_spec(d)).collect();
        (
            Just(shape),
            specs,
            prop_oneof![Just(1usize), Just(4), Just(8)],
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Normalized chunks always add up to the shape, every block is non-empty unless its
    /// axis is, and regular forms give equal blocks but for a shorter last one.
    #[test]
    fn chunks_cover_the_shape((shape, spec, itemsize) in shape_and_spec()) {
        let c = normalize_chunks(spec.clone(), &shape, itemsize).unwrap();
        prop_assert_eq!(c.shape(), shape.clone());
        for (axis, lens) in c.per_axis().iter().enumerate() {
            prop_assert!(!lens.is_empty());
            if shape[axis] > 0 && !matches!(spec[axis], AxisChunks::Lengths(_)) {
                prop_assert!(lens.iter().all(|&l| l > 0));
                prop_assert!(lens[..lens.len() - 1].iter().all(|&l| l == lens[0]));
                prop_assert!(*lens.last().unwrap() <= lens[0]);
            }
        }
        // Round trip: explicit chunks normalize to themselves.
        prop_assert_eq!(normalize_chunks(&c, &shape, itemsize).unwrap(), c);
    }
}
