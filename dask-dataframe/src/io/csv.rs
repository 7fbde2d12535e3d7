//! `read_csv`: CSV files as partitions, one per line-aligned byte block.
//!
//! **When the frame is built** every file's header is read (they must agree), and the
//! column types are inferred from a sample of the first file (256 KiB by default, as in
//! Dask) with Arrow's inference rules, then overridden per column ([`CsvOptions::dtype`],
//! [`CsvOptions::parse_dates`]). As in pandas and Polars, a column that looks like
//! dates stays a string unless `parse_dates` names it. Plain files are cut into blocks
//! of about `blocksize` bytes ([`dask_io::split_files`]: each block holds the lines that
//! start in its range); gzip and zstd files are one block each.
//!
//! **Each task** reopens its file from a serialized description ([`dask_io::Reopen`]),
//! reads its block into one buffer and parses only the projected columns (the plan
//! pushes a query's columns down into the scan, see `plan::optimize`): a block without
//! quotes goes through the fast path (`csv_fast`: one SIMD scan for delimiters and line
//! ends, the projected fields parsed in place, the others skipped), anything else
//! through arrow-csv's push decoder, which tokenizes every field but builds arrays only
//! for the projected columns.
//!
//! **When a block does not parse**, the task diagnoses it itself rather than passing on
//! the decoder's message (which counts rows from the start of the block): it walks the
//! block's records, finds the first field that does not fit (a value of the wrong type,
//! a row with the wrong number of fields, bytes that are not UTF-8), counts the lines
//! before the block in the file, and reports the file, the line, the column, the value
//! and its type, with the option that would read it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, StringArray};
use arrow_cast::CastOptions;
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use dask_graph::{Arg, Args, BoxError, Node, OpResult, Value, register_op, tokenize};
use dask_io::{Compression, FileBlock, IntoPaths, Reopen, description_arg, file_stamp};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, read_error};
use crate::frame::DataFrame;
use crate::partition::batch_value;
use crate::plan::{Plan, Scan, postcard_bytes};

/// Dask's default block size: 64 MiB.
pub const DEFAULT_BLOCKSIZE: u64 = 64 * 1024 * 1024;

/// Dask's default sample for type inference: 256 KiB of the first file.
pub const DEFAULT_SAMPLE: usize = 256 * 1024;

/// Rows per batch the decoder builds before the partition's batches are joined.
const DECODE_BATCH: usize = 64 * 1024;

/// How much of each file after the first is read for its header (more only if the
/// header is longer).
const HEADER_PROBE: usize = 64 * 1024;

/// The longest header line accepted (a header that long is surely not one).
const MAX_HEADER: usize = 1 << 20;

/// How to read CSV files: block size, header, delimiter, types and columns.
///
/// ```
/// use arrow_schema::DataType;
/// use dask_dataframe::CsvOptions;
///
/// let options = CsvOptions::new()
///     .blocksize(Some(16 << 20))
///     .dtype("user_id", DataType::Int64)
///     .parse_dates(["timestamp"])
///     .usecols(["user_id", "value", "timestamp"]);
/// # let _ = options;
/// ```
#[derive(Clone, Debug)]
pub struct CsvOptions {
    blocksize: Option<u64>,
    delimiter: u8,
    header: bool,
    dtypes: Vec<(String, DataType)>,
    parse_dates: Vec<String>,
    usecols: Option<Vec<String>>,
    sample: usize,
    compression: Option<Compression>,
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions {
            blocksize: Some(DEFAULT_BLOCKSIZE),
            delimiter: b',',
            header: true,
            dtypes: Vec::new(),
            parse_dates: Vec::new(),
            usecols: None,
            sample: DEFAULT_SAMPLE,
            compression: None,
        }
    }
}

impl CsvOptions {
    /// The defaults: 64 MiB blocks, `,`, a header line, types inferred from 256 KiB.
    pub fn new() -> CsvOptions {
        CsvOptions::default()
    }

    /// The nominal size of a block; `None` reads each file as one partition.
    pub fn blocksize(mut self, blocksize: Option<u64>) -> CsvOptions {
        self.blocksize = blocksize;
        self
    }

    /// The field delimiter (`b','` by default; `b'\t'` for TSV).
    pub fn delimiter(mut self, delimiter: u8) -> CsvOptions {
        self.delimiter = delimiter;
        self
    }

    /// Whether the first line of each file names the columns (true by default; without
    /// a header the columns are named `column_1`, `column_2`, ...).
    pub fn header(mut self, header: bool) -> CsvOptions {
        self.header = header;
        self
    }

    /// Reads column `name` as `dtype` instead of the inferred type.
    pub fn dtype(mut self, name: impl Into<String>, dtype: DataType) -> CsvOptions {
        self.dtypes.push((name.into(), dtype));
        self
    }

    /// Parses these columns as timestamps (microseconds, no time zone) — `2015-01-31`,
    /// `2015-01-31 12:00:00`, `2015-01-31T12:00:00.250`.
    pub fn parse_dates<S: Into<String>>(
        mut self,
        columns: impl IntoIterator<Item = S>,
    ) -> CsvOptions {
        self.parse_dates.extend(columns.into_iter().map(Into::into));
        self
    }

    /// Reads only these columns (in file order).
    pub fn usecols<S: Into<String>>(mut self, columns: impl IntoIterator<Item = S>) -> CsvOptions {
        self.usecols = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// How many bytes of the first file types are inferred from.
    pub fn sample(mut self, bytes: usize) -> CsvOptions {
        self.sample = bytes.max(1);
        self
    }

    /// The compression of every file, instead of recognising it by extension.
    pub fn compression(mut self, compression: Compression) -> CsvOptions {
        self.compression = Some(compression);
        self
    }
}

/// Reads CSV files (a path, a glob such as `"data/2015-*.csv"`, a directory, or a list)
/// as a frame; see [`CsvOptions`]. Nothing but headers and a sample is read here.
///
/// ```no_run
/// use dask_dataframe::{CsvOptions, read_csv};
/// use dask_graph::SyncScheduler;
///
/// let df = read_csv("data/2015-*.csv", CsvOptions::new())?;
/// let means = df.groupby(["user_id"])?.col("value").mean()?;
/// println!("{}", dask_dataframe::pretty(&means.head(10, &SyncScheduler)?));
/// # Ok::<(), dask_dataframe::Error>(())
/// ```
pub fn read_csv(paths: impl IntoPaths, options: CsvOptions) -> Result<DataFrame> {
    let paths = dask_io::resolve_paths(paths)?;
    let compression = |p: &Path| {
        options
            .compression
            .unwrap_or_else(|| Compression::from_path(p))
    };
    let delimiter = options.delimiter;

    // The header of every file, and the sample from the first file that has lines.
    let mut headers: Vec<Option<Vec<String>>> = Vec::with_capacity(paths.len());
    let mut sample: Option<(PathBuf, Vec<u8>)> = None;
    for p in &paths {
        let c = compression(p);
        let want = if sample.is_none() {
            options.sample
        } else {
            HEADER_PROBE
        };
        let prefix = read_start(c, p, want)?;
        let header = first_line(&prefix).map(|line| split_header(line, delimiter, options.header));
        if header.is_none() && !prefix.is_empty() {
            return Err(read_error(
                p,
                format!("the first line is longer than {MAX_HEADER} bytes; is this a CSV file?"),
            ));
        }
        if sample.is_none() && header.is_some() {
            sample = Some((p.clone(), prefix));
        }
        headers.push(header);
    }
    let Some((sample_path, sample_bytes)) = sample else {
        return Err(read_error(
            &paths[0],
            format!(
                "{} empty: there is no header to take the columns from",
                if paths.len() == 1 {
                    "the file is".to_string()
                } else {
                    format!("all {} files are", paths.len())
                }
            ),
        ));
    };
    let names = headers.iter().flatten().next().cloned().unwrap_or_default();
    check_names(&sample_path, &names)?;
    for (p, h) in paths.iter().zip(&headers) {
        if let Some(h) = h
            && *h != names
        {
            return Err(read_error(
                p,
                format!(
                    "its header has the columns [{}] but {} has [{}]; files read together must have the same columns",
                    h.join(", "),
                    sample_path.display(),
                    names.join(", ")
                ),
            ));
        }
    }

    let schema = infer_schema(&sample_path, &sample_bytes, &names, &options)?;
    let projection: Vec<usize> = match &options.usecols {
        None => (0..names.len()).collect(),
        Some(cols) => {
            let mut idx = Vec::with_capacity(cols.len());
            for c in cols {
                let i = names
                    .iter()
                    .position(|n| n == c)
                    .ok_or_else(|| no_column("usecols", c, &names))?;
                idx.push(i);
            }
            idx.sort_unstable();
            idx.dedup();
            idx
        }
    };

    let mut blocks = Vec::new();
    let mut stamps = Vec::with_capacity(paths.len());
    for p in &paths {
        let c = compression(p);
        stamps.push((p.display().to_string(), file_stamp(p)?));
        let size = if c.is_splittable() {
            options.blocksize
        } else {
            None
        };
        for block in dask_io::split_files(std::slice::from_ref(p), size)? {
            blocks.push(CsvBlock {
                block,
                compression: c,
            });
        }
    }
    let description = CsvDescription {
        schema: schema.as_ref().clone(),
        delimiter,
        header: options.header,
        projection,
        inferred_from: sample_path,
        given: options
            .dtypes
            .iter()
            .map(|(c, _)| c.clone())
            .chain(options.parse_dates.iter().cloned())
            .collect(),
    };
    // Everything that shapes the partitions: the columns, the parsing, the files as
    // they are now, and how they are cut (block size and compression).
    let token = tokenize(
        "read-csv",
        &(
            postcard_bytes(&description.schema),
            delimiter,
            options.header,
            postcard_bytes(&stamps),
            postcard_bytes(&blocks),
        ),
    );
    let scan = CsvScan::new(description, blocks.into(), token)?;
    Ok(DataFrame::from_plan(Plan::scan(Arc::new(scan))))
}

/// The columns and parsing facts every task needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CsvDescription {
    /// Every column of the files, with its type.
    schema: Schema,
    delimiter: u8,
    header: bool,
    /// The columns read, as indices into `schema`, ascending.
    projection: Vec<usize>,
    /// The file the types were inferred from (named in parse errors).
    inferred_from: PathBuf,
    /// The columns whose types the options set (the others were inferred).
    given: Vec<String>,
}

/// One partition: a byte block of a file.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CsvBlock {
    block: FileBlock,
    compression: Compression,
}

/// The scan node of a CSV frame.
#[derive(Debug)]
struct CsvScan {
    description: CsvDescription,
    blocks: Arc<[CsvBlock]>,
    base_token: String,
    reopen: Reopen,
    schema: SchemaRef,
}

impl CsvScan {
    fn new(
        description: CsvDescription,
        blocks: Arc<[CsvBlock]>,
        base_token: String,
    ) -> Result<CsvScan> {
        let fields: Vec<Field> = description
            .projection
            .iter()
            .map(|&i| description.schema.field(i).clone())
            .collect();
        let reopen = Reopen::new(&READ_CSV, &description)?;
        Ok(CsvScan {
            schema: Arc::new(Schema::new(fields)),
            description,
            blocks,
            base_token,
            reopen,
        })
    }
}

impl Scan for CsvScan {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn npartitions(&self) -> usize {
        self.blocks.len()
    }

    fn token(&self) -> String {
        tokenize(
            "read-csv",
            &(
                self.base_token.as_str(),
                self.description.projection.clone(),
            ),
        )
    }

    fn project(&self, columns: &[&str]) -> Option<Arc<dyn Scan>> {
        let mut projection = Vec::with_capacity(columns.len());
        for c in columns {
            projection.push(self.description.schema.index_of(c).ok()?);
        }
        projection.sort_unstable();
        projection.dedup();
        let mut description = self.description.clone();
        description.projection = projection;
        let scan = CsvScan::new(
            description,
            Arc::clone(&self.blocks),
            self.base_token.clone(),
        )
        .ok()?;
        Some(Arc::new(scan))
    }

    fn estimated_bytes(&self) -> Option<u64> {
        // Arrow holds about what the text takes; compressed files expand about 4×.
        let bytes: u64 = self
            .blocks
            .iter()
            .map(|b| {
                if b.compression.is_splittable() {
                    b.block.end.saturating_sub(b.block.start)
                } else {
                    std::fs::metadata(&b.block.path).map_or(0, |m| 4 * m.len())
                }
            })
            .sum();
        let all = self.description.schema.fields().len().max(1) as u64;
        Some(bytes * self.description.projection.len() as u64 / all)
    }

    fn task(&self, i: usize) -> Node {
        let block = postcard_bytes(&self.blocks[i]);
        self.reopen.task([Arg::Literal(Value::new(block))])
    }
}

/// Reads one block: `[description, block]`.
fn read_csv_op(args: Args) -> OpResult {
    let description: CsvDescription = description_arg(&args)?;
    let block: CsvBlock = postcard::from_bytes(args.get::<Vec<u8>>(1)?)?;
    let path = &block.block.path;
    let (bytes, begin) = if block.compression.is_splittable() {
        let mut buf = Vec::new();
        let begin = block.block.read_into(b'\n', &mut buf)?;
        (buf, begin)
    } else {
        (block.compression.read_all(path)?, 0)
    };
    let header = description.header && block.block.first;
    decode(&description, &bytes, header)
        .map(batch_value)
        .map_err(|e| {
            let lines_before = if begin == 0 {
                0
            } else {
                count_lines_before(path, begin).unwrap_or(0)
            };
            let found = diagnose(&description, &bytes, header, lines_before);
            let message = found.unwrap_or_else(|| {
                format!("bytes {begin}.. (after line {lines_before}) do not parse: {e}")
            });
            Box::new(read_error(path, message)) as BoxError
        })
}

register_op!(READ_CSV = "dataframe.read_csv" => read_csv_op);

/// Parses a block's bytes into one batch of the projected columns.
fn decode(
    d: &CsvDescription,
    bytes: &[u8],
    header: bool,
) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
    if let Some(batch) =
        super::csv_fast::decode(&d.schema, &d.projection, d.delimiter, bytes, header)
    {
        return Ok(batch);
    }
    let schema = Arc::new(d.schema.clone());
    let mut decoder = arrow_csv::ReaderBuilder::new(Arc::clone(&schema))
        .with_header(header)
        .with_delimiter(d.delimiter)
        .with_projection(d.projection.clone())
        .with_batch_size(DECODE_BATCH)
        .build_decoder();
    let mut batches = Vec::new();
    let mut rest = bytes;
    loop {
        let used = decoder.decode(rest)?;
        rest = &rest[used..];
        if decoder.capacity() == 0 {
            batches.extend(decoder.flush()?);
        }
        if rest.is_empty() {
            break;
        }
    }
    // The end of the input: a last line without a line end is read now.
    decoder.decode(&[])?;
    batches.extend(decoder.flush()?);
    let projected = Arc::new(schema.project(&d.projection)?);
    match batches.len() {
        0 => Ok(RecordBatch::new_empty(projected)),
        1 => Ok(batches.remove(0)),
        _ => arrow_select::concat::concat_batches(&projected, &batches),
    }
}

/// Finds the first field of a block that does not fit its column and describes it.
fn diagnose(d: &CsvDescription, bytes: &[u8], header: bool, lines_before: u64) -> Option<String> {
    let ncols = d.schema.fields().len();
    let mut records = Records::new(bytes, d.delimiter);
    let mut skip_header = header;
    while let Some((line, fields)) = records.next_record() {
        let line = lines_before + line;
        if skip_header {
            skip_header = false;
            continue;
        }
        if fields.len() == 1 && fields[0].is_empty() {
            continue; // an empty line
        }
        if fields.len() != ncols {
            return Some(format!(
                "line {line} has {} fields but the header has {ncols} ({}); a ragged row (or a delimiter inside an unquoted value)",
                fields.len(),
                d.schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for (i, raw) in fields.iter().enumerate() {
            let field = d.schema.field(i);
            let Ok(text) = std::str::from_utf8(raw) else {
                return Some(format!(
                    "line {line}, column `{}`: the value is not valid UTF-8 ({}); convert the file to UTF-8",
                    field.name(),
                    String::from_utf8_lossy(raw)
                ));
            };
            if text.is_empty() || !d.projection.contains(&i) {
                continue;
            }
            if !parses_as(text, field.data_type()) {
                return Some(type_mismatch(d, line, field, text));
            }
        }
    }
    None
}

/// Whether `text` parses as `dtype` (one value, with Arrow's cast rules, which follow
/// the CSV decoder's).
fn parses_as(text: &str, dtype: &DataType) -> bool {
    if matches!(dtype, DataType::Utf8 | DataType::LargeUtf8) {
        return true;
    }
    let one = StringArray::from(vec![text]);
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    arrow_cast::cast_with_options(&one, dtype, &options).is_ok_and(|a| a.is_valid(0))
}

/// The message for a value that does not parse as its column's type.
fn type_mismatch(d: &CsvDescription, line: u64, field: &Field, text: &str) -> String {
    let wider = if parses_as(text, &DataType::Int64) {
        DataType::Int64
    } else if parses_as(text, &DataType::Float64) {
        DataType::Float64
    } else {
        DataType::Utf8
    };
    format!(
        "line {line}, column `{name}`: the value {text:?} does not parse as {t}, the type {how}; to read it, give the column a type that fits: CsvOptions::new().dtype({name:?}, DataType::{wider:?})",
        name = field.name(),
        t = field.data_type(),
        how = if d.given.iter().any(|g| g == field.name()) {
            "it was given".to_string()
        } else {
            format!("inferred from the start of {}", d.inferred_from.display())
        },
    )
}

/// Counts the lines that end before byte `offset` of a plain file (only on the error
/// path, to name the line a bad value is on).
fn count_lines_before(path: &Path, offset: u64) -> Option<u64> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file.take(offset));
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 0u64;
    loop {
        let n = reader.read(&mut buf).ok()?;
        if n == 0 {
            return Some(lines);
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// CSV records of a buffer with their line numbers (1-based), quotes understood: the
/// diagnosis's own small tokenizer.
struct Records<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
    delimiter: u8,
}

impl<'a> Records<'a> {
    fn new(bytes: &'a [u8], delimiter: u8) -> Records<'a> {
        Records {
            bytes,
            at: 0,
            line: 1,
            delimiter,
        }
    }

    /// The next record's first line number and its fields (quotes removed).
    fn next_record(&mut self) -> Option<(u64, Vec<Vec<u8>>)> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let start_line = self.line;
        let mut fields = Vec::new();
        let mut field = Vec::new();
        let mut quoted = false;
        while self.at < self.bytes.len() {
            let b = self.bytes[self.at];
            self.at += 1;
            if quoted {
                if b == b'"' {
                    if self.bytes.get(self.at) == Some(&b'"') {
                        field.push(b'"');
                        self.at += 1;
                    } else {
                        quoted = false;
                    }
                } else {
                    if b == b'\n' {
                        self.line += 1;
                    }
                    field.push(b);
                }
            } else if b == b'"' && field.is_empty() {
                quoted = true;
            } else if b == self.delimiter {
                fields.push(std::mem::take(&mut field));
            } else if b == b'\n' {
                self.line += 1;
                break;
            } else if b != b'\r' {
                field.push(b);
            }
        }
        fields.push(field);
        Some((start_line, fields))
    }
}

/// The first `want` bytes of a file (fewer at its end), or up to [`MAX_HEADER`] when
/// they hold no line end, so that the first line is whole.
fn read_start(c: Compression, path: &Path, want: usize) -> Result<Vec<u8>> {
    let prefix = c.read_prefix(path, want)?;
    if prefix.len() < want || want >= MAX_HEADER || memchr::memchr(b'\n', &prefix).is_some() {
        return Ok(prefix);
    }
    Ok(c.read_prefix(path, MAX_HEADER)?)
}

/// The first complete line of `prefix` (without its line end), if there is one; the
/// whole prefix if it has no newline but is shorter than the header limit.
fn first_line(prefix: &[u8]) -> Option<&[u8]> {
    if prefix.is_empty() {
        return None;
    }
    match prefix.iter().position(|&b| b == b'\n') {
        Some(i) => Some(prefix[..i].strip_suffix(b"\r").unwrap_or(&prefix[..i])),
        None if prefix.len() < MAX_HEADER => Some(prefix),
        None => None,
    }
}

/// The column names of a header line (or `column_1..` without a header).
fn split_header(line: &[u8], delimiter: u8, header: bool) -> Vec<String> {
    // A UTF-8 byte-order mark (what some spreadsheet exports begin with) is not part of
    // the first column's name.
    let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
    let mut records = Records::new(line, delimiter);
    let fields = records.next_record().map(|(_, f)| f).unwrap_or_default();
    if header {
        fields
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect()
    } else {
        (1..=fields.len()).map(|i| format!("column_{i}")).collect()
    }
}

/// An error unless the names are distinct and not empty.
fn check_names(path: &Path, names: &[String]) -> Result<()> {
    for (i, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(read_error(
                path,
                format!("column {} of the header has no name", i + 1),
            ));
        }
        if names[..i].contains(n) {
            return Err(read_error(
                path,
                format!("the header names the column `{n}` twice"),
            ));
        }
    }
    Ok(())
}

/// The schema: Arrow's inference over the sample, then the options' types.
fn infer_schema(
    path: &Path,
    sample: &[u8],
    names: &[String],
    options: &CsvOptions,
) -> Result<SchemaRef> {
    // Whole lines only: a value cut at the sample's end would be mistaken for another type.
    let cut = match sample.iter().rposition(|&b| b == b'\n') {
        Some(i) => &sample[..=i],
        None => sample,
    };
    let format = arrow_csv::reader::Format::default()
        .with_header(options.header)
        .with_delimiter(options.delimiter);
    let (inferred, _) = format.infer_schema(cut, None).map_err(|e| {
        // Say which line is wrong, as a task would.
        let strings = CsvDescription {
            schema: Schema::new(
                names
                    .iter()
                    .map(|n| Field::new(n, DataType::Utf8, true))
                    .collect::<Vec<_>>(),
            ),
            delimiter: options.delimiter,
            header: options.header,
            projection: (0..names.len()).collect(),
            inferred_from: path.to_path_buf(),
            given: Vec::new(),
        };
        let found = diagnose(&strings, cut, options.header, 0);
        read_error(
            path,
            found.unwrap_or_else(|| format!("cannot infer the column types: {e}")),
        )
    })?;
    let mut types: Vec<DataType> = inferred
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            // Dates stay strings unless asked for (as pandas and Polars do), and a
            // column empty in the sample reads as strings, which any value fits.
            DataType::Date32 | DataType::Timestamp(_, _) | DataType::Null => DataType::Utf8,
            t => t.clone(),
        })
        .collect();
    types.resize(names.len(), DataType::Utf8);
    for c in &options.parse_dates {
        let i = names
            .iter()
            .position(|n| n == c)
            .ok_or_else(|| no_column("parse_dates", c, names))?;
        types[i] = DataType::Timestamp(TimeUnit::Microsecond, None);
    }
    for (c, t) in &options.dtypes {
        let i = names
            .iter()
            .position(|n| n == c)
            .ok_or_else(|| no_column("dtype", c, names))?;
        if !arrow_csv_reads(t) {
            return Err(Error::Invalid {
                op: "read_csv".into(),
                message: format!(
                    "cannot read the column `{c}` as {t}: CSV columns can be integers, floats, booleans, strings, decimals, dates and timestamps"
                ),
            });
        }
        types[i] = t.clone();
    }
    let fields: Vec<Field> = names
        .iter()
        .zip(types)
        .map(|(n, t)| Field::new(n, t, true))
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Whether arrow-csv can build a column of type `t`.
fn arrow_csv_reads(t: &DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Boolean
            | Int8
            | Int16
            | Int32
            | Int64
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Float16
            | Float32
            | Float64
            | Utf8
            | LargeUtf8
            | Utf8View
            | Date32
            | Date64
            | Time32(_)
            | Time64(_)
            | Timestamp(_, _)
            | Decimal128(_, _)
            | Decimal256(_, _)
    )
}

fn no_column(option: &str, column: &str, names: &[String]) -> Error {
    Error::NoColumn {
        op: format!("read_csv({option})"),
        column: column.into(),
        available: names.join(", "),
    }
}
