//! What the process scheduler promises beyond the conformance suite: crashes are
//! survived, a task that keeps killing workers is named, nothing is left running after
//! the scheduler is dropped, and values that cannot cross are refused with clear errors.

// Tests report failures by panicking.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use dask_graph::testing::{ADD, as_i64, k, lit, tree_sum_graph};
use dask_graph::{Arg, Args, Error, Graph, Key, Layer, Value, compute, register_op};
use dask_sched_procs::ProcessScheduler;

dask_sched_procs::test_worker!();

fn marker(args: &Args) -> Result<PathBuf, dask_graph::BoxError> {
    Ok(PathBuf::from(args.get::<String>(0)?))
}

register_op!(
    /// Aborts the worker process the first time (per marker file), then returns 100.
    CRASH_ONCE = "test-procs.crash-once" => |a: Args| {
        let m = marker(&a)?;
        if !m.exists() {
            std::fs::write(&m, b"crashed")?;
            std::process::abort();
        }
        Ok(Value::new(100i64))
    }
);

register_op!(
    /// Always aborts the worker process.
    ALWAYS_ABORT = "test-procs.always-abort" => |_a: Args| std::process::abort()
);

register_op!(
    /// Always kills its own worker process with SIGKILL.
    ALWAYS_KILL = "test-procs.always-kill" => |_a: Args| {
        let me = rustix::process::getpid();
        let _ = rustix::process::kill_process(me, rustix::process::Signal::KILL);
        Ok(Value::new(0i64))
    }
);

register_op!(
    /// A block of 1,000,000 `f64` (8 MB: it crosses in shared memory) filled with arg 0.
    BIG = "test-procs.big" => |a: Args| Ok(Value::new(vec![*a.get::<f64>(0)?; 1_000_000]))
);

register_op!(
    /// The elementwise sum of two blocks.
    ADD_BLOCKS = "test-procs.add-blocks" => |a: Args| {
        let x = a.get::<Vec<f64>>(0)?;
        let y = a.get::<Vec<f64>>(1)?;
        Ok(Value::new(x.iter().zip(y).map(|(p, q)| p + q).collect::<Vec<f64>>()))
    }
);

register_op!(
    /// Always crashes its own worker process with a real segmentation fault.
    ALWAYS_SEGV = "test-procs.always-segv" => |_a: Args| {
        // SAFETY: none — this deliberately writes through a null pointer to make the
        // worker process die of SIGSEGV, which is what the test is about.
        unsafe { std::ptr::null_mut::<u64>().write_volatile(1) };
        Ok(Value::new(0i64))
    }
);

/// A value type without a codec.
struct Opaque;

register_op!(
    /// Returns an [`Opaque`] value.
    OPAQUE = "test-procs.opaque" => |_a: Args| Ok(Value::opaque(Opaque))
);

fn path_arg(p: &std::path::Path) -> Arg {
    Arg::Literal(Value::new(p.display().to_string()))
}

/// Chains of ordinary tasks around one that crashes its worker once: the worker is
/// replaced, lost results are recomputed, and the answer is right.
#[test]
fn a_crashed_worker_is_replaced_and_lost_work_recomputed() {
    for workers in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let s = ProcessScheduler::new(workers).unwrap();
        let before = s.worker_pids();
        let mut l = Layer::new("crashy");
        l.task("a0", &ADD, vec![lit(1)]);
        for i in 1..50 {
            l.task(
                format!("a{i}"),
                &ADD,
                vec![k(&format!("a{}", i - 1)), lit(1)],
            );
        }
        l.task("boom", &CRASH_ONCE, vec![path_arg(&dir.path().join("m"))]);
        l.task("out", &ADD, vec![k("a49"), k("boom")]);
        let out = compute(&Graph::from_layers([l]), &[Key::new("out")], &s).unwrap();
        assert_eq!(as_i64(&out[0]), 150, "{workers} workers");
        assert_ne!(s.worker_pids(), before, "a worker was replaced");
        // The pool works on.
        let out = compute(&tree_sum_graph(100), &[Key::new("total")], &s).unwrap();
        assert_eq!(as_i64(&out[0]), 4950);
    }
}

fn assert_fails_naming(op: &'static dask_graph::RegisteredOp, signal: &str) {
    for workers in [1, 2] {
        let s = ProcessScheduler::new(workers).unwrap();
        let mut l = Layer::new("deadly");
        // Other tasks queued behind it on the same worker must not hide the culprit.
        for i in 0..20 {
            l.task(format!("fine{i}"), &ADD, vec![lit(i)]);
        }
        l.task("deadly", op, vec![]);
        let mut inputs: Vec<Arg> = (0..20).map(|i| k(&format!("fine{i}"))).collect();
        inputs.push(k("deadly"));
        l.task("out", &ADD, inputs);
        let err = compute(&Graph::from_layers([l]), &[Key::new("out")], &s).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("deadly") && msg.contains(signal) && msg.contains("3 times"),
            "{workers} workers: {msg}"
        );
        let out = compute(&tree_sum_graph(10), &[Key::new("total")], &s).unwrap();
        assert_eq!(as_i64(&out[0]), 45, "still usable");
    }
}

#[test]
fn a_task_that_keeps_aborting_fails_naming_it_and_the_signal() {
    assert_fails_naming(&ALWAYS_ABORT, "SIGABRT");
}

#[test]
fn a_task_that_keeps_segfaulting_fails_naming_it_and_the_signal() {
    assert_fails_naming(&ALWAYS_SEGV, "SIGSEGV");
}

#[test]
fn a_task_that_keeps_getting_killed_fails_naming_it_and_the_signal() {
    assert_fails_naming(&ALWAYS_KILL, "SIGKILL");
}

/// Whether `pid` still exists (a zombie would still have an entry).
fn exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn dropping_the_scheduler_leaves_no_process_behind() {
    let s = ProcessScheduler::new(2).unwrap();
    let out = compute(&tree_sum_graph(100), &[Key::new("total")], &s).unwrap();
    assert_eq!(as_i64(&out[0]), 4950);
    let pids = s.worker_pids();
    assert!(pids.iter().all(|&p| exists(p)));
    drop(s);
    for p in pids {
        assert!(!exists(p), "worker {p} is still there (zombie or orphan)");
    }
}

#[test]
fn workers_outlive_the_thread_that_started_them() {
    // The pool is made on a thread that then ends (as a test or a request handler
    // does); its workers must survive that thread, and only die with the process.
    let s = std::thread::spawn(|| {
        let s = ProcessScheduler::new(2).unwrap();
        let out = compute(&tree_sum_graph(20), &[Key::new("total")], &s).unwrap();
        assert_eq!(as_i64(&out[0]), 190);
        s
    })
    .join()
    .unwrap();
    let pids = s.worker_pids();
    // Give a death signal every chance to land before looking.
    for n in 10..30 {
        let out = compute(&tree_sum_graph(n), &[Key::new("total")], &s).unwrap();
        assert_eq!(as_i64(&out[0]), (n * (n - 1) / 2) as i64);
    }
    assert!(pids.iter().all(|&p| exists(p)), "a worker was killed");
    assert_eq!(s.worker_pids(), pids, "no worker was replaced");
}

#[test]
fn the_pool_is_reused_across_computes() {
    let s = ProcessScheduler::new(2).unwrap();
    let pids = s.worker_pids();
    for n in 10..20 {
        let out = compute(&tree_sum_graph(n), &[Key::new("total")], &s).unwrap();
        assert_eq!(as_i64(&out[0]), (n * (n - 1) / 2) as i64);
    }
    assert_eq!(s.worker_pids(), pids);
}

#[test]
fn a_literal_without_a_codec_is_refused_before_anything_runs() {
    let s = ProcessScheduler::new(1).unwrap();
    let mut l = Layer::new("l");
    l.task("x", &ADD, vec![Arg::Literal(Value::opaque(Opaque))]);
    let err = compute(&Graph::from_layers([l]), &[Key::new("x")], &s).unwrap_err();
    match &err {
        Error::Unsupported { key, reason, .. } => {
            assert_eq!(key.name(), "x");
            assert!(reason.contains("Opaque"), "{reason}");
        }
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn a_result_without_a_codec_that_must_cross_is_an_error_naming_task_and_type() {
    let s = ProcessScheduler::new(1).unwrap();
    let mut l = Layer::new("l");
    l.task("opaque", &OPAQUE, vec![]);
    let err = compute(&Graph::from_layers([l]), &[Key::new("opaque")], &s).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("opaque") && msg.contains("Opaque"), "{msg}");
}

/// Two 8 MB blocks made on different workers, summed on one of them, and the sum
/// returned: large values cross through pooled shared-memory regions, intact — also in
/// later computes, which reuse the regions (a region recycled too early would show
/// another round's numbers).
#[test]
fn large_blocks_cross_between_workers_and_back() {
    let s = ProcessScheduler::new(2).unwrap();
    for round in 0..3 {
        let (a, b) = (1.5 + round as f64, 2.25 * (round + 1) as f64);
        let mut l = Layer::new(format!("big-{round}"));
        l.task("b0", &BIG, vec![Arg::Literal(Value::new(a))])
            .task("b1", &BIG, vec![Arg::Literal(Value::new(b))])
            .task("sum", &ADD_BLOCKS, vec![k("b0"), k("b1")]);
        let g = Graph::from_layers([l]);
        let out = compute(&g, &[Key::new("sum"), Key::new("b1")], &s).unwrap();
        let sum = out[0].get::<Vec<f64>>().unwrap();
        assert_eq!(sum.len(), 1_000_000);
        assert!(sum.iter().all(|&x| x == a + b), "round {round}");
        assert!(
            out[1].get::<Vec<f64>>().unwrap().iter().all(|&x| x == b),
            "round {round}"
        );
    }
}

struct PanickingCallback;

impl dask_graph::Callback for PanickingCallback {
    fn posttask(&self, key: &Key, _w: usize, _e: std::time::Duration, _n: usize) {
        if key.name() == "sum" && key.index() == Some(&[1, 0][..]) {
            panic!("progress bar on fire");
        }
    }
}

/// A callback that panics fails its compute with an error; the next computes on the
/// same scheduler get their own, right answers (no late replies mistaken for theirs).
#[test]
fn a_panicking_callback_fails_the_compute_and_the_next_ones_are_right() {
    use dask_graph::Scheduler;
    use dask_graph::testing::{task_tree, tree_total};
    let s = ProcessScheduler::new(2).unwrap();
    let (g, root) = task_tree(2000);
    let plan = dask_graph::Plan::build(&g, &[root], &dask_graph::Optimizations::none()).unwrap();
    let err = s.execute(&plan, &PanickingCallback).unwrap_err();
    assert!(err.to_string().contains("progress bar on fire"), "{err}");
    for _ in 0..3 {
        let out = s.execute(&plan, &()).unwrap();
        assert_eq!(as_i64(&out[0]), tree_total(2000));
    }
}

/// A test binary of this crate, built beside this one and named `{stem}-<hash>`. The
/// `procs_conformance` one has a worker entry but not this file's registered operations.
fn sibling_test_binary(stem: &str) -> Option<PathBuf> {
    let dir = std::env::current_exe().ok()?.parent()?.to_path_buf();
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with(&format!("{stem}-")) && p.extension().is_none()
        })
}

#[test]
fn a_worker_with_a_different_registry_is_refused() {
    // Cargo builds every test binary of the crate before running any of them.
    let other = sibling_test_binary("procs_conformance").expect(
        "the procs_conformance test binary (build every test of the crate first: \
         `cargo test -p dask-sched-procs --no-run`)",
    );
    let err = ProcessScheduler::with_program(1, &other).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("different operation and codec registry"),
        "{msg}"
    );
    // The same binary as ours is fine.
    let ours = std::env::current_exe().unwrap();
    let s = ProcessScheduler::with_program(1, ours).unwrap();
    let out = compute(&tree_sum_graph(10), &[Key::new("total")], &s).unwrap();
    assert_eq!(as_i64(&out[0]), 45);
}
