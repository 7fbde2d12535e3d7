//! The tasks of `overlap`: gathering an expanded block from its source pieces (then
//! rearranging it along the axes that touch an edge, and writing the constants), and
//! trimming the margins again, checking the block's shape first.

use dask_graph::{Args, OpResult};
use ndarray::{ArrayD, Axis, IxDyn, Slice};

use super::plan::CONSTANT;
use crate::block::{block_ref, block_value, filled};
use crate::element::Element;
use crate::element::per_type::per_element;
use crate::error::shape_str;
use crate::layer::usizes_arg;

/// `array.overlap.<T>`: `[lens, maps, spec, fill, blocks...]`. `lens`: per axis, the
/// gathered length and the map length (0: identity); `maps`: the maps, one after the
/// other (expanded position → gathered position, [`CONSTANT`] for a fill); `spec`: per
/// block and axis `(start, end, offset)` as for `assemble`; `fill`: one constant per
/// axis.
fn overlap_op<T: Element>(args: Args) -> OpResult {
    let lens = args.get::<Vec<u64>>(0)?;
    let maps = args.get::<Vec<u64>>(1)?;
    let spec = args.get::<Vec<u64>>(2)?;
    let fill = block_ref::<T>(args.value(3)?)?;
    let blocks = &args.values()[4..];
    let ndim = lens.len() / 2;
    let map_total: u64 = (0..ndim).map(|a| lens[2 * a + 1]).sum();
    if lens.len() != 2 * ndim
        || spec.len() != blocks.len() * ndim * 3
        || fill.len() != ndim
        || map_total != maps.len() as u64
    {
        return Err(format!(
            "overlap: inconsistent plan ({} lengths, {} map entries, {} spec entries, {} blocks)",
            lens.len(),
            maps.len(),
            spec.len(),
            blocks.len()
        )
        .into());
    }
    let shape: Vec<usize> = (0..ndim).map(|a| lens[2 * a] as usize).collect();
    let len = shape.iter().product();
    let mut out = ArrayD::from_shape_vec(IxDyn(&shape), filled(len, T::default()))?;
    for (b, v) in blocks.iter().enumerate() {
        let block = block_ref::<T>(v)?;
        let s = &spec[b * ndim * 3..(b + 1) * ndim * 3];
        let part = |a: usize| {
            (
                s[3 * a] as usize,
                s[3 * a + 1] as usize,
                s[3 * a + 2] as usize,
            )
        };
        let fits = block.ndim() == ndim
            && (0..ndim).all(|a| {
                let (start, end, off) = part(a);
                start <= end && end <= block.shape()[a] && off + (end - start) <= shape[a]
            });
        if !fits {
            return Err(format!(
                "overlap: piece {b} does not fit (block of shape {:?}, gathered {:?})",
                block.shape(),
                shape
            )
            .into());
        }
        let piece = block.slice_each_axis(|ax| {
            let (start, end, _) = part(ax.axis.index());
            Slice::from(start..end)
        });
        out.slice_each_axis_mut(|ax| {
            let (start, end, off) = part(ax.axis.index());
            Slice::from(off..off + (end - start))
        })
        .assign(&piece);
    }
    // Rearrange along each axis that touches an edge, then write the constants (axis
    // after axis: a later axis' constant wins in a corner, as with sequential padding).
    let mut at = 0;
    let mut constants: Vec<(usize, Vec<usize>)> = Vec::new();
    for a in 0..ndim {
        let m = lens[2 * a + 1] as usize;
        let map = &maps[at..at + m];
        at += m;
        if m == 0 {
            continue;
        }
        if shape[a] == 0 || map.iter().any(|&k| k != CONSTANT && k >= shape[a] as u64) {
            return Err(
                format!("overlap: a map of axis {a} points outside the gathered cells").into(),
            );
        }
        let idx: Vec<usize> = map
            .iter()
            .map(|&k| if k == CONSTANT { 0 } else { k as usize })
            .collect();
        out = out.select(Axis(a), &idx);
        let filled: Vec<usize> = (0..m).filter(|&k| map[k] == CONSTANT).collect();
        if !filled.is_empty() {
            constants.push((a, filled));
        }
    }
    for (a, positions) in constants {
        for k in positions {
            out.index_axis_mut(Axis(a), k).fill(fill[a]);
        }
    }
    Ok(block_value(out))
}

per_element!(fn overlap_op_for, "array.overlap", overlap_op);

/// `array.overlap.trim.<T>`: `[block index, declared shape, cuts, block]`; `cuts`: per
/// axis, the cells cut before and after.
fn trim_op<T: Element>(args: Args) -> OpResult {
    let index = args.get::<Vec<u64>>(0)?;
    let declared = usizes_arg(&args, 1)?;
    let cuts = args.get::<Vec<u64>>(2)?;
    let block = block_ref::<T>(args.value(3)?)?;
    if cuts.len() != 2 * declared.len()
        || (0..declared.len())
            .any(|a| cuts[2 * a].saturating_add(cuts[2 * a + 1]) > declared[a] as u64)
    {
        return Err(format!("trim: cuts {cuts:?} do not fit a block of shape {declared:?}").into());
    }
    if block.shape() != declared.as_slice() {
        return Err(format!(
            "block {index:?} has shape {} but the overlapped chunks say {} (a map_overlap \
             function must return a block of its input's shape, or use trim = false)",
            shape_str(block.shape()),
            shape_str(&declared)
        )
        .into());
    }
    let trimmed = block
        .slice_each_axis(|ax| {
            let a = ax.axis.index();
            Slice::from(cuts[2 * a] as usize..declared[a] - cuts[2 * a + 1] as usize)
        })
        .to_owned();
    Ok(block_value(trimmed))
}

per_element!(fn trim_op_for, "array.overlap.trim", trim_op, cheap);
