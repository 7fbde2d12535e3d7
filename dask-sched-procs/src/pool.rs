//! Starting, watching, replacing and stopping worker processes.
//!
//! Each worker is the current executable re-run with [`SERVER_ENV`] naming a one-shot
//! ipc-channel server. A watcher thread per child waits for it to exit: that reaps it
//! (no zombies), records how it ended (exit code or signal), and — if it dies before
//! connecting — connects to the server itself with a [`FromWorker::Died`] message, so
//! the handshake never hangs on a child that is gone.
//!
//! Workers ask the kernel to kill them when their parent dies (`PR_SET_PDEATHSIG`), so
//! none outlives the program even in the middle of a long task. The kernel sends that
//! signal when the *thread* that forked the child exits, not the process; children are
//! therefore always spawned by one process-wide spawner thread that lives as long as the
//! process ([`spawn_child`]), never by the thread that happens to compute — a pool
//! created on a short-lived thread (a test, a request handler) would otherwise see its
//! workers killed when that thread ends.

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use dask_graph::{Error, Result, registry_fingerprint};
use ipc_channel::ipc::{IpcOneShotServer, IpcReceiverSet, IpcSender};

use crate::SCHEDULER_NAME;
use crate::protocol::{FromWorker, ToWorker};
use crate::worker::{SERVER_ENV, WORKER_TEST};

/// How long a stopping worker gets before it is killed.
const GRACE: Duration = Duration::from_secs(2);
/// How long a new worker gets to connect before it is killed (and reported).
const HANDSHAKE: Duration = Duration::from_secs(30);

/// A started child process and its watcher.
struct Child {
    pid: u32,
    exited: mpsc::Receiver<String>,
    /// How it ended, once known.
    status: Option<String>,
    watcher: Option<JoinHandle<()>>,
}

/// One live worker process.
pub(crate) struct Worker {
    pub(crate) tx: IpcSender<ToWorker>,
    child: Child,
}

impl Worker {
    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.pid
    }
}

/// The worker processes of one scheduler.
pub(crate) struct Pool {
    /// The executable workers run (normally the current one).
    program: std::path::PathBuf,
    pub(crate) workers: Vec<Worker>,
    pub(crate) set: IpcReceiverSet,
    /// Receiver-set id → worker index.
    pub(crate) by_set_id: HashMap<u64, usize>,
}

pub(crate) fn scheduler_error(message: impl Into<String>) -> Error {
    Error::Scheduler {
        scheduler: SCHEDULER_NAME.to_string(),
        message: message.into(),
    }
}

impl Pool {
    /// Starts `n` workers.
    pub(crate) fn start(n: usize, program: std::path::PathBuf) -> Result<Pool> {
        let mut pool = Pool {
            program,
            workers: Vec::with_capacity(n),
            set: IpcReceiverSet::new()
                .map_err(|e| scheduler_error(format!("cannot create a receiver set: {e}")))?,
            by_set_id: HashMap::new(),
        };
        for index in 0..n {
            let worker = pool.spawn(index)?;
            pool.workers.push(worker);
        }
        Ok(pool)
    }

    /// Replaces worker `index` (which has died) with a fresh process.
    pub(crate) fn replace(&mut self, index: usize) -> Result<()> {
        let worker = self.spawn(index)?;
        let old = std::mem::replace(&mut self.workers[index], worker);
        stop(old);
        Ok(())
    }

    /// How worker `index` ended (waits a moment for its watcher).
    pub(crate) fn exit_status(&mut self, index: usize) -> String {
        let child = &mut self.workers[index].child;
        if child.status.is_none() {
            child.status = child.exited.recv_timeout(GRACE).ok();
        }
        child
            .status
            .clone()
            .unwrap_or_else(|| "its channel closed".to_string())
    }

    fn spawn(&mut self, index: usize) -> Result<Worker> {
        let (server, name) = IpcOneShotServer::<FromWorker>::new()
            .map_err(|e| scheduler_error(format!("cannot create a handshake server: {e}")))?;
        let exe = self.program.clone();
        let mut command = Command::new(&exe);
        // Ignored by programs (they enter worker mode first thing in `main`); selects
        // the worker test in test binaries.
        command
            .args([
                WORKER_TEST,
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(SERVER_ENV, &name)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let mut child = spawn_child(command).map_err(|e| {
            scheduler_error(format!(
                "cannot start worker process {index} ({}): {e}",
                exe.display()
            ))
        })?;
        let pid = child.id();
        let connected = Arc::new(AtomicBool::new(false));
        let (exit_tx, exited) = mpsc::channel();
        let watcher = {
            let connected = Arc::clone(&connected);
            let name = name.clone();
            std::thread::Builder::new()
                .name(format!("dask-procs-watch-{pid}"))
                .spawn(move || {
                    let status = describe(child.wait());
                    if !connected.load(Ordering::SeqCst)
                        && let Ok(tx) = IpcSender::<FromWorker>::connect(name)
                    {
                        let _ = tx.send(FromWorker::Died {
                            status: status.clone(),
                        });
                    }
                    let _ = exit_tx.send(status);
                })
                .map_err(|e| scheduler_error(format!("cannot start a watcher thread: {e}")))?
        };
        // A child that is alive but never connects is killed after HANDSHAKE; its watcher
        // then unblocks `accept` with the exit status.
        let (shook, deadline) = mpsc::channel::<()>();
        let timer = std::thread::Builder::new()
            .name(format!("dask-procs-handshake-{pid}"))
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = deadline.recv_timeout(HANDSHAKE) {
                    kill(pid);
                }
            })
            .map_err(|e| scheduler_error(format!("cannot start a timer thread: {e}")))?;
        let accepted = server.accept();
        connected.store(true, Ordering::SeqCst);
        drop(shook);
        let _ = timer.join();
        let child = Child {
            pid,
            exited,
            status: None,
            watcher: Some(watcher),
        };
        let (rx, hello) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                reap(child);
                return Err(scheduler_error(format!(
                    "worker process {index} (pid {pid}) did not complete the handshake: {e}"
                )));
            }
        };
        let worker = match hello {
            FromWorker::Hello {
                fingerprint, tx, ..
            } => {
                let worker = Worker { tx, child };
                let ours = registry_fingerprint();
                if fingerprint != ours {
                    stop(worker);
                    return Err(scheduler_error(format!(
                        "worker process {index} (pid {pid}) has a different operation and codec registry ({fingerprint}, ours {ours}): is {} the same build?",
                        exe.display()
                    )));
                }
                worker
            }
            FromWorker::Died { status } => {
                reap(child);
                return Err(scheduler_error(format!(
                    "worker process {index} (pid {pid}) exited before connecting ({status}); does `main` call `dask_sched_procs::worker_main_if_child()` first (or the test file invoke `dask_sched_procs::test_worker!()`)?"
                )));
            }
            other => {
                reap(child);
                return Err(scheduler_error(format!(
                    "worker process {index} (pid {pid}) sent {other:?} instead of a hello"
                )));
            }
        };
        let set_id = self
            .set
            .add(rx)
            .map_err(|e| scheduler_error(format!("cannot watch worker {index}: {e}")))?;
        self.by_set_id.insert(set_id, index);
        Ok(worker)
    }
}

/// Spawns `command` from the process-wide spawner thread (see the module notes), so the
/// child's parent-death signal fires when the process ends, not when the calling thread
/// does.
fn spawn_child(command: Command) -> std::io::Result<std::process::Child> {
    type Request = (Command, mpsc::Sender<std::io::Result<std::process::Child>>);
    static SPAWNER: std::sync::OnceLock<std::io::Result<std::sync::Mutex<mpsc::Sender<Request>>>> =
        std::sync::OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("dask-procs-spawner".into())
            .spawn(move || {
                // Lives as long as the process: the sender is in a static.
                for (mut command, reply) in rx {
                    let _ = reply.send(command.spawn());
                }
            })
            .map(|_| std::sync::Mutex::new(tx))
    });
    let spawner = spawner.as_ref().map_err(|e| {
        std::io::Error::new(e.kind(), format!("cannot start the spawner thread: {e}"))
    })?;
    let (reply, answer) = mpsc::channel();
    spawner
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send((command, reply))
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| std::io::Error::other("the spawner thread is gone"))?
}

/// Asks a worker to exit, then [`reap`]s it.
fn stop(worker: Worker) {
    let _ = worker.tx.send(ToWorker::Shutdown);
    reap(worker.child);
}

/// Waits [`GRACE`] for a child to exit, kills it if it has not, and joins its watcher
/// (which has waited for it, so no zombie is left).
fn reap(mut child: Child) {
    if child.status.is_none() && child.exited.recv_timeout(GRACE).is_err() {
        kill(child.pid);
    }
    if let Some(w) = child.watcher.take() {
        let _ = w.join();
    }
}

/// Sends SIGKILL to `pid`.
pub(crate) fn kill(pid: u32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for w in &self.workers {
            let _ = w.tx.send(ToWorker::Shutdown);
        }
        for w in self.workers.drain(..) {
            stop(w);
        }
    }
}

/// "exit code 3", "killed by signal 9 (SIGKILL)".
fn describe(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Err(e) => format!("could not be waited for: {e}"),
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(sig)) => format!("killed by signal {sig} ({})", signal_name(sig)),
            _ => format!("{s}"),
        },
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "signal",
    }
}
