//! Tasks in a form that crosses process and machine boundaries.
//!
//! A [`WireTask`] names its operations (which must be registered) and carries its
//! literals encoded by their codecs, so it can be serialized with serde, sent to another
//! process running the same binary, and rebuilt there with [`WireTask::compile`] into a
//! [`RemoteTask`] that runs exactly like [`Plan::run_task`](crate::Plan::run_task) —
//! same steps, same hand-over of last uses, same error messages naming the key.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::key::Key;
use crate::op::Op;
use crate::program::{PArg, PStep, Program};
use crate::value::Value;

/// A value encoded by its codec, for the wire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireValue {
    /// The codec's registered name.
    pub codec: String,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
}

impl WireValue {
    /// Encodes `value`; an error names `key` (the task it belongs to) and the type when
    /// it has no codec.
    pub fn encode(value: &Value, key: &Key, scheduler: &str) -> Result<WireValue> {
        if !value.has_codec() {
            return Err(Error::Unsupported {
                scheduler: scheduler.to_string(),
                key: key.clone(),
                reason: format!(
                    "a value of type `{}` would have to cross a process boundary, and it has no codec (register one with `register_serde_codec!`)",
                    crate::short_type_name(value.type_name())
                ),
            });
        }
        let e = value.encode()?;
        Ok(WireValue {
            codec: e.codec,
            bytes: e.bytes,
        })
    }

    /// Decodes the value.
    pub fn decode(&self) -> Result<Value> {
        Value::decode(&self.codec, &self.bytes)
    }
}

/// An argument of a [`WireStep`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WireArg {
    /// The `i`-th input of the task; `last` if no later argument uses it.
    Dep {
        /// Position among the task's inputs.
        i: u32,
        /// Whether this is its last use.
        last: bool,
    },
    /// The result of an earlier step; `last` if no later argument uses it.
    Step {
        /// The step's position.
        j: u32,
        /// Whether this is its last use.
        last: bool,
    },
    /// An encoded literal.
    Literal(WireValue),
}

/// One operation call of a [`WireTask`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WireStep {
    /// The key the step computes (the task's own key for its last step).
    pub key: Key,
    /// The registered operation's name.
    pub op: String,
    /// Its arguments.
    pub args: Vec<WireArg>,
}

/// A task ready to be sent: a data value, or steps run in order (the last one's result is
/// the task's).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum WireTask {
    /// A data node.
    Data(Key, WireValue),
    /// Operation calls.
    Steps(Key, Vec<WireStep>),
}

impl WireTask {
    /// The task's key.
    pub fn key(&self) -> &Key {
        match self {
            WireTask::Data(k, _) | WireTask::Steps(k, _) => k,
        }
    }

    /// Rebuilds the task on the receiving side: looks up every operation by name and
    /// decodes the literals.
    pub fn compile(&self) -> Result<RemoteTask> {
        match self {
            WireTask::Data(key, v) => Ok(RemoteTask(Remote::Data(key.clone(), v.decode()?))),
            WireTask::Steps(key, steps) => {
                let steps = steps
                    .iter()
                    .map(|s| {
                        let op = Op::named(&s.op)?;
                        let args = s
                            .args
                            .iter()
                            .map(|a| {
                                Ok(match a {
                                    WireArg::Dep { i, last } => PArg::Dep { i: *i, last: *last },
                                    WireArg::Step { j, last } => PArg::Step { j: *j, last: *last },
                                    WireArg::Literal(v) => PArg::Literal(v.decode()?),
                                })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        Ok(PStep {
                            key: s.key.clone(),
                            op,
                            args,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                if steps.is_empty() {
                    return Err(Error::EmptyFused { key: key.clone() });
                }
                Ok(RemoteTask(Remote::Steps(key.clone(), Program { steps })))
            }
        }
    }
}

/// A [`WireTask`] rebuilt in the receiving process, ready to run.
#[derive(Debug)]
pub struct RemoteTask(Remote);

#[derive(Debug)]
enum Remote {
    Data(Key, Value),
    Steps(Key, Program),
}

impl RemoteTask {
    /// Runs the task on its input values (in dependency order), catching panics; errors
    /// name the key and operation like [`Plan::run_task`](crate::Plan::run_task)'s.
    pub fn run(&self, inputs: Vec<Value>) -> Result<Value> {
        match &self.0 {
            Remote::Data(_, v) => Ok(v.clone()),
            Remote::Steps(key, program) => program.run(key, inputs),
        }
    }

    /// The task's key.
    pub fn key(&self) -> &Key {
        match &self.0 {
            Remote::Data(k, _) | Remote::Steps(k, _) => k,
        }
    }
}

/// Converts program steps to wire steps.
pub(crate) fn wire_steps(steps: &[PStep], key: &Key, scheduler: &str) -> Result<Vec<WireStep>> {
    steps
        .iter()
        .map(|s| {
            if s.op.is_local() {
                return Err(closure_refused(scheduler, &s.key, &s.op));
            }
            let args = s
                .args
                .iter()
                .map(|a| {
                    Ok(match a {
                        PArg::Dep { i, last } => WireArg::Dep { i: *i, last: *last },
                        PArg::Step { j, last } => WireArg::Step { j: *j, last: *last },
                        PArg::Literal(v) => WireArg::Literal(WireValue::encode(v, key, scheduler)?),
                        PArg::Node(_) => unreachable!("plans are finalised"),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(WireStep {
                key: s.key.clone(),
                op: s.op.name().to_string(),
                args,
            })
        })
        .collect()
}

/// The error of a scheduler that cannot run the closure `op` of task `key`.
pub fn closure_refused(scheduler: &str, key: &Key, op: &Op) -> Error {
    Error::Unsupported {
        scheduler: scheduler.to_string(),
        key: key.clone(),
        reason: format!("operation `{}` is a closure", op.name()),
    }
}
