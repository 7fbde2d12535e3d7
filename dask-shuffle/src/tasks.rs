//! The shuffle's layers: staged (a butterfly of bounded fan-in) or through files.

use std::sync::Arc;

use dask_graph::{Arg, Graph, Key, Layer, Op, Task, Value, unique_token};

use crate::Shuffle;
use crate::disk::{BARRIER, READ, ScratchDir, Target, WRITE};
use crate::pieces::{GATHER, PICK, Route};

/// `(k, s)`: `s` stages of fan-in `k ≤ max_branch` with `k^s ≥ n`, the fewest stages
/// first, then the smallest `k`.
pub(crate) fn stages(n: usize, max_branch: usize) -> (u64, u32) {
    let n = n.max(1) as u64;
    let mut s = 1u32;
    while (max_branch as u64).saturating_pow(s) < n {
        s += 1;
    }
    let mut k = (n as f64).powf(1.0 / f64::from(s)).floor().max(1.0) as u64;
    while k.saturating_pow(s) < n {
        k += 1;
    }
    (k, s)
}

fn layer_name(shuffle: &Shuffle, what: &str) -> Arc<str> {
    Arc::from(format!("{}-{what}", shuffle.name))
}

/// The task calling the collection's split on `input` with `route`.
fn split_task(shuffle: &Shuffle, input: &Key, route: Route) -> Task {
    let mut args = shuffle.split_args.clone();
    args.push(Arg::Key(input.clone()));
    args.push(Arg::Literal(Value::new(route)));
    Task::new(shuffle.split.clone(), args)
}

/// The task making an output partition of `parts` (the collection's concatenation),
/// or, for a stage in the middle, gathering them as they are.
fn concat_task(shuffle: &Shuffle, parts: impl IntoIterator<Item = Key>, output: bool) -> Task {
    let (op, mut args) = match (&shuffle.stage, output) {
        (_, true) => (shuffle.concat.clone(), shuffle.concat_args.clone()),
        (Some((op, args)), false) => (op.clone(), args.clone()),
        (None, false) => (Op::from(&GATHER), Vec::new()),
    };
    args.extend(parts.into_iter().map(Arg::Key));
    Task::new(op, args)
}

/// The staged shuffle (see the crate notes). Slot `a` of stage `j` holds the rows whose
/// inputs agree with `a` on the digits above `j` and whose targets agree with `a` on the
/// digits up to `j`; it exists when some input and some target can satisfy that.
pub(crate) fn build_staged(shuffle: &Shuffle, graph: &mut Graph, inputs: &[Key]) {
    let (n_in, n_out) = (inputs.len(), shuffle.npartitions);
    let (k, s) = stages(n_in.max(n_out), shuffle.max_branch);
    let width = k.pow(s) as usize;
    let mut current: Vec<Option<Key>> = (0..width).map(|i| inputs.get(i).cloned()).collect();
    for j in 0..s {
        let divisor = k.pow(j);
        let place = divisor * k;
        let route = Route {
            divisor,
            k: k as u32,
        };
        let last = j + 1 == s;
        let split_name = layer_name(shuffle, &format!("split-{j}"));
        let pick_name = layer_name(shuffle, &format!("pick-{j}"));
        let stage_name = if last {
            Arc::clone(&shuffle.name)
        } else {
            layer_name(shuffle, &format!("stage-{j}"))
        };
        let mut splits = Layer::new(Arc::clone(&split_name));
        for (a, input) in current.iter().enumerate() {
            if let Some(input) = input {
                splits.insert(
                    Key::block(&split_name, &[a as u32]),
                    split_task(shuffle, input, route),
                );
            }
        }
        let mut picks = Layer::new(Arc::clone(&pick_name));
        let mut stage = Layer::new(Arc::clone(&stage_name));
        let mut next: Vec<Option<Key>> = vec![None; width];
        let slots = if last { n_out } else { width };
        for (b, slot) in next.iter_mut().enumerate().take(slots) {
            let b64 = b as u64;
            let has_target = b64 % place < n_out as u64;
            let has_input = (b64 / place) * place < n_in as u64;
            if !(last || (has_target && has_input)) {
                continue;
            }
            let digit = (b64 / divisor) % k;
            let mut parts = Vec::new();
            for v in 0..k {
                let a = (b64 - digit * divisor + v * divisor) as usize;
                if current.get(a).is_some_and(Option::is_some) {
                    let key = Key::block(&pick_name, &[a as u32, digit as u32]);
                    picks.task(
                        key.clone(),
                        &PICK,
                        vec![
                            Arg::Key(Key::block(&split_name, &[a as u32])),
                            Arg::Literal(Value::new(digit as u32)),
                        ],
                    );
                    parts.push(key);
                }
            }
            let key = Key::block(&stage_name, &[b as u32]);
            stage.insert(key.clone(), concat_task(shuffle, parts, last));
            *slot = Some(key);
        }
        graph.add_layer(splits);
        graph.add_layer(picks);
        graph.add_layer(stage);
        current = next;
    }
}

/// The shuffle through bucket files (see `disk`).
pub(crate) fn build_disk(shuffle: &Shuffle, graph: &mut Graph, inputs: &[Key]) {
    let base = shuffle.dir.clone().unwrap_or_else(crate::default_dir);
    let dir = base.join(unique_token("dask-shuffle", &*shuffle.name));
    let dir_text = dir.to_string_lossy().into_owned();
    let route = Route {
        divisor: 1,
        k: shuffle.npartitions as u32,
    };
    let split_name = layer_name(shuffle, "split");
    let write_name = layer_name(shuffle, "write");
    let barrier_name = layer_name(shuffle, "barrier");
    let dir_name = layer_name(shuffle, "dir");
    let read_name = layer_name(shuffle, "read");
    let mut splits = Layer::new(Arc::clone(&split_name));
    let mut writes = Layer::new(Arc::clone(&write_name));
    let mut written = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let split = Key::block(&split_name, &[i as u32]);
        splits.insert(split.clone(), split_task(shuffle, input, route));
        let write = Key::block(&write_name, &[i as u32]);
        let target = Target {
            dir: dir_text.clone(),
            source: i as u32,
        };
        writes.task(
            write.clone(),
            &WRITE,
            vec![Arg::Key(split), Arg::Literal(Value::new(target))],
        );
        written.push(Arg::Key(write));
    }
    let barrier = Key::new(Arc::clone(&barrier_name));
    let mut barriers = Layer::new(barrier_name);
    barriers.task(barrier.clone(), &BARRIER, written);
    let dir_key = Key::new(Arc::clone(&dir_name));
    let mut dirs = Layer::new(dir_name);
    dirs.data(dir_key.clone(), Value::new(ScratchDir::owned(dir)));
    let mut reads = Layer::new(Arc::clone(&read_name));
    let mut outputs = Layer::new(Arc::clone(&shuffle.name));
    for b in 0..shuffle.npartitions {
        let read = Key::block(&read_name, &[b as u32]);
        reads.task(
            read.clone(),
            &READ,
            vec![
                Arg::Key(barrier.clone()),
                Arg::Key(dir_key.clone()),
                Arg::Literal(Value::new(b as u32)),
            ],
        );
        outputs.insert(shuffle.key(b), concat_task(shuffle, [read], true));
    }
    for layer in [splits, writes, barriers, dirs, reads, outputs] {
        graph.add_layer(layer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_bound_the_fan_in() {
        assert_eq!(stages(1, 32), (1, 1));
        assert_eq!(stages(5, 32), (5, 1));
        assert_eq!(stages(32, 32), (32, 1));
        assert_eq!(stages(33, 32), (6, 2));
        assert_eq!(stages(1000, 32), (32, 2));
        assert_eq!(stages(1000, 8), (6, 4));
        for n in 1..300 {
            for m in [2, 3, 7, 32] {
                let (k, s) = stages(n, m);
                assert!(k as usize <= m.max(1) && k.pow(s) as usize >= n, "{n} {m}");
            }
        }
    }
}
