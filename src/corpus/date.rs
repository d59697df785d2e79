//! Document dates: a calendar day, or nothing (never invented or shifted).

use super::Corpus;

/// Days since 1970-01-01 of a calendar date written `YYYY-MM-DD`, optionally followed by a
/// time (`T` or a space, then `HH:MM…`), which is dropped. `None` for anything else,
/// including a year or a year-month alone and impossible days (`2023-02-29`): a date is
/// never invented or shifted (see the `date` column in `docs/schema.md`).
pub fn parse_date(raw: &str) -> Option<i32> {
    let s = raw.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if b.len() > 10 {
        let time = &b[11..];
        let is_time = (b[10] == b'T' || b[10] == b' ')
            && time.len() >= 5
            && time[..2].iter().all(u8::is_ascii_digit)
            && time[2] == b':'
            && time[3..5].iter().all(u8::is_ascii_digit);
        if !is_time {
            return None;
        }
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let d = &b[r];
        if !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    days_from_civil(y, m, d)
}

/// Days since 1970-01-01 of the calendar day `y-m-d` (Howard Hinnant's days_from_civil);
/// `None` for an impossible day.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i32> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// The calendar day `(year, month, day)` of a day count since 1970-01-01 (Howard Hinnant's
/// civil_from_days).
pub fn civil_from_days(days: i32) -> (i64, i64, i64) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` of a day count since 1970-01-01 (Howard Hinnant's civil_from_days): the
/// inverse of [`parse_date`] on calendar days.
pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The warning for documents whose date is not a calendar date (their `date` is null and
/// `date_raw` keeps the value), or `None` when every date parses.
pub fn date_warning(corpus: &Corpus) -> Option<String> {
    let bad: Vec<&str> = corpus
        .documents
        .iter()
        .filter_map(|d| d.date.as_deref())
        .filter(|d| parse_date(d).is_none())
        .collect();
    let first = bad.first()?;
    Some(bad_dates_warning(bad.len(), first))
}

/// The warning of [`date_warning`] for `n` documents whose date is not a calendar date, the
/// first of them `first`.
pub fn bad_dates_warning(n: usize, first: &str) -> String {
    format!(
        "{} document{} a date that is not a calendar date YYYY-MM-DD (e.g. '{}'): \
         documents.date is null for {}, documents.date_raw keeps the value as given",
        n,
        if n == 1 { " has" } else { "s have" },
        first,
        if n == 1 { "it" } else { "them" }
    )
}

#[cfg(test)]
mod tests {
    use super::{format_date, parse_date};

    #[test]
    fn format_date_inverts_parse_date() {
        for d in [
            "1970-01-01",
            "2000-02-29",
            "2012-09-04",
            "1969-12-31",
            "2100-03-01",
            "0001-01-01",
        ] {
            assert_eq!(format_date(parse_date(d).unwrap()), d);
        }
        // Every 997th day of years 0001 to 9999 (what parse_date accepts).
        let (first, last) = (
            parse_date("0001-01-01").unwrap(),
            parse_date("9999-12-31").unwrap(),
        );
        for days in (first..=last).step_by(997) {
            assert_eq!(parse_date(&format_date(days)), Some(days));
        }
    }

    #[test]
    fn parse_date_accepts_calendar_days_only() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(parse_date("2026-01-22"), Some(20_475));
        assert_eq!(parse_date(" 2024-02-29 "), Some(19_782));
        assert_eq!(parse_date("2012-09-04T20:15:00Z"), parse_date("2012-09-04"));
        assert_eq!(parse_date("2012-09-04 20:15"), parse_date("2012-09-04"));
        for bad in [
            "",
            "2012",
            "2012-09",
            "2023-02-29",
            "1900-02-29",
            "2012-13-01",
            "2012-00-10",
            "2012-04-31",
            "2012-9-4",
            "04/09/2012",
            "2012-09-04x",
            "2012-09-04 and more",
            "２０１２-09-04",
            "-012-09-04",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
