//! Whole-file compression (gzip, zstd), recognised by the file's extension.
//!
//! A compressed stream cannot be entered in the middle, so a compressed file is always
//! read by one task from its start (one partition per file, as in Dask). gzip is
//! decoded by flate2 with its zlib-rs backend (about three times miniz_oxide's speed);
//! concatenated gzip members (what `cat a.gz b.gz` makes) are read as one stream.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, io};

/// How a file is compressed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Compression {
    /// Plain bytes: the file can be split into blocks.
    #[default]
    None,
    /// gzip (`.gz`).
    Gzip,
    /// Zstandard (`.zst`, `.zstd`).
    Zstd,
}

impl Compression {
    /// The compression a path's extension names (`.gz`, `.zst`, `.zstd`); anything else
    /// is plain.
    pub fn from_path(path: &Path) -> Compression {
        match path.extension().and_then(|e| e.to_str()) {
            Some("gz" | "gzip") => Compression::Gzip,
            Some("zst" | "zstd") => Compression::Zstd,
            _ => Compression::None,
        }
    }

    /// Whether the file can be read in byte blocks (only plain files can).
    pub fn is_splittable(self) -> bool {
        self == Compression::None
    }

    /// A reader of the file's decompressed bytes, from the start.
    pub fn open(self, path: &Path) -> Result<Box<dyn Read + Send>> {
        let file = File::open(path).map_err(|e| io("opening", path, e))?;
        Ok(match self {
            Compression::None => Box::new(file),
            Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
            Compression::Zstd => Box::new(
                zstd::stream::read::Decoder::new(file)
                    .map_err(|e| io("starting to decompress", path, e))?,
            ),
        })
    }

    /// The file's whole decompressed content.
    pub fn read_all(self, path: &Path) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open(path)?
            .read_to_end(&mut out)
            .map_err(|e| io(self.reading(), path, e))?;
        Ok(out)
    }

    /// The first `limit` decompressed bytes (fewer if the file is shorter): what a
    /// reader samples to find a header or infer types.
    pub fn read_prefix(self, path: &Path, limit: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open(path)?
            .take(limit as u64)
            .read_to_end(&mut out)
            .map_err(|e| io(self.reading(), path, e))?;
        Ok(out)
    }

    fn reading(self) -> &'static str {
        match self {
            Compression::None => "reading",
            Compression::Gzip => "decompressing (gzip)",
            Compression::Zstd => "decompressing (zstd)",
        }
    }
}

/// What identifies a file's content for naming tasks: its length and modification time
/// in nanoseconds, so that a rewritten file gives its readers new task names.
pub fn file_stamp(path: &Path) -> Result<(u64, u64)> {
    let meta = std::fs::metadata(path).map_err(|e| io("reading the metadata of", path, e))?;
    Ok((meta.len(), nanos(meta.modified().ok())))
}

/// A path's modification time in nanoseconds since 1970, or 0 when the file system does
/// not say (what formats put in their descriptions so that a rewritten file gets new
/// task names).
pub fn modified_ns(path: &Path) -> u64 {
    nanos(std::fs::metadata(path).and_then(|m| m.modified()).ok())
}

fn nanos(t: Option<std::time::SystemTime>) -> u64 {
    t.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;

    use super::*;

    #[test]
    fn extensions_name_the_compression() {
        assert_eq!(
            Compression::from_path(Path::new("a/b.csv.gz")),
            Compression::Gzip
        );
        assert_eq!(
            Compression::from_path(Path::new("b.json.zst")),
            Compression::Zstd
        );
        assert_eq!(
            Compression::from_path(Path::new("b.csv")),
            Compression::None
        );
        assert_eq!(Compression::from_path(Path::new("gz")), Compression::None);
    }

    #[test]
    fn compressed_files_read_back_whole_and_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let text: Vec<u8> = (0..10_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let gz = dir.path().join("a.txt.gz");
        // Two gzip members one after the other read as one stream.
        let mut bytes = Vec::new();
        for half in text.chunks(text.len() / 2 + 1) {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(half).unwrap();
            bytes.extend(e.finish().unwrap());
        }
        std::fs::write(&gz, bytes).unwrap();
        let zst = dir.path().join("a.txt.zst");
        std::fs::write(&zst, zstd::encode_all(&text[..], 1).unwrap()).unwrap();
        for p in [&gz, &zst] {
            let c = Compression::from_path(p);
            assert_eq!(c.read_all(p).unwrap(), text, "{p:?}");
            assert_eq!(c.read_prefix(p, 20).unwrap(), text[..20].to_vec(), "{p:?}");
        }
        let bad = dir.path().join("bad.gz");
        std::fs::write(&bad, b"not gzip at all").unwrap();
        let msg = Compression::Gzip.read_all(&bad).unwrap_err().to_string();
        assert!(msg.contains("bad.gz") && msg.contains("gzip"), "{msg}");
    }

    #[test]
    fn stamps_change_when_a_file_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        let a = file_stamp(&p).unwrap();
        std::fs::write(&p, b"abcd").unwrap();
        assert_ne!(a, file_stamp(&p).unwrap());
        assert!(file_stamp(&dir.path().join("missing")).is_err());
    }
}
