//! The tour: Dask's `delayed` example from the project's seed, on real files, computed
//! with every scheduler.
//!
//! ```text
//! for fn in filenames:
//!     data = delayed(load)(fn)
//!     L.append(delayed(process)(data))
//! result = delayed(summarize)(L)
//! result.compute()
//! ```
//!
//! It writes 48 files of random-looking integers under a temporary directory, then for
//! each scheduler builds the graph — `load` reads and parses a file, `process` computes
//! statistics of its numbers, `summarize` adds up the list of parts — and computes it with
//! a progress bar, printing the result and the time.
//!
//! Then the seed's array demonstrations:
//!
//! ```text
//! da.random.normal(10, 0.1, size=(2_000_000_000,), chunks=(1_000_000,)).mean().compute()
//! x - x.mean(axis=1)
//! ```
//!
//! the first with N = 2e8 by default (`--full` for the seed's 2e9: 16 GB of samples
//! that never exist in memory at once), the second on a 10,000 x 10,000 random array in
//! blocks of 1000 x 1000, checking that the centred rows average zero. Last, the seed's
//! on-disk example (`x = da.from_array(f['/big-data'], chunks=(1000, 1000))`;
//! `x - x.mean(axis=1)`): a 4000 x 4000 array is stored as Zarr, then read back block
//! by block and its centred rows stored to `.npy`, on every scheduler. Run it with
//! `cargo run --release --example tour` (or `... --example tour -- --full`).

use std::time::Instant;

use dask::array::io::zarr::ZarrOptions;
use dask::array::{Array, Reduce, random::RandomState};
use dask::delayed::{Delayed, delayed_fn};
use dask::prelude::*;

/// Files to generate, and numbers per file.
const FILES: usize = 48;
const NUMBERS: usize = 200_000;

delayed_fn! {
    /// Reads a file of whitespace-separated integers.
    fn load(path: String) -> Result<Vec<i64>, dask::graph::BoxError> {
        let text = std::fs::read_to_string(&path)?;
        Ok(text.split_whitespace().map(str::parse).collect::<Result<Vec<i64>, _>>()?)
    }
}

delayed_fn! {
    /// Statistics of one file: (count, sum, sum of squares, median) — the median needs
    /// a sort, which is what makes this worth parallelising.
    fn process(numbers: Vec<i64>) -> (i64, i64, i64) {
        let mut v = numbers;
        v.sort_unstable();
        let sum: i64 = v.iter().sum();
        let squares: i64 = v.iter().map(|x| (x % 1000) * (x % 1000)).sum();
        (v.len() as i64 + v[v.len() / 2] % 7, sum, squares)
    }
}

delayed_fn! {
    /// Adds up the partial summaries.
    fn summarize(parts: Vec<(i64, i64, i64)>) -> (i64, i64, i64) {
        parts
            .iter()
            .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
    }
}

/// Writes the input files; returns their paths.
fn write_files(dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut paths = Vec::with_capacity(FILES);
    for f in 0..FILES {
        let mut text = String::with_capacity(NUMBERS * 8);
        for _ in 0..NUMBERS {
            // xorshift: the same files on every run.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(&(state % 1_000_000).to_string());
            text.push(' ');
        }
        let path = dir.join(format!("numbers-{f:02}.txt"));
        std::fs::write(&path, text)?;
        paths.push(path.display().to_string());
    }
    Ok(paths)
}

/// The seed's graph over `paths`.
fn build(paths: &[String]) -> Delayed<(i64, i64, i64)> {
    let mut parts: Vec<Delayed<(i64, i64, i64)>> = Vec::new();
    for path in paths {
        let data = load::call((path.clone(),));
        parts.push(process::call((data,)));
    }
    summarize::call((parts,))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Worker processes of the "processes" scheduler are this program, re-executed.
    dask::procs::worker_main_if_child();

    let dir = tempfile::tempdir()?;
    let t0 = Instant::now();
    let paths = write_files(dir.path())?;
    println!(
        "wrote {FILES} files of {NUMBERS} numbers in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let result = build(&paths);
    println!("the graph has {} tasks", result.graph().len());

    let mut answers = Vec::new();
    for name in dask::SCHEDULER_NAMES {
        let scheduler = dask::scheduler_by_name(name)?;
        let bar = ProgressBar::new().with_minimum(std::time::Duration::from_millis(100));
        let t0 = Instant::now();
        let plan = dask::graph::Plan::build(
            result.graph(),
            std::slice::from_ref(result.key()),
            &Optimizations::all(),
        )?;
        let out = scheduler.execute(&plan, &bar)?;
        let value = out[0].get::<(i64, i64, i64)>()?.to_owned();
        println!(
            "{name:>9}: {value:?} in {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        answers.push(value);
    }
    if answers.windows(2).any(|w| w[0] != w[1]) {
        return Err("the schedulers disagree".into());
    }
    println!("every scheduler agrees");
    arrays(std::env::args().any(|a| a == "--full"))?;
    on_disk(dir.path())?;
    dataframes(dir.path())
}

/// Daily CSV files of `DAY_ROWS` rows each: id, user_id (skewed: low ids are frequent),
/// name, value, timestamp.
fn write_daily_csvs(dir: &std::path::Path) -> std::io::Result<()> {
    const NAMES: [&str; 8] = [
        "Alice", "Bob", "Charlie", "Dan", "Edith", "Frank", "George", "Hannah",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for day in 1..=DAYS {
        let mut text = String::from("id,user_id,name,value,timestamp\n");
        for i in 0..DAY_ROWS {
            let r = next();
            // A skewed user: the square of a uniform draw favours small ids.
            let u = (r % 1000) as f64 / 1000.0;
            let user = 1 + (u * u * 1000.0) as u64;
            let value = ((next() % 20_001) as f64 - 10_000.0) / 1000.0;
            let name = NAMES[(r >> 32) as usize % NAMES.len()];
            let secs = i * 86_400 / DAY_ROWS;
            text += &format!(
                "{},{user},{name},{value},2015-01-{day:02} {:02}:{:02}:{:02}\n",
                (day - 1) * DAY_ROWS + i,
                secs / 3600,
                secs % 3600 / 60,
                secs % 60
            );
        }
        std::fs::write(dir.join(format!("2015-01-{day:02}.csv")), text)?;
    }
    Ok(())
}

const DAYS: u64 = 31;
const DAY_ROWS: u64 = 20_000;

/// The seed's dataframe example over daily CSV files, on every scheduler:
/// `dd.read_csv('2015-*-*.csv').groupby(df.user_id).value.mean().compute()`.
fn dataframes(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use dask::dataframe::{CsvOptions, col, lit, read_csv};
    let csv = dir.join("daily");
    std::fs::create_dir_all(&csv)?;
    write_daily_csvs(&csv)?;
    println!("\nwrote {DAYS} daily CSV files of {DAY_ROWS} rows; df = read_csv('2015-*-*.csv'):");
    let pattern = format!("{}/2015-*-*.csv", csv.display());
    let df = read_csv(
        pattern.as_str(),
        CsvOptions::new().parse_dates(["timestamp"]),
    )?;
    println!("{df:?}");
    let mut first = None;
    for name in dask::SCHEDULER_NAMES {
        let scheduler = dask::scheduler_by_name(name)?;
        let t0 = Instant::now();
        let means = df
            .groupby(["user_id"])?
            .col("value")
            .mean()?
            .compute(scheduler.as_ref())?;
        println!(
            "{name:>9}: df.groupby(user_id).value.mean(): {} groups in {:.3} s",
            means.num_rows(),
            t0.elapsed().as_secs_f64()
        );
        match &first {
            Some(f) if *f != means => return Err("the schedulers disagree on the groupby".into()),
            Some(_) => {}
            None => first = Some(means),
        }
    }
    if let Some(means) = &first {
        println!(
            "{}",
            dask::dataframe::pretty(&means.slice(0, 5.min(means.num_rows())))
        );
    }
    let scheduler = dask::scheduler_by_name("threads")?;
    let top = df
        .filter(col("value").gt(lit(0.0)) & col("timestamp").dt().hour().lt(lit(12)))?
        .groupby(["name"])?
        .agg([
            dask::dataframe::count("value").alias("n"),
            dask::dataframe::sum("value").alias("total"),
        ])?
        .nlargest(3, "total")?
        .compute(scheduler.as_ref())?;
    println!("morning rows with value > 0, by name, the three largest totals:");
    println!("{}", dask::dataframe::pretty(&top));
    Ok(())
}

/// The seed's array examples on every scheduler.
fn arrays(full: bool) -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = if full { 2_000_000_000 } else { 200_000_000 };
    let x = RandomState::new(42).normal(10.0, 0.1, &[n], 1_000_000)?;
    println!(
        "\nrandom.normal(10, 0.1, size=({n},), chunks=(1_000_000,)).mean(): {} blocks, {:.1} GB never in memory at once",
        x.numblocks()[0],
        x.nbytes() as f64 / 1e9
    );
    let mut means = Vec::new();
    for name in dask::SCHEDULER_NAMES {
        let scheduler = dask::scheduler_by_name(name)?;
        let bar = ProgressBar::new();
        let t0 = Instant::now();
        let mean = x
            .mean()
            .compute_with(scheduler.as_ref(), &Optimizations::all(), &bar)?;
        println!(
            "{name:>9}: {mean:.6} in {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        means.push(mean);
    }
    if means.windows(2).any(|w| w[0] != w[1]) {
        return Err("the schedulers disagree on the mean".into());
    }

    let x = RandomState::new(0).random(&[10_000, 10_000], [1000, 1000])?;
    let centered = (&x - &x.mean_over(Reduce::axis(1).keepdims(true))?)?;
    let worst_row = centered.mean_over(Reduce::axis(1))?.abs().max()?;
    println!("\nx - x.mean(axis=1) on a 10,000 x 10,000 array in 1000 x 1000 blocks:");
    for name in dask::SCHEDULER_NAMES {
        let scheduler = dask::scheduler_by_name(name)?;
        let t0 = Instant::now();
        let std = centered.std(0.0).compute(scheduler.as_ref())?;
        let worst = worst_row.compute(scheduler.as_ref())?;
        println!(
            "{name:>9}: std {std:.6}, largest row mean after centring {worst:.1e}, in {:.2} s",
            t0.elapsed().as_secs_f64()
        );
        if worst > 1e-12 {
            return Err(format!("rows are not centred: {worst}").into());
        }
    }
    Ok(())
}

/// The seed's on-disk example: read a stored array block by block, centre its rows and
/// store the result, on every scheduler.
fn on_disk(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let zarr = dir.join("big-data.zarr");
    let t0 = Instant::now();
    RandomState::new(7)
        .random(&[4000, 4000], [1000, 1000])?
        .to_zarr(
            &zarr,
            &ZarrOptions::default(),
            dask::scheduler_by_name("threads")?.as_ref(),
        )?;
    println!(
        "\nstored a 4000 x 4000 random array as Zarr (zstd, 1000 x 1000 chunks) in {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    println!("x = from_zarr(...); (x - x.mean(axis=1)).to_npy(...):");
    let mut first = None;
    for name in dask::SCHEDULER_NAMES {
        let scheduler = dask::scheduler_by_name(name)?;
        let t0 = Instant::now();
        let x = Array::<f64>::from_zarr(&zarr)?;
        let centered = (&x - &x.mean_over(Reduce::axis(1).keepdims(true))?)?;
        let out = dir.join(format!("centered-{name}.npy"));
        centered.to_npy(&out, scheduler.as_ref())?;
        let elapsed = t0.elapsed().as_secs_f64();
        let back = Array::<f64>::from_npy(&out, [1000, 4000])?;
        let worst = back
            .mean_over(Reduce::axis(1))?
            .abs()
            .max()?
            .compute(scheduler.as_ref())?;
        println!("{name:>9}: stored in {elapsed:.2} s, largest row mean read back {worst:.1e}");
        if worst > 1e-12 {
            return Err(format!("rows are not centred: {worst}").into());
        }
        let values = back.compute(scheduler.as_ref())?;
        match &first {
            Some(f) if *f != values => return Err("the schedulers disagree on disk".into()),
            Some(_) => {}
            None => first = Some(values),
        }
    }
    Ok(())
}
