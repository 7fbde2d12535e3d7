//! The scheduler conformance suite, and the registered operations it uses.
//!
//! Every scheduler crate runs the whole suite against itself with one line:
//!
//! ```no_run
//! # use dask_graph::SyncScheduler as MyScheduler;
//! // In a scheduler crate's `tests/conformance.rs`:
//! dask_graph::conformance_tests!(std::sync::Arc::new(MyScheduler));
//! # fn main() {}
//! ```
//!
//! which expands to one `#[test]` per case, so a failure names the case. Schedulers that
//! cannot run closures in tasks (a process pool) pass `local_ops = false` to skip the
//! cases that need them. The operations are registered (they run in worker processes
//! too) and the counters they bump are keyed by a fresh token per case, so cases can run
//! in parallel in one test binary.

// The cases are assertions: a panic is how they report a failure.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::{
    Arg, Args, Callback, Error, Graph, Key, Layer, OpResult, Optimizations, Plan, Scheduler, Value,
    compute_with, register_op,
};

/// A scheduler under test, shareable so that tasks can capture it.
pub type SchedulerRef = Arc<dyn Scheduler>;

// ---------------------------------------------------------------------------------------
// Registered test operations.

/// The sum of the `i64` arguments from position `from` on; overflow is an error.
fn sum_from(args: &Args, from: usize) -> Result<i64, crate::BoxError> {
    let mut sum = 0i64;
    for i in from..args.len() {
        sum = sum
            .checked_add(*args.get::<i64>(i)?)
            .ok_or("integer overflow in a sum")?;
    }
    Ok(sum)
}

fn add(args: Args) -> OpResult {
    Ok(Value::new(sum_from(&args, 0)?))
}

register_op!(
    /// `testing.add`: the sum of its `i64` arguments.
    pub ADD = "testing.add" => add
);

register_op!(
    /// `testing.inc`: its `i64` argument plus one; marked cheap, so `inline` folds it.
    pub INC = "testing.inc" => |a: Args| {
        let x = *a.get::<i64>(0)?;
        Ok(Value::new(x.checked_add(1).ok_or("integer overflow")?))
    },
    cheap
);

fn fail(args: Args) -> OpResult {
    let why = args
        .get::<String>(0)
        .map(|s| s.as_str())
        .unwrap_or("deliberate failure");
    Err(why.to_string().into())
}

register_op!(
    /// `testing.fail`: fails with its first argument (a `String`) as the message.
    pub FAIL = "testing.fail" => fail
);

fn panics(_: Args) -> OpResult {
    panic!("deliberate panic in a task")
}

register_op!(
    /// `testing.panic`: panics.
    pub PANIC = "testing.panic" => panics
);

static COUNTERS: Mutex<Option<HashMap<u64, u64>>> = Mutex::new(None);
static LIVE: Mutex<Option<HashMap<u64, i64>>> = Mutex::new(None);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

/// A fresh token for [`COUNTED_ADD`] counters and [`TRACKED`] values.
pub fn fresh_token() -> u64 {
    NEXT_TOKEN.fetch_add(1, Ordering::Relaxed)
}

fn bump(map: &Mutex<Option<HashMap<u64, i64>>>, token: u64, by: i64) {
    let mut g = map.lock().unwrap_or_else(|p| p.into_inner());
    *g.get_or_insert_with(HashMap::new).entry(token).or_insert(0) += by;
}

/// How many times [`COUNTED_ADD`] ran with `token`.
pub fn count(token: u64) -> u64 {
    let g = COUNTERS.lock().unwrap_or_else(|p| p.into_inner());
    g.as_ref().and_then(|m| m.get(&token).copied()).unwrap_or(0)
}

/// How many [`Tracked`] values made with `token` are alive.
pub fn live(token: u64) -> i64 {
    let g = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    g.as_ref().and_then(|m| m.get(&token).copied()).unwrap_or(0)
}

fn counted_add(args: Args) -> OpResult {
    let token = *args.get::<u64>(0)?;
    {
        let mut g = COUNTERS.lock().unwrap_or_else(|p| p.into_inner());
        *g.get_or_insert_with(HashMap::new).entry(token).or_insert(0) += 1;
    }
    Ok(Value::new(sum_from(&args, 1)?))
}

register_op!(
    /// `testing.counted_add`: counts a run under its first argument (a `u64` token),
    /// returns the sum of the other (`i64`) arguments.
    pub COUNTED_ADD = "testing.counted_add" => counted_add
);

/// A value that counts itself alive under a token (see [`live`]).
#[derive(Debug)]
pub struct Tracked {
    token: u64,
    /// Some payload.
    pub payload: Vec<u8>,
}

impl Tracked {
    /// A new live value for `token`.
    pub fn new(token: u64, size: usize) -> Tracked {
        bump(&LIVE, token, 1);
        Tracked {
            token,
            payload: vec![7; size],
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        bump(&LIVE, self.token, -1);
    }
}

impl crate::Data for Tracked {
    fn nbytes(&self) -> usize {
        self.payload.len() + std::mem::size_of::<Self>()
    }
}

// It crosses process boundaries as (token, payload length); decoding makes a new live
// value in the receiving process.
crate::register_codec!(
    Tracked,
    "testing.tracked",
    |v: &Value, out: &mut Vec<u8>| {
        let t = v.get::<Tracked>()?;
        out.extend_from_slice(&t.token.to_le_bytes());
        out.extend_from_slice(&(t.payload.len() as u64).to_le_bytes());
        Ok(())
    },
    |bytes: &[u8]| {
        let word = |i: usize| -> Result<u64, crate::BoxError> {
            let b: [u8; 8] = bytes
                .get(i..i + 8)
                .and_then(|s| s.try_into().ok())
                .ok_or("a Tracked encoding is 16 bytes")?;
            Ok(u64::from_le_bytes(b))
        };
        Ok(Value::new(Tracked::new(word(0)?, word(8)? as usize)))
    }
);

register_op!(
    /// `testing.tracked`: a [`Tracked`] value for the `u64` token in argument 0.
    pub TRACKED = "testing.tracked" => |a: Args| Ok(Value::new(Tracked::new(*a.get::<u64>(0)?, 1024)))
);

register_op!(
    /// `testing.consume`: checks argument 0 is a [`Tracked`] and returns `1i64`.
    pub CONSUME = "testing.consume" => |a: Args| {
        a.get::<Tracked>(0)?;
        Ok(Value::new(1i64))
    }
);

register_op!(
    /// `testing.live`: the number of live [`Tracked`] values for the token in argument 0
    /// (other arguments only order it after its dependencies).
    pub LIVE_COUNT = "testing.live" => |a: Args| Ok(Value::new(live(*a.get::<u64>(0)?)))
);

/// The median of `runs` timings of `f` (after one untimed run when `warm_up`); what `f`
/// returns is dropped outside the timed region. The benchmarks' report modes use it.
pub fn median_time<R>(runs: usize, warm_up: bool, mut f: impl FnMut() -> R) -> Duration {
    if warm_up {
        drop(std::hint::black_box(f()));
    }
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t0 = std::time::Instant::now();
            let out = std::hint::black_box(f());
            let elapsed = t0.elapsed();
            drop(out);
            elapsed
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

/// The report modes of the workspace's end-to-end benchmarks (`cargo xtask bench`):
/// each row measured in a child process of its own, so that its peak memory is its own.
///
/// The parent runs its own executable again with `--workload NAME --engine ENGINE`
/// ([`measure_in_child`]); the child ([`child_request`] finds the pair) times the
/// workload with [`time_and_report`], which prints a `result SECONDS PEAK_MIB` line.
/// Linux only: the peak resident set size is `VmHWM`, reset through
/// `/proc/self/clear_refs`.
pub mod report {
    use std::path::Path;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    /// A benchmark harness's error.
    pub type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

    /// The line a child prints before its seconds and peak MiB.
    const CHILD_RESULT: &str = "result";

    /// Timed runs after the first one; the median is reported.
    pub const RUNS: usize = 3;

    /// A first run longer than this is the only one.
    pub const SINGLE_RUN_ABOVE: Duration = Duration::from_secs(20);

    /// Whether `DASK_BENCH_REPORT` asks for the plain report instead of criterion.
    pub fn report_mode() -> bool {
        std::env::var("DASK_BENCH_REPORT").is_ok_and(|v| !v.is_empty() && v != "0")
    }

    /// Seconds and peak MiB of `workload` on `engine`, from a child process running `exe`.
    pub fn measure_in_child(exe: &Path, workload: &str, engine: &str) -> BoxResult<(f64, f64)> {
        let output = Command::new(exe)
            .args(["--workload", workload, "--engine", engine])
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()?;
        if !output.status.success() {
            return Err(format!("{workload} on {engine}: child {}", output.status).into());
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        parse_child_result(&stdout).ok_or_else(|| {
            format!("{workload} on {engine}: no `{CHILD_RESULT} seconds mib` line in {stdout:?}")
                .into()
        })
    }

    /// The `(seconds, peak MiB)` of a child's `result SECONDS MIB` line.
    pub fn parse_child_result(stdout: &str) -> Option<(f64, f64)> {
        stdout.lines().find_map(|line| {
            let mut fields = line.split_whitespace();
            if fields.next()? != CHILD_RESULT {
                return None;
            }
            let seconds = fields.next()?.parse().ok()?;
            let peak = fields.next()?.parse().ok()?;
            Some((seconds, peak))
        })
    }

    /// The workload and engine names of `--workload NAME --engine ENGINE`, if given.
    pub fn child_request(args: &[String]) -> Option<(&str, &str)> {
        let value = |flag: &str| {
            let at = args.iter().position(|a| a == flag)?;
            args.get(at + 1).map(String::as_str)
        };
        Some((value("--workload")?, value("--engine")?))
    }

    /// Runs `run` once; if that took at most [`SINGLE_RUN_ABOVE`], takes the median of
    /// [`RUNS`] more. Prints the `result` line with the time and the peak resident set
    /// size over the timed runs.
    pub fn time_and_report<R>(mut run: impl FnMut() -> R) -> BoxResult<()> {
        reset_peak_rss()?;
        let mut time = super::median_time(1, false, &mut run);
        if time <= SINGLE_RUN_ABOVE {
            reset_peak_rss()?;
            time = super::median_time(RUNS, false, &mut run);
        }
        let peak = peak_rss_mib()?;
        println!("{CHILD_RESULT} {:.6} {peak:.1}", time.as_secs_f64());
        Ok(())
    }

    /// Sets this process's peak resident set size (`VmHWM`) to its current one.
    pub fn reset_peak_rss() -> BoxResult<()> {
        std::fs::write("/proc/self/clear_refs", "5").map_err(|e| {
            format!("resetting the peak RSS through /proc/self/clear_refs: {e}").into()
        })
    }

    /// This process's peak resident set size in MiB, from `/proc/self/status`.
    pub fn peak_rss_mib() -> BoxResult<f64> {
        let status = std::fs::read_to_string("/proc/self/status")?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|n| n.trim().parse::<f64>().ok())
            .ok_or("no `VmHWM: N kB` line in /proc/self/status")?;
        Ok(kib / 1024.0)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn child_lines_and_requests_parse() {
            assert_eq!(
                parse_child_result("noise\nresult 1.5 20.25\n"),
                Some((1.5, 20.25))
            );
            assert_eq!(parse_child_result("result x 2"), None);
            let args: Vec<String> = ["--engine", "e", "--workload", "w"]
                .map(String::from)
                .to_vec();
            assert_eq!(child_request(&args), Some(("w", "e")));
            assert_eq!(child_request(&args[..2]), None);
            assert!(peak_rss_mib().unwrap() > 0.0);
        }
    }
}

/// `iterations` steps of a floating-point recurrence the compiler cannot skip: a
/// CPU-bound task for benchmarks.
pub fn spin(iterations: u64) -> f64 {
    let mut x = 1.0f64;
    for i in 0..iterations {
        x = std::hint::black_box(x * 1.000_000_1 + (i & 7) as f64 * 1e-9);
    }
    x
}

/// Iterations of [`spin`] that take about `target` on this machine (measured now).
pub fn spin_iterations_for(target: Duration) -> u64 {
    let probe = 2_000_000u64;
    let t0 = std::time::Instant::now();
    std::hint::black_box(spin(probe));
    let per_iter = t0.elapsed().as_secs_f64() / probe as f64;
    (target.as_secs_f64() / per_iter.max(1e-12)) as u64
}

register_op!(
    /// `testing.spin`: [`spin`] for the `u64` number of iterations in argument 0.
    pub SPIN = "testing.spin" => |a: Args| Ok(Value::new(spin(*a.get::<u64>(0)?)))
);

register_op!(
    /// `testing.fsum`: the sum of its `f64` arguments.
    pub FSUM = "testing.fsum" => |a: Args| Ok(Value::new(a.all::<f64>()?.into_iter().sum::<f64>()))
);

/// `tasks` CPU-bound [`SPIN`] tasks of `iterations` each, summed by one [`FSUM`] task
/// named `cpu-total`.
pub fn cpu_graph(tasks: u32, iterations: u64) -> (Graph, Key) {
    let mut l = Layer::new("cpu");
    for i in 0..tasks {
        l.task(
            Key::with_index("spin", [i]),
            &SPIN,
            vec![Arg::Literal(Value::new(iterations))],
        );
    }
    let inputs = (0..tasks)
        .map(|i| Arg::Key(Key::with_index("spin", [i])))
        .collect();
    l.task("cpu-total", &FSUM, inputs);
    (Graph::from_layers([l]), Key::new("cpu-total"))
}

// ---------------------------------------------------------------------------------------
// Helpers.

/// A key argument.
pub fn k(name: &str) -> Arg {
    Arg::Key(Key::new(name))
}

/// An `i64` literal argument.
pub fn lit(x: i64) -> Arg {
    Arg::Literal(Value::new(x))
}

/// A `u64` token literal argument.
pub fn tok(t: u64) -> Arg {
    Arg::Literal(Value::new(t))
}

/// The `i64` inside a result.
pub fn as_i64(v: &Value) -> i64 {
    *v.downcast_ref::<i64>()
        .unwrap_or_else(|| panic!("expected an i64 result, got {v:?}"))
}

/// Every combination of the three optimizations.
pub fn all_optimizations() -> Vec<Optimizations> {
    let mut out = Vec::new();
    for bits in 0..8u8 {
        out.push(Optimizations {
            cull: bits & 1 != 0,
            inline: bits & 2 != 0,
            fuse: bits & 4 != 0,
        });
    }
    out
}

/// A recorded callback event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `start`, with the number of tasks.
    Start(usize),
    /// `pretask`.
    Pre(Key, usize),
    /// `posttask`.
    Post(Key, usize),
    /// `finish`.
    Finish(bool),
}

/// A callback that records every event.
#[derive(Default)]
pub struct Recorder {
    /// The events, in the order they fired.
    pub events: Mutex<Vec<Event>>,
    /// The `nbytes` reported by `posttask`, by key.
    pub nbytes: Mutex<HashMap<Key, usize>>,
}

impl Recorder {
    /// The events so far.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    fn push(&self, e: Event) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(e)
    }
}

impl Callback for Recorder {
    fn start(&self, plan: &Plan) {
        self.push(Event::Start(plan.len()))
    }
    fn pretask(&self, key: &Key, worker: usize) {
        self.push(Event::Pre(key.clone(), worker))
    }
    fn posttask(&self, key: &Key, worker: usize, _elapsed: Duration, nbytes: usize) {
        self.nbytes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone(), nbytes);
        self.push(Event::Post(key.clone(), worker))
    }
    fn finish(&self, ok: bool) {
        self.push(Event::Finish(ok))
    }
}

fn run(
    s: &SchedulerRef,
    g: &Graph,
    keys: &[&str],
    opts: &Optimizations,
) -> crate::Result<Vec<Value>> {
    let keys: Vec<Key> = keys.iter().map(|k| Key::new(*k)).collect();
    compute_with(g, &keys, s.as_ref(), opts, &())
}

/// A binary-tree sum over `leaves` data leaves `0..leaves`, the root named `total`.
pub fn tree_sum_graph(leaves: usize) -> Graph {
    let mut data = Layer::new(crate::tokenize("leaves", &leaves));
    let level: Vec<Key> = (0..leaves)
        .map(|i| {
            let key = Key::with_index("leaf", [i as u32]);
            data.data(key.clone(), Value::new(i as i64));
            key
        })
        .collect();
    let mut sums = Layer::new(crate::tokenize("sums", &leaves));
    if !level.is_empty() {
        binary_tree(&mut sums, "sum", level, &ADD, Key::new("total"));
    }
    Graph::from_layers([data, sums])
}

/// A binary tree sum over `leaves` leaf *tasks* — the benchmarks' no-op workload;
/// returns the graph and its root key.
///
/// Leaf `i` is `add(i)` (a task with a literal argument, not a data node); level `d`
/// holds the pairwise sums of level `d - 1` (an odd one out moves up unchanged, so there
/// are exactly `leaves - 1` sums and [`tree_tasks`]`(leaves)` tasks in all). Keys are
/// `('leaf', 0, i)` and `('sum', d, i)`, built from shared name allocations. The root
/// computes [`tree_total`]`(leaves)`.
pub fn task_tree(leaves: usize) -> (Graph, Key) {
    assert!(leaves >= 2, "a tree needs at least two leaves");
    let leaf_name: Arc<str> = Arc::from("leaf");
    let sum_name: Arc<str> = Arc::from("sum");
    let mut leaf_layer = Layer::with_capacity("tree-leaves", leaves);
    let mut level: Vec<Key> = (0..leaves)
        .map(|i| {
            let key = Key::block(&leaf_name, &[0, i as u32]);
            leaf_layer.task(key.clone(), &ADD, vec![Arg::Literal(Value::new(i as i64))]);
            key
        })
        .collect();
    let mut sum_layer = Layer::with_capacity("tree-sums", leaves - 1);
    let mut depth = 0u32;
    while level.len() > 1 {
        depth += 1;
        let mut next = Vec::with_capacity(level.len().div_ceil(2));
        for (i, pair) in level.chunks(2).enumerate() {
            if let [odd] = pair {
                // An odd one out moves up a level unchanged: no single-argument sums.
                next.push(odd.clone());
            } else {
                let key = Key::block(&sum_name, &[depth, i as u32]);
                let args = pair.iter().map(|k| Arg::Key(k.clone())).collect();
                sum_layer.task(key.clone(), &ADD, args);
                next.push(key);
            }
        }
        level = next;
    }
    let root = level.pop().expect("at least two leaves");
    (Graph::from_layers([leaf_layer, sum_layer]), root)
}

/// Number of tasks of [`task_tree`]`(leaves)`.
pub fn tree_tasks(leaves: usize) -> usize {
    2 * leaves - 1
}

/// The value the root of [`task_tree`]`(leaves)` computes: `0 + 1 + ... + (leaves - 1)`.
pub fn tree_total(leaves: usize) -> i64 {
    let n = leaves as i64;
    n * (n - 1) / 2
}

/// A linear chain of `n` tasks (`c0 = add(1)`, `ci = add(c(i-1), 1)`); returns the
/// graph and the last key, whose value is `n`.
pub fn chain_graph(n: u32) -> (Graph, Key) {
    let name: Arc<str> = Arc::from("chain");
    let mut layer = Layer::with_capacity("chain", n as usize);
    let mut prev = Key::block(&name, &[0]);
    layer.task(prev.clone(), &ADD, vec![Arg::Literal(Value::new(1i64))]);
    for i in 1..n {
        let key = Key::block(&name, &[i]);
        layer.task(
            key.clone(),
            &ADD,
            vec![Arg::Key(prev), Arg::Literal(Value::new(1i64))],
        );
        prev = key;
    }
    (Graph::from_layers([layer]), prev)
}

/// Adds to `layer` a binary tree of `op` over the keys `level` (at least one): pairs
/// are combined level by level (an odd key out gets a one-argument task), inner nodes
/// are the block keys `(name, depth, i)`, and the top is `root` (an alias when `level`
/// has a single key).
pub fn binary_tree(
    layer: &mut Layer,
    name: &str,
    mut level: Vec<Key>,
    op: &'static crate::RegisteredOp,
    root: Key,
) {
    let name: Arc<str> = Arc::from(name);
    if level.len() == 1 {
        layer.alias(root, level[0].clone());
        return;
    }
    let mut depth = 0u32;
    while level.len() > 1 {
        depth += 1;
        let last = level.len() <= 2;
        level = level
            .chunks(2)
            .enumerate()
            .map(|(i, pair)| {
                let key = if last {
                    root.clone()
                } else {
                    Key::block(&name, &[depth, i as u32])
                };
                layer.task(
                    key.clone(),
                    op,
                    pair.iter().cloned().map(Arg::Key).collect(),
                );
                key
            })
            .collect();
    }
}

// ---------------------------------------------------------------------------------------
// The cases.

/// Requested keys of every kind: tasks, data, aliases, a key requested together with one
/// of its own dependencies, and the same key twice — under every optimization setting.
pub fn computes_requested_keys(s: &SchedulerRef) {
    let mut l = Layer::new("mixed");
    l.data("a", Value::new(1i64))
        .data("b", Value::new(2i64))
        .task("c", &ADD, vec![k("a"), k("b")])
        .alias("d", "c")
        .task("e", &ADD, vec![k("d"), k("c"), lit(10)])
        .task("f", &ADD, vec![k("e"), k("e")]);
    let g = Graph::from_layers([l]);
    for opts in all_optimizations() {
        let out = run(s, &g, &["f", "a", "d", "e", "c", "f"], &opts).unwrap();
        let got: Vec<i64> = out.iter().map(as_i64).collect();
        assert_eq!(got, [32, 1, 3, 16, 3, 32], "{opts:?}");
        let out = run(s, &g, &["a"], &opts).unwrap();
        assert_eq!(as_i64(&out[0]), 1);
    }
}

/// A tree sum of 1,000 leaves equals `n(n-1)/2` under every optimization setting.
pub fn tree_sum_matches_reference(s: &SchedulerRef) {
    let g = tree_sum_graph(1000);
    for opts in all_optimizations() {
        let out = run(s, &g, &["total"], &opts).unwrap();
        assert_eq!(as_i64(&out[0]), 999 * 1000 / 2, "{opts:?}");
    }
}

/// An unknown requested key is an error naming it.
pub fn unknown_key_is_an_error(s: &SchedulerRef) {
    let g = tree_sum_graph(4);
    let err = run(s, &g, &["no-such-key"], &Optimizations::all()).unwrap_err();
    assert!(
        matches!(&err, Error::UnknownKey { key } if key.name() == "no-such-key"),
        "{err}"
    );
    assert!(err.to_string().contains("no-such-key"));
}

/// A missing dependency is reported, naming both keys, before any task runs.
pub fn missing_dependency_is_reported_before_running(s: &SchedulerRef) {
    let t = fresh_token();
    let mut l = Layer::new("l");
    l.task("ok", &COUNTED_ADD, vec![tok(t), lit(1)]).task(
        "bad",
        &COUNTED_ADD,
        vec![tok(t), k("ok"), k("ghost")],
    );
    let g = Graph::from_layers([l]);
    for opts in all_optimizations() {
        let err = run(s, &g, &["bad"], &opts).unwrap_err();
        match &err {
            Error::MissingDependency { dependent, missing } => {
                assert_eq!(dependent.name(), "bad");
                assert_eq!(missing.name(), "ghost");
            }
            other => panic!("expected a missing dependency, got {other}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("bad") && msg.contains("ghost"), "{msg}");
    }
    assert_eq!(count(t), 0, "no task may run");
}

/// A cycle is reported, naming the keys on it, before any task runs.
pub fn cycle_is_reported_before_running(s: &SchedulerRef) {
    let t = fresh_token();
    let mut l = Layer::new("l");
    l.task("start", &COUNTED_ADD, vec![tok(t), lit(1)])
        .task("x", &COUNTED_ADD, vec![tok(t), k("start"), k("z")])
        .task("y", &COUNTED_ADD, vec![tok(t), k("x")])
        .task("z", &COUNTED_ADD, vec![tok(t), k("y")])
        .task("out", &COUNTED_ADD, vec![tok(t), k("z")]);
    let g = Graph::from_layers([l]);
    for opts in all_optimizations() {
        let err = run(s, &g, &["out"], &opts).unwrap_err();
        match &err {
            Error::Cycle { keys } => {
                let mut names: Vec<&str> = keys.iter().map(|k| k.name()).collect();
                names.sort_unstable();
                assert_eq!(names, ["x", "y", "z"], "{err}");
            }
            other => panic!("expected a cycle, got {other}"),
        }
    }
    assert!(g.validate().is_err());
    assert_eq!(count(t), 0, "no task may run");
}

/// A failing task: the error names its key, operation and cause; `finish(false)` fires.
pub fn failing_task_is_reported(s: &SchedulerRef) {
    let mut l = Layer::new("l");
    l.data("a", Value::new(1i64))
        .task(
            "boom",
            &crate::testing::FAIL,
            vec![
                Arg::Literal(Value::new(String::from("disk on fire"))),
                k("a"),
            ],
        )
        .task("after", &ADD, vec![k("boom")]);
    let g = Graph::from_layers([l]);
    for opts in all_optimizations() {
        let rec = Recorder::default();
        let err = compute_with(&g, &[Key::new("after")], s.as_ref(), &opts, &rec).unwrap_err();
        match &err {
            Error::TaskFailed {
                key, op, source, ..
            } => {
                assert_eq!(key.name(), "boom");
                assert_eq!(op, "testing.fail");
                assert_eq!(source.to_string(), "disk on fire");
            }
            other => panic!("expected a task failure, got {other}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains("boom") && msg.contains("testing.fail") && msg.contains("disk on fire")
        );
        assert!(
            std::error::Error::source(&err).is_some(),
            "the cause is chained"
        );
        let events = rec.events();
        assert_eq!(events.last(), Some(&Event::Finish(false)), "{opts:?}");
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::Post(k, _) if k.name() == "after"))
        );
    }
}

/// A panicking task becomes an error naming it; the scheduler stays usable.
pub fn panicking_task_is_reported(s: &SchedulerRef) {
    let mut l = Layer::new("l");
    l.task("kaboom", &PANIC, vec![])
        .task("after", &ADD, vec![k("kaboom")]);
    let g = Graph::from_layers([l]);
    for opts in all_optimizations() {
        let err = run(s, &g, &["after"], &opts).unwrap_err();
        match &err {
            Error::TaskPanicked {
                key, op, message, ..
            } => {
                assert_eq!(key.name(), "kaboom");
                assert_eq!(op, "testing.panic");
                assert!(message.contains("deliberate panic"), "{message}");
            }
            other => panic!("expected a panic report, got {other}"),
        }
    }
    // Still usable.
    let out = run(s, &tree_sum_graph(100), &["total"], &Optimizations::all()).unwrap();
    assert_eq!(as_i64(&out[0]), 4950);
}

/// A step that fails inside a fused chain is named by its own key.
pub fn fused_failure_names_the_original_key(s: &SchedulerRef) {
    let mut l = Layer::new("l");
    l.task("c0", &ADD, vec![lit(1)])
        .task("c1", &ADD, vec![k("c0")])
        .task(
            "c2",
            &ADD,
            vec![k("c1"), Arg::Literal(Value::new(String::from("oops")))],
        )
        .task("c3", &ADD, vec![k("c2")]);
    let g = Graph::from_layers([l]);
    for opts in all_optimizations() {
        let err = run(s, &g, &["c3"], &opts).unwrap_err();
        match &err {
            Error::TaskFailed { key, source, .. } => {
                assert_eq!(key.name(), "c2", "{opts:?}");
                let cause = source.to_string();
                assert!(
                    cause.contains("argument 1")
                        && cause.contains("i64")
                        && cause.contains("String"),
                    "{cause}"
                );
            }
            other => panic!("expected a task failure, got {other}"),
        }
    }
}

/// After the first failure no new task starts: the failing task's dependents never
/// run, and independent work ordered after it is abandoned.
pub fn no_task_starts_after_a_failure(s: &SchedulerRef) {
    let t_dep = fresh_token();
    let t_ind = fresh_token();
    let mut l = Layer::new("l");
    // The failing task heads the longest chain, so every order runs it first.
    l.task("fail", &FAIL, vec![]);
    let mut prev = Key::new("fail");
    for i in 0..2000u32 {
        let key = Key::with_index("after-fail", [i]);
        l.task(key.clone(), &COUNTED_ADD, vec![tok(t_dep), Arg::Key(prev)]);
        prev = key;
    }
    let mut keys = vec![prev];
    for c in 0..10u32 {
        let mut p = Key::with_index("indep", [c, 0]);
        l.task(p.clone(), &COUNTED_ADD, vec![tok(t_ind), lit(1)]);
        for i in 1..1000u32 {
            let key = Key::with_index("indep", [c, i]);
            l.task(key.clone(), &COUNTED_ADD, vec![tok(t_ind), Arg::Key(p)]);
            p = key;
        }
        keys.push(p);
    }
    let g = Graph::from_layers([l]);
    let rec = Recorder::default();
    let err = compute_with(&g, &keys, s.as_ref(), &Optimizations::cull_only(), &rec).unwrap_err();
    assert!(
        matches!(&err, Error::TaskFailed { key, .. } if key.name() == "fail"),
        "{err}"
    );
    assert_eq!(
        count(t_dep),
        0,
        "dependents of a failed task must never run"
    );
    assert!(
        count(t_ind) < 10_000,
        "the scheduler kept running independent tasks after the failure"
    );
    assert_eq!(rec.events().last(), Some(&Event::Finish(false)));
}

/// An unrequested result is dropped as soon as its last dependent has finished; a
/// requested one is kept and returned.
pub fn results_are_released_after_their_last_dependent(s: &SchedulerRef) {
    for opts in all_optimizations() {
        let t = fresh_token();
        let mut l = Layer::new("l");
        l.task("t", &TRACKED, vec![tok(t)])
            .task("u", &CONSUME, vec![k("t")])
            .task("p", &LIVE_COUNT, vec![tok(t), k("u")]);
        let g = Graph::from_layers([l]);
        let out = run(s, &g, &["p"], &opts).unwrap();
        assert_eq!(
            as_i64(&out[0]),
            0,
            "t must be dropped once u finished ({opts:?})"
        );
        assert_eq!(live(t), 0);

        let t = fresh_token();
        let mut l = Layer::new("l");
        l.task("t", &TRACKED, vec![tok(t)])
            .task("u", &CONSUME, vec![k("t")])
            .task("p", &LIVE_COUNT, vec![tok(t), k("u")]);
        let g = Graph::from_layers([l]);
        // A requested result is kept (it may be spilled, or held in another process,
        // so its liveness is checked where it is returned).
        let out = run(s, &g, &["p", "t"], &opts).unwrap();
        assert!(out[1].is::<Tracked>(), "{opts:?}");
        drop(out);
        assert_eq!(live(t), 0, "nothing else holds it");
    }
}

/// `start` first, `finish(true)` last, and for each task exactly one `pretask` followed
/// later by exactly one `posttask` on the same worker.
pub fn callbacks_fire_once_per_task(s: &SchedulerRef) {
    let g = tree_sum_graph(64);
    for opts in [Optimizations::none(), Optimizations::all()] {
        let plan = Plan::build(&g, &[Key::new("total")], &opts).unwrap();
        let rec = Recorder::default();
        let out = s.execute(&plan, &rec).unwrap();
        assert_eq!(as_i64(&out[0]), 63 * 64 / 2);
        let events = rec.events();
        assert_eq!(events.first(), Some(&Event::Start(plan.len())));
        assert_eq!(events.last(), Some(&Event::Finish(true)));
        let mut pre: HashMap<Key, (usize, usize)> = HashMap::new();
        let mut post: HashMap<Key, (usize, usize)> = HashMap::new();
        for (i, e) in events.iter().enumerate() {
            match e {
                Event::Pre(k, w) => assert!(
                    pre.insert(k.clone(), (i, *w)).is_none(),
                    "two pretasks for {k}"
                ),
                Event::Post(k, w) => assert!(
                    post.insert(k.clone(), (i, *w)).is_none(),
                    "two posttasks for {k}"
                ),
                _ => {}
            }
        }
        assert_eq!(pre.len(), plan.len());
        assert_eq!(post.len(), plan.len());
        for (k, (i, w)) in &pre {
            let (j, w2) = post[k];
            assert!(*i < j, "pretask before posttask for {k}");
            assert_eq!(*w, w2, "same worker for {k}");
        }
        let nbytes = rec.nbytes.lock().unwrap_or_else(|p| p.into_inner());
        assert_eq!(
            nbytes.get(&Key::new("total")),
            Some(&8),
            "posttask reports the i64's size"
        );
    }
}

/// A 10,000-task chain runs (fused or not) without overflowing the stack.
pub fn long_chain_runs(s: &SchedulerRef) {
    let n = 10_000u32;
    let mut l = Layer::with_capacity("chain", n as usize);
    let name: Arc<str> = Arc::from("chain");
    l.task(Key::block(&name, &[0]), &ADD, vec![lit(1)]);
    for i in 1..n {
        l.task(
            Key::block(&name, &[i]),
            &ADD,
            vec![Arg::Key(Key::block(&name, &[i - 1])), lit(1)],
        );
    }
    // A second chain of cheap operations, which `inline` folds step by step.
    let cheap: Arc<str> = Arc::from("cheap-chain");
    l.task(Key::block(&cheap, &[0]), &ADD, vec![lit(1)]);
    for i in 1..n {
        l.task(
            Key::block(&cheap, &[i]),
            &INC,
            vec![Arg::Key(Key::block(&cheap, &[i - 1]))],
        );
    }
    l.task(
        "both",
        &ADD,
        vec![
            Arg::Key(Key::block(&name, &[n - 1])),
            Arg::Key(Key::block(&cheap, &[n - 1])),
        ],
    );
    let g = Graph::from_layers([l]);
    let last = Key::new("both");
    for opts in all_optimizations() {
        // Run on a thread with a small stack: recursion over the chain would overflow.
        let s2 = Arc::clone(s);
        let g2 = g.clone();
        let last2 = last.clone();
        let out = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || compute_with(&g2, &[last2], s2.as_ref(), &opts, &()))
            .expect("spawn a test thread")
            .join()
            .expect("no panic")
            .unwrap();
        assert_eq!(as_i64(&out[0]), 2 * n as i64, "{opts:?}");
    }
}

/// A task that itself computes a graph on the same scheduler completes.
pub fn nested_compute_completes(s: &SchedulerRef) {
    let mut l = Layer::new("outer");
    for i in 0..4i64 {
        let inner_s = Arc::clone(s);
        let op = crate::Op::local("nested", move |_a| {
            let g = tree_sum_graph(10 + i as usize);
            let out = crate::compute(&g, &[Key::new("total")], inner_s.as_ref())?;
            Ok(out[0].clone())
        });
        l.task(Key::with_index("inner", [i as u32]), op, vec![]);
    }
    l.task(
        "outer-total",
        &ADD,
        (0..4u32)
            .map(|i| Arg::Key(Key::with_index("inner", [i])))
            .collect(),
    );
    let g = Graph::from_layers([l]);
    let out = run(s, &g, &["outer-total"], &Optimizations::all()).unwrap();
    let expect: i64 = (0..4)
        .map(|i| {
            let n = 10 + i;
            n * (n - 1) / 2
        })
        .sum();
    assert_eq!(as_i64(&out[0]), expect);
}

/// For schedulers that cannot run closures: a graph containing one is refused before any
/// task runs, with an [`Error::Unsupported`] naming the task.
pub fn refuses_local_ops_up_front(s: &SchedulerRef) {
    let t = fresh_token();
    let mut l = Layer::new("l");
    l.task("first", &COUNTED_ADD, vec![tok(t), lit(1)])
        .task(
            "closure",
            crate::Op::local("a-closure", |a| Ok(a.value(0)?.clone())),
            vec![k("first")],
        )
        .task("last", &COUNTED_ADD, vec![tok(t), k("closure")]);
    let g = Graph::from_layers([l]);
    for opts in all_optimizations() {
        let err = run(s, &g, &["last"], &opts).unwrap_err();
        match &err {
            Error::Unsupported { key, .. } => assert_eq!(key.name(), "closure", "{opts:?}"),
            other => panic!("expected the closure to be refused, got {other}"),
        }
        assert!(err.to_string().contains("closure"));
    }
    assert_eq!(count(t), 0, "no task may run");
}

/// Not in [`conformance_tests!`] (several workers legitimately interleave): a scheduler
/// that runs one task at a time must start tasks exactly in [`Plan::order`].
pub fn runs_in_priority_order(s: &SchedulerRef) {
    let g = tree_sum_graph(300);
    for opts in [Optimizations::none(), Optimizations::all()] {
        let plan = Plan::build(&g, &[Key::new("total")], &opts).unwrap();
        let rec = Recorder::default();
        s.execute(&plan, &rec).unwrap();
        let ran: Vec<Key> = rec
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::Pre(k, _) => Some(k),
                _ => None,
            })
            .collect();
        let expected: Vec<Key> = plan.order().iter().map(|&i| plan.key(i).clone()).collect();
        assert_eq!(ran, expected, "{opts:?}");
    }
}

/// Expands to one `#[test]` per conformance case for the scheduler built by `$make`
/// (an expression giving something that converts into `Arc<dyn Scheduler>`).
///
/// `local_ops = false` is for schedulers that cannot run closures: it skips the cases
/// that need them and checks instead that such graphs are refused up front.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!($make, local_ops = true);
    };
    ($make:expr, local_ops = true) => {
        $crate::conformance_tests!(@common $make; nested_compute_completes);
    };
    ($make:expr, local_ops = false) => {
        $crate::conformance_tests!(@common $make; refuses_local_ops_up_front);
    };
    (@common $make:expr; $($extra:ident),*) => {
        $crate::conformance_tests!(@cases $make;
            computes_requested_keys,
            tree_sum_matches_reference,
            unknown_key_is_an_error,
            missing_dependency_is_reported_before_running,
            cycle_is_reported_before_running,
            failing_task_is_reported,
            panicking_task_is_reported,
            fused_failure_names_the_original_key,
            no_task_starts_after_a_failure,
            results_are_released_after_their_last_dependent,
            callbacks_fire_once_per_task,
            long_chain_runs
            $(, $extra)*
        );
    };
    (@cases $make:expr; $($case:ident),*) => {
        $(
            #[test]
            fn $case() {
                let s: $crate::testing::SchedulerRef = $make;
                $crate::testing::$case(&s);
            }
        )*
    };
}
