//! NumPy's `.npy` files: memory-mapped reads, positioned block writes.
//!
//! The format is a short header (a Python dict literal: dtype, memory order, shape)
//! followed by the elements, contiguous. A region of a C-order array is a set of
//! contiguous runs (rows, or whole planes when the trailing axes are read whole), so a
//! read maps the byte span of the region and copies its runs, and a write issues one
//! positioned write per run (`pwrite`, safe from many threads and processes at once
//! since blocks never overlap). Fortran-order files are read as the transposed C
//! array. Versions 1.0, 2.0 and 3.0 of the header are read; 1.0 is written (2.0 when
//! the header would not fit).
//!
//! Reading through a memory map has the usual contract of NumPy's `memmap`: the file
//! must not be truncated while it is read (the read checks the length first; a
//! concurrent truncation could still fault). Each mapping covers at most 32 MiB of
//! the block's runs and is dropped once they are copied, so mapped pages never
//! accumulate in the process.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use dask_graph::{BoxError, register_op};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde::{Deserialize, Serialize};

use super::{ChunkedSink, ChunkedSource, Description, Region, Reopen, Staging, region_len, runs};
use crate::array::Array;
use crate::block::alloc;
use crate::chunks::ChunkSpec;
use crate::element::{DType, Element};
use crate::error::{Result, io_error, shape_str};

const MAGIC: &[u8] = b"\x93NUMPY";

/// The most file bytes one memory mapping of a read spans (see `read_c`).
const MAP_SPAN: usize = 32 << 20;

/// What a task needs to reopen an `.npy` file: its path and header facts (plus the
/// file's length and modification time, so a changed file gets new block names).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct NpyFile {
    path: PathBuf,
    descr: String,
    shape: Vec<u64>,
    fortran: bool,
    data_offset: u64,
    file_len: u64,
    modified_ns: u64,
}

impl NpyFile {
    fn shape(&self) -> Vec<usize> {
        self.shape.iter().map(|&d| d as usize).collect()
    }

    /// Reads the header of the file at `path`.
    fn open(path: &Path) -> Result<NpyFile, BoxError> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let mut prefix = [0u8; 12];
        let got = read_up_to(&mut file, &mut prefix)?;
        if got < 10 || &prefix[..6] != MAGIC {
            return Err("not an .npy file (the magic string \\x93NUMPY is missing)".into());
        }
        let (header_len, start) = match prefix[6] {
            1 => (u64::from(u16::from_le_bytes([prefix[8], prefix[9]])), 10u64),
            2 | 3 if got == 12 => (
                u64::from(u32::from_le_bytes([
                    prefix[8], prefix[9], prefix[10], prefix[11],
                ])),
                12,
            ),
            2 | 3 => return Err("the file is cut short inside its header".into()),
            v => return Err(format!("unsupported .npy format version {v}.{}", prefix[7]).into()),
        };
        let data_offset = start + header_len;
        if data_offset > meta.len() {
            return Err(format!(
                "the header claims {header_len} bytes but the file has {}",
                meta.len()
            )
            .into());
        }
        let mut header = vec![0u8; header_len as usize];
        file.read_exact_at(&mut header, start)
            .map_err(|e| format!("the header is cut short: {e}"))?;
        let header = String::from_utf8(header).map_err(|_| "the header is not text")?;
        let (descr, fortran, shape) = parse_header(&header)?;
        let dtype = parse_descr(&descr)?;
        let len = shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .and_then(|n| n.checked_mul(dtype.itemsize() as u64))
            .filter(|n| n.checked_add(data_offset).is_some() && usize::try_from(*n).is_ok())
            .ok_or_else(|| format!("the array is too big: shape {shape:?} of {dtype}"))?;
        if meta.len() < data_offset + len {
            return Err(format!(
                "the file is truncated: shape {} of {} needs {} data bytes, the file has {}",
                shape_str(&shape.iter().map(|&d| d as usize).collect::<Vec<_>>()),
                dtype,
                len,
                meta.len().saturating_sub(data_offset)
            )
            .into());
        }
        let modified_ns = dask_io::modified_ns(path);
        Ok(NpyFile {
            path: std::path::absolute(path)?,
            descr,
            shape,
            fortran,
            data_offset,
            file_len: meta.len(),
            modified_ns,
        })
    }

    fn read_c<T: Element>(&self, shape: &[usize], region: &Region) -> Result<ArrayD<T>, BoxError> {
        let out_shape: Vec<usize> = region.iter().map(ExactSizeIterator::len).collect();
        let n = region_len(region);
        let (starts, run) = runs(shape, region);
        let Some(&last) = starts.last() else {
            return Ok(ArrayD::from_shape_vec(IxDyn(&out_shape), Vec::new())?);
        };
        let size = T::N;
        let file = File::open(&self.path)?;
        let len = file.metadata()?.len();
        let end = self.data_offset + ((last + run) * size) as u64;
        if len < end {
            return Err(format!("the file shrank to {len} bytes while being read").into());
        }
        let mut data = alloc::<T>(n);
        // Runs are mapped in groups spanning at most MAP_SPAN bytes: a block of a few
        // columns of a wide array spans far more of the file than it reads, and every
        // mapped page the kernel reads ahead would count as this process's memory.
        let piece = (MAP_SPAN / size).max(1);
        let pieces: Vec<(usize, usize)> = starts
            .iter()
            .flat_map(|&s| {
                (0..run)
                    .step_by(piece)
                    .map(move |o| (s + o, piece.min(run - o)))
            })
            .collect();
        let mut group = 0;
        while group < pieces.len() {
            let first = pieces[group].0;
            let mut stop = group + 1;
            while stop < pieces.len() {
                let (s, l) = pieces[stop];
                if (s + l - first) * size > MAP_SPAN {
                    break;
                }
                stop += 1;
            }
            let (s, l) = pieces[stop - 1];
            let span = (s + l - first) * size;
            let offset = self.data_offset + (first * size) as u64;
            // SAFETY: a read-only private mapping of a range just checked to lie within
            // the file. Like NumPy's memmap, reading assumes nobody truncates the file
            // meanwhile (documented on the module).
            #[allow(unsafe_code)]
            let map = unsafe {
                memmap2::MmapOptions::new()
                    .offset(offset)
                    .len(span)
                    .map(&file)?
            };
            // Mostly wanted bytes: ask for the whole span at once (one large read
            // instead of a page fault per readahead window when the file is cold).
            let wanted: usize = pieces[group..stop].iter().map(|p| p.1 * size).sum();
            if 2 * wanted >= span {
                let _ = map.advise(memmap2::Advice::WillNeed);
            }
            for &(s, l) in &pieces[group..stop] {
                let at = (s - first) * size;
                if !T::extend_le(&map[at..at + l * size], &mut data) {
                    return Err(format!("invalid {} value in the data", T::DTYPE).into());
                }
            }
            group = stop;
        }
        Ok(ArrayD::from_shape_vec(IxDyn(&out_shape), data)?)
    }

    /// Writes `block` to `region` through `file`, an open handle on the file.
    fn write_to<T: Element>(
        &self,
        file: &File,
        region: &Region,
        block: ArrayViewD<'_, T>,
    ) -> Result<(), BoxError> {
        self.check_type::<T>()?;
        let shape = self.shape();
        check_region(&shape, region)?;
        let expected: Vec<usize> = region.iter().map(ExactSizeIterator::len).collect();
        if block.shape() != expected.as_slice() {
            return Err(format!(
                "a block of shape {} cannot fill region {region:?}",
                shape_str(block.shape())
            )
            .into());
        }
        let block = block.as_standard_layout();
        let xs = block
            .as_slice()
            .ok_or("internal error: a standard-layout block")?;
        let (starts, run) = runs(&shape, region);
        let bytes = T::le_bytes(xs);
        let run_bytes = run * T::N;
        for (i, s) in starts.into_iter().enumerate() {
            let src = &bytes[i * run_bytes..(i + 1) * run_bytes];
            file.write_all_at(src, self.data_offset + (s * T::N) as u64)?;
        }
        Ok(())
    }

    fn check_type<T: Element>(&self) -> Result<(), BoxError> {
        let dtype = self.dtype()?;
        if dtype != T::DTYPE {
            return Err(format!("{} holds {dtype}, not {}", self.describe(), T::DTYPE).into());
        }
        Ok(())
    }
}

impl Description for NpyFile {
    fn dtype(&self) -> Result<DType, BoxError> {
        parse_descr(&self.descr)
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn read<T: Element>(&self, region: &Region) -> Result<ArrayD<T>, BoxError> {
        self.check_type::<T>()?;
        let shape = self.shape();
        check_region(&shape, region)?;
        if !self.fortran {
            return self.read_c(&shape, region);
        }
        // A Fortran-order file is the C-order array with the axes reversed.
        let rev_shape: Vec<usize> = shape.iter().rev().copied().collect();
        let rev_region: Vec<_> = region.iter().rev().cloned().collect();
        let block = self.read_c::<T>(&rev_shape, &rev_region)?.reversed_axes();
        Ok(block.as_standard_layout().into_owned())
    }

    fn write<T: Element>(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError> {
        let handle = OpenOptions::new().write(true).open(&self.path)?;
        self.write_to(&handle, region, block)
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match std::io::Read::read(file, &mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

fn check_region(shape: &[usize], region: &Region) -> Result<(), BoxError> {
    let fits = region.len() == shape.len()
        && region
            .iter()
            .zip(shape)
            .all(|(r, &n)| r.start <= r.end && r.end <= n);
    if fits {
        Ok(())
    } else {
        Err(format!(
            "region {region:?} is not within the array's shape {}",
            shape_str(shape)
        )
        .into())
    }
}

/// NumPy's type string for `dtype`, little-endian.
fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::F64 => "<f8",
        DType::F32 => "<f4",
        DType::I64 => "<i8",
        DType::I32 => "<i4",
        DType::U64 => "<u8",
        DType::U8 => "|u1",
        DType::Bool => "|b1",
    }
}

fn parse_descr(s: &str) -> Result<DType, BoxError> {
    let (order, code) = match s.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &s[1..]),
        _ => ('=', s),
    };
    let dtype = match code {
        "f8" => DType::F64,
        "f4" => DType::F32,
        "i8" => DType::I64,
        "i4" => DType::I32,
        "u8" => DType::U64,
        "u1" => DType::U8,
        "b1" => DType::Bool,
        _ => {
            return Err(format!(
                "dtype '{s}' is not supported (supported: <f8 <f4 <i8 <i4 <u8 |u1 |b1)"
            )
            .into());
        }
    };
    let big = order == '>' || (order == '=' && cfg!(target_endian = "big"));
    if big && dtype.itemsize() > 1 {
        return Err(format!("dtype '{s}' is big-endian; only little-endian files are read").into());
    }
    Ok(dtype)
}

/// Parses the header dict strictly, as NumPy does: exactly the keys `descr` (a string),
/// `fortran_order` (`True`/`False`) and `shape` (a tuple of lengths; one element needs
/// its trailing comma), then nothing but spaces and the final newline.
fn parse_header(text: &str) -> Result<(String, bool, Vec<u64>), BoxError> {
    let bad = |why: &str| -> BoxError { format!("bad header {text:?}: {why}").into() };
    let mut p = Cursor {
        rest: text.trim_start(),
    };
    p.expect('{').map_err(|e| bad(&e))?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        if p.eat('}') {
            break;
        }
        let key = p.string().map_err(|e| bad(&e))?;
        p.expect(':').map_err(|e| bad(&e))?;
        let duplicate = match key.as_str() {
            "descr" => descr.replace(p.string().map_err(|e| bad(&e))?).is_some(),
            "fortran_order" => fortran.replace(p.boolean().map_err(|e| bad(&e))?).is_some(),
            "shape" => shape.replace(p.tuple().map_err(|e| bad(&e))?).is_some(),
            other => return Err(bad(&format!("unexpected key '{other}'"))),
        };
        if duplicate {
            return Err(bad(&format!("key '{key}' appears twice")));
        }
        if !p.eat(',') {
            p.expect('}').map_err(|e| bad(&e))?;
            break;
        }
    }
    if !p.rest.trim_matches(|c| c == ' ' || c == '\n').is_empty() {
        return Err(bad("text after the closing brace"));
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err(bad(
            "it needs exactly the keys 'descr', 'fortran_order' and 'shape'",
        )),
    }
}

/// A position in a header being parsed.
struct Cursor<'a> {
    rest: &'a str,
}

impl Cursor<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{c}' at {:?}", self.rest))
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.skip_space();
        let quote = self
            .rest
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')
            .ok_or_else(|| format!("expected a quoted string at {:?}", self.rest))?;
        let body = &self.rest[1..];
        let end = body
            .find(quote)
            .ok_or_else(|| "an unterminated string".to_string())?;
        let value = body[..end].to_string();
        self.rest = &body[end + 1..];
        Ok(value)
    }

    fn boolean(&mut self) -> Result<bool, String> {
        self.skip_space();
        for (word, value) in [("True", true), ("False", false)] {
            if let Some(rest) = self.rest.strip_prefix(word) {
                self.rest = rest;
                return Ok(value);
            }
        }
        Err(format!("expected True or False at {:?}", self.rest))
    }

    fn tuple(&mut self) -> Result<Vec<u64>, String> {
        self.expect('(')?;
        let mut values = Vec::new();
        let mut trailing_comma = false;
        loop {
            if self.eat(')') {
                break;
            }
            self.skip_space();
            let digits = self.rest.len()
                - self
                    .rest
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            if digits == 0 {
                return Err(format!("expected a length at {:?}", self.rest));
            }
            let value = self.rest[..digits]
                .parse::<u64>()
                .map_err(|_| format!("the length {} is too large", &self.rest[..digits]))?;
            self.rest = self.rest[digits..]
                .strip_prefix('L')
                .unwrap_or(&self.rest[digits..]);
            values.push(value);
            trailing_comma = self.eat(',');
            if !trailing_comma {
                self.expect(')')?;
                break;
            }
        }
        if values.len() == 1 && !trailing_comma {
            return Err("a one-element shape needs its trailing comma, e.g. (5,)".to_string());
        }
        Ok(values)
    }
}

/// The header of a C-order array of `dtype` and `shape`, padded so that the data
/// starts on a 64-byte boundary (as NumPy writes it).
fn header_bytes(dtype: DType, shape: &[usize]) -> Vec<u8> {
    let dims = match shape {
        [one] => format!("{one},"),
        _ => shape
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': ({dims}), }}",
        descr(dtype)
    );
    let (version, prefix) = if dict.len() + 11 < 65536 {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    let header_len = total - prefix;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    out
}

/// An `.npy` file read as a [`ChunkedSource`].
///
/// ```
/// use dask_array::{Array, io::npy::NpySource};
/// use dask_graph::SyncScheduler;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("x.npy");
/// Array::<f64>::arange(0.0, 10.0, 1.0, 4)?.to_npy(&path, &SyncScheduler)?;
/// let x = Array::<f64>::from_npy(&path, 3)?;
/// assert_eq!(x.sum().compute(&SyncScheduler)?, 45.0);
/// assert_eq!(NpySource::<f64>::open(&path)?.shape_of(), vec![10]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct NpySource<T> {
    file: NpyFile,
    reopen: Reopen,
    _element: PhantomData<fn() -> T>,
}

impl<T: Element> NpySource<T> {
    /// Opens `path`, reading its header; the file must hold elements of type `T`.
    pub fn open(path: impl AsRef<Path>) -> Result<NpySource<T>> {
        let path = path.as_ref();
        let what = || format!("reading {}", path.display());
        let file = NpyFile::open(path).map_err(|e| io_error(what(), e))?;
        file.check_type::<T>().map_err(|e| io_error(what(), e))?;
        let reopen = Reopen::new(&NPY_READ, &file).map_err(|e| io_error(what(), e))?;
        Ok(NpySource {
            file,
            reopen,
            _element: PhantomData,
        })
    }

    /// The array's shape.
    pub fn shape_of(&self) -> Vec<usize> {
        self.file.shape()
    }
}

impl<T: Element> ChunkedSource<T> for NpySource<T> {
    fn shape(&self) -> Vec<usize> {
        self.file.shape()
    }

    fn read(&self, region: &Region) -> Result<ArrayD<T>, BoxError> {
        self.file.read(region)
    }

    fn describe(&self) -> String {
        self.file.describe()
    }

    fn reopen(&self) -> Option<Reopen> {
        Some(self.reopen.clone())
    }
}

/// A new `.npy` file written as a [`ChunkedSink`]: created under a temporary name
/// with its full length, filled block by block, renamed into place on commit (an
/// existing file of that name is replaced, as `numpy.save` does).
#[derive(Debug)]
pub struct NpySink<T> {
    staging: Staging,
    file: File,
    header: NpyFile,
    reopen: Reopen,
    _element: PhantomData<fn() -> T>,
}

impl<T: Element> NpySink<T> {
    /// Creates the temporary file for an array of `shape` to be stored at `path`.
    pub fn create(path: impl AsRef<Path>, shape: &[usize]) -> Result<NpySink<T>> {
        let path = path.as_ref();
        let staging = Staging::new(path, true)?.describing("the array");
        let what = || format!("creating {}", path.display());
        let header = header_bytes(T::DTYPE, shape);
        let data_len = shape
            .iter()
            .try_fold(T::N as u64, |acc, &d| acc.checked_mul(d as u64))
            .ok_or_else(|| io_error(what(), "the array's size overflows"))?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(staging.temp())
            .map_err(|e| io_error(what(), e))?;
        file.write_all(&header).map_err(|e| io_error(what(), e))?;
        let total = data_len
            .checked_add(header.len() as u64)
            .ok_or_else(|| io_error(what(), "the array's size overflows"))?;
        file.set_len(total).map_err(|e| io_error(what(), e))?;
        let description = NpyFile {
            path: staging.temp().to_path_buf(),
            descr: descr(T::DTYPE).to_string(),
            shape: shape.iter().map(|&d| d as u64).collect(),
            fortran: false,
            data_offset: header.len() as u64,
            file_len: 0,
            modified_ns: 0,
        };
        let reopen = Reopen::new(&NPY_WRITE, &description).map_err(|e| io_error(what(), e))?;
        Ok(NpySink {
            staging,
            file,
            header: description,
            reopen,
            _element: PhantomData,
        })
    }
}

impl<T: Element> ChunkedSink<T> for NpySink<T> {
    fn shape(&self) -> Vec<usize> {
        self.header.shape()
    }

    fn write(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError> {
        self.header.write_to(&self.file, region, block)
    }

    fn describe(&self) -> String {
        self.staging.target().display().to_string()
    }

    fn reopen(&self) -> Option<Reopen> {
        Some(self.reopen.clone())
    }

    fn commit(&self) -> Result<(), BoxError> {
        Ok(self.staging.commit()?)
    }

    fn abort(&self) {
        self.staging.abort();
    }
}

impl<T: Element> Array<T> {
    /// An array reading the `.npy` file at `path` block by block (memory-mapped).
    pub fn from_npy(path: impl AsRef<Path>, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        Array::from_array(NpySource::<T>::open(path)?, chunks)
    }

    /// Computes the array on `scheduler` and writes it to the `.npy` file at `path`,
    /// block by block; the file appears only once every block is written.
    pub fn to_npy(
        &self,
        path: impl AsRef<Path>,
        scheduler: &dyn dask_graph::Scheduler,
    ) -> Result<()> {
        self.store(NpySink::<T>::create(path, &self.shape())?, scheduler)
    }
}

register_op!(NPY_READ = "array.io.npy.read" => super::read_op::<NpyFile>, generator);
register_op!(NPY_WRITE = "array.io.npy.write" => super::write_op::<NpyFile>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_numpy_and_our_own() {
        let h = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }   \n";
        assert_eq!(
            parse_header(h).ok(),
            Some(("<f8".to_string(), false, vec![3, 4]))
        );
        let parsed = |h: &str| parse_header(h).map(|p| p.2).map_err(|e| e.to_string());
        assert_eq!(
            parsed("{'shape': (), 'descr': '|b1', 'fortran_order': True}"),
            Ok(vec![])
        );
        assert_eq!(
            parsed("{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (7,)}"),
            Ok(vec![7])
        );
        for (header, why) in [
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (5)}",
                "trailing comma",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,",
                "expected a length",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}",
                "unexpected key",
            ),
            ("{'descr': '<f8', 'shape': (2,)}", "exactly the keys"),
            (
                "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
                "twice",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (2,)} x",
                "after the closing",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,)}",
                "expected a length",
            ),
            (
                "{'descr': '<f8', 'fortran_order': false, 'shape': (2,)}",
                "True or False",
            ),
            (
                "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,)}",
                "too large",
            ),
        ] {
            let e = parsed(header).unwrap_err();
            assert!(e.contains(why), "{header}: {e}");
        }
        let bytes = header_bytes(DType::I32, &[5]);
        assert_eq!(bytes.len() % 64, 0);
        assert!(String::from_utf8_lossy(&bytes).contains("'shape': (5,)"));
        assert!(parse_descr(">f8").is_err());
        assert_eq!(parse_descr("|b1").ok(), Some(DType::Bool));
        assert!(parse_descr("<c16").is_err());
    }
}
