//! The crate's error type.

use std::path::PathBuf;

/// What can go wrong finding, reading or writing files. Every variant names the path or
/// pattern involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error on a path: `action` says what was being done.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What was being done ("reading", "renaming into place", ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A glob pattern that is not valid.
    #[error("invalid glob pattern `{pattern}`: {message}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// What is wrong with it.
        message: String,
    },
    /// A glob pattern that matches no file.
    #[error("no files match `{pattern}`")]
    NoMatch {
        /// The pattern.
        pattern: String,
    },
    /// A path given by name that does not exist.
    #[error("{} does not exist", .path.display())]
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// A directory given by name that holds no (visible) files.
    #[error("{} holds no files", .path.display())]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// No paths at all were given.
    #[error("no paths were given")]
    NoPaths,
    /// A path without a file name (`/`, `..`) where a file or directory is to be written.
    #[error("{} has no file name to write to", .path.display())]
    NoFileName {
        /// The path.
        path: PathBuf,
    },
    /// Something appeared at an output's final path while it was being written, and
    /// replacing it was not asked for.
    #[error("{} appeared while {what} was written; it is left as it was", .path.display())]
    Appeared {
        /// The final path.
        path: PathBuf,
        /// What was being written ("the array", "the dataframe").
        what: &'static str,
    },
    /// A staged output was committed or aborted twice.
    #[error("{} was already committed or aborted", .path.display())]
    AlreadyFinished {
        /// The final path.
        path: PathBuf,
    },
    /// A byte-block size of zero.
    #[error("a block size must be at least one byte")]
    ZeroBlockSize,
    /// A format's description could not be encoded or decoded.
    #[error("{action} a file description: {source}")]
    Description {
        /// "encoding" or "decoding".
        action: &'static str,
        /// The cause.
        #[source]
        source: postcard::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`Error::Io`].
pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
    Error::Io {
        action,
        path: path.into(),
        source,
    }
}
