//! The rows of the generated CSV files.
//!
//! Everything that decides a file's bytes lives here: a small deterministic random
//! generator ([`SplitMix64`]), the samplers for each column ([`Zipf`] for `user_id`,
//! [`standard_normal`] for `value`, a uniform pick from [`NAMES`] for `name`), the
//! calendar of 2015 ([`Day`]) and the CSV line format ([`push_row`]). [`file_text`]
//! puts them together into one day's whole file.
//!
//! A file's contents depend only on the seed, its day and the number of rows per file,
//! never on which thread writes it or in what order, so the same seed always gives the
//! same bytes, and the quick data set (the first days) is a prefix of the full one.

use std::fmt::Write as _;

/// The CSV header line (without its newline).
pub const HEADER: &str = "id,user_id,name,value,timestamp";

/// How many distinct users `user_id` ranges over (`1..=USERS`).
pub const USERS: usize = 10_000;

/// The exponent of the Zipf distribution of `user_id`.
pub const ZIPF_EXPONENT: f64 = 1.0;

/// The year the timestamps fall in (not a leap year).
pub const YEAR: u32 = 2015;

/// Days in each month of [`YEAR`].
const MONTH_DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// The days of [`YEAR`], so the most files a data set can have.
pub const DAYS_IN_YEAR: usize = 365;

/// Seconds in a day: a file's timestamps spread over them.
const SECONDS_PER_DAY: u64 = 86_400;

/// The values of the `name` column, picked uniformly.
pub const NAMES: [&str; 100] = [
    "Alice",
    "Bob",
    "Charlie",
    "Dan",
    "Edith",
    "Frank",
    "George",
    "Hannah",
    "Ingrid",
    "Jerry",
    "Kevin",
    "Laura",
    "Michael",
    "Norbert",
    "Oliver",
    "Patricia",
    "Quinn",
    "Ray",
    "Sarah",
    "Tim",
    "Ursula",
    "Victor",
    "Wendy",
    "Xavier",
    "Yvonne",
    "Zelda",
    "Aaron",
    "Beatrice",
    "Carlos",
    "Diana",
    "Ethan",
    "Fiona",
    "Gavin",
    "Helen",
    "Isaac",
    "Julia",
    "Karl",
    "Lena",
    "Marcus",
    "Nina",
    "Oscar",
    "Paula",
    "Quentin",
    "Rosa",
    "Samuel",
    "Tina",
    "Ulrich",
    "Vera",
    "Walter",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Amir",
    "Bianca",
    "Cedric",
    "Dora",
    "Emil",
    "Frida",
    "Gustav",
    "Hilda",
    "Ivan",
    "Jana",
    "Kofi",
    "Lucia",
    "Mateo",
    "Nora",
    "Otto",
    "Petra",
    "Rafael",
    "Sofia",
    "Tomas",
    "Uma",
    "Viktor",
    "Wanda",
    "Yara",
    "Zane",
    "Anton",
    "Bella",
    "Conrad",
    "Daria",
    "Elias",
    "Greta",
    "Hugo",
    "Irene",
    "Jonas",
    "Klara",
    "Leon",
    "Maya",
    "Nils",
    "Olga",
    "Pablo",
    "Rita",
    "Stefan",
    "Thea",
    "Ugo",
    "Valentina",
    "Wilhelm",
    "Ximena",
    "Yosef",
    "Zara",
];

// ---------------------------------------------------------------------------------------
// Randomness.

/// SplitMix64 (Steele, Lea and Flood): a 64-bit state stepped by a constant and mixed;
/// small, fast and good enough for benchmark data.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    /// The state, advanced by [`SplitMix64::GAMMA`] per draw.
    state: u64,
}

impl SplitMix64 {
    /// The golden-ratio increment of the state.
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The generator for file number `index` (0-based) of the data set seeded with
    /// `seed`: its starting state is a mix of both, so that the files' streams do not
    /// overlap the way states a multiple of the increment apart would.
    pub fn for_file(seed: u64, index: usize) -> Self {
        let mut mixer = Self::new(seed ^ mix(index as u64 ^ 0x5EED_F11E));
        Self::new(mixer.next_u64())
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(Self::GAMMA);
        mix(self.state)
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (by multiplying, so without a division; its bias is
    /// below `n / 2^64`). `n` must not be zero.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// SplitMix64's output function: a bijective mix of the bits of `z`.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The Zipf distribution over the ranks `1..=n`: rank `k` has probability proportional
/// to `1 / k^s`. Sampled by inverting its cumulative distribution, a precomputed table
/// searched by bisection.
#[derive(Debug, Clone)]
pub struct Zipf {
    /// `cumulative[k - 1]` is the probability of a rank `<= k`; the last is exactly 1.
    cumulative: Vec<f64>,
}

impl Zipf {
    /// The distribution over `1..=n` (`n` at least 1) with exponent `s`.
    pub fn new(n: usize, s: f64) -> Self {
        let n = n.max(1);
        let weights: Vec<f64> = (1..=n).map(|k| (k as f64).powf(-s)).collect();
        let total: f64 = weights.iter().sum();
        let mut running = 0.0;
        let mut cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                running += w;
                running / total
            })
            .collect();
        // Rounding may leave the last entry a hair below 1; a draw must always land.
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Self { cumulative }
    }

    /// How many ranks there are.
    pub fn len(&self) -> usize {
        self.cumulative.len()
    }

    /// The probability of `rank` (`1..=len`); zero outside.
    #[cfg(test)]
    pub fn probability(&self, rank: usize) -> f64 {
        match rank {
            0 => 0.0,
            1 => self.cumulative.first().copied().unwrap_or(0.0),
            _ => match (self.cumulative.get(rank - 1), self.cumulative.get(rank - 2)) {
                (Some(upto), Some(below)) => upto - below,
                _ => 0.0,
            },
        }
    }

    /// The rank whose cumulative interval holds `u` in `[0, 1)`: the first `k` with
    /// `P(rank <= k) > u`.
    pub fn rank_at(&self, u: f64) -> usize {
        let index = self.cumulative.partition_point(|&c| c <= u);
        index.min(self.len() - 1) + 1
    }

    /// One draw.
    pub fn sample(&self, rng: &mut SplitMix64) -> usize {
        self.rank_at(rng.next_f64())
    }
}

/// A standard normal draw (mean 0, standard deviation 1) by the Box–Muller transform,
/// from two uniforms (the second value of the pair is not kept, which keeps the stream
/// of draws per row fixed).
pub fn standard_normal(rng: &mut SplitMix64) -> f64 {
    // 1 - u is in (0, 1], so its logarithm is finite.
    let radius = (-2.0 * (1.0 - rng.next_f64()).ln()).sqrt();
    let angle = std::f64::consts::TAU * rng.next_f64();
    radius * angle.cos()
}

// ---------------------------------------------------------------------------------------
// The calendar and the line format.

/// A day of [`YEAR`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// `1..=12`.
    pub month: u32,
    /// `1..=31`.
    pub day: u32,
}

impl Day {
    /// The `index`-th day of the year (0 is January 1st), if the year has it.
    pub fn of_year(index: usize) -> Option<Day> {
        let mut left = u32::try_from(index).ok()?;
        for (month, days) in (1..).zip(MONTH_DAYS) {
            if left < days {
                return Some(Day {
                    month,
                    day: left + 1,
                });
            }
            left -= days;
        }
        None
    }

    /// `2015-MM-DD`.
    pub fn date(self) -> String {
        format!("{YEAR}-{:02}-{:02}", self.month, self.day)
    }

    /// The name of this day's file: `2015-MM-DD.csv`.
    pub fn file_name(self) -> String {
        format!("{}.csv", self.date())
    }
}

/// One generated row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The running row number over the whole data set.
    pub id: i64,
    /// `1..=USERS`, Zipf-distributed.
    pub user_id: usize,
    /// One of [`NAMES`].
    pub name: &'static str,
    /// Standard normal.
    pub value: f64,
    /// The day of the file.
    pub day: Day,
    /// Seconds since that day's midnight, `0..86400`.
    pub second: u32,
}

/// Appends `row` as a CSV line (with its newline): `id,user_id,name,value,timestamp`,
/// the value with six decimals and the timestamp as `2015-MM-DD HH:MM:SS`.
pub fn push_row(line: &mut String, row: &Row) {
    let (hours, minutes, seconds) = (row.second / 3600, row.second / 60 % 60, row.second % 60);
    // Writing to a String cannot fail.
    let _ = writeln!(
        line,
        "{},{},{},{:.6},{YEAR}-{:02}-{:02} {hours:02}:{minutes:02}:{seconds:02}",
        row.id, row.user_id, row.name, row.value, row.day.month, row.day.day,
    );
}

/// The rows of file `index` (0-based, so day `index` of the year) of the data set with
/// `seed` and `rows` rows per file, in order: ids continue from the previous files
/// (`index * rows`), timestamps rise through the day (never decreasing; a second is
/// shared by about `rows / 86400` rows or fewer). `None` past the year's last day.
pub fn file_rows(
    seed: u64,
    index: usize,
    rows: u64,
    users: &Zipf,
) -> Option<impl Iterator<Item = Row> + '_> {
    let day = Day::of_year(index)?;
    let first_id = i64::try_from((index as u64).checked_mul(rows)?).ok()?;
    let mut rng = SplitMix64::for_file(seed, index);
    Some((0..rows).map(move |i| {
        // The order of the draws is part of the format: user, name, value.
        let user_id = users.sample(&mut rng);
        let name = NAMES[rng.below(NAMES.len())];
        let value = standard_normal(&mut rng);
        // Below 86400 since i < rows.
        let second = u32::try_from(i * SECONDS_PER_DAY / rows).unwrap_or(u32::MAX);
        Row {
            id: first_id + i as i64,
            user_id,
            name,
            value,
            day,
            second,
        }
    }))
}

/// The whole text of file `index` (see [`file_rows`]): the header line, then the rows.
pub fn file_text(seed: u64, index: usize, rows: u64, users: &Zipf) -> Option<String> {
    let rows_iter = file_rows(seed, index, rows, users)?;
    // About 55 bytes a row; reserving avoids regrowing a multi-megabyte buffer.
    let mut text = String::with_capacity(HEADER.len() + 1 + rows as usize * 60);
    text.push_str(HEADER);
    text.push('\n');
    for row in rows_iter {
        push_row(&mut text, &row);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harmonic number H(n) = 1 + 1/2 + ... + 1/n.
    fn harmonic(n: usize) -> f64 {
        (1..=n).map(|k| 1.0 / k as f64).sum()
    }

    #[test]
    fn the_generator_is_deterministic_and_uniform_enough() {
        let draws = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..5).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
        // Files get different streams, none a shifted copy of another's.
        let first = |index| SplitMix64::for_file(42, index).next_u64();
        assert_ne!(first(0), first(1));
        assert_ne!(SplitMix64::for_file(42, 0).next_u64(), {
            let mut one = SplitMix64::for_file(42, 1);
            one.next_u64();
            one.next_u64()
        });
        let mut rng = SplitMix64::new(1);
        let n = 100_000;
        let mean = (0..n).map(|_| rng.next_f64()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let mut counts = [0usize; 10];
        for _ in 0..n {
            counts[rng.below(10)] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn the_zipf_table_is_a_decreasing_distribution() {
        let zipf = Zipf::new(USERS, ZIPF_EXPONENT);
        assert_eq!(zipf.len(), USERS);
        let head = zipf.probability(1);
        let expected = 1.0 / harmonic(USERS);
        assert!((head - expected).abs() < 1e-12, "{head} vs {expected}");
        assert!((expected - 0.1022).abs() < 1e-3, "{expected}");
        for k in 2..=USERS {
            assert!(zipf.probability(k) < zipf.probability(k - 1), "rank {k}");
        }
        let total: f64 = (1..=USERS).map(|k| zipf.probability(k)).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        assert_eq!(zipf.probability(0), 0.0);
        assert_eq!(zipf.probability(USERS + 1), 0.0);
    }

    #[test]
    fn zipf_inverts_its_cumulative_table() {
        let zipf = Zipf::new(4, 1.0);
        // Weights 1, 1/2, 1/3, 1/4 of 25/12: cumulative 0.48, 0.72, 0.88, 1.
        assert_eq!(zipf.rank_at(0.0), 1);
        assert_eq!(zipf.rank_at(0.479), 1);
        assert_eq!(zipf.rank_at(0.481), 2);
        assert_eq!(zipf.rank_at(0.8), 3);
        assert_eq!(zipf.rank_at(0.9), 4);
        assert_eq!(zipf.rank_at(0.999_999_999), 4);
        assert_eq!(Zipf::new(1, 1.0).rank_at(0.5), 1);
    }

    #[test]
    fn zipf_draws_follow_the_head_of_the_distribution() {
        let zipf = Zipf::new(USERS, ZIPF_EXPONENT);
        let mut rng = SplitMix64::new(42);
        let draws = 400_000;
        let mut counts = vec![0usize; USERS + 1];
        for _ in 0..draws {
            let rank = zipf.sample(&mut rng);
            assert!((1..=USERS).contains(&rank), "{rank}");
            counts[rank] += 1;
        }
        // User 1 takes about 1 / H(10000) = 10.2% of the draws.
        let share = counts[1] as f64 / draws as f64;
        assert!((share - 1.0 / harmonic(USERS)).abs() < 0.003, "{share}");
        // The head's counts fall with the rank, about as 1/k: user 2 half of user 1.
        for k in 2..=8 {
            assert!(counts[k] < counts[k - 1], "{:?}", &counts[1..=8]);
        }
        let half = counts[2] as f64 / counts[1] as f64;
        assert!((half - 0.5).abs() < 0.03, "{half}");
    }

    #[test]
    fn normal_draws_have_mean_zero_and_unit_spread() {
        let mut rng = SplitMix64::new(3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let positive = xs.iter().filter(|&&x| x > 0.0).count() as f64 / n as f64;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var.sqrt() - 1.0).abs() < 0.01, "{var}");
        assert!((positive - 0.5).abs() < 0.01, "{positive}");
        assert!(xs.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn the_calendar_covers_2015() {
        assert_eq!(Day::of_year(0), Some(Day { month: 1, day: 1 }));
        assert_eq!(Day::of_year(31), Some(Day { month: 2, day: 1 }));
        assert_eq!(Day::of_year(58), Some(Day { month: 2, day: 28 }));
        assert_eq!(Day::of_year(59), Some(Day { month: 3, day: 1 }));
        assert_eq!(Day::of_year(364), Some(Day { month: 12, day: 31 }));
        assert_eq!(Day::of_year(DAYS_IN_YEAR), None);
        assert_eq!(Day::of_year(usize::MAX), None);
        let names: Vec<String> = (0..DAYS_IN_YEAR)
            .map(|i| Day::of_year(i).map(Day::file_name).unwrap_or_default())
            .collect();
        assert_eq!(names[0], "2015-01-01.csv");
        assert_eq!(names[364], "2015-12-31.csv");
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, names, "distinct and in date order");
    }

    #[test]
    fn formats_a_row_as_a_csv_line() {
        let mut line = String::new();
        let row = Row {
            id: 36_499_999,
            user_id: 10_000,
            name: "Zara",
            value: -1.234_567_89,
            day: Day { month: 12, day: 31 },
            second: 86_399,
        };
        push_row(&mut line, &row);
        assert_eq!(line, "36499999,10000,Zara,-1.234568,2015-12-31 23:59:59\n");
        line.clear();
        let row = Row {
            id: 0,
            user_id: 1,
            name: "Alice",
            value: 0.5,
            day: Day { month: 1, day: 2 },
            second: 3_723,
        };
        push_row(&mut line, &row);
        assert_eq!(line, "0,1,Alice,0.500000,2015-01-02 01:02:03\n");
    }

    #[test]
    fn the_names_are_distinct_csv_safe_words() {
        let mut names = NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), NAMES.len());
        assert!(
            NAMES
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_alphabetic()))
        );
    }

    #[test]
    fn a_file_is_deterministic_with_running_ids_and_rising_times() {
        let users = Zipf::new(USERS, ZIPF_EXPONENT);
        let rows = 1_000;
        let text = file_text(42, 2, rows, &users).unwrap();
        assert_eq!(file_text(42, 2, rows, &users).as_ref(), Some(&text));
        assert_ne!(file_text(43, 2, rows, &users).as_ref(), Some(&text));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(HEADER));
        let parsed: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(parsed.len(), rows as usize);
        let mut last_time = "";
        for (i, fields) in parsed.iter().enumerate() {
            assert_eq!(fields.len(), 5, "{fields:?}");
            assert_eq!(fields[0], (2_000 + i).to_string());
            let user: usize = fields[1].parse().unwrap();
            assert!((1..=USERS).contains(&user));
            assert!(NAMES.contains(&fields[2]));
            let value: f64 = fields[3].parse().unwrap();
            assert!(value.abs() < 10.0);
            assert!(fields[4].starts_with("2015-01-03 "), "{}", fields[4]);
            assert!(fields[4] >= last_time, "{} after {last_time}", fields[4]);
            last_time = fields[4];
        }
        assert_eq!(parsed[0][4], "2015-01-03 00:00:00");
        assert!(last_time >= "2015-01-03 23:58:00", "{last_time}");
        assert!(file_text(42, DAYS_IN_YEAR, rows, &users).is_none());
    }
}
