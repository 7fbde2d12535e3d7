//! Graphviz pictures of graphs and plans.
//!
//! Built on `petgraph`'s DOT writer: tasks are circles labelled with their operation,
//! fused tasks double circles, data values boxes, aliases dashed ellipses; a plan's tasks can be coloured by priority
//! (order) or by memory pressure, blue for early/low to red for late/high. Rendering to
//! SVG or PNG shells out to Graphviz's `dot` program when it is installed, and says so
//! clearly when it is not.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use petgraph::dot::{Config, Dot};
use petgraph::graph::DiGraph;

use crate::error::{Error, Result};
use crate::graph::Graph;
use crate::plan::Plan;
use crate::task::Node;

/// How to colour a plan's tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    /// No colour.
    None,
    /// By priority: early tasks blue, late tasks red.
    Order,
    /// By memory pressure (results held before the task runs): low blue, high red.
    MemoryPressure,
}

struct Vertex {
    label: String,
    attrs: String,
}

impl std::fmt::Display for Vertex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label)
    }
}

#[derive(Clone, Copy)]
struct Edge;

impl std::fmt::Display for Edge {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn render(g: &DiGraph<Vertex, Edge>) -> String {
    let attr = |_: &DiGraph<Vertex, Edge>, (_, v): (petgraph::graph::NodeIndex, &Vertex)| {
        format!("label=\"{}\" {}", escape(&v.label), v.attrs)
    };
    format!(
        "{}",
        Dot::with_attr_getters(
            g,
            &[Config::EdgeNoLabel, Config::NodeNoLabel],
            &|_, _| String::new(),
            &attr,
        )
    )
}

/// DOT text for a graph: one vertex per key, an edge from each dependency to its
/// dependent. Missing dependencies are drawn as red octagons rather than failing.
///
/// ```
/// use dask_graph::{Graph, Layer, Value, dot};
/// let mut l = Layer::new("l");
/// l.data("a", Value::new(1i64)).alias("b", "a");
/// let text = dot::graph_to_dot(&Graph::from_layers([l]));
/// assert!(text.starts_with("digraph"));
/// assert!(text.contains("shape=box"));
/// ```
pub fn graph_to_dot(graph: &Graph) -> String {
    let mut g: DiGraph<Vertex, Edge> = DiGraph::new();
    let mut ids = std::collections::HashMap::new();
    for (k, n) in graph.iter() {
        let (shape, style) = match n {
            Node::Task(_) | Node::Fused(_) => ("circle", ""),
            Node::Data(_) => ("box", ""),
            Node::Alias(_) => ("ellipse", " style=dashed"),
        };
        let v = g.add_node(Vertex {
            label: format!("{k}\n{}", n.label()),
            attrs: format!("shape={shape}{style}"),
        });
        ids.insert(k.clone(), v);
    }
    for (k, n) in graph.iter() {
        let to = ids[k];
        for d in n.dependencies() {
            let from = match ids.get(&d) {
                Some(&f) => f,
                None => {
                    let f = g.add_node(Vertex {
                        label: format!("{d}\n(missing)"),
                        attrs: "shape=octagon color=red".into(),
                    });
                    ids.insert(d.clone(), f);
                    f
                }
            };
            g.add_edge(from, to, Edge);
        }
    }
    render(&g)
}

/// DOT text for a plan, optionally coloured by order or memory pressure; each task is
/// labelled with its key, operation(s) and priority.
pub fn plan_to_dot(plan: &Plan, colour: Colour) -> String {
    let n = plan.len();
    let pressure = plan.memory_pressure();
    let mut pressure_by_id = vec![0usize; n];
    for (i, &t) in plan.order().iter().enumerate() {
        pressure_by_id[t as usize] = pressure[i];
    }
    let max_pressure = pressure.iter().copied().max().unwrap_or(0).max(1);
    let mut g: DiGraph<Vertex, Edge> = DiGraph::with_capacity(n, plan.dependency_csr().edges());
    for id in 0..n as u32 {
        let mut label = format!("{}\n{}", plan.key(id), plan.op_names(id).join("+"));
        let _ = write!(label, "\n#{}", plan.priority(id));
        let fraction = match colour {
            Colour::None => None,
            Colour::Order => Some(plan.priority(id) as f64 / (n.max(2) - 1) as f64),
            Colour::MemoryPressure => {
                Some(pressure_by_id[id as usize] as f64 / max_pressure as f64)
            }
        };
        let (shape, dashed) = match (plan.num_steps(id), plan.node(id)) {
            (1, Node::Data(_)) => ("box", false),
            (1, Node::Alias(_)) => ("ellipse", true),
            (1, _) => ("circle", false),
            _ => ("doublecircle", false),
        };
        let mut styles = Vec::new();
        if dashed {
            styles.push("dashed");
        }
        if fraction.is_some() {
            styles.push("filled");
        }
        let mut attrs = format!("shape={shape}");
        if !styles.is_empty() {
            let _ = write!(attrs, " style=\"{}\"", styles.join(","));
        }
        if let Some(f) = fraction {
            // Hue 0.66 (blue) for 0 down to 0.0 (red) for 1.
            let _ = write!(
                attrs,
                " fillcolor=\"{:.3} 0.5 1.0\"",
                0.66 * (1.0 - f.clamp(0.0, 1.0))
            );
        }
        g.add_node(Vertex { label, attrs });
    }
    for id in 0..n as u32 {
        for &d in plan.dependencies(id) {
            g.add_edge(d.into(), id.into(), Edge);
        }
    }
    render(&g)
}

/// Renders DOT text to `path` with Graphviz; the format comes from the extension
/// (`svg`, `png`, `pdf`, ...). Errors clearly if `dot` is not installed.
pub fn render_to_file(dot_text: &str, path: &Path) -> Result<()> {
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("svg")
        .to_string();
    let fail = |message: String| Error::Visualize { message };
    let mut child = Command::new("dot")
        .arg(format!("-T{format}"))
        .arg("-o")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            fail(if e.kind() == std::io::ErrorKind::NotFound {
                "Graphviz's `dot` program is not installed (e.g. `apt-get install graphviz`); \
                 the DOT text can still be written with `graph_to_dot`"
                    .to_string()
            } else {
                format!("could not start `dot`: {e}")
            })
        })?;
    {
        use std::io::Write;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| fail("could not write to `dot`".into()))?;
        stdin
            .write_all(dot_text.as_bytes())
            .map_err(|e| fail(format!("could not write to `dot`: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("`dot` failed: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "`dot -T{format}` failed writing {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}
