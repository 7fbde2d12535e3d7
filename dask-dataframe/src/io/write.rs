//! `to_parquet` and `to_csv`: one file per partition in a directory that appears only
//! when complete.
//!
//! The directory is staged ([`dask_io::Staging`]): every task writes its partition
//! (`part.00000.parquet`, ...) into a hidden sibling directory, and only when every
//! task has succeeded is the sibling renamed to the target name. A failed compute
//! removes it, so a failed write never leaves a complete-looking output — and an
//! existing output is replaced only when asked for, and only at the final rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use dask_graph::{
    Arg, Args, Collection, Key, Layer, Node, Op, OpResult, Scheduler, Task, Value, register_op,
    unique_token,
};
use dask_io::{Staging, description_arg, encode_description};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, invalid};
use crate::frame::DataFrame;

/// The compression of a Parquet file's pages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParquetCompression {
    /// Zstandard at level 1: small files, fast to write and read (the default).
    #[default]
    Zstd,
    /// Snappy: what most other tools write by default.
    Snappy,
    /// No compression.
    None,
}

/// How to write a frame.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    overwrite: bool,
    compression: ParquetCompression,
}

impl WriteOptions {
    /// The defaults: zstd pages; an existing output is an error.
    pub fn new() -> WriteOptions {
        WriteOptions::default()
    }

    /// Whether an existing output may be replaced (when the new one is complete).
    pub fn overwrite(mut self, overwrite: bool) -> WriteOptions {
        self.overwrite = overwrite;
        self
    }

    /// The page compression of Parquet files.
    pub fn compression(mut self, compression: ParquetCompression) -> WriteOptions {
        self.compression = compression;
        self
    }
}

/// What a writing task needs: where, and how.
#[derive(Debug, Serialize, Deserialize)]
struct Target {
    dir: PathBuf,
    format: Format,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Format {
    Parquet(ParquetCompression),
    Csv,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Parquet(_) => "parquet",
            Format::Csv => "csv",
        }
    }
}

impl DataFrame {
    /// Writes the frame as a directory of Parquet files, one per partition
    /// (`part.00000.parquet`, ...). The directory appears only when every partition is
    /// written; see [`WriteOptions`].
    pub fn to_parquet(
        &self,
        dir: impl AsRef<Path>,
        options: WriteOptions,
        scheduler: &dyn Scheduler,
    ) -> Result<()> {
        self.write_files(
            dir.as_ref(),
            Format::Parquet(options.compression),
            options.overwrite,
            scheduler,
        )
    }

    /// Writes the frame as a directory of CSV files with headers, one per partition
    /// (`part.00000.csv`, ...), appearing only when every partition is written.
    pub fn to_csv(
        &self,
        dir: impl AsRef<Path>,
        options: WriteOptions,
        scheduler: &dyn Scheduler,
    ) -> Result<()> {
        self.write_files(dir.as_ref(), Format::Csv, options.overwrite, scheduler)
    }

    fn write_files(
        &self,
        dir: &Path,
        format: Format,
        overwrite: bool,
        scheduler: &dyn Scheduler,
    ) -> Result<()> {
        let op = match format {
            Format::Parquet(_) => "to_parquet",
            Format::Csv => "to_csv",
        };
        if !overwrite && dir.exists() {
            return Err(invalid(
                op,
                format!(
                    "{} exists; pass WriteOptions::new().overwrite(true) to replace it",
                    dir.display()
                ),
            ));
        }
        let staging = Staging::new(dir, overwrite)?.describing("the dataframe");
        std::fs::create_dir(staging.temp()).map_err(|e| {
            Error::File(dask_io::Error::Io {
                action: "creating",
                path: staging.temp().to_path_buf(),
                source: e,
            })
        })?;
        let result = self.write_parts(staging.temp(), format, scheduler);
        match result {
            Ok(()) => Ok(staging.commit()?),
            Err(e) => {
                staging.abort();
                Err(e)
            }
        }
    }

    fn write_parts(&self, temp: &Path, format: Format, scheduler: &dyn Scheduler) -> Result<()> {
        let mut graph = Collection::graph(self).into_owned();
        let keys = Collection::keys(self);
        let name: Arc<str> = Arc::from(unique_token("write", &temp.display().to_string()));
        let description = encode_description(&Target {
            dir: temp.to_path_buf(),
            format,
        })?;
        let mut layer = Layer::with_capacity(Arc::clone(&name), keys.len());
        let mut outputs = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let key = Key::block(&name, &[i as u32]);
            let args = vec![
                Arg::Literal(Value::new(description.clone())),
                Arg::Key(k.clone()),
                Arg::Literal(Value::new(i as u64)),
            ];
            layer.insert(
                key.clone(),
                Node::Task(Task::new(Op::Registered(&WRITE_PART), args)),
            );
            outputs.push(key);
        }
        graph.add_layer(layer);
        dask_graph::compute(&graph, &outputs, scheduler)?;
        Ok(())
    }
}

/// Writes one partition: `[target, partition, index]`; returns the rows written.
fn write_part_op(args: Args) -> OpResult {
    let target: Target = description_arg(&args)?;
    let batch = args.get::<RecordBatch>(1)?;
    let index = *args.get::<u64>(2)?;
    let path = target
        .dir
        .join(format!("part.{index:05}.{}", target.format.extension()));
    let fail = |e: &dyn std::fmt::Display| -> dask_graph::BoxError {
        Box::new(Error::Write {
            path: path.clone(),
            message: format!("writing partition {index}: {e}"),
        })
    };
    let file = File::create_new(&path).map_err(|e| fail(&e))?;
    match target.format {
        Format::Parquet(c) => {
            use parquet::basic::{Compression, ZstdLevel};
            let compression = match c {
                ParquetCompression::Zstd => {
                    Compression::ZSTD(ZstdLevel::try_new(1).map_err(|e| fail(&e))?)
                }
                ParquetCompression::Snappy => Compression::SNAPPY,
                ParquetCompression::None => Compression::UNCOMPRESSED,
            };
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(compression)
                .build();
            let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props))
                .map_err(|e| fail(&e))?;
            w.write(batch).map_err(|e| fail(&e))?;
            w.close().map_err(|e| fail(&e))?;
        }
        Format::Csv => {
            let mut out = BufWriter::new(file);
            let mut w = arrow_csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut out);
            w.write(batch).map_err(|e| fail(&e))?;
            drop(w);
            out.flush().map_err(|e| fail(&e))?;
        }
    }
    Ok(Value::new(batch.num_rows() as u64))
}

register_op!(WRITE_PART = "dataframe.write_part" => write_part_op);
