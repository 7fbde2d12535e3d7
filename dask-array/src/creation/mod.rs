//! Creating arrays: from an in-memory `ndarray`, constant fills, ranges.
//!
//! Generated arrays (`full`, `arange`, `linspace`) hold no data in the graph: each block
//! is a task that makes it from a few literal parameters, so a 16 GB `zeros` costs a few
//! kilobytes until it is computed, and blocks are made where they are used. Their
//! operations are registered as *generators*: the optimizer copies an input-less
//! generator task into each reader, so a generated block is made again rather than kept
//! in memory for a second reader. Random arrays ([`random`]) work the same way.

use dask_graph::{Args, OpResult, Tokenizer};
use ndarray::{ArrayBase, ArrayD, Dimension, IxDyn, Slice};

use crate::array::Array;
use crate::block::{block_value, filled};
use crate::chunks::{ChunkSpec, normalize_chunks};
use crate::element::per_type::{per_element, per_float, per_number};
use crate::element::{Element, Float, Number, scalar_bits};
use crate::error::{Result, invalid};
use crate::layer::{build, data_block, layer_name, lit, lit_usizes, task, usizes_arg};

pub mod random;
mod ziggurat;

impl<T: Element> Array<T> {
    /// An array holding a copy of `data`, cut into blocks by `chunks`.
    ///
    /// The layer name is a hash of the shape, chunks and contents, so the same data
    /// gives the same keys.
    pub fn from_ndarray<S, D>(
        data: ArrayBase<S, D>,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Array<T>>
    where
        S: ndarray::Data<Elem = T>,
        D: Dimension,
    {
        let data = data.into_dyn();
        let chunks = normalize_chunks(chunks, data.shape(), T::DTYPE.itemsize())?;
        // Hash the contents through a 64 KiB buffer (one hasher call per buffer).
        let mut hasher = Tokenizer::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut used = 0;
        for &x in data.iter() {
            if used + T::N > buf.len() {
                hasher.bytes(&buf[..used]);
                used = 0;
            }
            x.put(&mut buf[used..used + T::N]);
            used += T::N;
        }
        hasher.bytes(&buf[..used]);
        let name = layer_name(
            "array",
            &(T::DTYPE.name(), chunks.per_axis().to_vec(), hasher.hex()),
        );
        Ok(build(&[], name, chunks.clone(), |index| {
            let view = data.slice_each_axis(|ax| {
                let a = ax.axis.index();
                Slice::from(chunks.block_range(a, index[a]).unwrap_or(0..0))
            });
            data_block(view.as_standard_layout().into_owned())
        }))
    }
}

impl<T: Element> Array<T> {
    /// An array of `shape` filled with `value`.
    pub fn full(shape: &[usize], value: T, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        let chunks = normalize_chunks(chunks, shape, T::DTYPE.itemsize())?;
        let name = layer_name(
            "full",
            &(
                T::DTYPE.name(),
                chunks.per_axis().to_vec(),
                scalar_bits(value),
            ),
        );
        let op = full_op_for::<T>();
        Ok(build(&[], name, chunks.clone(), |index| {
            let shape = chunks.block_shape(index).unwrap_or_default();
            task(op, vec![lit_usizes(&shape), lit(value)])
        }))
    }

    /// An array of `shape` filled with zeros (`false`).
    pub fn zeros(shape: &[usize], chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        Array::full(shape, T::zero(), chunks)
    }

    /// An array of `shape` filled with ones (`true`).
    pub fn ones(shape: &[usize], chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        Array::full(shape, T::one(), chunks)
    }
}

impl<T: Number> Array<T> {
    /// `start, start + step, ...` up to but excluding `stop`, as NumPy's `arange`.
    pub fn arange(start: T, stop: T, step: T, chunks: impl Into<ChunkSpec>) -> Result<Array<T>> {
        if step == T::zero() {
            return Err(invalid("arange", "step must not be zero"));
        }
        let len = T::arange_len(start, stop, step).ok_or_else(|| {
            invalid(
                "arange",
                format!("cannot compute the length of arange({start:?}, {stop:?}, {step:?})"),
            )
        })?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= isize::MAX as usize)
            .ok_or_else(|| invalid("arange", format!("{len} elements is too many")))?;
        let chunks = normalize_chunks(chunks, &[len], T::DTYPE.itemsize())?;
        let name = layer_name(
            "arange",
            &(
                T::DTYPE.name(),
                chunks.per_axis().to_vec(),
                (scalar_bits(start), scalar_bits(stop), scalar_bits(step)),
            ),
        );
        let op = arange_op_for::<T>();
        Ok(build(&[], name, chunks.clone(), |index| {
            let r = chunks.block_range(0, index[0]).unwrap_or(0..0);
            task(
                op,
                vec![
                    lit(r.start as u64),
                    lit(r.len() as u64),
                    lit(start),
                    lit(step),
                ],
            )
        }))
    }
}

impl<T: Float> Array<T> {
    /// `num` evenly spaced values from `start` to `stop` (included when `endpoint`), as
    /// NumPy's `linspace`.
    pub fn linspace(
        start: f64,
        stop: f64,
        num: usize,
        endpoint: bool,
        chunks: impl Into<ChunkSpec>,
    ) -> Result<Array<T>> {
        let chunks = normalize_chunks(chunks, &[num], T::DTYPE.itemsize())?;
        let name = layer_name(
            "linspace",
            &(
                T::DTYPE.name(),
                chunks.per_axis().to_vec(),
                (start.to_bits(), stop.to_bits(), num, endpoint),
            ),
        );
        let op = linspace_op_for::<T>();
        Ok(build(&[], name, chunks.clone(), |index| {
            let r = chunks.block_range(0, index[0]).unwrap_or(0..0);
            task(
                op,
                vec![
                    lit(vec![start, stop]),
                    lit(vec![
                        r.start as u64,
                        r.len() as u64,
                        num as u64,
                        u64::from(endpoint),
                    ]),
                ],
            )
        }))
    }
}

/// `array.full.<T>`: `[shape, value]`.
fn full_op<T: Element>(args: Args) -> OpResult {
    let shape = usizes_arg(&args, 0)?;
    let value = *args.get::<T>(1)?;
    let len = shape.iter().product();
    let data = filled(len, value);
    Ok(block_value(ArrayD::from_shape_vec(IxDyn(&shape), data)?))
}

per_element!(fn full_op_for, "array.full", full_op, generator);

/// `array.arange.<T>`: `[offset, len, start, step]`.
fn arange_op<T: Number>(args: Args) -> OpResult {
    let offset = *args.get::<u64>(0)?;
    let len = *args.get::<u64>(1)? as usize;
    let (start, step) = (*args.get::<T>(2)?, *args.get::<T>(3)?);
    let data: Vec<T> = (0..len as u64)
        .map(|i| T::affine(start, step, offset + i))
        .collect();
    Ok(block_value(ArrayD::from_shape_vec(IxDyn(&[len]), data)?))
}

per_number!(fn arange_op_for, "array.arange", arange_op, generator);

/// `array.linspace.<T>`: `[[start, stop], [offset, len, num, endpoint]]`.
fn linspace_op<T: Float>(args: Args) -> OpResult {
    let ends = args.get::<Vec<f64>>(0)?;
    let p = args.get::<Vec<u64>>(1)?;
    let (&[start, stop], &[offset, len, num, endpoint]) = (ends.as_slice(), p.as_slice()) else {
        return Err("linspace: malformed parameters".into());
    };
    let div = if endpoint != 0 {
        num.saturating_sub(1)
    } else {
        num
    };
    let step = if div > 0 {
        (stop - start) / div as f64
    } else {
        0.0
    };
    let data: Vec<T> = (offset..offset + len)
        .map(|i| {
            let x = if endpoint != 0 && i + 1 == num && num > 1 {
                stop
            } else {
                start + i as f64 * step
            };
            T::from_f64(x)
        })
        .collect();
    Ok(block_value(ArrayD::from_shape_vec(
        IxDyn(&[len as usize]),
        data,
    )?))
}

per_float!(fn linspace_op_for, "array.linspace", linspace_op, generator);
