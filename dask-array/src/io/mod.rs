//! Arrays on disk: chunked sources and sinks, read and written block by block.
//!
//! Two traits carry everything: a [`ChunkedSource`] reads any rectangular region of an
//! array, a [`ChunkedSink`] writes a block to its region. [`Array::from_array`] makes
//! one read task per block and [`Array::store`] one write task per block, so memory
//! holds a few blocks at a time whatever the size of the data.
//!
//! ## Design decisions
//!
//! * **Reopening instead of sharing handles.** A source or sink built in this process
//!   cannot travel to a worker process. The built-in formats therefore describe
//!   themselves ([`Reopen`]: a registered operation and a serialized description, i.e.
//!   the path and the header facts), and each task reopens the file. Reopening a file
//!   costs microseconds against milliseconds of reading a block, and it makes the
//!   formats run unchanged on every scheduler. A user's own source without a
//!   description runs in-process (threads, synchronous); the process scheduler refuses
//!   it up front, naming the task.
//! * **Temporary name, then rename.** Sinks write to a hidden sibling
//!   (`.name.partial-<pid>-<n>`, managed by `dask_io::Staging`) and rename it into
//!   place only after every block is written; a failed compute removes it. A crash
//!   leaves at most a `.partial` file, never an output that looks complete.
//! * **Reads are recomputed, not kept.** Read operations are registered as
//!   generators, so each reader of a block reads it itself (see [`Reopen`]); a block
//!   needed twice never waits in memory for its second reader.
//! * **Aligned writes.** A sink may declare a chunk grid (Zarr's chunks); blocks that
//!   straddle grid cells would make two tasks rewrite one stored chunk at once, so
//!   `store` rechunks such an array onto the grid first.
//! * **Formats:** [`npy`] (always; memory-mapped reads, positioned writes),
//!   `zarr` (feature `zarr`, through `zarrs`), `hdf5` (feature `hdf5`, the system
//!   library). Each is a source and a sink plus `Array` shortcuts (`from_npy`,
//!   `to_npy`, ...).

use std::ops::Range;
use std::sync::Arc;

use dask_graph::{Arg, Args, BoxError, Node, Op, OpResult, Task, register_op};
use ndarray::{ArrayD, ArrayViewD};

use crate::array::Array;
use crate::block::{block_ref, block_value};
use crate::chunks::{
    ChunkSpec, Chunks, block_region, for_each_in_box, grid_chunks, normalize_chunks, on_grid,
};
use crate::element::Element;
use crate::error::{Result, invalid, io_error, shape_str};
use crate::layer::{block_key, build, layer_name, lit, unique_layer_name};
use crate::reduce::flat_tree;

#[cfg(feature = "hdf5")]
pub mod hdf5;
pub mod npy;
#[cfg(feature = "zarr")]
pub mod zarr;

pub(crate) use dask_io::{Staging, description_arg};

/// A region of an array: one half-open range per axis.
pub type Region = [Range<usize>];

/// An array stored somewhere that can read any rectangular region of itself.
///
/// Implement it for your own storage and read it with [`Array::from_array`]. Reads
/// happen inside tasks, concurrently from several threads.
pub trait ChunkedSource<T: Element>: Send + Sync + 'static {
    /// The array's shape.
    fn shape(&self) -> Vec<usize>;
    /// The block shape the storage prefers (its own chunks), if it has one;
    /// [`Array::from_source`] uses it.
    fn chunk_shape(&self) -> Option<Vec<usize>> {
        None
    }
    /// Reads `region` (within [`shape`](Self::shape)) into a C-order array.
    fn read(&self, region: &Region) -> Result<ArrayD<T>, BoxError>;
    /// A short description for errors and names, e.g. the path.
    fn describe(&self) -> String;
    /// How a worker process reopens this source, if it can (see the module notes).
    fn reopen(&self) -> Option<Reopen> {
        None
    }
}

/// An array being written somewhere, one block to its region at a time.
///
/// [`Array::store`] writes every block with [`write`](Self::write), concurrently from
/// several threads (or processes, through [`reopen`](Self::reopen)), then calls
/// [`commit`](Self::commit) once, or [`abort`](Self::abort) if anything failed.
pub trait ChunkedSink<T: Element>: Send + Sync + 'static {
    /// The shape of the array being written.
    fn shape(&self) -> Vec<usize>;
    /// The grid writes must be aligned to (a block may cover several cells but never
    /// part of one), if the storage has one.
    fn chunk_shape(&self) -> Option<Vec<usize>> {
        None
    }
    /// Writes `block` to `region`.
    fn write(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError>;
    /// A short description for errors, e.g. the path.
    fn describe(&self) -> String;
    /// How a worker process reopens this sink to write, if it can.
    fn reopen(&self) -> Option<Reopen> {
        None
    }
    /// Makes the written array visible under its final name.
    fn commit(&self) -> Result<(), BoxError> {
        Ok(())
    }
    /// Discards what was written (called when a write failed).
    fn abort(&self) {}
}

/// How a task reopens a source or sink in any process (from `dask-io`, shared with the
/// other collections' formats).
///
/// For arrays, a read operation receives `(description: Vec<u8>, region: Vec<u64>)`
/// and returns the block; a write operation receives `(description, region, block)` and
/// returns the number of elements written as a `u64`. Regions are flattened
/// `[start, end]` pairs, one per axis ([`region_arg`] decodes them). Register read
/// operations as *generators*, as the built-in formats do: `x - x.mean(axis=1)` then
/// reads each block again for its second reader instead of holding it in memory.
pub use dask_io::Reopen;

/// Decodes the region argument `i` of a read or write operation.
pub fn region_arg(args: &Args, i: usize) -> Result<Vec<Range<usize>>, BoxError> {
    let flat = args.get::<Vec<u64>>(i)?;
    if flat.len() % 2 != 0 {
        return Err(format!("a region has start/end pairs, got {} numbers", flat.len()).into());
    }
    flat.chunks_exact(2)
        .map(|p| {
            let start = usize::try_from(p[0]).map_err(|_| "region start overflows")?;
            let end = usize::try_from(p[1]).map_err(|_| "region end overflows")?;
            if start > end {
                return Err(format!("region {start}..{end} runs backwards").into());
            }
            Ok(start..end)
        })
        .collect()
}

fn region_lit(region: &Region) -> Arg {
    lit(region
        .iter()
        .flat_map(|r| [r.start as u64, r.end as u64])
        .collect::<Vec<u64>>())
}

/// Checks that a block read from a source has the region's shape.
pub(crate) fn check_read<T: Element>(
    block: ArrayD<T>,
    region: &Region,
    what: &dyn Fn() -> String,
) -> Result<ArrayD<T>, BoxError> {
    let expected: Vec<usize> = region.iter().map(ExactSizeIterator::len).collect();
    if block.shape() != expected.as_slice() {
        return Err(format!(
            "{}: reading {region:?} gave a block of shape {}, expected {}",
            what(),
            shape_str(block.shape()),
            shape_str(&expected)
        )
        .into());
    }
    Ok(block)
}

impl<T: Element> Array<T> {
    /// An array reading `source` block by block, cut into `chunks`.
    ///
    /// Nothing is read until the array is computed; then each task reads its own
    /// block. Sources with a [`Reopen`] description (every built-in format) run on every
    /// scheduler; others run in-process.
    ///
    /// ```
    /// use std::ops::Range;
    /// use dask_array::{Array, io::{ChunkedSource, Region}};
    /// use dask_graph::{BoxError, SyncScheduler};
    /// use ndarray::ArrayD;
    ///
    /// /// The array `a[i, j] = 10 i + j`, computed on demand.
    /// struct Formula;
    /// impl ChunkedSource<i64> for Formula {
    ///     fn shape(&self) -> Vec<usize> { vec![4, 6] }
    ///     fn read(&self, r: &Region) -> Result<ArrayD<i64>, BoxError> {
    ///         let (rows, cols) = (r[0].clone(), r[1].clone());
    ///         Ok(ndarray::Array2::from_shape_fn((rows.len(), cols.len()), |(i, j)| {
    ///             10 * (rows.start + i) as i64 + (cols.start + j) as i64
    ///         }).into_dyn())
    ///     }
    ///     fn describe(&self) -> String { "formula".into() }
    /// }
    /// let x = Array::from_array(Formula, [3, 4])?;
    /// assert_eq!(x.numblocks(), vec![2, 2]);
    /// assert_eq!(x.sum().compute(&SyncScheduler)?, (0..4).map(|i| (0..6).map(|j| 10 * i + j).sum::<i64>()).sum::<i64>());
    /// # Ok::<(), dask_array::Error>(())
    /// ```
    pub fn from_array(
        source: impl ChunkedSource<T>,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Array<T>> {
        let shape = source.shape();
        let chunks = normalize_chunks(chunks, &shape, std::mem::size_of::<T>())?;
        Ok(from_source_with(Arc::new(source), chunks))
    }

    /// An array reading `source` in its own chunks ([`ChunkedSource::chunk_shape`]),
    /// or in "auto" blocks of about 128 MiB if it has none.
    pub fn from_source(source: impl ChunkedSource<T>) -> Result<Array<T>> {
        let spec = match source.chunk_shape() {
            Some(shape) => ChunkSpec::PerAxis(
                shape
                    .into_iter()
                    .map(|n| crate::chunks::AxisChunks::Size(n.max(1)))
                    .collect(),
            ),
            None => ChunkSpec::Auto,
        };
        Array::from_array(source, spec)
    }

    /// Computes this array on `scheduler` and writes it to `sink` block by block,
    /// then commits the sink; if anything fails the sink is aborted (its partial output
    /// removed) and the error returned.
    ///
    /// Memory stays bounded by a few blocks per worker: each block is written by its
    /// own task as soon as it is computed. A sink with a chunk grid gets blocks aligned
    /// to it (the array is rechunked first if needed).
    pub fn store(
        &self,
        sink: impl ChunkedSink<T>,
        scheduler: &dyn dask_graph::Scheduler,
    ) -> Result<()> {
        let sink: Arc<dyn ChunkedSink<T>> = Arc::new(sink);
        let result = self.store_blocks(&sink, scheduler);
        match result {
            Ok(()) => sink
                .commit()
                .map_err(|e| io_error(format!("committing {}", sink.describe()), e)),
            Err(e) => {
                sink.abort();
                Err(e)
            }
        }
    }

    fn store_blocks(
        &self,
        sink: &Arc<dyn ChunkedSink<T>>,
        scheduler: &dyn dask_graph::Scheduler,
    ) -> Result<()> {
        if sink.shape() != self.shape() {
            return Err(invalid(
                "store",
                format!(
                    "the array has shape {} but {} has shape {}",
                    shape_str(&self.shape()),
                    sink.describe(),
                    shape_str(&sink.shape())
                ),
            ));
        }
        let aligned = match sink.chunk_shape() {
            Some(grid) if !on_grid(&self.chunks, &grid) => {
                self.rechunk(grid_chunks(&self.chunks, &grid))?
            }
            _ => self.clone(),
        };
        let name = unique_layer_name("store", &aligned.name());
        let reopen = sink.reopen();
        let src = &aligned.name;
        let chunks = aligned.chunks.clone();
        let writes: Array<u64> = build(&[&aligned.graph], name, chunks.clone(), |index| {
            let region = block_region(&chunks, index);
            let block = Arg::Key(block_key(src, index));
            match &reopen {
                Some(r) => r.task([region_lit(&region), block]),
                None => {
                    let sink = Arc::clone(sink);
                    let op = Op::local("store", move |args| {
                        let block = block_ref::<T>(args.value(0)?)?;
                        sink.write(&region, block.view())?;
                        Ok(dask_graph::Value::new(block.len() as u64))
                    });
                    Node::Task(Task::new(op, vec![block]))
                }
            }
        });
        let keys = writes.keys();
        let label = layer_name("store-done", &writes.name());
        let done: Array<u64> = flat_tree(writes.graph, keys, &label, (&COUNT, vec![]), 1);
        let values = dask_graph::compute(&done.graph, &done.keys(), scheduler)?;
        let written = match values.first() {
            Some(v) => *v
                .get::<u64>()
                .map_err(|e| invalid("store", format!("internal error: {e}")))?,
            None => 0,
        };
        if written != self.size() as u64 {
            return Err(invalid(
                "store",
                format!(
                    "{} elements were written to {} but the array has {}",
                    written,
                    sink.describe(),
                    self.size()
                ),
            ));
        }
        Ok(())
    }
}

fn from_source_with<T: Element>(source: Arc<dyn ChunkedSource<T>>, chunks: Chunks) -> Array<T> {
    let reopen = source.reopen();
    let name = match &reopen {
        Some(r) => layer_name(
            "from-array",
            &(r.op.name, &r.description, chunks.per_axis().to_vec()),
        ),
        None => unique_layer_name("from-array", &source.describe()),
    };
    build(&[], name, chunks.clone(), |index| {
        let region = block_region(&chunks, index);
        match &reopen {
            Some(r) => r.task([region_lit(&region)]),
            None => {
                let source = Arc::clone(&source);
                let op = Op::local("from_array", move |_| {
                    let block = source.read(&region)?;
                    Ok(block_value(check_read(block, &region, &|| {
                        source.describe()
                    })?))
                });
                Node::Task(Task::new(op, vec![]))
            }
        }
    })
}

fn count_op(args: Args) -> OpResult {
    let mut total = 0u64;
    for i in 0..args.len() {
        total += *args.get::<u64>(i)?;
    }
    Ok(dask_graph::Value::new(total))
}

register_op!(COUNT = "array.io.count" => count_op);

/// Runs `$body` with `$u` the concrete element type named by the
/// [`DType`](crate::DType) `$dtype`.
macro_rules! with_type {
    ($dtype:expr, $u:ident => $body:expr) => {
        match $dtype {
            $crate::DType::F64 => {
                type $u = f64;
                $body
            }
            $crate::DType::F32 => {
                type $u = f32;
                $body
            }
            $crate::DType::I64 => {
                type $u = i64;
                $body
            }
            $crate::DType::I32 => {
                type $u = i32;
                $body
            }
            $crate::DType::U64 => {
                type $u = u64;
                $body
            }
            $crate::DType::U8 => {
                type $u = u8;
                $body
            }
            $crate::DType::Bool => {
                type $u = bool;
                $body
            }
        }
    };
}
#[cfg(feature = "hdf5")]
pub(crate) use with_type;

/// "(supported: float64 float32 ...)", for errors about other element types.
#[cfg(any(feature = "zarr", feature = "hdf5"))]
pub(crate) fn supported_types() -> String {
    let names: Vec<&str> = crate::DType::ALL.iter().map(|d| d.name()).collect();
    format!("(supported: {})", names.join(" "))
}

/// A built-in format's description of one file as its tasks carry it: enough to
/// reopen the file in any process, read a region or write a block.
pub(crate) trait Description: serde::Serialize + serde::de::DeserializeOwned {
    /// The element type stored.
    fn dtype(&self) -> Result<crate::DType, BoxError>;
    /// The file (and dataset), for errors.
    fn describe(&self) -> String;
    /// Reopens the file and reads `region`.
    fn read<T: Element>(&self, region: &Region) -> Result<ArrayD<T>, BoxError>;
    /// Reopens the file and writes `block` to `region`.
    fn write<T: Element>(&self, region: &Region, block: ArrayViewD<'_, T>) -> Result<(), BoxError>;
}

/// A format's read operation: `[description, region]` → the block.
pub(crate) fn read_op<D: Description>(args: Args) -> OpResult {
    let d: D = description_arg(&args)?;
    let region = region_arg(&args, 1)?;
    with_type!(d.dtype()?, U => {
        let block = d
            .read::<U>(&region)
            .map_err(|e| format!("reading {}: {e}", d.describe()))?;
        Ok(block_value(block))
    })
}

/// A format's write operation: `[description, region, block]` → elements written.
pub(crate) fn write_op<D: Description>(args: Args) -> OpResult {
    let d: D = description_arg(&args)?;
    let region = region_arg(&args, 1)?;
    with_type!(d.dtype()?, U => {
        let block = block_ref::<U>(args.value(2)?)?;
        d.write(&region, block.view())
            .map_err(|e| format!("writing {}: {e}", d.describe()))?;
        Ok(dask_graph::Value::new(block.len() as u64))
    })
}

/// The number of elements of a region.
pub(crate) fn region_len(region: &Region) -> usize {
    region.iter().map(ExactSizeIterator::len).product()
}

/// How a region of a C-order array of `shape` splits into contiguous runs: the runs
/// start at the returned element offsets, each `run` elements long.
pub(crate) fn runs(shape: &[usize], region: &Region) -> (Vec<usize>, usize) {
    let ndim = shape.len();
    if region.iter().any(|r| r.is_empty()) {
        return (Vec::new(), 0);
    }
    // Axes after `k` are covered whole, so each run spans region[k] times their size.
    let mut k = ndim;
    let mut inner = 1usize;
    while k > 0 {
        let axis = k - 1;
        inner *= region[axis].len();
        if region[axis].len() != shape[axis] {
            break;
        }
        k -= 1;
    }
    let run = inner;
    let split = k.saturating_sub(1);
    // Strides in elements.
    let mut strides = vec![1usize; ndim];
    for axis in (0..ndim.saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1] * shape[axis + 1];
    }
    let base: usize = region.iter().zip(&strides).map(|(r, s)| r.start * s).sum();
    let outer: Vec<Range<usize>> = region[..split].to_vec();
    let mut starts = Vec::with_capacity(outer.iter().map(ExactSizeIterator::len).product());
    for_each_in_box(&outer, |i| {
        let off: usize = i
            .iter()
            .zip(&region[..split])
            .zip(&strides)
            .map(|((&x, r), s)| (x - r.start) * s)
            .sum();
        starts.push(base + off);
    });
    (starts, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_a_region_in_c_order() {
        let shape = [4, 5, 6];
        let region = [1..3, 2..4, 0..6];
        let (starts, run) = runs(&shape, &region);
        assert_eq!(run, 12);
        assert_eq!(starts, vec![30 + 12, 60 + 12]);
        let (starts, run) = runs(&shape, &[0..4, 0..5, 0..6]);
        assert_eq!((starts, run), (vec![0], 120));
        let (starts, run) = runs(&shape, &[2..3, 1..2, 3..5]);
        assert_eq!((starts, run), (vec![60 + 6 + 3], 2));
        let (starts, run) = runs(&[], &[]);
        assert_eq!((starts, run), (vec![0], 1));
        assert_eq!(runs(&shape, &[0..0, 0..5, 0..6]).0, Vec::<usize>::new());
    }
}
