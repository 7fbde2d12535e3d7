//! `read_parquet`: Parquet files as partitions, one per row group (or per file).
//!
//! **When the frame is built** every file's footer is read once: the schema (files read
//! together must agree), the row groups and their column statistics, kept in memory by
//! the scan node. String and binary columns are read as Arrow `Utf8`/`Binary` whatever
//! view or large type the writer recorded, so expressions see one string type.
//!
//! **Projection pushdown** narrows the scan to the columns a query uses; only their
//! column chunks are read. **Predicate pushdown**: the comparisons of a `filter` that
//! comes straight after the scan (`col op literal`, joined by `&` and `|`) are checked
//! against each row group's minimum, maximum and null count; a row group that cannot
//! hold a matching row is never read — its task returns an empty partition without
//! touching the file (the partition count stays what it was, so the frame's metadata
//! does not depend on the query). The filter itself still runs on the row groups read.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use dask_graph::{Arg, Args, BoxError, Node, OpResult, Value, register_op, tokenize};
use dask_io::{IntoPaths, Reopen, description_arg, file_stamp};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::file::metadata::ParquetMetaData;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, read_error};
use crate::expr::{BinaryOp, Expr};
use crate::frame::DataFrame;
use crate::partition::batch_value;
use crate::plan::{Plan, Scan, postcard_bytes};
use crate::scalar::ScalarValue;

/// Rows per batch when a partition's row count is unknown.
const READ_BATCH: usize = 64 * 1024;

/// The most rows read as one batch (larger partitions are read in batches and joined).
const MAX_BATCH: usize = 1 << 22;

/// How to read Parquet files.
#[derive(Clone, Debug, Default)]
pub struct ParquetOptions {
    per_file: bool,
    columns: Option<Vec<String>>,
    index: Option<String>,
}

impl ParquetOptions {
    /// The defaults: one partition per row group, every column.
    pub fn new() -> ParquetOptions {
        ParquetOptions::default()
    }

    /// One partition per file instead of per row group (for files of many small row
    /// groups).
    pub fn per_file(mut self, per_file: bool) -> ParquetOptions {
        self.per_file = per_file;
        self
    }

    /// The column the files are sorted by: when its row-group statistics show the
    /// partitions in strictly ascending, non-overlapping ranges, the frame carries them
    /// as its [`divisions`](DataFrame::divisions).
    pub fn index(mut self, column: impl Into<String>) -> ParquetOptions {
        self.index = Some(column.into());
        self
    }

    /// Reads only these columns.
    pub fn columns<S: Into<String>>(
        mut self,
        columns: impl IntoIterator<Item = S>,
    ) -> ParquetOptions {
        self.columns = Some(columns.into_iter().map(Into::into).collect());
        self
    }
}

/// Reads Parquet files (a path, a glob, a directory of `*.parquet` files, or a list)
/// as a frame; see [`ParquetOptions`]. Only the footers are read here.
///
/// ```no_run
/// use dask_dataframe::{ParquetOptions, col, lit, read_parquet};
/// use dask_graph::SyncScheduler;
///
/// let df = read_parquet("data/daily-parquet", ParquetOptions::new())?;
/// // Row groups whose `value` statistics rule out `value > 3` are never read.
/// let big = df.filter(col("value").gt(lit(3.0)))?.len()?.compute(&SyncScheduler)?;
/// # Ok::<(), dask_dataframe::Error>(())
/// ```
pub fn read_parquet(paths: impl IntoPaths, options: ParquetOptions) -> Result<DataFrame> {
    let paths: Vec<PathBuf> = dask_io::resolve_paths(paths)?
        .into_iter()
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('_'))
        })
        .collect();
    let mut files = Vec::with_capacity(paths.len());
    let mut schema: Option<SchemaRef> = None;
    for p in &paths {
        let meta = load_metadata(p)?;
        let s = plain_schema(meta.schema());
        match &schema {
            None => schema = Some(s),
            Some(first) if first.fields() != s.fields() => {
                return Err(read_error(
                    p,
                    format!(
                        "its columns are [{}] but {} has [{}]; files read together must have the same columns",
                        crate::expr::resolve::column_list(&s),
                        paths[0].display(),
                        crate::expr::resolve::column_list(first)
                    ),
                ));
            }
            Some(_) => {}
        }
        files.push(ParquetFile {
            path: p.clone(),
            stamp: file_stamp(p)?,
            metadata: Arc::clone(meta.metadata()),
        });
    }
    let Some(schema) = schema else {
        return Err(Error::File(dask_io::Error::NoPaths));
    };
    let mut parts = Vec::new();
    for (f, file) in files.iter().enumerate() {
        let groups = file.metadata.num_row_groups();
        if options.per_file || groups == 0 {
            parts.push(Part {
                file: f,
                row_groups: (0..groups).collect(),
            });
        } else {
            parts.extend((0..groups).map(|g| Part {
                file: f,
                row_groups: vec![g],
            }));
        }
    }
    let projection: Vec<usize> = match &options.columns {
        None => (0..schema.fields().len()).collect(),
        Some(cols) => {
            let mut idx = cols
                .iter()
                .map(|c| {
                    schema.index_of(c).map_err(|_| Error::NoColumn {
                        op: "read_parquet(columns)".into(),
                        column: c.clone(),
                        available: crate::expr::resolve::column_list(&schema),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            idx.sort_unstable();
            idx.dedup();
            idx
        }
    };
    if let Some(c) = &options.index
        && schema.index_of(c).is_err()
    {
        return Err(Error::NoColumn {
            op: "read_parquet(index)".into(),
            column: c.clone(),
            available: crate::expr::resolve::column_list(&schema),
        });
    }
    let stamps: Vec<(String, (u64, u64))> = files
        .iter()
        .map(|f| (f.path.display().to_string(), f.stamp))
        .collect();
    let token = tokenize("read-parquet", &(postcard_bytes(&stamps), options.per_file));
    let scan = ParquetScan::new(
        Arc::new(ScanSource {
            files,
            parts,
            schema,
            token,
            index: options.index.clone(),
        }),
        projection,
        None,
    )?;
    Ok(DataFrame::from_plan(Plan::scan(Arc::new(scan))))
}

/// A file's footer with the Arrow schema, string columns normalised to `Utf8`.
fn load_metadata(path: &Path) -> Result<ArrowReaderMetadata> {
    Ok(open(path)?.1)
}

/// The file, opened, with its footer.
fn open(path: &Path) -> Result<(File, ArrowReaderMetadata)> {
    let file = File::open(path).map_err(|e| read_error(path, format!("cannot open it: {e}")))?;
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
        .map_err(|e| read_error(path, format!("not a readable Parquet file: {e}")))?;
    let wanted = normalised(meta.schema());
    if wanted.fields() == meta.schema().fields() {
        return Ok((file, meta));
    }
    let meta = ArrowReaderMetadata::try_new(
        Arc::clone(meta.metadata()),
        ArrowReaderOptions::new().with_schema(wanted),
    )
    .map_err(|e| read_error(path, format!("cannot read its string columns as Utf8: {e}")))?;
    Ok((file, meta))
}

/// The schema with large and view string and binary types replaced by the plain ones.
fn normalised(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
                DataType::LargeBinary | DataType::BinaryView => DataType::Binary,
                t => t.clone(),
            };
            f.as_ref().clone().with_data_type(t)
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// The frame's schema: names, types and nullability, no metadata.
fn plain_schema(schema: &SchemaRef) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| Field::new(f.name(), f.data_type().clone(), f.is_nullable()))
            .collect::<Vec<_>>(),
    ))
}

/// A file as the scan knows it.
#[derive(Debug)]
struct ParquetFile {
    path: PathBuf,
    stamp: (u64, u64),
    metadata: Arc<ParquetMetaData>,
}

/// One partition: row groups of one file.
#[derive(Clone, Debug)]
struct Part {
    file: usize,
    row_groups: Vec<usize>,
}

/// What every projection and pruning of one read shares.
#[derive(Debug)]
struct ScanSource {
    files: Vec<ParquetFile>,
    parts: Vec<Part>,
    schema: SchemaRef,
    token: String,
    /// The column whose statistics may give divisions.
    index: Option<String>,
}

/// The scan node of a Parquet frame: the source, the columns read and which
/// partitions the pushed-down predicate rules out.
#[derive(Debug)]
struct ParquetScan {
    source: Arc<ScanSource>,
    projection: Vec<usize>,
    /// The predicate the row groups were pruned with, and which partitions it skips.
    pruned: Option<(Expr, Vec<bool>)>,
    schema: SchemaRef,
    reopen: Reopen,
}

/// The task's description: the columns (their types, to build empty partitions) and
/// the root column indices to read.
#[derive(Debug, Serialize, Deserialize)]
struct ParquetDescription {
    schema: Schema,
    projection: Vec<usize>,
}

/// One task's part: the file and row groups, or nothing to read.
#[derive(Debug, Serialize, Deserialize)]
struct TaskPart {
    path: PathBuf,
    row_groups: Vec<usize>,
    skip: bool,
}

impl ParquetScan {
    fn new(
        source: Arc<ScanSource>,
        projection: Vec<usize>,
        pruned: Option<(Expr, Vec<bool>)>,
    ) -> Result<ParquetScan> {
        let schema = Arc::new(source.schema.project(&projection)?);
        let description = ParquetDescription {
            schema: schema.as_ref().clone(),
            projection: projection.clone(),
        };
        let reopen = Reopen::new(&READ_PARQUET, &description)?;
        Ok(ParquetScan {
            source,
            projection,
            pruned,
            schema,
            reopen,
        })
    }
}

impl Scan for ParquetScan {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn npartitions(&self) -> usize {
        self.source.parts.len()
    }

    fn token(&self) -> String {
        let predicate = self.pruned.as_ref().map(|(e, _)| e.to_string());
        tokenize(
            "read-parquet",
            &(
                self.source.token.as_str(),
                self.projection.clone(),
                predicate,
            ),
        )
    }

    fn project(&self, columns: &[&str]) -> Option<Arc<dyn Scan>> {
        let mut projection = Vec::with_capacity(columns.len());
        for c in columns {
            projection.push(self.source.schema.index_of(c).ok()?);
        }
        projection.sort_unstable();
        projection.dedup();
        let scan =
            ParquetScan::new(Arc::clone(&self.source), projection, self.pruned.clone()).ok()?;
        Some(Arc::new(scan))
    }

    fn prune(&self, predicate: &Expr) -> Option<Arc<dyn Scan>> {
        let skip: Vec<bool> = self
            .source
            .parts
            .iter()
            .map(|p| {
                let file = &self.source.files[p.file];
                !p.row_groups.is_empty()
                    && p.row_groups.iter().all(|&g| {
                        !may_match(
                            predicate,
                            &RowGroupStats {
                                file,
                                group: g,
                                schema: &self.source.schema,
                            },
                        )
                    })
            })
            .collect();
        if !skip.iter().any(|&s| s) {
            return None;
        }
        let scan = ParquetScan::new(
            Arc::clone(&self.source),
            self.projection.clone(),
            Some((predicate.clone(), skip)),
        )
        .ok()?;
        Some(Arc::new(scan))
    }

    fn divisions(&self) -> Option<crate::Divisions> {
        self.divisions_on(self.source.index.as_deref()?)
    }

    fn divisions_on(&self, column: &str) -> Option<crate::Divisions> {
        let column = column.to_string();
        if self.pruned.is_some()
            || !self
                .projection
                .contains(&self.source.schema.index_of(&column).ok()?)
        {
            return None;
        }
        let mut ranges = Vec::with_capacity(self.source.parts.len());
        for p in &self.source.parts {
            let file = &self.source.files[p.file];
            let mut range: Option<(ScalarValue, ScalarValue)> = None;
            for &g in &p.row_groups {
                let stats = RowGroupStats {
                    file,
                    group: g,
                    schema: &self.source.schema,
                };
                let (min, max, nulls) = stats.column(&column)?;
                if nulls != Some(0) || min.is_null() || max.is_null() {
                    return None;
                }
                range = Some(match range {
                    None => (min, max),
                    Some((lo, hi)) => (
                        if compare(&min, &lo)? == std::cmp::Ordering::Less {
                            min
                        } else {
                            lo
                        },
                        if compare(&max, &hi)? == std::cmp::Ordering::Greater {
                            max
                        } else {
                            hi
                        },
                    ),
                });
            }
            ranges.push(range?);
        }
        for w in ranges.windows(2) {
            if compare(&w[0].1, &w[1].0)? != std::cmp::Ordering::Less {
                return None;
            }
        }
        let last = ranges.last()?.1.clone();
        let mut boundaries: Vec<ScalarValue> = ranges.into_iter().map(|r| r.0).collect();
        boundaries.push(last);
        Some(crate::Divisions { column, boundaries })
    }

    fn estimated_bytes(&self) -> Option<u64> {
        // The uncompressed sizes of the column chunks read.
        let names: Vec<&str> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        let mut bytes = 0u64;
        for part in &self.source.parts {
            let metadata = &self.source.files[part.file].metadata;
            for &g in &part.row_groups {
                for c in metadata.row_group(g).columns() {
                    if c.column_path()
                        .parts()
                        .first()
                        .is_some_and(|p| names.contains(&p.as_str()))
                    {
                        bytes += c.uncompressed_size().max(0) as u64;
                    }
                }
            }
        }
        Some(bytes)
    }

    fn task(&self, i: usize) -> Node {
        let part = &self.source.parts[i];
        let task = TaskPart {
            path: self.source.files[part.file].path.clone(),
            row_groups: part.row_groups.clone(),
            skip: self.pruned.as_ref().is_some_and(|(_, skip)| skip[i]),
        };
        self.reopen
            .task([Arg::Literal(Value::new(postcard_bytes(&task)))])
    }
}

/// Reads one partition: `[description, part]`.
fn read_parquet_op(args: Args) -> OpResult {
    let d: ParquetDescription = description_arg(&args)?;
    let part: TaskPart = postcard::from_bytes(args.get::<Vec<u8>>(1)?)?;
    let schema = Arc::new(d.schema);
    if part.skip || part.row_groups.is_empty() {
        return Ok(batch_value(RecordBatch::new_empty(schema)));
    }
    let fail = |e: &dyn std::fmt::Display| -> BoxError {
        Box::new(read_error(
            &part.path,
            format!("reading row groups {:?}: {e}", part.row_groups),
        ))
    };
    let (file, meta) = open(&part.path)?;
    let mask = ProjectionMask::roots(meta.parquet_schema(), d.projection.iter().copied());
    // One batch for the whole partition: no second copy to join batches.
    let rows: i64 = part
        .row_groups
        .iter()
        .map(|&g| meta.metadata().row_group(g).num_rows())
        .sum();
    let batch_size = usize::try_from(rows)
        .unwrap_or(READ_BATCH)
        .clamp(1, MAX_BATCH);
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta)
        .with_row_groups(part.row_groups.clone())
        .with_projection(mask)
        .with_batch_size(batch_size)
        .build()
        .map_err(|e| fail(&e))?;
    let batches = reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    let out = match batches.len() {
        0 => RecordBatch::new_empty(schema),
        1 => batches
            .into_iter()
            .next()
            .unwrap_or_else(|| RecordBatch::new_empty(Arc::clone(&schema))),
        _ => arrow_select::concat::concat_batches(&batches[0].schema(), &batches)
            .map_err(|e| fail(&e))?,
    };
    Ok(batch_value(out))
}

register_op!(READ_PARQUET = "dataframe.read_parquet" => read_parquet_op);

/// One row group's statistics, looked up by column.
struct RowGroupStats<'a> {
    file: &'a ParquetFile,
    group: usize,
    schema: &'a SchemaRef,
}

impl RowGroupStats<'_> {
    /// The column's minimum, maximum and null count in the row group, where recorded.
    fn column(&self, name: &str) -> Option<(ScalarValue, ScalarValue, Option<u64>)> {
        let md = &self.file.metadata;
        let conv =
            StatisticsConverter::try_new(name, self.schema, md.file_metadata().schema_descr())
                .ok()?;
        let rg = std::iter::once(md.row_group(self.group));
        let mins = conv.row_group_mins(rg.clone()).ok()?;
        let maxes = conv.row_group_maxes(rg.clone()).ok()?;
        let nulls = conv.row_group_null_counts(rg).ok()?;
        let min = ScalarValue::from_array(mins.as_ref(), 0).ok()?;
        let max = ScalarValue::from_array(maxes.as_ref(), 0).ok()?;
        let nulls = arrow_array::Array::is_valid(&nulls, 0).then(|| nulls.value(0));
        Some((min, max, nulls))
    }

    fn rows(&self) -> u64 {
        self.file.metadata.row_group(self.group).num_rows().max(0) as u64
    }
}

/// Whether a row of the row group could satisfy `predicate` (true when unsure).
fn may_match(predicate: &Expr, stats: &RowGroupStats<'_>) -> bool {
    match predicate {
        Expr::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => may_match(left, stats) && may_match(right, stats),
        Expr::Binary {
            op: BinaryOp::Or,
            left,
            right,
        } => may_match(left, stats) || may_match(right, stats),
        Expr::Binary { op, left, right } => {
            let (column, op, value) = match (left.as_ref(), right.as_ref()) {
                (Expr::Column(c), Expr::Literal(v)) => (c, *op, v),
                (Expr::Literal(v), Expr::Column(c)) => match flip(*op) {
                    Some(op) => (c, op, v),
                    None => return true,
                },
                _ => return true,
            };
            let Some((min, max, nulls)) = stats.column(column) else {
                return true;
            };
            if nulls == Some(stats.rows()) {
                return false; // every value is null: no comparison is true
            }
            let (Some(lo), Some(hi)) = (compare(&min, value), compare(&max, value)) else {
                return true;
            };
            use std::cmp::Ordering::*;
            match op {
                BinaryOp::Eq => lo != Greater && hi != Less,
                // NaNs are left out of float statistics, and NaN != x holds.
                BinaryOp::NotEq => {
                    matches!(value, ScalarValue::Float64(_)) || !(lo == Equal && hi == Equal)
                }
                BinaryOp::Lt => lo == Less,
                BinaryOp::LtEq => lo != Greater,
                BinaryOp::Gt => hi == Greater,
                BinaryOp::GtEq => hi != Less,
                _ => true,
            }
        }
        Expr::IsNull(e) => match e.as_ref() {
            Expr::Column(c) => stats.column(c).is_none_or(|(_, _, nulls)| nulls != Some(0)),
            _ => true,
        },
        _ => true,
    }
}

/// `a op b` as `b op' a`.
fn flip(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Eq | BinaryOp::NotEq => op,
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        _ => return None,
    })
}

/// How a statistic compares with a literal, when they are comparable exactly.
fn compare(stat: &ScalarValue, value: &ScalarValue) -> Option<std::cmp::Ordering> {
    use ScalarValue::*;
    match (stat, value) {
        (Int64(a), Int64(b)) => Some(a.cmp(b)),
        (UInt64(a), UInt64(b)) => Some(a.cmp(b)),
        (Int64(a), UInt64(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
        (UInt64(a), Int64(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
        (Float64(a), Float64(b)) => a.partial_cmp(b),
        // An integer statistic against a float literal: exact below 2^53.
        (Int64(a), Float64(b)) if a.unsigned_abs() < (1 << 53) => (*a as f64).partial_cmp(b),
        (Float64(a), Int64(b)) if b.unsigned_abs() < (1 << 53) => a.partial_cmp(&(*b as f64)),
        (Utf8(a), Utf8(b)) => Some(a.as_str().cmp(b.as_str())),
        (Boolean(a), Boolean(b)) => Some(a.cmp(b)),
        (Date32(a), Date32(b)) => Some(a.cmp(b)),
        (Timestamp(a, u), Timestamp(b, v)) if u == v => Some(a.cmp(b)),
        _ => None,
    }
}
