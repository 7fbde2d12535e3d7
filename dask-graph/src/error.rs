//! The crate's one error type.

use std::fmt;

use crate::key::Key;

/// Any error, boxed: what an operation returns, so that `?` works on every error type.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong building, planning or running a graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A requested key is not in the graph.
    #[error("requested key {key} is not in the graph")]
    UnknownKey {
        /// The key asked for.
        key: Key,
    },
    /// A task refers to a key that no layer defines.
    #[error("task {dependent} depends on {missing}, which is not in the graph")]
    MissingDependency {
        /// The task holding the reference.
        dependent: Key,
        /// The key it refers to.
        missing: Key,
    },
    /// The graph has a cycle; the keys are listed in dependency order around it.
    #[error("the graph has a cycle: {}", KeyList(.keys))]
    Cycle {
        /// The keys on the cycle, each depending on the next, the last on the first.
        keys: Vec<Key>,
    },
    /// Two different layers define the same key.
    #[error("key {key} is defined by two layers, `{first}` and `{second}`")]
    DuplicateKey {
        /// The key.
        key: Key,
        /// The first layer defining it.
        first: String,
        /// The other layer defining it.
        second: String,
    },
    /// One layer defines the same key twice.
    #[error("key {key} is defined twice in layer `{layer}`")]
    DuplicateKeyInLayer {
        /// The key.
        key: Key,
        /// The layer.
        layer: String,
    },
    /// Two different layers were given the same name.
    #[error(
        "two different layers are named `{name}`; a layer's name must identify its contents (use `tokenize`)"
    )]
    LayerConflict {
        /// The name.
        name: String,
    },
    /// A fused task has no steps.
    #[error("fused task {key} has no steps")]
    EmptyFused {
        /// The task.
        key: Key,
    },
    /// A scheduler passed a task the wrong number of inputs.
    #[error("task {key} takes {expected} input value(s) but was given {found}")]
    WrongInputCount {
        /// The task.
        key: Key,
        /// Its number of distinct dependencies.
        expected: usize,
        /// What the scheduler passed.
        found: usize,
    },
    /// A task id outside the plan.
    #[error("task id {id} is not in the plan (it has {len} tasks)")]
    NoSuchTask {
        /// The id.
        id: u32,
        /// Number of tasks in the plan.
        len: usize,
    },
    /// The graph has more nodes or edges than the planner can number.
    #[error("the graph is too large to plan: {what}")]
    TooLarge {
        /// What overflowed.
        what: String,
    },
    /// A fused step refers to a step that does not come before it.
    #[error("task {key}: step {step} refers to step {refers_to}, which does not come before it")]
    InvalidStep {
        /// The task.
        key: Key,
        /// The step holding the reference.
        step: usize,
        /// The step referred to.
        refers_to: usize,
    },
    /// A task returned an error.
    #[error("task {key} (operation `{op}`{}) failed: {source}", FusedInto(.fused_into))]
    TaskFailed {
        /// The key of the task that failed (for a fused task, the original key of the
        /// step that failed).
        key: Key,
        /// The operation's name.
        op: String,
        /// The key of the fused task the step ran in, if it was fused.
        fused_into: Option<Key>,
        /// The error the operation returned.
        #[source]
        source: BoxError,
    },
    /// A task panicked; the panic was caught.
    #[error("task {key} (operation `{op}`{}) panicked: {message}", FusedInto(.fused_into))]
    TaskPanicked {
        /// The key of the task that panicked.
        key: Key,
        /// The operation's name.
        op: String,
        /// The key of the fused task the step ran in, if it was fused.
        fused_into: Option<Key>,
        /// The panic message.
        message: String,
    },
    /// No operation is registered under this name.
    #[error("no operation is registered under the name `{name}`")]
    UnknownOperation {
        /// The name looked up.
        name: String,
    },
    /// Two registrations used the same name.
    #[error("two {kind}s are registered under the name `{name}`; names must be unique")]
    DuplicateRegistration {
        /// "operation" or "codec".
        kind: &'static str,
        /// The name.
        name: String,
    },
    /// Two codecs are registered for one type (which one would encode is ambiguous).
    #[error("two codecs are registered for values of type `{type_name}`")]
    DuplicateCodecType {
        /// The Rust type name.
        type_name: String,
    },
    /// No codec is registered for this type.
    #[error(
        "no codec is registered for values of type `{type_name}` (register one with `register_serde_codec!` or `register_codec!`)"
    )]
    NoCodec {
        /// The Rust type name.
        type_name: String,
    },
    /// No codec is registered under this name.
    #[error("no codec is registered under the name `{name}`")]
    UnknownCodec {
        /// The name looked up.
        name: String,
    },
    /// A codec failed.
    #[error("codec `{codec}` could not {action} a value: {source}")]
    Codec {
        /// The codec.
        codec: &'static str,
        /// "encode" or "decode".
        action: &'static str,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A scheduler cannot run a task (for example a closure in another process).
    #[error("the {scheduler} scheduler cannot run task {key}: {reason}")]
    Unsupported {
        /// The scheduler's name.
        scheduler: String,
        /// The task.
        key: Key,
        /// Why.
        reason: String,
    },
    /// Rendering a picture failed (for example, Graphviz is not installed).
    #[error("cannot render the graph: {message}")]
    Visualize {
        /// What happened.
        message: String,
    },
    /// A byte size (a memory limit, a block size) could not be parsed.
    #[error("invalid byte size `{text}`: {reason}")]
    InvalidByteSize {
        /// The text given.
        text: String,
        /// Why it was refused.
        reason: String,
    },
    /// Spilling a result to disk, or reading it back, failed.
    #[error("could not {action} the spilled result of {key} ({path}): {source}")]
    Spill {
        /// The result's key.
        key: Key,
        /// "write", "read" or "encode".
        action: &'static str,
        /// The spill file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: BoxError,
    },
    /// A graph builder was given an argument it cannot use, or a collection asked for
    /// computed values it does not have (an error in the collection's implementation).
    #[error("{what}: {message}")]
    InvalidArgument {
        /// The builder, e.g. `"tree_reduce"`.
        what: String,
        /// What is wrong with the argument.
        message: String,
    },
    /// A collection's own error (an array's, a dataframe's), when collections of several
    /// kinds are computed together and their errors meet in this one type.
    #[error(transparent)]
    Collection(BoxError),
    /// A scheduler-level failure (a worker lost, an I/O error, ...).
    #[error("the {scheduler} scheduler failed: {message}")]
    Scheduler {
        /// The scheduler's name.
        scheduler: String,
        /// What happened.
        message: String,
    },
}

impl Error {
    /// The key of the task this error is about, if any.
    pub fn key(&self) -> Option<&Key> {
        match self {
            Error::UnknownKey { key }
            | Error::DuplicateKey { key, .. }
            | Error::DuplicateKeyInLayer { key, .. }
            | Error::EmptyFused { key }
            | Error::WrongInputCount { key, .. }
            | Error::InvalidStep { key, .. }
            | Error::TaskFailed { key, .. }
            | Error::TaskPanicked { key, .. }
            | Error::Unsupported { key, .. } => Some(key),
            Error::MissingDependency { dependent, .. } => Some(dependent),
            Error::Cycle { keys } => keys.first(),
            _ => None,
        }
    }
}

struct KeyList<'a>(&'a [Key]);

impl fmt::Display for KeyList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" -> ")?;
            }
            write!(f, "{k}")?;
        }
        if let Some(first) = self.0.first() {
            write!(f, " -> {first}")?;
        }
        Ok(())
    }
}

struct FusedInto<'a>(&'a Option<Key>);

impl fmt::Display for FusedInto<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(k) => write!(f, ", fused into {k}"),
            None => Ok(()),
        }
    }
}
