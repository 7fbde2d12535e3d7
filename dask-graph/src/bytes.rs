//! Byte sizes written the way people write them: `"4GiB"`, `"512 MB"`, `"1.5e9"`.
//!
//! Memory limits and block sizes are configured in these units everywhere in the
//! workspace, so the parser lives in the shared crate. Units follow Dask's `parse_bytes`:
//! decimal `kB`/`MB`/`GB`/`TB`/`PB` (powers of 1000) and binary `KiB`/`MiB`/`GiB`/`TiB`/`PiB`
//! (powers of 1024), case-insensitive; a bare number is bytes.

use crate::error::Error;

/// Multipliers by unit, lower-cased.
const UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("b", 1),
    ("k", 1000),
    ("kb", 1000),
    ("m", 1000_u64.pow(2)),
    ("mb", 1000_u64.pow(2)),
    ("g", 1000_u64.pow(3)),
    ("gb", 1000_u64.pow(3)),
    ("t", 1000_u64.pow(4)),
    ("tb", 1000_u64.pow(4)),
    ("p", 1000_u64.pow(5)),
    ("pb", 1000_u64.pow(5)),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
    ("pib", 1 << 50),
];

/// Parses a byte size such as `"4GiB"`, `"512 MB"`, `"100kB"`, `"1.5GB"` or `"1e9"`.
///
/// Fractions are rounded down to whole bytes. Negative, non-finite, unit-less garbage
/// and values beyond `u64` are errors that quote the input.
///
/// ```
/// use dask_graph::parse_bytes;
/// assert_eq!(parse_bytes("4GiB").unwrap(), 4 << 30);
/// assert_eq!(parse_bytes("512 MB").unwrap(), 512_000_000);
/// assert_eq!(parse_bytes("1.5kB").unwrap(), 1500);
/// assert_eq!(parse_bytes("12345").unwrap(), 12345);
/// assert!(parse_bytes("4 parsecs").unwrap_err().to_string().contains("parsecs"));
/// ```
pub fn parse_bytes(text: &str) -> Result<u64, Error> {
    let invalid = |why: &str| Error::InvalidByteSize {
        text: text.to_string(),
        reason: why.to_string(),
    };
    let trimmed = text.trim();
    // The number is the longest prefix of digits, dots, signs and exponents.
    let split = trimmed
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '+'
                || c == '-'
                || ((c == 'e' || c == 'E')
                    && i > 0
                    && trimmed[i + 1..].starts_with(|n: char| n.is_ascii_digit() || n == '-')))
        })
        .map_or(trimmed.len(), |(i, _)| i);
    let (number, unit) = trimmed.split_at(split);
    if number.is_empty() {
        return Err(invalid("it does not start with a number"));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| invalid(&format!("`{number}` is not a number")))?;
    let unit = unit.trim().to_ascii_lowercase();
    let Some(&(_, scale)) = UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(invalid(&format!(
            "unknown unit `{unit}` (use B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB or PiB)"
        )));
    };
    if !value.is_finite() || value < 0.0 {
        return Err(invalid("a size must be a finite, non-negative number"));
    }
    let bytes = (value * scale as f64).floor();
    if bytes >= u64::MAX as f64 {
        return Err(invalid("it does not fit in 64 bits"));
    }
    Ok(bytes as u64)
}

/// Formats a byte count with a binary unit and three significant digits: `"1.50 GiB"`.
///
/// ```
/// use dask_graph::format_bytes;
/// assert_eq!(format_bytes(1536), "1.50 KiB");
/// assert_eq!(format_bytes(100), "100 B");
/// assert_eq!(format_bytes(3 << 30), "3.00 GiB");
/// ```
pub fn format_bytes(bytes: u64) -> String {
    const NAMES: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < NAMES.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", NAMES[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_spacing() {
        for (text, want) in [
            ("0", 0),
            ("1b", 1),
            ("  7 B ", 7),
            ("1kB", 1000),
            ("1 KiB", 1024),
            ("2mib", 2 << 20),
            ("3 GB", 3_000_000_000),
            ("4GiB", 4 << 30),
            ("1TiB", 1 << 40),
            ("1e3", 1000),
            ("2.5e3 kB", 2_500_000),
            ("0.5 KiB", 512),
        ] {
            assert_eq!(parse_bytes(text).unwrap(), want, "{text}");
        }
    }

    #[test]
    fn bad_sizes_say_why() {
        for (text, why) in [
            ("", "number"),
            ("GiB", "number"),
            ("-1GB", "non-negative"),
            ("1.2.3", "not a number"),
            ("5 lightyears", "unknown unit"),
            ("1e30 PiB", "64 bits"),
        ] {
            let msg = parse_bytes(text).unwrap_err().to_string();
            assert!(msg.contains(why), "{text}: {msg}");
            assert!(msg.contains(&format!("`{text}`")), "{text}: {msg}");
        }
    }
}
