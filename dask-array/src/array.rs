//! The lazy array handle: [`Array<T>`] is a graph, the name of the layer holding its
//! blocks, and its chunks; [`Scalar<T>`] is a reduction to one value.
//!
//! The handle only describes and runs work: its metadata (shape, chunks, dtype) is
//! known without computing, and `compute` runs the graph on a scheduler chosen at that
//! moment and assembles the blocks, checking each block's shape against the chunks.
//! Operations are methods defined next to their kernels (in `elementwise`, `reduce`,
//! `shape`, ...), each adding layers built with the helpers of `layer`; this module
//! depends on none of them.

use std::marker::PhantomData;
use std::sync::Arc;

use std::borrow::Cow;

use dask_graph::{Callback, Collection, Graph, Key, Optimizations, Scheduler, Value, Values};
use ndarray::{ArrayD, IxDyn, Slice};

use crate::chunks::{ChunkSpec, Chunks, block_indices, normalize_chunks};
use crate::element::{DType, Element};
use crate::error::{Result, invalid, shape_str};

/// A lazy, chunked N-dimensional array of `T`: a task graph whose blocks are
/// `ndarray::ArrayD<T>`, plus the metadata known without computing (shape, chunks,
/// dtype).
///
/// Cloning is cheap (the graph's layers are shared). Every operation returns a new
/// array with one more layer; nothing runs until [`compute`](Array::compute).
///
/// ```
/// use dask_array::Array;
/// use dask_graph::SyncScheduler;
/// let x = Array::from_ndarray(ndarray::Array::from_shape_fn((4, 6), |(i, j)| (i * 6 + j) as f64), [2, 3])?;
/// assert_eq!(x.shape(), vec![4, 6]);
/// assert_eq!(x.numblocks(), vec![2, 2]);
/// let y = (&x * 2.0 + 1.0).sum().compute(&SyncScheduler)?;
/// assert_eq!(y, 2.0 * 276.0 + 24.0);
/// # Ok::<(), dask_array::Error>(())
/// ```
pub struct Array<T> {
    pub(crate) graph: Graph,
    pub(crate) name: Arc<str>,
    pub(crate) chunks: Chunks,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array {
            graph: self.graph.clone(),
            name: Arc::clone(&self.name),
            chunks: self.chunks.clone(),
            _t: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Array<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Array<{}>(name={}, shape={}, numblocks={})",
            dask_graph::short_type_name(std::any::type_name::<T>()),
            self.name,
            shape_str(&self.shape()),
            shape_str(&self.numblocks())
        )
    }
}

impl<T> Array<T> {
    /// An array over an existing graph whose layer `name` holds one node per block,
    /// keyed `(name, i, j, ...)`.
    pub fn from_graph(graph: Graph, name: impl Into<Arc<str>>, chunks: Chunks) -> Array<T> {
        Array {
            graph,
            name: name.into(),
            chunks,
            _t: PhantomData,
        }
    }

    /// The length of each axis.
    pub fn shape(&self) -> Vec<usize> {
        self.chunks.shape()
    }

    /// The number of axes.
    pub fn ndim(&self) -> usize {
        self.chunks.ndim()
    }

    /// The number of elements.
    pub fn size(&self) -> usize {
        self.shape().iter().product()
    }

    /// The block lengths along each axis.
    pub fn chunks(&self) -> &Chunks {
        &self.chunks
    }

    /// The number of blocks along each axis.
    pub fn numblocks(&self) -> Vec<usize> {
        self.chunks.numblocks()
    }

    /// The name of the layer holding the blocks (a token of the expression: building the
    /// same expression twice gives the same name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The task graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The key of the block at `index` (one position per axis).
    pub fn block_key(&self, index: &[usize]) -> Key {
        block_key(&self.name, index)
    }

    /// The keys of every block, in C order (last axis fastest).
    pub fn keys(&self) -> Vec<Key> {
        block_indices(&self.numblocks())
            .map(|i| block_key(&self.name, &i))
            .collect()
    }
}

impl<T: Element> Array<T> {
    /// The bytes the whole array would take in memory.
    pub fn nbytes(&self) -> usize {
        self.size() * T::DTYPE.itemsize()
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    /// Runs the graph on `scheduler` and assembles the blocks into one array
    /// ([`Collection::compute`]).
    pub fn compute(&self, scheduler: &dyn Scheduler) -> Result<ArrayD<T>> {
        Collection::compute(self, scheduler)
    }

    /// [`compute`](Array::compute) with chosen optimizations and callbacks (a progress
    /// bar, a profiler).
    pub fn compute_with(
        &self,
        scheduler: &dyn Scheduler,
        optimizations: &Optimizations,
        callbacks: &dyn Callback,
    ) -> Result<ArrayD<T>> {
        Collection::compute_with(self, scheduler, optimizations, callbacks)
    }

    /// Computes the blocks and returns an array whose graph holds them as data, so later
    /// expressions start from the results instead of recomputing them
    /// ([`Collection::persist`]).
    pub fn persist(&self, scheduler: &dyn Scheduler) -> Result<Array<T>> {
        Collection::persist(self, scheduler)
    }

    /// The graph in Graphviz DOT ([`Collection::to_dot`]).
    pub fn to_dot(&self) -> String {
        Collection::to_dot(self)
    }

    /// Renders the graph to `path` (SVG, PNG, ... by its extension) with Graphviz's
    /// `dot`; the error says so when `dot` is not installed ([`Collection::visualize`]).
    pub fn visualize(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        Collection::visualize(self, path)
    }

    /// Resolves a chunk specification against this array's shape.
    pub(crate) fn normalize(&self, chunks: impl Into<ChunkSpec>) -> Result<Chunks> {
        Ok(normalize_chunks(
            chunks,
            &self.shape(),
            T::DTYPE.itemsize(),
        )?)
    }
}

/// The result of reducing an array to one value: a 0-dimensional array that computes to
/// a plain `T`. It dereferences to that [`Array`], so it can take part in further
/// expressions (`&x - &*x.mean()`).
#[derive(Clone, Debug)]
pub struct Scalar<T>(pub(crate) Array<T>);

impl<T: Element> Scalar<T> {
    /// Runs the graph and returns the value ([`Collection::compute`]).
    pub fn compute(&self, scheduler: &dyn Scheduler) -> Result<T> {
        Collection::compute(self, scheduler)
    }

    /// [`compute`](Scalar::compute) with chosen optimizations and callbacks.
    pub fn compute_with(
        &self,
        scheduler: &dyn Scheduler,
        optimizations: &Optimizations,
        callbacks: &dyn Callback,
    ) -> Result<T> {
        Collection::compute_with(self, scheduler, optimizations, callbacks)
    }

    /// Computes the value and returns a scalar backed by it ([`Collection::persist`]).
    pub fn persist(&self, scheduler: &dyn Scheduler) -> Result<Scalar<T>> {
        Collection::persist(self, scheduler)
    }

    /// The 0-dimensional array.
    pub fn into_array(self) -> Array<T> {
        self.0
    }
}

impl<T> std::ops::Deref for Scalar<T> {
    type Target = Array<T>;
    fn deref(&self) -> &Array<T> {
        &self.0
    }
}

/// An array is a collection of its blocks' keys, in C order; computing assembles them.
impl<T: Element> Collection for Array<T> {
    type Output = ArrayD<T>;
    type Error = crate::Error;
    type Persisted = Array<T>;

    fn graph(&self) -> Cow<'_, Graph> {
        Cow::Borrowed(&self.graph)
    }

    fn keys(&self) -> Vec<Key> {
        Array::keys(self)
    }

    fn finalize(&self, values: &mut Values) -> Result<ArrayD<T>> {
        let blocks = values.take(self.chunks.numblocks().iter().product())?;
        assemble(&self.chunks, blocks)
    }

    /// The blocks as data in a layer of the array's own name, so merging the persisted
    /// array with graphs of the original keeps one copy of each key.
    fn persisted(&self, values: &mut Values) -> Result<Array<T>> {
        let layer = values.data_layer(Arc::clone(&self.name), &Array::keys(self))?;
        Ok(Array::from_graph(
            Graph::from_layers([layer]),
            Arc::clone(&self.name),
            self.chunks.clone(),
        ))
    }
}

/// A scalar is its 0-dimensional array's one block; computing gives the value.
impl<T: Element> Collection for Scalar<T> {
    type Output = T;
    type Error = crate::Error;
    type Persisted = Scalar<T>;

    fn graph(&self) -> Cow<'_, Graph> {
        Cow::Borrowed(&self.0.graph)
    }

    fn keys(&self) -> Vec<Key> {
        self.0.keys()
    }

    fn finalize(&self, values: &mut Values) -> Result<T> {
        let block = self.0.finalize(values)?;
        block
            .iter()
            .next()
            .copied()
            .ok_or_else(|| invalid("compute", "a reduction produced an empty block"))
    }

    fn persisted(&self, values: &mut Values) -> Result<Scalar<T>> {
        self.0.persisted(values).map(Scalar)
    }
}

/// The key of block `index` of layer `name`: `(name, i, j, ...)`.
pub(crate) fn block_key(name: &Arc<str>, index: &[usize]) -> Key {
    let idx: Vec<u32> = index.iter().map(|&i| i as u32).collect();
    Key::block(name, &idx)
}

/// Assembles computed blocks (in C order of `chunks`) into one array, checking each
/// block's shape.
fn assemble<T: Element>(chunks: &Chunks, values: Vec<Value>) -> Result<ArrayD<T>> {
    let shape = chunks.shape();
    let numblocks = chunks.numblocks();
    let mut blocks = Vec::with_capacity(values.len());
    for (index, value) in block_indices(&numblocks).zip(values) {
        let block = crate::block::take_block::<T>(value)
            .map_err(|e| invalid("compute", format!("block {index:?}: {e}")))?;
        let expected = chunks.block_shape(&index).unwrap_or_default();
        if block.shape() != expected.as_slice() {
            return Err(invalid(
                "compute",
                format!(
                    "block {index:?} has shape {} but the chunks say {}",
                    shape_str(block.shape()),
                    shape_str(&expected)
                ),
            ));
        }
        blocks.push((index, block));
    }
    if blocks.len() == 1
        && let Some((_, block)) = blocks.pop()
    {
        // A transposed block may be a strided view: hand the caller C order, as with
        // several blocks.
        return Ok(if block.is_standard_layout() {
            block
        } else {
            block.as_standard_layout().into_owned()
        });
    }
    let mut out = ArrayD::from_elem(IxDyn(&shape), T::default());
    for (index, block) in blocks {
        let mut view = out.slice_each_axis_mut(|ax| {
            let r = chunks
                .block_range(ax.axis.index(), index[ax.axis.index()])
                .unwrap_or(0..0);
            Slice::from(r)
        });
        view.assign(&block);
    }
    Ok(out)
}
