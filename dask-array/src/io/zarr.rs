//! Zarr v3 arrays in a directory store, through [`zarrs`].
//!
//! Reading: `from_zarr` cuts the array into the store's own chunks by default (as Dask
//! does); any other chunking works, each task decoding the stored chunks its block
//! touches. Writing: the store gets the array's chunks (the first block's shape; an
//! array with irregular blocks is rechunked onto the grid), so every task encodes
//! whole stored chunks and no two tasks ever touch one chunk. Compression is zstd by
//! default; gzip or none can be chosen.
//!
//! The array is written at the root of a new directory under a temporary sibling
//! name and renamed into place once every chunk is written; replacing an existing
//! store must be asked for ([`ZarrOptions::overwrite`]).
//!
//! Inside a task zarrs decodes with one thread: the scheduler's workers are the
//! parallelism, and nested thread pools would only compete with them.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dask_graph::{BoxError, register_op};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde::{Deserialize, Serialize};
use zarrs::array::codec::bytes_to_bytes::{gzip::GzipCodec, zstd::ZstdCodec};
use zarrs::array::{ArrayBuilder, ArrayBytes, ArraySubset, CodecOptions, DataType, data_type};
use zarrs::filesystem::FilesystemStore;

use super::{ChunkedSink, ChunkedSource, Description, Region, Reopen, Staging, supported_types};
use crate::array::Array;
use crate::block::alloc;
use crate::chunks::ChunkSpec;
use crate::element::{DType, Element};
use crate::error::{Result, io_error, shape_str};

type ZArray = zarrs::array::Array<FilesystemStore>;

/// How [`Array::to_zarr`] writes a store.
#[derive(Clone, Debug, PartialEq)]
pub struct ZarrOptions {
    /// The stored chunk shape; `None` takes the array's first block (the usual choice:
    /// one task writes one chunk).
    pub chunks: Option<Vec<usize>>,
    /// The compressor.
    pub compression: Compression,
    /// Replace an existing store at the path (otherwise that is an error).
    pub overwrite: bool,
}

impl Default for ZarrOptions {
    /// The array's chunks, zstd level 1, no overwriting.
    fn default() -> ZarrOptions {
        ZarrOptions {
            chunks: None,
            compression: Compression::Zstd(1),
            overwrite: false,
        }
    }
}

/// A stored chunk's compressor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// Raw little-endian bytes.
    None,
    /// zstd at this level (1 is fast; 3 is zstd's default; up to 22).
    Zstd(i32),
    /// gzip at this level (0–9).
    Gzip(u32),
}

/// What a task needs to reopen a store: its directory, and facts checked on reopening
/// (plus the metadata's modification time, so a rewritten store gets new block names).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ZarrStore {
    path: PathBuf,
    dtype: DType,
    shape: Vec<u64>,
    modified_ns: u64,
}

fn zarr_type(dtype: DType) -> DataType {
    match dtype {
        DType::F64 => data_type::float64(),
        DType::F32 => data_type::float32(),
        DType::I64 => data_type::int64(),
        DType::I32 => data_type::int32(),
        DType::U64 => data_type::uint64(),
        DType::U8 => data_type::uint8(),
        DType::Bool => data_type::bool(),
    }
}

fn one_thread() -> CodecOptions {
    CodecOptions::default().with_concurrent_target(1)
}

fn subset(region: &Region) -> ArraySubset {
    ArraySubset::new_with_ranges(
        &region
            .iter()
            .map(|r| r.start as u64..r.end as u64)
            .collect::<Vec<_>>(),
    )
}

impl ZarrStore {
    fn open_array(path: &Path) -> Result<ZArray, BoxError> {
        if !path.join("zarr.json").is_file() {
            return Err("no zarr.json: not a Zarr v3 array".into());
        }
        let store = FilesystemStore::new(path)?;
        Ok(zarrs::array::Array::open(Arc::new(store), "/")?)
    }

    /// Opens the array at `path`, checking it holds `T`.
    fn open<T: Element>(path: &Path) -> Result<(ZarrStore, ZArray), BoxError> {
        let array = ZarrStore::open_array(path)?;
        let found = DType::ALL
            .iter()
            .find(|d| &zarr_type(**d) == array.data_type())
            .copied();
        match found {
            Some(d) if d == T::DTYPE => {}
            Some(d) => return Err(format!("the array holds {d}, not {}", T::DTYPE).into()),
            None => {
                return Err(format!(
                    "data type {} is not supported {}",
                    array.data_type(),
                    supported_types()
                )
                .into());
            }
        }
        let modified_ns = dask_io::modified_ns(&path.join("zarr.json"));
        let store = ZarrStore {
            path: std::path::absolute(path)?,
            dtype: T::DTYPE,
            shape: array.shape().to_vec(),
            modified_ns,
        };
        Ok((store, array))
    }

    fn reopen(&self) -> Result<ZArray, BoxError> {
        let array = ZarrStore::open_array(&self.path)?;
        if array.shape() != self.shape.as_slice() {
            return Err(format!(
                "the array's shape changed to {:?} since the graph was built ({:?})",
                array.shape(),
                self.shape
            )
            .into());
        }
        Ok(array)
    }
}

impl Description for ZarrStore {
    fn dtype(&self) -> Result<DType, BoxError> {
        Ok(self.dtype)
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn read<T: Element>(&self, region: &Region) -> Result<ArrayD<T>, BoxError> {
        read_region(&self.reopen()?, region)
    }

    fn write<T: Element>(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError> {
        write_region(&self.reopen()?, &self.path, region, block)
    }
}

fn read_region<T: Element>(array: &ZArray, region: &Region) -> Result<ArrayD<T>, BoxError> {
    let shape: Vec<usize> = region.iter().map(ExactSizeIterator::len).collect();
    let bytes = array
        .retrieve_array_subset_opt::<ArrayBytes<'static>>(&subset(region), &one_thread())?
        .into_fixed()?;
    let mut data = alloc::<T>(bytes.len() / T::N);
    if !T::extend_le(&bytes, &mut data) {
        return Err(format!("invalid {} value in the store", T::DTYPE).into());
    }
    Ok(ArrayD::from_shape_vec(IxDyn(&shape), data)?)
}

fn write_region<T: Element>(
    array: &ZArray,
    path: &Path,
    region: &Region,
    block: ArrayViewD<'_, T>,
) -> Result<(), BoxError> {
    // A store already aborted (another block failed) must not be recreated by the
    // directories a chunk write makes: the narrow window left is between this check
    // and the write.
    if !path.join("zarr.json").is_file() {
        return Err("the store was removed: the compute was aborted".into());
    }
    let block = block.as_standard_layout();
    let xs = block
        .as_slice()
        .ok_or("internal error: a standard-layout block")?;
    let bytes = ArrayBytes::new_flen(T::le_bytes(xs));
    array.store_array_subset_opt(&subset(region), bytes, &one_thread())?;
    Ok(())
}

/// A Zarr v3 array read as a [`ChunkedSource`].
#[derive(Debug)]
pub struct ZarrSource<T> {
    store: ZarrStore,
    array: ZArray,
    reopen: Reopen,
    _element: PhantomData<fn() -> T>,
}

impl<T: Element> ZarrSource<T> {
    /// Opens the Zarr v3 array stored at the root of directory `path`; it must hold
    /// elements of type `T`.
    pub fn open(path: impl AsRef<Path>) -> Result<ZarrSource<T>> {
        let path = path.as_ref();
        let what = || format!("reading {}", path.display());
        let (store, array) = ZarrStore::open::<T>(path).map_err(|e| io_error(what(), e))?;
        let reopen = Reopen::new(&ZARR_READ, &store).map_err(|e| io_error(what(), e))?;
        Ok(ZarrSource {
            store,
            array,
            reopen,
            _element: PhantomData,
        })
    }
}

impl<T: Element> ChunkedSource<T> for ZarrSource<T> {
    fn shape(&self) -> Vec<usize> {
        self.store.shape.iter().map(|&d| d as usize).collect()
    }

    fn chunk_shape(&self) -> Option<Vec<usize>> {
        let origin = vec![0u64; self.store.shape.len()];
        self.array.chunk_shape_usize(&origin).ok()
    }

    fn read(&self, region: &Region) -> Result<ArrayD<T>, BoxError> {
        read_region(&self.array, region)
    }

    fn describe(&self) -> String {
        self.store.describe()
    }

    fn reopen(&self) -> Option<Reopen> {
        Some(self.reopen.clone())
    }
}

/// A new Zarr v3 array written as a [`ChunkedSink`], under a temporary name until
/// [`commit`](ChunkedSink::commit).
#[derive(Debug)]
pub struct ZarrSink<T> {
    staging: Staging,
    store: ZarrStore,
    array: ZArray,
    chunks: Vec<usize>,
    reopen: Reopen,
    _element: PhantomData<fn() -> T>,
}

impl<T: Element> ZarrSink<T> {
    /// Creates the store for an array of `shape` in chunks of `chunks` (one length per
    /// axis, each at least 1), to be committed at `path`.
    pub fn create(
        path: impl AsRef<Path>,
        shape: &[usize],
        chunks: &[usize],
        options: &ZarrOptions,
    ) -> Result<ZarrSink<T>> {
        let path = path.as_ref();
        let what = || format!("creating {}", path.display());
        if chunks.len() != shape.len() || chunks.contains(&0) {
            return Err(io_error(
                what(),
                format!(
                    "chunks {} do not fit an array of shape {} (one positive length per axis)",
                    shape_str(chunks),
                    shape_str(shape)
                ),
            ));
        }
        if path.exists() && !options.overwrite {
            return Err(io_error(
                what(),
                "it already exists (set `ZarrOptions::overwrite` to replace it)",
            ));
        }
        let staging = Staging::new(path, options.overwrite)?.describing("the array");
        let build = || -> Result<ZArray, BoxError> {
            std::fs::create_dir(staging.temp())?;
            let store = Arc::new(FilesystemStore::new(staging.temp())?);
            let mut builder = ArrayBuilder::new(
                shape.iter().map(|&d| d as u64).collect::<Vec<_>>(),
                chunks.iter().map(|&d| d as u64).collect::<Vec<_>>(),
                zarr_type(T::DTYPE),
                zarr_fill::<T>(),
            );
            match options.compression {
                Compression::None => {}
                Compression::Zstd(level) => {
                    builder.bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(level, false))]);
                }
                Compression::Gzip(level) => {
                    builder.bytes_to_bytes_codecs(vec![Arc::new(GzipCodec::new(level)?)]);
                }
            }
            let array = builder.build(store, "/")?;
            array.store_metadata()?;
            Ok(array)
        };
        let array = build().map_err(|e| io_error(what(), e))?;
        let store = ZarrStore {
            path: staging.temp().to_path_buf(),
            dtype: T::DTYPE,
            shape: shape.iter().map(|&d| d as u64).collect(),
            modified_ns: 0,
        };
        let reopen = Reopen::new(&ZARR_WRITE, &store).map_err(|e| io_error(what(), e))?;
        Ok(ZarrSink {
            staging,
            store,
            array,
            chunks: chunks.to_vec(),
            reopen,
            _element: PhantomData,
        })
    }
}

/// The fill value of chunks never written: zero (false), as NumPy's `zeros`.
fn zarr_fill<T: Element>() -> zarrs::array::FillValue {
    zarrs::array::FillValue::new(T::le_bytes(&[T::default()]).into_owned())
}

impl<T: Element> ChunkedSink<T> for ZarrSink<T> {
    fn shape(&self) -> Vec<usize> {
        self.store.shape.iter().map(|&d| d as usize).collect()
    }

    fn chunk_shape(&self) -> Option<Vec<usize>> {
        Some(self.chunks.clone())
    }

    fn write(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError> {
        write_region(&self.array, &self.store.path, region, block)
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
    /// An array reading the Zarr v3 array at the root of directory `path`, in the
    /// store's own chunks. (For other chunks:
    /// `Array::from_array(ZarrSource::open(path)?, chunks)`.)
    pub fn from_zarr(path: impl AsRef<Path>) -> Result<Array<T>> {
        Array::from_source(ZarrSource::<T>::open(path)?)
    }

    /// An array reading the Zarr v3 array at `path` in blocks of `chunks`.
    pub fn from_zarr_chunks(
        path: impl AsRef<Path>,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Array<T>> {
        Array::from_array(ZarrSource::<T>::open(path)?, chunks)
    }

    /// Computes the array on `scheduler` and writes it as a Zarr v3 array at `path`,
    /// one task per block; the store appears only once every chunk is written.
    pub fn to_zarr(
        &self,
        path: impl AsRef<Path>,
        options: &ZarrOptions,
        scheduler: &dyn dask_graph::Scheduler,
    ) -> Result<()> {
        let chunks = match &options.chunks {
            Some(c) => c.clone(),
            None => self
                .chunks()
                .per_axis()
                .iter()
                .map(|lengths| lengths.first().copied().unwrap_or(1).max(1))
                .collect(),
        };
        self.store(
            ZarrSink::<T>::create(path, &self.shape(), &chunks, options)?,
            scheduler,
        )
    }
}

register_op!(ZARR_READ = "array.io.zarr.read" => super::read_op::<ZarrStore>, generator);
register_op!(ZARR_WRITE = "array.io.zarr.write" => super::write_op::<ZarrStore>);
