//! The crate's error type.

use crate::chunks::ChunkError;

/// What can go wrong building or computing an array.
///
/// Shape, axis, index and chunk problems are found while the graph is built (the
/// method returns this error before any task exists); failures inside tasks come back
/// from `compute` as [`Error::Graph`], naming the block's key and the operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A chunk specification that does not fit the shape.
    #[error(transparent)]
    Chunks(#[from] ChunkError),
    /// An operation that cannot be built: `op` names it, `message` says what is wrong
    /// and where (which axis, which shapes, which index).
    #[error("{op}: {message}")]
    Invalid {
        /// The operation, e.g. `"add"` or `"reshape"`.
        op: &'static str,
        /// What is wrong, and where.
        message: String,
    },
    /// A format could not open, create or commit a file: `what` names the file (and
    /// the dataset or operation), `source` is the format's own error (HDF5's, zarrs',
    /// a malformed `.npy` header).
    #[error("{what}: {source}")]
    Io {
        /// The file and what was being done with it.
        what: String,
        /// The cause.
        #[source]
        source: dask_graph::BoxError,
    },
    /// The shared file machinery failed: staging an output under its temporary name or
    /// renaming it into place (the error names the path).
    #[error(transparent)]
    File(#[from] dask_io::Error),
    /// Planning or running the graph failed (a task error names its key and cause).
    #[error(transparent)]
    Graph(#[from] dask_graph::Error),
}

/// Array errors meet other collections' errors in the graph's error type when several
/// collections are computed together: a graph error stays itself, the rest is wrapped.
impl From<Error> for dask_graph::Error {
    fn from(e: Error) -> dask_graph::Error {
        match e {
            Error::Graph(g) => g,
            other => dask_graph::Error::Collection(Box::new(other)),
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`Error::Invalid`] for `op`.
pub(crate) fn invalid(op: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid {
        op,
        message: message.into(),
    }
}

/// An [`Error::Io`] about `what`.
pub(crate) fn io_error(what: impl Into<String>, source: impl Into<dask_graph::BoxError>) -> Error {
    Error::Io {
        what: what.into(),
        source: source.into(),
    }
}

/// Formats a shape the NumPy way: `(3, 4)`, `(5,)`, `()`.
pub(crate) fn shape_str(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Resolves a possibly negative `axis` of an `ndim`-dimensional array.
pub(crate) fn resolve_axis(op: &'static str, axis: isize, ndim: usize) -> Result<usize> {
    let n = ndim as isize;
    let a = if axis < 0 { axis + n } else { axis };
    if a < 0 || a >= n {
        return Err(invalid(
            op,
            format!("axis {axis} is out of range for an array of {ndim} dimension(s)"),
        ));
    }
    Ok(a as usize)
}
