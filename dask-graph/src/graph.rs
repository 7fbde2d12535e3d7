//! Layered graphs.
//!
//! A [`Graph`] is a list of named [`Layer`]s shared by `Arc`. A collection operation adds
//! one layer and shares the others, so `x + 1` on a 10,000-block array costs one layer,
//! and merging two collections' graphs costs O(layers): layers with the same name are
//! the same layer (names are tokens of their contents) and are kept once.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::key::{Key, KeyMap};
use crate::op::Op;
use crate::task::{Arg, Node, Task};
use crate::value::Value;

/// A named group of nodes, typically one collection operation.
#[derive(Clone, Debug)]
pub struct Layer {
    name: Arc<str>,
    nodes: Vec<(Key, Node)>,
}

impl Layer {
    /// An empty layer.
    pub fn new(name: impl Into<Arc<str>>) -> Layer {
        Layer {
            name: name.into(),
            nodes: Vec::new(),
        }
    }

    /// An empty layer with room for `n` nodes.
    pub fn with_capacity(name: impl Into<Arc<str>>, n: usize) -> Layer {
        Layer {
            name: name.into(),
            nodes: Vec::with_capacity(n),
        }
    }

    /// The layer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Adds a node.
    pub fn insert(&mut self, key: Key, node: impl Into<Node>) -> &mut Self {
        self.nodes.push((key, node.into()));
        self
    }

    /// Adds a task `key = op(args...)`.
    pub fn task(&mut self, key: impl Into<Key>, op: impl Into<Op>, args: Vec<Arg>) -> &mut Self {
        self.insert(key.into(), Task::new(op, args))
    }

    /// Adds a data node.
    pub fn data(&mut self, key: impl Into<Key>, value: Value) -> &mut Self {
        self.insert(key.into(), Node::Data(value))
    }

    /// Adds an alias `key -> target`.
    pub fn alias(&mut self, key: impl Into<Key>, target: impl Into<Key>) -> &mut Self {
        self.insert(key.into(), Node::Alias(target.into()))
    }

    /// The nodes, in insertion order.
    pub fn nodes(&self) -> &[(Key, Node)] {
        &self.nodes
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the layer is empty.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

/// A task graph: keys to nodes, organised in `Arc`-shared layers.
///
/// ```
/// use dask_graph::{Graph, Layer, Key, Value, Arg, SyncScheduler, compute};
/// use dask_graph::testing::ADD;
///
/// let mut inputs = Layer::new("inputs");
/// inputs.data("a", Value::new(1i64)).data("b", Value::new(2i64));
/// let mut sums = Layer::new("sums");
/// sums.task("c", &ADD, vec![Arg::Key("a".into()), Arg::Key("b".into())]);
/// let graph = Graph::from_layers([inputs, sums]);
/// let out = compute(&graph, &["c".into()], &SyncScheduler).unwrap();
/// assert_eq!(out[0].downcast_ref::<i64>(), Some(&3));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Graph {
    layers: Vec<Arc<Layer>>,
    by_name: HashMap<Arc<str>, usize>,
    /// Names given to two layers with different contents (reported when the graph is
    /// indexed, planned or validated).
    conflicts: Vec<String>,
}

impl Graph {
    /// An empty graph.
    pub fn new() -> Graph {
        Graph::default()
    }

    /// A graph of the given layers.
    pub fn from_layers(layers: impl IntoIterator<Item = Layer>) -> Graph {
        let mut g = Graph::new();
        for l in layers {
            g.add_layer(l);
        }
        g
    }

    /// Adds a layer. A layer whose name is already present is the same layer (names are
    /// tokens of contents) and is kept once; if the two differ (other keys), the graph
    /// remembers the conflict and planning it fails with [`Error::LayerConflict`] rather
    /// than silently dropping one of them. Sharing one `Arc` costs nothing to check;
    /// independently built layers of the same name are compared key by key.
    pub fn add_layer(&mut self, layer: impl Into<Arc<Layer>>) -> &mut Self {
        let layer = layer.into();
        match self.by_name.get(&layer.name) {
            None => {
                self.by_name
                    .insert(Arc::clone(&layer.name), self.layers.len());
                self.layers.push(layer);
            }
            Some(&i) => {
                let existing = &self.layers[i];
                let same = Arc::ptr_eq(existing, &layer)
                    || (existing.len() == layer.len()
                        && existing
                            .nodes
                            .iter()
                            .zip(&layer.nodes)
                            .all(|((a, _), (b, _))| a == b));
                if !same && !self.conflicts.iter().any(|c| **c == *layer.name) {
                    self.conflicts.push(layer.name.to_string());
                }
            }
        }
        self
    }

    /// Adds every layer of `other` not already present. O(layers of `other`).
    pub fn merge(&mut self, other: &Graph) -> &mut Self {
        for l in &other.layers {
            self.add_layer(Arc::clone(l));
        }
        for c in &other.conflicts {
            if !self.conflicts.contains(c) {
                self.conflicts.push(c.clone());
            }
        }
        self
    }

    /// The union of several graphs.
    pub fn merged<'a>(graphs: impl IntoIterator<Item = &'a Graph>) -> Graph {
        let mut g = Graph::new();
        for other in graphs {
            g.merge(other);
        }
        g
    }

    /// The layers, in insertion order.
    pub fn layers(&self) -> &[Arc<Layer>] {
        &self.layers
    }

    /// The layer named `name`.
    pub fn layer(&self, name: &str) -> Option<&Arc<Layer>> {
        self.by_name.get(name).map(|&i| &self.layers[i])
    }

    /// Total number of nodes.
    pub fn len(&self) -> usize {
        self.layers.iter().map(|l| l.len()).sum()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.layers.iter().all(|l| l.is_empty())
    }

    /// Every `(key, node)`, layer by layer.
    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Node)> {
        self.layers
            .iter()
            .flat_map(|l| l.nodes.iter().map(|(k, n)| (k, n)))
    }

    /// A key-to-node index; an error if two layers define the same key.
    pub fn index(&self) -> Result<GraphIndex<'_>> {
        GraphIndex::new(self)
    }

    /// The node for `key` (a linear scan; use [`Graph::index`] for many look-ups).
    pub fn get(&self, key: &Key) -> Option<&Node> {
        self.iter().find(|(k, _)| *k == key).map(|(_, n)| n)
    }

    /// Checks that every dependency exists and that there is no cycle.
    ///
    /// Errors name the keys involved; neither case hangs or panics.
    pub fn validate(&self) -> Result<()> {
        crate::plan::Plan::build(self, &[], &crate::Optimizations::none()).map(|_| ())
    }
}

/// Where each key of a graph lives.
pub struct GraphIndex<'g> {
    graph: &'g Graph,
    map: KeyMap<(u32, u32)>,
}

impl<'g> GraphIndex<'g> {
    fn new(graph: &'g Graph) -> Result<GraphIndex<'g>> {
        if let Some(name) = graph.conflicts.first() {
            return Err(Error::LayerConflict { name: name.clone() });
        }
        let mut map: KeyMap<(u32, u32)> = KeyMap::default();
        map.reserve(graph.len());
        for (li, layer) in graph.layers.iter().enumerate() {
            for (ni, (k, _)) in layer.nodes.iter().enumerate() {
                if let Some((lj, _)) = map.insert(k.clone(), (li as u32, ni as u32)) {
                    let first = graph.layers[lj as usize].name.to_string();
                    return Err(if lj as usize == li {
                        Error::DuplicateKeyInLayer {
                            key: k.clone(),
                            layer: first,
                        }
                    } else {
                        Error::DuplicateKey {
                            key: k.clone(),
                            first,
                            second: layer.name.to_string(),
                        }
                    });
                }
            }
        }
        Ok(GraphIndex { graph, map })
    }

    /// The node for `key`.
    pub fn get(&self, key: &Key) -> Option<&'g Node> {
        self.position(key)
            .map(|(l, n)| &self.graph.layers[l as usize].nodes[n as usize].1)
    }

    /// The layer number and position within it of `key`.
    pub fn position(&self, key: &Key) -> Option<(u32, u32)> {
        self.map.get(key).copied()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
