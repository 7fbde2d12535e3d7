//! HDF5 datasets, through the system HDF5 library (the `hdf5-metno` bindings).
//!
//! Reading is the seed's example: `from_hdf5("myfile.hdf5", "/big-data", chunks)` reads
//! a dataset block by block, each task opening the file read-only and reading its
//! hyperslab. Writing adds one contiguous dataset to the file (created if missing),
//! as Dask's `to_hdf5` does: the blocks go into a temporary copy of the file, renamed
//! over it when every block is written, so a failed compute leaves the file as it was
//! and other datasets are kept. (Copying makes writing into a large existing file
//! cost a copy of it; HDF5 offers no way to hide a half-written dataset otherwise.)
//!
//! HDF5 (without MPI) allows one writer per file at a time, across threads and
//! processes. Each write task therefore takes an exclusive `flock` on a lock file
//! beside the temporary file, opens the file, writes its hyperslab and closes it;
//! the bindings serialize calls within a process anyway. Writes are thus serial,
//! while computing the blocks stays parallel.

use std::any::Any;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use dask_graph::{BoxError, register_op};
use hdf5::{Hyperslab, Selection, SliceOrIndex};
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use serde::{Deserialize, Serialize};

use super::{
    ChunkedSink, ChunkedSource, Description, Region, Reopen, Staging, supported_types, with_type,
};
use crate::array::Array;
use crate::chunks::ChunkSpec;
use crate::element::{DType, Element};
use crate::error::{Result, io_error};

/// `a` as an array of `T` (they are the same type: chosen by `T::DTYPE`).
fn same<T: 'static, U: 'static>(a: ArrayD<U>) -> Result<ArrayD<T>, BoxError> {
    (Box::new(a) as Box<dyn Any>)
        .downcast::<ArrayD<T>>()
        .map(|b| *b)
        .map_err(|_| "internal error: element types disagree".into())
}

/// Opens `path` with HDF5's own file locks off. Writers are serialized by a `flock` of
/// their own; HDF5's locks, taken on the file itself, would be inherited by worker
/// processes that happen to start while another thread has the file open (the library
/// does not open files close-on-exec) and would outlive the open, refusing every later
/// one with "unable to lock file".
fn open_file(path: &Path, mode: hdf5::file::OpenMode) -> hdf5::Result<hdf5::File> {
    let mut builder = hdf5::File::with_options();
    builder.fapl().file_locking(false);
    builder.open_as(path, mode)
}

/// A dataset in a file, as tasks see it.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Hdf5Dataset {
    path: PathBuf,
    dataset: String,
    dtype: DType,
    shape: Vec<u64>,
    modified_ns: u64,
    /// The lock file serializing writers (sinks only).
    lock: Option<PathBuf>,
}

fn selection(region: &Region) -> Selection {
    if region.is_empty() {
        return Selection::All;
    }
    let dims: Vec<SliceOrIndex> = region.iter().map(|r| r.clone().into()).collect();
    Selection::Hyperslab(Hyperslab::from(dims))
}

fn dtype_of(ds: &hdf5::Dataset) -> Result<DType, BoxError> {
    let t = ds.dtype()?;
    DType::ALL
        .iter()
        .copied()
        .find(|&d| with_type!(d, U => t.is::<U>()))
        .ok_or_else(|| {
            let desc = t
                .to_descriptor()
                .map_or_else(|e| e.to_string(), |d| d.to_string());
            format!("its type {desc} is not supported {}", supported_types()).into()
        })
}

impl Hdf5Dataset {
    fn open<T: Element>(path: &Path, dataset: &str) -> Result<Hdf5Dataset, BoxError> {
        let file = open_file(path, hdf5::file::OpenMode::Read)?;
        let ds = file
            .dataset(dataset)
            .map_err(|e| format!("no dataset {dataset:?}: {e}"))?;
        let dtype = dtype_of(&ds)?;
        if dtype != T::DTYPE {
            return Err(format!("the dataset holds {dtype}, not {}", T::DTYPE).into());
        }
        let modified_ns = dask_io::modified_ns(path);
        Ok(Hdf5Dataset {
            path: std::path::absolute(path)?,
            dataset: dataset.to_string(),
            dtype,
            shape: ds.shape().iter().map(|&d| d as u64).collect(),
            modified_ns,
            lock: None,
        })
    }
}

impl Description for Hdf5Dataset {
    fn dtype(&self) -> Result<DType, BoxError> {
        Ok(self.dtype)
    }

    fn describe(&self) -> String {
        format!("{}:{}", self.path.display(), self.dataset)
    }

    fn read<T: Element>(&self, region: &Region) -> Result<ArrayD<T>, BoxError> {
        let shape: Vec<usize> = region.iter().map(ExactSizeIterator::len).collect();
        if shape.contains(&0) {
            return Ok(ArrayD::from_shape_vec(IxDyn(&shape), Vec::new())?);
        }
        let file = open_file(&self.path, hdf5::file::OpenMode::Read)?;
        let ds = file.dataset(&self.dataset)?;
        let sel = selection(region);
        with_type!(T::DTYPE, U => same(ds.read_slice::<U, _, IxDyn>(sel)?))
    }

    fn write<T: Element>(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError> {
        if block.is_empty() {
            return Ok(());
        }
        let lock_path = self.lock.as_ref().ok_or("internal error: no lock file")?;
        let lock = std::fs::OpenOptions::new().write(true).open(lock_path)?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)?;
        let file = open_file(&self.path, hdf5::file::OpenMode::ReadWrite)?;
        let ds = file.dataset(&self.dataset)?;
        let sel = selection(region);
        let owned = block.to_owned();
        with_type!(T::DTYPE, U => ds.write_slice(&same::<U, T>(owned)?, sel)?);
        drop(ds);
        file.close()?;
        // The lock goes with `lock`.
        Ok(())
    }
}

/// An HDF5 dataset read as a [`ChunkedSource`].
#[derive(Debug)]
pub struct Hdf5Source<T> {
    dataset: Hdf5Dataset,
    reopen: Reopen,
    _element: PhantomData<fn() -> T>,
}

impl<T: Element> Hdf5Source<T> {
    /// Opens `dataset` (e.g. `"/big-data"`) of the HDF5 file at `path`; it must hold
    /// elements of type `T`.
    pub fn open(path: impl AsRef<Path>, dataset: &str) -> Result<Hdf5Source<T>> {
        let path = path.as_ref();
        let what = || format!("reading {}:{dataset}", path.display());
        let dataset = Hdf5Dataset::open::<T>(path, dataset).map_err(|e| io_error(what(), e))?;
        let reopen = Reopen::new(&HDF5_READ, &dataset).map_err(|e| io_error(what(), e))?;
        Ok(Hdf5Source {
            dataset,
            reopen,
            _element: PhantomData,
        })
    }
}

impl<T: Element> ChunkedSource<T> for Hdf5Source<T> {
    fn shape(&self) -> Vec<usize> {
        self.dataset.shape.iter().map(|&d| d as usize).collect()
    }

    fn read(&self, region: &Region) -> Result<ArrayD<T>, BoxError> {
        self.dataset.read(region)
    }

    fn describe(&self) -> String {
        self.dataset.describe()
    }

    fn reopen(&self) -> Option<Reopen> {
        Some(self.reopen.clone())
    }
}

/// A dataset added to an HDF5 file (new or existing), written as a [`ChunkedSink`]
/// into a temporary copy of the file until [`commit`](ChunkedSink::commit).
#[derive(Debug)]
pub struct Hdf5Sink<T> {
    staging: Staging,
    lock: PathBuf,
    dataset: Hdf5Dataset,
    reopen: Reopen,
    _element: PhantomData<fn() -> T>,
}

impl<T: Element> Hdf5Sink<T> {
    /// Creates the temporary file (a copy of the one at `path`, if any) with dataset
    /// `dataset` of `shape` (intermediate groups are created; a dataset of that name
    /// must not exist yet), to be committed at `path`.
    pub fn create(path: impl AsRef<Path>, dataset: &str, shape: &[usize]) -> Result<Hdf5Sink<T>> {
        let path = path.as_ref();
        let what = || format!("creating {}:{dataset}", path.display());
        let staging = Staging::new(path, true)?.describing("the array");
        let mut lock_name = staging.temp().as_os_str().to_os_string();
        lock_name.push(".lock");
        let lock = PathBuf::from(lock_name);
        let create = || -> Result<(), BoxError> {
            std::fs::File::create(&lock)?;
            // An existing file keeps its other datasets: the new one is added to a copy.
            let file = if path.exists() {
                std::fs::copy(path, staging.temp())?;
                open_file(staging.temp(), hdf5::file::OpenMode::ReadWrite)?
            } else {
                open_file(staging.temp(), hdf5::file::OpenMode::CreateExcl)?
            };
            let mut group = file.as_group()?;
            let parts: Vec<&str> = dataset.split('/').filter(|p| !p.is_empty()).collect();
            let (name, groups) = parts.split_last().ok_or("the dataset name is empty")?;
            for g in groups {
                group = match group.group(g) {
                    Ok(existing) => existing,
                    Err(_) => group.create_group(g)?,
                };
            }
            if group.link_exists(name) {
                return Err(format!(
                    "{dataset:?} already exists in the file (HDF5 cannot replace a dataset in place)"
                )
                .into());
            }
            with_type!(T::DTYPE, U => group.new_dataset::<U>().shape(shape.to_vec()).create(*name)?);
            file.close()?;
            Ok(())
        };
        if let Err(e) = create() {
            let _ = std::fs::remove_file(&lock);
            return Err(io_error(what(), e));
        }
        let description = Hdf5Dataset {
            path: staging.temp().to_path_buf(),
            dataset: dataset.to_string(),
            dtype: T::DTYPE,
            shape: shape.iter().map(|&d| d as u64).collect(),
            modified_ns: 0,
            lock: Some(lock.clone()),
        };
        let reopen = Reopen::new(&HDF5_WRITE, &description).map_err(|e| io_error(what(), e))?;
        Ok(Hdf5Sink {
            staging,
            lock,
            dataset: description,
            reopen,
            _element: PhantomData,
        })
    }
}

impl<T: Element> ChunkedSink<T> for Hdf5Sink<T> {
    fn shape(&self) -> Vec<usize> {
        self.dataset.shape.iter().map(|&d| d as usize).collect()
    }

    fn write(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError> {
        self.dataset.write(region, block)
    }

    fn describe(&self) -> String {
        format!(
            "{}:{}",
            self.staging.target().display(),
            self.dataset.dataset
        )
    }

    fn reopen(&self) -> Option<Reopen> {
        Some(self.reopen.clone())
    }

    fn commit(&self) -> Result<(), BoxError> {
        self.staging.commit()?;
        let _ = std::fs::remove_file(&self.lock);
        Ok(())
    }

    fn abort(&self) {
        self.staging.abort();
        let _ = std::fs::remove_file(&self.lock);
    }
}

impl<T> Drop for Hdf5Sink<T> {
    fn drop(&mut self) {
        // Committed or not, the lock file is not part of the output.
        let _ = std::fs::remove_file(&self.lock);
    }
}

impl<T: Element> Array<T> {
    /// An array reading `dataset` of the HDF5 file at `path` block by block — the
    /// seed's `da.from_array(f['/big-data'], chunks=(1000, 1000))`.
    pub fn from_hdf5(
        path: impl AsRef<Path>,
        dataset: &str,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Array<T>> {
        Array::from_array(Hdf5Source::<T>::open(path, dataset)?, chunks)
    }

    /// Computes the array on `scheduler` and writes it as `dataset` of the HDF5 file at
    /// `path` (created if missing; other datasets are kept). The dataset appears only
    /// once every block is written.
    pub fn to_hdf5(
        &self,
        path: impl AsRef<Path>,
        dataset: &str,
        scheduler: &dyn dask_graph::Scheduler,
    ) -> Result<()> {
        self.store(
            Hdf5Sink::<T>::create(path, dataset, &self.shape())?,
            scheduler,
        )
    }
}

register_op!(HDF5_READ = "array.io.hdf5.read" => super::read_op::<Hdf5Dataset>, generator);
register_op!(HDF5_WRITE = "array.io.hdf5.write" => super::write_op::<Hdf5Dataset>);
