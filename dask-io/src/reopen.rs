//! Formats that reopen themselves inside tasks, in any process.
//!
//! An open file handle cannot travel to a worker process, and a closure cannot either.
//! A built-in format therefore *describes* the file (its path and the header facts it
//! read once, serialized with postcard) and names a registered operation that reopens
//! the file from that description and reads or writes one part. The description is the
//! task's first argument, a plain byte vector, so the task runs unchanged on the
//! synchronous, threaded and process schedulers. Reopening costs microseconds against
//! the milliseconds of reading a block.

use dask_graph::{Arg, Args, BoxError, Node, Op, RegisteredOp, Task, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// How a task reopens a file in any process: a registered operation and the serialized
/// description it receives as its first argument.
#[derive(Clone, Debug)]
pub struct Reopen {
    /// The operation that reads or writes one part of the file.
    pub op: &'static RegisteredOp,
    /// Its first argument: the serialized description of the file.
    pub description: Vec<u8>,
}

impl Reopen {
    /// `op` reopening the file that `description` describes.
    pub fn new(op: &'static RegisteredOp, description: &impl Serialize) -> Result<Reopen> {
        Ok(Reopen {
            op,
            description: encode_description(description)?,
        })
    }

    /// The task `op(description, rest...)`.
    pub fn task(&self, rest: impl IntoIterator<Item = Arg>) -> Node {
        let mut args = vec![Arg::Literal(Value::new(self.description.clone()))];
        args.extend(rest);
        Node::Task(Task::new(Op::Registered(self.op), args))
    }
}

/// Postcard bytes of a description.
pub fn encode_description(description: &impl Serialize) -> Result<Vec<u8>> {
    postcard::to_stdvec(description).map_err(|source| Error::Description {
        action: "encoding",
        source,
    })
}

/// Decodes the description a reopening operation gets as its first argument.
pub fn description_arg<D: DeserializeOwned>(args: &Args) -> Result<D, BoxError> {
    let bytes = args.get::<Vec<u8>>(0)?;
    postcard::from_bytes(bytes).map_err(|source| {
        Error::Description {
            action: "decoding",
            source,
        }
        .into()
    })
}
