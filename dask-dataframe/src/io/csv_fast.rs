//! The fast path of `read_csv`: blocks without quotes parsed straight into the projected
//! columns.
//!
//! arrow-csv's decoder copies every field of every row into its own buffer before it
//! builds the projected columns, which bounds it at about 400 MB/s per core however few
//! columns a query reads. Most machine-written CSV has no quoted fields, and for such a
//! block a much simpler parse is exact: one SIMD scan (`memchr2`) yields every delimiter
//! and line end; fields outside the projection are skipped without being touched; each
//! projected field is handed, as a `&str` slice of the block, to the same Arrow parser
//! arrow-csv would call (`arrow_cast::parse::Parser` for numbers, its boolean rule,
//! the empty string as null).
//!
//! The fast path only ever answers for blocks it reads exactly as arrow-csv would: a
//! block with a quote, a carriage return not followed by a line end, an empty line,
//! invalid UTF-8, a row with the wrong number of fields, a value that does not parse or
//! a column type it does not build returns `None`, and the caller decodes the block with
//! arrow-csv instead (which also produces the errors and their diagnosis).

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow_cast::parse::Parser;
use arrow_schema::{DataType, Schema};

/// A column being built from field slices.
enum Column {
    Int64(Int64Builder),
    Float64(Float64Builder),
    Boolean(BooleanBuilder),
    Utf8(StringBuilder),
}

impl Column {
    /// A builder for `t`, if the fast path builds that type.
    fn new(t: &DataType, rows: usize, bytes: usize) -> Option<Column> {
        Some(match t {
            DataType::Int64 => Column::Int64(Int64Builder::with_capacity(rows)),
            DataType::Float64 => Column::Float64(Float64Builder::with_capacity(rows)),
            DataType::Boolean => Column::Boolean(BooleanBuilder::with_capacity(rows)),
            DataType::Utf8 => Column::Utf8(StringBuilder::with_capacity(rows, bytes)),
            _ => return None,
        })
    }

    /// Appends one field; `None` if it does not parse (the slow path will say why).
    #[inline]
    fn push(&mut self, s: &str) -> Option<()> {
        if s.is_empty() {
            match self {
                Column::Int64(b) => b.append_null(),
                Column::Float64(b) => b.append_null(),
                Column::Boolean(b) => b.append_null(),
                Column::Utf8(b) => b.append_null(),
            }
            return Some(());
        }
        match self {
            Column::Int64(b) => b.append_value(Int64Type::parse(s)?),
            Column::Float64(b) => b.append_value(Float64Type::parse(s)?),
            Column::Boolean(b) => b.append_value(if s.eq_ignore_ascii_case("true") {
                true
            } else if s.eq_ignore_ascii_case("false") {
                false
            } else {
                return None;
            }),
            Column::Utf8(b) => b.append_value(s),
        }
        Some(())
    }

    fn finish(self) -> ArrayRef {
        match self {
            Column::Int64(mut b) => Arc::new(b.finish()),
            Column::Float64(mut b) => Arc::new(b.finish()),
            Column::Boolean(mut b) => Arc::new(b.finish()),
            Column::Utf8(mut b) => Arc::new(b.finish()),
        }
    }
}

/// The projected columns of a block, or `None` where arrow-csv must decide (see the
/// module notes). `projection` is ascending.
pub(super) fn decode(
    schema: &Schema,
    projection: &[usize],
    delimiter: u8,
    bytes: &[u8],
    header: bool,
) -> Option<RecordBatch> {
    if delimiter == b'\n'
        || delimiter == b'\r'
        || delimiter == b'"'
        || memchr::memchr(b'"', bytes).is_some()
    {
        return None;
    }
    for r in memchr::memchr_iter(b'\r', bytes) {
        if bytes.get(r + 1) != Some(&b'\n') {
            return None;
        }
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let body = if header {
        match memchr::memchr(b'\n', bytes) {
            Some(i) => &text[i + 1..],
            None => "",
        }
    } else {
        text
    };
    let ncols = schema.fields().len();
    // A first guess of the rows from the first line's length, to size the builders.
    let line = memchr::memchr(b'\n', body.as_bytes())
        .map_or(body.len(), |i| i + 1)
        .max(1);
    let rows_guess = body.len() / line + 1;
    let mut slots = vec![usize::MAX; ncols];
    let mut columns = Vec::with_capacity(projection.len());
    for (k, &i) in projection.iter().enumerate() {
        slots[i] = k;
        columns.push(Column::new(
            schema.field(i).data_type(),
            rows_guess,
            body.len() / ncols.max(1),
        )?);
    }
    let b = body.as_bytes();
    let (mut field, mut start, mut rows) = (0usize, 0usize, 0usize);
    for pos in memchr::memchr2_iter(delimiter, b'\n', b) {
        let newline = b[pos] == b'\n';
        if newline && field == 0 && pos == start {
            return None; // an empty line
        }
        let end = if newline && pos > start && b[pos - 1] == b'\r' {
            pos - 1
        } else {
            pos
        };
        let k = *slots.get(field)?;
        if k != usize::MAX {
            columns[k].push(&body[start..end])?;
        }
        field += 1;
        start = pos + 1;
        if newline {
            if field != ncols {
                return None;
            }
            field = 0;
            rows += 1;
        }
    }
    if start < b.len() || field > 0 {
        // The last line, without a line end.
        let k = *slots.get(field)?;
        if k != usize::MAX {
            columns[k].push(&body[start..])?;
        }
        if field + 1 != ncols {
            return None;
        }
        rows += 1;
    }
    let projected = Arc::new(schema.project(projection).ok()?);
    let arrays: Vec<ArrayRef> = columns.into_iter().map(Column::finish).collect();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(projected, arrays, &options).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use arrow_schema::Field;
    use proptest::prelude::*;

    use super::*;

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("i", DataType::Int64, true),
            Field::new("f", DataType::Float64, true),
            Field::new("s", DataType::Utf8, true),
            Field::new("b", DataType::Boolean, true),
        ])
    }

    /// arrow-csv's answer for the same block.
    fn arrow(
        schema: &Schema,
        projection: &[usize],
        bytes: &[u8],
        header: bool,
    ) -> Option<RecordBatch> {
        let mut d = arrow_csv::ReaderBuilder::new(Arc::new(schema.clone()))
            .with_header(header)
            .with_projection(projection.to_vec())
            .with_batch_size(1 << 20)
            .build_decoder();
        let mut rest = bytes;
        while !rest.is_empty() {
            let n = d.decode(rest).ok()?;
            if n == 0 {
                break;
            }
            rest = &rest[n..];
        }
        d.decode(&[]).ok()?;
        let out = d.flush().ok()?;
        Some(out.unwrap_or_else(|| {
            RecordBatch::new_empty(Arc::new(schema.project(projection).unwrap()))
        }))
    }

    /// A row whose fields mostly fit their columns (int, float, string, bool), with the
    /// occasional empty or ill-typed field.
    fn row() -> impl Strategy<Value = Vec<String>> {
        let odd = || {
            prop::sample::select(vec![
                "", "x", "1e3", "-0", "+7", "nan", "inf", "TRUE", "1.5",
            ])
            .prop_map(String::from)
        };
        (
            prop_oneof![8 => any::<i64>().prop_map(|i| i.to_string()), 1 => odd()],
            prop_oneof![8 => (-1e6f64..1e6).prop_map(|f| format!("{f}")), 1 => odd()],
            prop_oneof![8 => "[a-zA-Zé ]{1,6}", 1 => odd()],
            prop_oneof![8 => prop::sample::select(vec!["true", "False", "TRUE"]).prop_map(String::from), 1 => odd()],
        )
            .prop_map(|(a, b, c, d)| vec![a, b, c, d])
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_arrow_csv_whenever_it_answers(
            rows in prop::collection::vec(row(), 0..30),
            projection in prop::sample::subsequence(vec![0usize, 1, 2, 3], 1..=4),
            crlf in any::<bool>(),
            final_newline in any::<bool>(),
            header in any::<bool>(),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = if header { format!("i,f,s,b{end}") } else { String::new() };
            for (n, r) in rows.iter().enumerate() {
                text += &r.join(",");
                if n + 1 < rows.len() || final_newline {
                    text += end;
                }
            }
            let s = schema();
            let fast = decode(&s, &projection, b',', text.as_bytes(), header);
            let slow = arrow(&s, &projection, text.as_bytes(), header);
            if let Some(fast) = fast {
                let slow = slow.expect("arrow-csv reads what the fast path reads");
                prop_assert_eq!(fast.num_rows(), slow.num_rows());
                for (a, b) in fast.columns().iter().zip(slow.columns()) {
                    prop_assert_eq!(a.to_data(), b.to_data(), "{}", text);
                }
            }
        }
    }

    #[test]
    fn answers_for_plain_blocks_and_declines_the_rest() {
        let s = schema();
        let ok = b"i,f,s,b\n1,2.5,x,true\n,,,\n-3,1e3,yz,FALSE";
        let got = decode(&s, &[0, 2], b',', ok, true).unwrap();
        assert_eq!(got.num_rows(), 3);
        assert_eq!(got.num_columns(), 2);
        for bad in [
            &b"1,2,\"q\",true\n"[..],
            b"1,2,x\n",
            b"1,2,x,true,5\n",
            b"1,2,x,maybe\n",
            b"1.5,2,x,true\n",
            b"1,2,x,true\n\n2,3,y,false\n",
            b"1,2,x\rx,true\n",
            b"1,2,\xff,true\n",
        ] {
            assert!(
                decode(&s, &[0, 1, 2, 3], b',', bad, false).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(decode(&s, &[0], b',', b"", false).unwrap().num_rows(), 0);
    }
}
