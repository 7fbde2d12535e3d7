//! Joining arrays: `concatenate` along an existing axis, `stack` along a new one.
//!
//! No task is needed: the other axes' chunks are unified (rechunked to their common
//! refinement) and the output layer aliases the inputs' blocks.

use dask_graph::Node;

use crate::array::Array;
use crate::chunks::{Chunks, refine};
use crate::element::Element;
use crate::error::{Result, invalid, resolve_axis, shape_str};
use crate::layer::{block_key, build, layer_name};

/// Joins arrays along an existing axis. Their shapes must agree on every other axis;
/// chunks on the other axes are unified (rechunked to their common refinement).
///
/// ```
/// use dask_array::{Array, concatenate};
/// use dask_graph::SyncScheduler;
/// let a = Array::<i64>::arange(0, 4, 1, 2)?;
/// let b = Array::<i64>::arange(4, 7, 1, 3)?;
/// let c = concatenate(&[&a, &b], 0)?;
/// assert_eq!(c.chunks().axis(0), &[2, 2, 3]);
/// assert_eq!(c.compute(&SyncScheduler)?.into_raw_vec_and_offset().0, vec![0, 1, 2, 3, 4, 5, 6]);
/// # Ok::<(), dask_array::Error>(())
/// ```
pub fn concatenate<T: Element>(arrays: &[&Array<T>], axis: isize) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| invalid("concatenate", "need at least one array"))?;
    let ndim = first.ndim();
    let ax = resolve_axis("concatenate", axis, ndim)?;
    let shape0 = first.shape();
    for (i, a) in arrays.iter().enumerate() {
        let s = a.shape();
        let mismatch = s.len() != ndim || (0..ndim).any(|d| d != ax && s[d] != shape0[d]);
        if mismatch {
            return Err(invalid(
                "concatenate",
                format!(
                    "array {i} has shape {} but array 0 has {}; all axes but {ax} must match",
                    shape_str(&s),
                    shape_str(&shape0)
                ),
            ));
        }
    }
    // Unify the other axes' chunks.
    let common: Vec<Vec<usize>> = (0..ndim)
        .map(|d| {
            if d == ax {
                Vec::new()
            } else {
                let lists: Vec<&[usize]> = arrays.iter().map(|a| a.chunks.axis(d)).collect();
                refine(&lists)
            }
        })
        .collect();
    let aligned: Vec<Array<T>> = arrays
        .iter()
        .map(|a| {
            let target: Vec<Vec<usize>> = (0..ndim)
                .map(|d| {
                    if d == ax {
                        a.chunks.axis(d).to_vec()
                    } else {
                        common[d].clone()
                    }
                })
                .collect();
            a.rechunk_to(&Chunks::from_lengths(target))
        })
        .collect::<Result<_>>()?;
    let mut per_axis = common;
    per_axis[ax] = aligned
        .iter()
        .flat_map(|a| a.chunks.axis(ax).to_vec())
        .collect();
    // Which input holds each block along `ax`.
    let owners: Vec<(usize, usize)> = aligned
        .iter()
        .enumerate()
        .flat_map(|(i, a)| (0..a.chunks.axis(ax).len()).map(move |b| (i, b)))
        .collect();
    let names: Vec<&str> = aligned.iter().map(|a| a.name()).collect();
    let name = layer_name("concatenate", &(names, ax));
    let graphs: Vec<&dask_graph::Graph> = aligned.iter().map(|a| &a.graph).collect();
    Ok(build(
        &graphs,
        name,
        Chunks::from_lengths(per_axis),
        |index| {
            let (i, b) = owners[index[ax]];
            let mut src = index.to_vec();
            src[ax] = b;
            Node::Alias(block_key(&aligned[i].name, &src))
        },
    ))
}

/// Joins arrays of one shape along a new axis.
pub fn stack<T: Element>(arrays: &[&Array<T>], axis: isize) -> Result<Array<T>> {
    let first = arrays
        .first()
        .ok_or_else(|| invalid("stack", "need at least one array"))?;
    let shape0 = first.shape();
    if let Some((i, a)) = arrays.iter().enumerate().find(|(_, a)| a.shape() != shape0) {
        return Err(invalid(
            "stack",
            format!(
                "array {i} has shape {} but array 0 has {}; stacked arrays must have one shape",
                shape_str(&a.shape()),
                shape_str(&shape0)
            ),
        ));
    }
    let ax = resolve_axis("stack", axis, first.ndim() + 1)?;
    let expanded: Vec<Array<T>> = arrays
        .iter()
        .map(|a| a.expand_dims(ax as isize))
        .collect::<Result<_>>()?;
    let refs: Vec<&Array<T>> = expanded.iter().collect();
    concatenate(&refs, ax as isize)
}
