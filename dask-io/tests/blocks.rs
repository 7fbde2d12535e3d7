//! Line-aligned byte blocks: whatever the block size, the blocks of a file hold every
//! line exactly once, in order, each block starting at a line start.
#![allow(clippy::unwrap_used)]

use dask_io::{Error, FileBlock, byte_ranges, split_files};
use proptest::prelude::*;

/// Writes `bytes` to a new file and returns it (with its directory, kept alive).
fn file(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.txt");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

/// Lines of random lengths (some empty, some long), optionally without a final newline.
fn text() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(prop::collection::vec(b'a'..=b'z', 0..40), 0..60),
        any::<bool>(),
    )
        .prop_map(|(lines, trailing)| {
            let mut out = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                out.extend_from_slice(l);
                if trailing || i + 1 < lines.len() {
                    out.push(b'\n');
                }
            }
            out
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn blocks_partition_the_lines(bytes in text(), blocksize in 1u64..200) {
        let (_dir, path) = file(&bytes);
        let blocks = split_files(std::slice::from_ref(&path), Some(blocksize)).unwrap();
        prop_assert_eq!(blocks.len() as u64, (bytes.len() as u64).div_ceil(blocksize).max(1));
        prop_assert!(blocks[0].first && blocks.iter().skip(1).all(|b| !b.first));
        // The reference: each line goes to the block its first byte lies in.
        let mut starts = vec![0usize];
        starts.extend(bytes.iter().enumerate().filter(|(_, c)| **c == b'\n').map(|(i, _)| i + 1));
        starts.retain(|&s| s < bytes.len());
        let mut joined = Vec::new();
        let mut buf = Vec::new();
        for b in &blocks {
            let at = b.read_into(b'\n', &mut buf).unwrap() as usize;
            if !buf.is_empty() {
                prop_assert_eq!(&bytes[at..at + buf.len()], &buf[..], "the offset returned");
            }
            let mine: Vec<u8> = starts
                .iter()
                .enumerate()
                .filter(|(_, s)| (b.start..b.end).contains(&(**s as u64)))
                .flat_map(|(k, &s)| {
                    let stop = starts.get(k + 1).copied().unwrap_or(bytes.len());
                    bytes[s..stop].iter().copied()
                })
                .collect();
            prop_assert_eq!(&buf, &mine, "block {}..{}", b.start, b.end);
            // A non-empty block starts where a line starts.
            let at = joined.len();
            prop_assert!(buf.is_empty() || at == 0 || bytes[at - 1] == b'\n');
            // It ends at a line end, or at the end of the file.
            prop_assert!(buf.is_empty() || buf.ends_with(b"\n") || at + buf.len() == bytes.len());
            joined.extend_from_slice(&buf);
        }
        prop_assert_eq!(joined, bytes);
    }
}

#[test]
fn a_line_longer_than_several_blocks_goes_to_the_block_it_starts_in() {
    let mut bytes = b"head\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 200_000));
    bytes.extend_from_slice(b"\ntail\n");
    let (_dir, path) = file(&bytes);
    let blocks = split_files(std::slice::from_ref(&path), Some(1000)).unwrap();
    let reads: Vec<Vec<u8>> = blocks.iter().map(|b| b.read(b'\n').unwrap()).collect();
    assert_eq!(
        reads[0].len(),
        5 + 200_001,
        "the long line starts in block 0"
    );
    assert!(reads[1..reads.len() - 1].iter().all(Vec::is_empty));
    assert_eq!(reads.last().unwrap(), b"tail\n");
}

#[test]
fn one_block_per_file_and_empty_files() {
    let (_dir, path) = file(b"a\nb\n");
    let (_dir2, empty) = file(b"");
    let blocks = split_files(&[path.clone(), empty.clone()], None).unwrap();
    assert_eq!(
        blocks,
        vec![
            FileBlock {
                path,
                start: 0,
                end: 4,
                first: true
            },
            FileBlock {
                path: empty,
                start: 0,
                end: 0,
                first: true
            },
        ]
    );
    assert_eq!(blocks[0].read(b'\n').unwrap(), b"a\nb\n");
    assert!(blocks[1].read(b'\n').unwrap().is_empty());
}

#[test]
fn bad_sizes_and_missing_files_are_errors() {
    assert!(matches!(byte_ranges(10, 0), Err(Error::ZeroBlockSize)));
    let err = split_files(&["/nonexistent/x.csv".into()], Some(10)).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/x.csv"), "{err}");
    let gone = FileBlock {
        path: "/nonexistent/y.csv".into(),
        start: 0,
        end: 5,
        first: true,
    };
    assert!(gone.read(b'\n').unwrap_err().to_string().contains("y.csv"));
}
