//! Partitions as graph values: an Arrow `RecordBatch`, its size, and its codec.
//!
//! A partition is a plain `RecordBatch` (cheap to clone: its columns are `Arc`s). It
//! crosses processes in the Arrow IPC stream format (codec `arrow-ipc-batch`), which
//! writes the buffers as they are, so encoding and decoding run at memory speed.

use arrow_array::RecordBatch;
use arrow_ipc::reader::StreamReader;
use arrow_ipc::writer::StreamWriter;
use dask_graph::{BoxError, Value, register_codec};

/// A partition as a graph value, sized by the memory its buffers take: what a
/// registered function given to [`map_partitions_op`](crate::DataFrame::map_partitions_op)
/// returns.
pub fn batch_value(batch: RecordBatch) -> Value {
    let n = batch.get_array_memory_size();
    Value::with_nbytes(batch, n)
}

fn encode(v: &Value, out: &mut Vec<u8>) -> Result<(), BoxError> {
    let batch = v.get::<RecordBatch>()?;
    let mut w = StreamWriter::try_new(out, &batch.schema())?;
    w.write(batch)?;
    w.finish()?;
    Ok(())
}

fn decode(bytes: &[u8]) -> Result<Value, BoxError> {
    let mut reader = StreamReader::try_new(bytes, None)?;
    let schema = reader.schema();
    let batch = match reader.next() {
        Some(b) => b?,
        None => RecordBatch::new_empty(schema),
    };
    Ok(batch_value(batch))
}

register_codec!(RecordBatch, "arrow-ipc-batch", encode, decode);

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Float64Array, Int64Array, StringArray};

    use super::*;

    #[test]
    fn partitions_cross_processes_through_arrow_ipc() {
        let batch = RecordBatch::try_from_iter([
            (
                "i",
                Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as _,
            ),
            (
                "x",
                Arc::new(Float64Array::from(vec![0.5, 1.5, f64::NAN])) as _,
            ),
            (
                "s",
                Arc::new(StringArray::from(vec![Some("a"), Some("bé"), None])) as _,
            ),
        ])
        .unwrap();
        let e = batch_value(batch.clone()).encode().unwrap();
        assert_eq!(e.codec, "arrow-ipc-batch");
        let back = Value::decode(&e.codec, &e.bytes).unwrap();
        let back = back.get::<RecordBatch>().unwrap();
        assert_eq!(back.schema(), batch.schema());
        assert_eq!(back.column(0), batch.column(0));
        assert_eq!(back.column(2), batch.column(2));
        let x = back
            .column(1)
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert!(x.value(2).is_nan());
    }
}
