//! NumPy broadcasting, block-aligned: the output shape, the output chunks (per axis the
//! common refinement of the operands that are not stretched), and each operand
//! rechunked onto them.

use crate::array::Array;
use crate::chunks::{Chunks, refine};
use crate::element::Element;
use crate::error::{Result, invalid, shape_str};

/// The broadcast shape of `shapes`, or an error naming the output axis (counted from
/// the end, NumPy style, and from the start) whose lengths disagree.
pub(super) fn broadcast_shapes(op: &'static str, shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for (j, o) in out.iter_mut().enumerate() {
        let from_end = ndim - j;
        for s in shapes {
            if from_end > s.len() {
                continue;
            }
            let d = s[s.len() - from_end];
            if d == 1 {
                continue;
            }
            if *o != 1 && *o != d {
                let all: Vec<String> = shapes.iter().map(|s| shape_str(s)).collect();
                return Err(invalid(
                    op,
                    format!(
                        "shapes {} do not broadcast: axis {j} (axis -{from_end} from the end) has lengths {} and {d}",
                        all.join(" and "),
                        *o
                    ),
                ));
            }
            *o = d;
        }
    }
    Ok(out)
}

/// Output chunks for operands of the given shapes and chunks: per output axis, the
/// common refinement of the non-stretched operands' block boundaries.
pub(super) fn broadcast_chunks(out_shape: &[usize], inputs: &[(Vec<usize>, &Chunks)]) -> Chunks {
    let ndim = out_shape.len();
    let mut per_axis = Vec::with_capacity(ndim);
    for (j, &len) in out_shape.iter().enumerate() {
        let from_end = ndim - j;
        let mut lists: Vec<&[usize]> = Vec::new();
        for (shape, chunks) in inputs {
            if from_end <= shape.len() {
                let axis = shape.len() - from_end;
                if shape[axis] == len {
                    lists.push(chunks.axis(axis));
                }
            }
        }
        per_axis.push(match lists.as_slice() {
            [] => vec![len],
            [first, rest @ ..] if rest.iter().all(|l| l == first) => first.to_vec(),
            _ => refine(&lists),
        });
    }
    Chunks::from_lengths(per_axis)
}

/// `a` rechunked so that each axis that is not stretched has the output's chunks.
pub(super) fn align<T: Element>(a: &Array<T>, out: &Chunks) -> Result<Array<T>> {
    let shape = a.shape();
    let offset = out.ndim() - shape.len();
    let target: Vec<Vec<usize>> = (0..shape.len())
        .map(|i| {
            if shape[i] == 1 && out.axis(i + offset).iter().sum::<usize>() != 1 {
                // Stretched: one block (a length-1 axis may come as `[0, 1]`).
                vec![1]
            } else {
                out.axis(i + offset).to_vec()
            }
        })
        .collect();
    let target = Chunks::from_lengths(target);
    if target == a.chunks {
        Ok(a.clone())
    } else {
        a.rechunk_to(&target)
    }
}
