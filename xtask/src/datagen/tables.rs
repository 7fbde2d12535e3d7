//! The join tables: the files of `target/data/tables/` (and `tables-quick/`).
//!
//! Four tables, each a CSV file or a directory of CSV files (`part-00.csv`, ...) so that
//! a reader gets several partitions. `{size}` is the row count in short (`10m`, `100k`,
//! see [`size_label`]):
//!
//! * `users.csv` — `user_id,country,signup_year`: one row per user `1..=`[`USERS`] in
//!   order (so every `user_id` of the daily files has exactly one row), the country a
//!   uniform pick from [`COUNTRIES`], the sign-up year uniform in
//!   [`FIRST_SIGNUP_YEAR`]`..=`[`LAST_SIGNUP_YEAR`] (before the daily data's 2015). For
//!   a broadcast merge with the daily data on `user_id`: every daily row matches once.
//! * `left-{size}/` — `id,a`: row `i` (`0..rows`) has `id = 2 * i` and a standard normal
//!   `a` with six decimals.
//! * `right-{size}/` — `id,b`: row `i` has `id = 3 * i` and `b` uniform in `0..1000`.
//!   Left and right share the multiples of 6 below `2 * rows`: their inner merge on `id`
//!   has `ceil(2 * rows / 6)` rows, about a third of the left table (3,333,334 of 10M).
//! * `ids-{size}/` — `id,score`: row `k` has `id = floor(k * of / rows)`, where `of` is
//!   the row count of the daily data set (36.5M for the full tables, 1.2M for the quick
//!   ones), and a uniform `score` in `[0, 1)` with six decimals. The daily files number
//!   their rows `0..of` in file order (see [`super::rows::file_rows`]), so every id here
//!   is one of theirs (every 3.65th for the full tables, every 12th for the quick ones),
//!   and one of the larger-than-memory set's too, whose ids run `0..76,650,000`: a merge
//!   of either with this table on `id` has exactly `rows` rows.
//!
//! The ids of the three split tables are shuffled within each run of [`SHUFFLE_CHUNK`]
//! consecutive rows of a file (a Fisher–Yates shuffle), so that no reader can rely on
//! sorted keys, while each file still covers its own range of ids. A file's bytes
//! depend only on the seed, the [`Tables`] settings and the file's place in
//! [`Tables::file_names`].

use std::fmt::Write as _;

use super::rows::{SplitMix64, USERS, standard_normal};

/// The header line of `users.csv`.
pub const USERS_HEADER: &str = "user_id,country,signup_year";
/// The header line of the left table's files.
pub const LEFT_HEADER: &str = "id,a";
/// The header line of the right table's files.
pub const RIGHT_HEADER: &str = "id,b";
/// The header line of the ids table's files.
pub const IDS_HEADER: &str = "id,score";

/// The values of `users.csv`'s `country`, picked uniformly.
pub const COUNTRIES: [&str; 20] = [
    "Argentina",
    "Australia",
    "Brazil",
    "Canada",
    "China",
    "Egypt",
    "France",
    "Germany",
    "India",
    "Indonesia",
    "Italy",
    "Japan",
    "Kenya",
    "Mexico",
    "Nigeria",
    "Poland",
    "Spain",
    "Sweden",
    "Turkey",
    "Vietnam",
];

/// The earliest sign-up year of a user.
pub const FIRST_SIGNUP_YEAR: u32 = 2000;
/// The latest sign-up year of a user.
pub const LAST_SIGNUP_YEAR: u32 = 2014;

/// `right.b` is uniform in `0..B_VALUES`.
const B_VALUES: usize = 1_000;

/// Ids are shuffled within runs of this many consecutive rows of a file.
pub const SHUFFLE_CHUNK: usize = 100_000;

/// Added to a file's index for its random stream, so that no table file shares a
/// stream with a daily file (whose streams are those of indexes `0..365`).
const STREAM_OFFSET: usize = 1_000_000;

/// The sizes of a set of join tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tables {
    /// The seed of the random draws.
    pub seed: u64,
    /// Rows of the left and of the right table each.
    pub join_rows: u64,
    /// Rows of the ids table.
    pub ids_rows: u64,
    /// Rows of the daily data set whose ids (`0..ids_of`) the ids table picks from.
    pub ids_of: u64,
    /// Files per split table (1 to 100).
    pub parts: usize,
}

/// What one file of the tables holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    /// `users.csv`.
    Users,
    /// Part `.0` of the left table.
    Left(usize),
    /// Part `.0` of the right table.
    Right(usize),
    /// Part `.0` of the ids table.
    Ids(usize),
}

impl Tables {
    /// The settings that decide the bytes, for the manifest.
    pub fn settings(self) -> String {
        format!(
            "seed={} users={USERS} join_rows={} ids_rows={} ids_of={} parts={} chunk={SHUFFLE_CHUNK}",
            self.seed, self.join_rows, self.ids_rows, self.ids_of, self.parts
        )
    }

    /// The left table's directory name: `left-10m`.
    pub fn left_dir(self) -> String {
        format!("left-{}", size_label(self.join_rows))
    }

    /// The right table's directory name: `right-10m`.
    pub fn right_dir(self) -> String {
        format!("right-{}", size_label(self.join_rows))
    }

    /// The ids table's directory name: `ids-10m`.
    pub fn ids_dir(self) -> String {
        format!("ids-{}", size_label(self.ids_rows))
    }

    /// The files in order: `users.csv`, then the parts of left, right and ids.
    fn files(self) -> Vec<File> {
        let parts = 0..self.parts;
        std::iter::once(File::Users)
            .chain(parts.clone().map(File::Left))
            .chain(parts.clone().map(File::Right))
            .chain(parts.map(File::Ids))
            .collect()
    }

    /// The files' paths relative to the tables directory, in order.
    pub fn file_names(self) -> Vec<String> {
        let part = |dir: String, p: usize| format!("{dir}/part-{p:02}.csv");
        self.files()
            .into_iter()
            .map(|file| match file {
                File::Users => "users.csv".to_string(),
                File::Left(p) => part(self.left_dir(), p),
                File::Right(p) => part(self.right_dir(), p),
                File::Ids(p) => part(self.ids_dir(), p),
            })
            .collect()
    }

    /// Rows over all files.
    pub fn total_rows(self) -> u64 {
        USERS as u64 + 2 * self.join_rows + self.ids_rows
    }

    /// The whole text of file `index` of [`Tables::file_names`]; `None` past the last.
    pub fn file_text(self, index: usize) -> Option<String> {
        let file = *self.files().get(index)?;
        let mut rng = SplitMix64::for_file(self.seed, STREAM_OFFSET + index);
        Some(match file {
            File::Users => users_text(&mut rng),
            File::Left(p) => {
                let ids = shuffled_ids(part_range(self.join_rows, self.parts, p), &mut rng);
                let mut text = with_header(LEFT_HEADER, ids.len(), 20);
                for i in ids {
                    let _ = writeln!(text, "{},{:.6}", 2 * i, standard_normal(&mut rng));
                }
                text
            }
            File::Right(p) => {
                let ids = shuffled_ids(part_range(self.join_rows, self.parts, p), &mut rng);
                let mut text = with_header(RIGHT_HEADER, ids.len(), 13);
                for i in ids {
                    let _ = writeln!(text, "{},{}", 3 * i, rng.below(B_VALUES));
                }
                text
            }
            File::Ids(p) => {
                let ks = shuffled_ids(part_range(self.ids_rows, self.parts, p), &mut rng);
                let mut text = with_header(IDS_HEADER, ks.len(), 18);
                for k in ks {
                    let _ = writeln!(
                        text,
                        "{},{:.6}",
                        picked_id(k, self.ids_rows, self.ids_of),
                        rng.next_f64()
                    );
                }
                text
            }
        })
    }
}

/// `rows` in short: `10m` for ten million, `100k` for a hundred thousand, the number
/// itself when it is neither a whole number of millions nor of thousands.
pub fn size_label(rows: u64) -> String {
    if rows >= 1_000_000 && rows.is_multiple_of(1_000_000) {
        format!("{}m", rows / 1_000_000)
    } else if rows >= 1_000 && rows.is_multiple_of(1_000) {
        format!("{}k", rows / 1_000)
    } else {
        rows.to_string()
    }
}

/// The rows `start..end` of part `part` of `parts` of a table of `rows` rows: as even a
/// split as can be, the parts in order.
fn part_range(rows: u64, parts: usize, part: usize) -> std::ops::Range<u64> {
    let parts = parts.max(1) as u128;
    let at = |p: u128| (u128::from(rows) * p / parts) as u64;
    at(part as u128)..at(part as u128 + 1)
}

/// The numbers of `range`, shuffled within each run of [`SHUFFLE_CHUNK`].
fn shuffled_ids(range: std::ops::Range<u64>, rng: &mut SplitMix64) -> Vec<u64> {
    let mut ids: Vec<u64> = range.collect();
    for chunk in ids.chunks_mut(SHUFFLE_CHUNK) {
        // Fisher–Yates: swap each place, from the last down, with a uniform earlier one.
        for i in (1..chunk.len()).rev() {
            chunk.swap(i, rng.below(i + 1));
        }
    }
    ids
}

/// The id of row `k` of an ids table of `rows` rows picked from `0..of`:
/// `floor(k * of / rows)`, strictly rising in `k` while `of >= rows`.
pub fn picked_id(k: u64, rows: u64, of: u64) -> u64 {
    (u128::from(k) * u128::from(of) / u128::from(rows.max(1))) as u64
}

/// A string holding `header` and its newline, with room for `rows` lines of about
/// `line` bytes.
fn with_header(header: &str, rows: usize, line: usize) -> String {
    let mut text = String::with_capacity(header.len() + 1 + rows * line);
    text.push_str(header);
    text.push('\n');
    text
}

/// The text of `users.csv`.
fn users_text(rng: &mut SplitMix64) -> String {
    let years = (LAST_SIGNUP_YEAR - FIRST_SIGNUP_YEAR + 1) as usize;
    let mut text = with_header(USERS_HEADER, USERS, 20);
    for user in 1..=USERS {
        let country = COUNTRIES[rng.below(COUNTRIES.len())];
        let year = FIRST_SIGNUP_YEAR as usize + rng.below(years);
        let _ = writeln!(text, "{user},{country},{year}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Tables = Tables {
        seed: 7,
        join_rows: 2_500,
        ids_rows: 1_000,
        ids_of: 3_650,
        parts: 3,
    };

    /// The data lines of `text` split at commas, after checking its header.
    fn fields<'a>(text: &'a str, header: &str) -> Vec<Vec<&'a str>> {
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(header));
        lines.map(|l| l.split(',').collect()).collect()
    }

    /// Every file of `tables` parsed: users, then left, right and ids concatenated.
    fn parse_all(tables: Tables) -> [Vec<Vec<String>>; 4] {
        let names = tables.file_names();
        let mut out: [Vec<Vec<String>>; 4] = Default::default();
        for (index, name) in names.iter().enumerate() {
            let text = tables.file_text(index).unwrap();
            let (slot, header) = if name == "users.csv" {
                (0, USERS_HEADER)
            } else if name.starts_with("left-") {
                (1, LEFT_HEADER)
            } else if name.starts_with("right-") {
                (2, RIGHT_HEADER)
            } else {
                (3, IDS_HEADER)
            };
            let rows = fields(&text, header);
            out[slot].extend(
                rows.into_iter()
                    .map(|r| r.into_iter().map(String::from).collect()),
            );
        }
        out
    }

    fn ids(rows: &[Vec<String>]) -> Vec<u64> {
        rows.iter().map(|r| r[0].parse().unwrap()).collect()
    }

    #[test]
    fn names_the_files_by_table_and_size() {
        assert_eq!(size_label(10_000_000), "10m");
        assert_eq!(size_label(100_000), "100k");
        assert_eq!(size_label(2_500), "2500");
        assert_eq!(size_label(1_500_000), "1500k");
        assert_eq!(size_label(999), "999");
        let names = SMALL.file_names();
        assert_eq!(names.len(), 1 + 3 * 3);
        assert_eq!(names[0], "users.csv");
        assert_eq!(names[1], "left-2500/part-00.csv");
        assert_eq!(names[3], "left-2500/part-02.csv");
        assert_eq!(names[4], "right-2500/part-00.csv");
        assert_eq!(names[9], "ids-1k/part-02.csv");
        assert!(SMALL.file_text(names.len()).is_none());
        assert_eq!(SMALL.total_rows(), 10_000 + 5_000 + 1_000);
    }

    #[test]
    fn splits_rows_evenly_in_order() {
        let ranges: Vec<_> = (0..3).map(|p| part_range(2_500, 3, p)).collect();
        assert_eq!(ranges, [0..833, 833..1_666, 1_666..2_500]);
        assert_eq!(part_range(10_000_000, 10, 9), 9_000_000..10_000_000);
    }

    #[test]
    fn the_files_are_deterministic() {
        for index in 0..SMALL.file_names().len() {
            assert_eq!(SMALL.file_text(index), SMALL.file_text(index), "{index}");
        }
        let other = Tables { seed: 8, ..SMALL };
        assert_ne!(SMALL.file_text(1), other.file_text(1));
    }

    #[test]
    fn users_cover_every_user_once() {
        let [users, ..] = parse_all(SMALL);
        assert_eq!(users.len(), USERS);
        let mut countries = std::collections::BTreeSet::new();
        for (i, row) in users.iter().enumerate() {
            assert_eq!(row.len(), 3, "{row:?}");
            assert_eq!(row[0], (i + 1).to_string());
            assert!(COUNTRIES.contains(&row[1].as_str()), "{row:?}");
            let year: u32 = row[2].parse().unwrap();
            assert!((FIRST_SIGNUP_YEAR..=LAST_SIGNUP_YEAR).contains(&year));
            countries.insert(row[1].clone());
        }
        assert_eq!(countries.len(), COUNTRIES.len(), "every country drawn");
        assert!(
            COUNTRIES
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_alphabetic()))
        );
    }

    #[test]
    fn left_and_right_hold_their_multiples_shuffled() {
        let [_, left, right, _] = parse_all(SMALL);
        let (left_ids, right_ids) = (ids(&left), ids(&right));
        assert_ne!(left_ids, {
            let mut sorted = left_ids.clone();
            sorted.sort_unstable();
            sorted
        });
        let sorted = |mut v: Vec<u64>| {
            v.sort_unstable();
            v
        };
        assert_eq!(
            sorted(left_ids.clone()),
            (0..2_500).map(|i| 2 * i).collect::<Vec<_>>()
        );
        assert_eq!(
            sorted(right_ids.clone()),
            (0..2_500).map(|i| 3 * i).collect::<Vec<_>>()
        );
        // Each file keeps its own range: the first part's ids are the smallest.
        assert!(left_ids[..833].iter().all(|&id| id < 2 * 833));
        let right_set: std::collections::HashSet<u64> = right_ids.into_iter().collect();
        let matches = left_ids.iter().filter(|id| right_set.contains(id)).count();
        assert_eq!(matches as u64, (2 * 2_500_u64).div_ceil(6));
        for row in &left {
            let a: f64 = row[1].parse().unwrap();
            assert!(a.abs() < 10.0, "{row:?}");
        }
        for row in &right {
            let b: usize = row[1].parse().unwrap();
            assert!(b < B_VALUES, "{row:?}");
        }
    }

    #[test]
    fn the_ids_table_picks_distinct_ids_of_the_daily_data() {
        let [.., picked] = parse_all(SMALL);
        let mut got = ids(&picked);
        assert_eq!(got.len(), 1_000);
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), 1_000, "distinct");
        assert_eq!(got[0], 0);
        assert!(*got.last().unwrap() < 3_650);
        for row in &picked {
            let score: f64 = row[1].parse().unwrap();
            assert!((0.0..=1.0).contains(&score), "{row:?}");
        }
        // The full table's: every 3.65th of the 36.5M daily ids, the last below them.
        assert_eq!(picked_id(1, 10_000_000, 36_500_000), 3);
        assert_eq!(picked_id(20, 10_000_000, 36_500_000), 73);
        assert_eq!(picked_id(9_999_999, 10_000_000, 36_500_000), 36_499_996);
    }

    #[test]
    fn shuffles_within_chunks_only() {
        let mut rng = SplitMix64::new(1);
        let ids = shuffled_ids(0..(SHUFFLE_CHUNK as u64 + 10), &mut rng);
        assert!(
            ids[..SHUFFLE_CHUNK]
                .iter()
                .all(|&i| i < SHUFFLE_CHUNK as u64)
        );
        assert!(
            ids[SHUFFLE_CHUNK..]
                .iter()
                .all(|&i| i >= SHUFFLE_CHUNK as u64)
        );
        assert_ne!(ids[..10], (0..10).collect::<Vec<u64>>()[..]);
    }
}
