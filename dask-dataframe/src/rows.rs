//! `from_rows`: a frame of serde structs, through serde_arrow.
//!
//! The schema is traced from the type (`Deserialize`), not from the values, so it is
//! known even for an empty slice: each field becomes a column (`Option` fields are
//! nullable, strings `Utf8`, integers and floats their Arrow types, `bool` `Boolean`,
//! nested structs `Struct`). Strings are built as `Utf8`, the type the expressions use.

use arrow_schema::FieldRef;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_arrow::schema::{SchemaLike, TracingOptions};

use crate::error::{Result, invalid};
use crate::frame::DataFrame;

/// The frame of `rows` in `npartitions` partitions of nearly equal size.
///
/// ```
/// use dask_dataframe::from_rows;
/// use dask_graph::SyncScheduler;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Visit { user: i64, page: String, seconds: Option<f64> }
///
/// let rows = vec![
///     Visit { user: 1, page: "home".into(), seconds: Some(3.5) },
///     Visit { user: 2, page: "about".into(), seconds: None },
/// ];
/// let df = from_rows(&rows, 2)?;
/// assert_eq!(df.columns(), ["user", "page", "seconds"]);
/// assert_eq!(df.col("seconds")?.count()?.compute(&SyncScheduler)?.as_i64(), Some(1));
/// # Ok::<(), dask_dataframe::Error>(())
/// ```
pub fn from_rows<T: Serialize + DeserializeOwned>(
    rows: &[T],
    npartitions: usize,
) -> Result<DataFrame> {
    let options = TracingOptions::default()
        .strings_as_large_utf8(false)
        .allow_null_fields(true);
    let fields = Vec::<FieldRef>::from_type::<T>(options).map_err(|e| {
        invalid(
            "from_rows",
            format!("cannot make columns of {}: {e}", std::any::type_name::<T>()),
        )
    })?;
    let batch = serde_arrow::to_record_batch(&fields, &rows).map_err(|e| {
        invalid(
            "from_rows",
            format!("cannot convert the rows to columns: {e}"),
        )
    })?;
    DataFrame::from_record_batch(batch, npartitions)
}
