//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong building or computing a dataframe.
///
/// Problems with columns and types are found when the operation is called, before any
/// task exists, and name the operation, the column and its type. Problems in the data
/// (a CSV value that does not parse) come back from `compute` as a task error whose
/// cause names the file, the line, the column and the value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operation named a column the frame does not have.
    #[error("{op}: there is no column `{column}` (columns: {available})")]
    NoColumn {
        /// The operation.
        op: String,
        /// The column asked for.
        column: String,
        /// The frame's columns with their types.
        available: String,
    },
    /// An operation on values of the wrong type.
    #[error("{op}: in {expr}: {message}")]
    Type {
        /// The operation (`filter`, `select`, ...).
        op: String,
        /// The expression involved.
        expr: String,
        /// What does not fit, with the types.
        message: String,
    },
    /// An operation that cannot be built as asked: `op` names it, `message` says why.
    #[error("{op}: {message}")]
    Invalid {
        /// The operation.
        op: String,
        /// What is wrong.
        message: String,
    },
    /// A file that cannot be read as asked: found when the frame is built (headers,
    /// schema inference, footers) or by the task reading it (a value that does not
    /// parse, a ragged row).
    #[error("{}: {message}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What is wrong, and how to fix it where there is a way.
        message: String,
    },
    /// A partition that could not be written to its file.
    #[error("{}: {message}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// Arrow refused something (building a batch, a kernel).
    #[error(transparent)]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Parquet refused something (reading a footer, writing a file).
    #[error(transparent)]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Finding or staging files failed (the error names the path or pattern).
    #[error(transparent)]
    File(#[from] dask_io::Error),
    /// Planning or running the graph failed (a task error names its key and cause).
    #[error(transparent)]
    Graph(#[from] dask_graph::Error),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`Error::Invalid`].
pub(crate) fn invalid(op: impl Into<String>, message: impl Into<String>) -> Error {
    Error::Invalid {
        op: op.into(),
        message: message.into(),
    }
}

/// An [`Error::Read`] about `path`.
pub(crate) fn read_error(path: &std::path::Path, message: impl Into<String>) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Dataframe errors meet other collections' errors in the graph's error type when
/// several collections are computed together.
impl From<Error> for dask_graph::Error {
    fn from(e: Error) -> dask_graph::Error {
        match e {
            Error::Graph(g) => g,
            other => dask_graph::Error::Collection(Box::new(other)),
        }
    }
}
