//! A tour of the graph layer: build a graph, plan it, look at the order and its memory
//! pressure, draw it, run it, and time a million-task graph.
//!
//! Run with `cargo run --release -p dask-graph --example demo`.

use std::sync::Arc;
use std::time::Instant;

use dask_graph::dot::{Colour, plan_to_dot};
use dask_graph::{
    Arg, Args, Graph, Key, Layer, OpResult, Optimizations, Plan, Scheduler, SyncScheduler, Value,
    register_op,
};

fn load(args: Args) -> OpResult {
    // Stand-in for reading a file: a deterministic block of numbers.
    let seed = *args.get::<i64>(0)?;
    Ok(Value::new(
        (0..1000)
            .map(|i| ((seed * 7919 + i) % 1000) as f64)
            .collect::<Vec<f64>>(),
    ))
}

fn process(mut args: Args) -> OpResult {
    // Takes the block by value: the scheduler hands over the last reference, no copy.
    let mut block: Vec<f64> = args.take(0)?;
    block.iter_mut().for_each(|x| *x = x.sqrt());
    Ok(Value::new(block))
}

fn summarize(args: Args) -> OpResult {
    let blocks = args.all::<Vec<f64>>()?;
    let total: f64 = blocks.iter().flat_map(|b| b.iter()).sum();
    Ok(Value::new(total))
}

fn add(args: Args) -> OpResult {
    let mut s = 0i64;
    for i in 0..args.len() {
        s += *args.get::<i64>(i)?;
    }
    Ok(Value::new(s))
}

register_op!(LOAD = "demo.load" => load);
register_op!(PROCESS = "demo.process" => process);
register_op!(SUMMARIZE = "demo.summarize" => summarize);
register_op!(ADD = "demo.add" => add);

fn pipeline(files: usize) -> (Graph, Key) {
    let mut loads = Layer::new("load");
    let mut procs = Layer::new("process");
    let mut parts = Vec::new();
    for i in 0..files as u32 {
        let l = Key::with_index("load", [i]);
        let p = Key::with_index("process", [i]);
        loads.task(l.clone(), &LOAD, vec![Arg::Literal(Value::new(i as i64))]);
        procs.task(p.clone(), &PROCESS, vec![Arg::Key(l)]);
        parts.push(Arg::Key(p));
    }
    let mut summary = Layer::new("summarize");
    summary.task("summary", &SUMMARIZE, parts);
    (
        Graph::from_layers([loads, procs, summary]),
        Key::new("summary"),
    )
}

fn tree(leaves: usize) -> (Graph, Key) {
    let name: Arc<str> = Arc::from("sum");
    let mut l = Layer::with_capacity("tree", 2 * leaves);
    let mut level: Vec<Key> = (0..leaves as u32)
        .map(|i| {
            let k = Key::block(&name, &[0, i]);
            l.task(k.clone(), &ADD, vec![Arg::Literal(Value::new(1i64))]);
            k
        })
        .collect();
    let mut depth = 0;
    while level.len() > 1 {
        depth += 1;
        level = level
            .chunks(2)
            .enumerate()
            .map(|(i, pair)| {
                let k = Key::block(&name, &[depth, i as u32]);
                l.task(
                    k.clone(),
                    &ADD,
                    pair.iter().cloned().map(Arg::Key).collect(),
                );
                k
            })
            .collect();
    }
    let root = level.pop().expect("at least one leaf");
    (Graph::from_layers([l]), root)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("== load -> process -> summarize over 8 'files' ==");
    let (g, out) = pipeline(8);
    let raw = Plan::build(&g, std::slice::from_ref(&out), &Optimizations::none())?;
    let plan = Plan::build(&g, std::slice::from_ref(&out), &Optimizations::all())?;
    println!(
        "graph: {} layers, {} nodes; plan without optimizations: {} tasks; with: {} tasks (load+process fused)",
        g.layers().len(),
        g.len(),
        raw.len(),
        plan.len()
    );
    let order: Vec<String> = raw
        .order()
        .iter()
        .map(|&i| raw.key(i).to_string())
        .collect();
    println!("order (one worker): {}", order.join(", "));
    println!(
        "memory pressure (results held before each task): {:?}",
        raw.memory_pressure()
    );
    let t0 = Instant::now();
    let result = SyncScheduler.execute(&plan, &())?;
    println!(
        "summary = {:.3}  ({:.2?} on the synchronous scheduler)",
        result[0].downcast_ref::<f64>().copied().unwrap_or(f64::NAN),
        t0.elapsed()
    );
    let dot = plan_to_dot(&raw, Colour::Order);
    let path = std::env::temp_dir().join("dask-graph-demo.dot");
    std::fs::write(&path, &dot)?;
    println!(
        "DOT picture coloured by order: {} ({} bytes)",
        path.display(),
        dot.len()
    );

    println!("\n== errors name what failed ==");
    let mut bad = Layer::new("bad");
    bad.task(
        "x",
        &PROCESS,
        vec![Arg::Literal(Value::new("not a block".to_string()))],
    );
    let err = dask_graph::compute(&Graph::from_layers([bad]), &["x".into()], &SyncScheduler)
        .expect_err("a type error");
    println!("{err}");

    println!("\n== a million tasks ==");
    let leaves = 500_000;
    let t0 = Instant::now();
    let (g, root) = tree(leaves);
    let t_build = t0.elapsed();
    let t1 = Instant::now();
    let plan = Plan::build(&g, std::slice::from_ref(&root), &Optimizations::cull_only())?;
    let t_plan = t1.elapsed();
    let t2 = Instant::now();
    let total = SyncScheduler.execute(&plan, &())?;
    let t_run = t2.elapsed();
    println!(
        "{} tasks: build {:.0?}, plan+order {:.0?}, synchronous run {:.0?} ({:.2} M tasks/s); sum = {}",
        plan.len(),
        t_build,
        t_plan,
        t_run,
        plan.len() as f64 / t_run.as_secs_f64() / 1e6,
        total[0].downcast_ref::<i64>().copied().unwrap_or(-1)
    );
    let peak = plan.memory_pressure().into_iter().max().unwrap_or(0);
    println!("peak results held by the order: {peak} (a depth-first tree reduction)");
    Ok(())
}
