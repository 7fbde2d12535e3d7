//! Converts a directory of CSV files into a directory of Parquet files, one per CSV
//! file (one row group each): `to_parquet CSV_DIR PARQUET_DIR`. `cargo xtask datagen`
//! uses it for the Parquet copy of the benchmark data.

use std::process::ExitCode;

use dask_dataframe::{CsvOptions, WriteOptions, read_csv};
use dask_sched_threads::ThreadScheduler;

fn convert(csv: &str, parquet: &str) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = std::time::Instant::now();
    let df = read_csv(
        format!("{csv}/*.csv").as_str(),
        CsvOptions::new().blocksize(None).parse_dates(["timestamp"]),
    )?;
    let n = df.npartitions();
    df.to_parquet(
        parquet,
        WriteOptions::new().overwrite(true),
        &ThreadScheduler::new(2)?,
    )?;
    println!(
        "wrote {n} Parquet files to {parquet} in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [csv, parquet] = args.as_slice() else {
        eprintln!("usage: to_parquet CSV_DIR PARQUET_DIR");
        return ExitCode::FAILURE;
    };
    match convert(csv, parquet) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("to_parquet: {e}");
            ExitCode::FAILURE
        }
    }
}
