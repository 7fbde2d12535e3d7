//! The values a shuffle moves: the pieces one partition is cut into, and which piece a
//! row goes to at each stage.

use dask_graph::{Args, BoxError, Data, OpResult, Value, register_codec, register_op};
use serde::{Deserialize, Serialize};

/// Which piece a row goes to in one split: the row's output partition `target` is
/// written in base `k`, and the piece is its digit at place `divisor` —
/// `(target / divisor) % k`. A one-stage shuffle has `divisor = 1` and `k` = the number
/// of output partitions, so the piece is the target itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The place value of the digit this split sorts by (`k^stage`).
    pub divisor: u64,
    /// How many pieces.
    pub k: u32,
}

impl Route {
    /// The piece of a row whose output partition is `target`.
    #[inline]
    pub fn piece(&self, target: u64) -> usize {
        ((target / self.divisor) % u64::from(self.k)) as usize
    }

    /// The rows of each piece, given each row's output partition: `k` lists of row
    /// indices, each ascending, so pieces keep the rows' order.
    pub fn rows_by_piece(&self, targets: impl IntoIterator<Item = u64>) -> Vec<Vec<u32>> {
        let mut pieces = vec![Vec::new(); self.k as usize];
        for (row, t) in targets.into_iter().enumerate() {
            pieces[self.piece(t)].push(row as u32);
        }
        pieces
    }
}

impl Data for Route {}
dask_graph::register_serde_codec!(Route, "shuffle-route");

/// The pieces of a partition cut by a split (`None` for a piece with no rows), or the
/// pieces gathered for one output partition. A collection's concatenation receives
/// them through [`Pieces::flatten`].
#[derive(Clone, Debug, Default)]
pub struct Pieces(pub Vec<Option<Value>>);

impl Pieces {
    /// Every partition among the values given — each a partition or a `Pieces`, nested
    /// to any depth — in order: what a split and a concatenation are handed.
    pub fn flatten(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
        let mut out = Vec::new();
        for v in values {
            flatten_into(v, &mut out);
        }
        out
    }

    /// A split of `input` (a partition or a `Pieces` of them, as a split receives it)
    /// made by splitting each partition with `split` into `k` pieces: piece `b` of the
    /// result gathers piece `b` of every partition, in order (without concatenating).
    pub fn split_each(
        input: Value,
        k: usize,
        mut split: impl FnMut(&Value) -> Result<Pieces, BoxError>,
    ) -> Result<Pieces, BoxError> {
        let parts = Pieces::flatten([input]);
        if let [one] = parts.as_slice() {
            return split(one);
        }
        let mut gathered: Vec<Vec<Option<Value>>> = vec![Vec::new(); k];
        for part in &parts {
            let pieces = split(part)?;
            if pieces.0.len() != k {
                return Err(format!(
                    "a split made {} pieces where {k} were asked for",
                    pieces.0.len()
                )
                .into());
            }
            for (b, piece) in pieces.0.into_iter().enumerate() {
                if piece.is_some() {
                    gathered[b].push(piece);
                }
            }
        }
        Ok(Pieces(
            gathered
                .into_iter()
                .map(|g| (!g.is_empty()).then(|| Value::new(Pieces(g))))
                .collect(),
        ))
    }
}

fn flatten_into(v: Value, out: &mut Vec<Value>) {
    match v.try_take::<Pieces>() {
        Ok(p) => p.0.into_iter().flatten().for_each(|v| flatten_into(v, out)),
        Err(v) => match v.downcast_ref::<Pieces>() {
            Some(p) => {
                p.0.iter()
                    .flatten()
                    .for_each(|v| flatten_into(v.clone(), out))
            }
            None => out.push(v),
        },
    }
}

impl Data for Pieces {
    fn nbytes(&self) -> usize {
        self.0.iter().flatten().map(Value::nbytes).sum()
    }
}

/// Appends one encoded value: its codec's name, the length of its bytes, the bytes.
pub(crate) fn put_value(value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let at = out.len();
    out.extend_from_slice(&[0; 2]);
    let len_at = out.len();
    out.extend_from_slice(&[0; 8]);
    // The codec's name goes after the length; the name's own length first.
    let body = out.len();
    let codec = value.encode_into(out)?;
    let name = codec.name.as_bytes();
    let len = (out.len() - body) as u64;
    out[at..at + 2].copy_from_slice(&(name.len() as u16).to_le_bytes());
    out[len_at..len_at + 8].copy_from_slice(&len.to_le_bytes());
    out.extend_from_slice(name);
    Ok(())
}

/// Reads a value written by [`put_value`] at the front of `bytes`; returns it and the
/// rest.
pub(crate) fn get_value(bytes: &[u8]) -> Result<(Value, &[u8]), BoxError> {
    let (name_len, rest) = split(bytes, 2)?;
    let name_len = u16::from_le_bytes([name_len[0], name_len[1]]) as usize;
    let (len, rest) = split(rest, 8)?;
    let len = u64::from_le_bytes(len.try_into().map_err(|_| "truncated length")?);
    let len = usize::try_from(len).map_err(|_| "a piece longer than memory")?;
    let (body, rest) = split(rest, len)?;
    let (name, rest) = split(rest, name_len)?;
    let name = std::str::from_utf8(name).map_err(|_| "a codec name that is not UTF-8")?;
    Ok((Value::decode(name, body)?, rest))
}

/// `bytes` cut after `n`, or an error saying the data is truncated.
pub(crate) fn split(bytes: &[u8], n: usize) -> Result<(&[u8], &[u8]), BoxError> {
    if bytes.len() < n {
        return Err(format!(
            "truncated shuffle data: {n} byte(s) expected, {} left",
            bytes.len()
        )
        .into());
    }
    Ok(bytes.split_at(n))
}

fn encode_pieces(value: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let pieces = value.get::<Pieces>()?;
    out.extend_from_slice(&(pieces.0.len() as u64).to_le_bytes());
    for p in &pieces.0 {
        match p {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                put_value(v, out)?;
            }
        }
    }
    Ok(())
}

fn decode_pieces(bytes: &[u8]) -> Result<Value, BoxError> {
    let (n, mut rest) = split(bytes, 8)?;
    let n = u64::from_le_bytes(n.try_into().map_err(|_| "truncated count")?);
    let mut pieces = Vec::new();
    for _ in 0..n {
        let (flag, r) = split(rest, 1)?;
        rest = r;
        if flag[0] == 0 {
            pieces.push(None);
        } else {
            let (v, r) = get_value(rest)?;
            rest = r;
            pieces.push(Some(v));
        }
    }
    Ok(Value::new(Pieces(pieces)))
}

register_codec!(Pieces, "shuffle-pieces", encode_pieces, decode_pieces);

/// `[pieces, index]`: the one piece a later stage needs, as a `Pieces` of one (so an
/// empty piece stays empty). A task of its own, not folded into its reader, so under
/// the process scheduler it runs where the split's result is and only that piece
/// travels.
fn pick(mut args: Args) -> OpResult {
    let i = *args.get::<u32>(1)? as usize;
    let mut pieces = args.take::<Pieces>(0)?;
    let piece = pieces.0.get_mut(i).and_then(Option::take);
    Ok(Value::new(Pieces(vec![piece])))
}

register_op!(pub(crate) PICK = "shuffle.pick" => pick);

/// `[values...]`: the pieces a stage in the middle gathers, passed on as they are —
/// nothing is concatenated until an output partition is made.
fn gather(args: Args) -> OpResult {
    Ok(Value::new(Pieces(
        args.into_values().into_iter().map(Some).collect(),
    )))
}

register_op!(pub(crate) GATHER = "shuffle.gather" => gather);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_take_one_digit() {
        let r = Route { divisor: 4, k: 4 };
        assert_eq!(r.piece(0), 0);
        assert_eq!(r.piece(5), 1);
        assert_eq!(r.piece(15), 3);
        assert_eq!(r.piece(16), 0);
        assert_eq!(
            Route { divisor: 1, k: 3 }.rows_by_piece([2, 0, 2, 1]),
            vec![vec![1], vec![3], vec![0, 2]]
        );
    }

    #[test]
    fn pieces_round_trip_through_their_codec() {
        let p = Pieces(vec![
            Some(Value::new(3i64)),
            None,
            Some(Value::new(vec![1u8, 2])),
        ]);
        let e = Value::new(p).encode().unwrap();
        let back = Value::decode(&e.codec, &e.bytes).unwrap();
        let flat = Pieces::flatten([back]);
        assert_eq!(flat.len(), 2);
        assert_eq!(flat[0].downcast_ref::<i64>(), Some(&3));
        assert_eq!(flat[1].downcast_ref::<Vec<u8>>(), Some(&vec![1, 2]));
        assert!(decode_pieces(&e.bytes[..e.bytes.len() - 1]).is_err());
    }
}
