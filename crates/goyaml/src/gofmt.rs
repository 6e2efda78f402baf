//! Go's text forms of numbers, booleans and times, as sops' MAC and emitters use them:
//! `strconv.Atoi`, `ParseFloat`, `ParseBool`, `FormatFloat` ('f' and 'g', shortest),
//! encoding/json's floats, and `time.Time`'s RFC 3339 forms.

/// `strconv.Atoi`: an optional sign and decimal digits.
pub fn atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `strconv.ParseFloat(s, 64)` for the forms sops writes (decimal, exponent, Inf, NaN).
pub fn parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    match lower.trim_start_matches(['+', '-']) {
        "inf" | "infinity" | "nan" => {}
        t if t.starts_with(|c: char| c.is_ascii_digit() || c == '.') => {}
        _ => return None,
    }
    s.parse().ok()
}

/// `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `strconv.FormatFloat(f, 'f', -1, 64)`.
pub fn format_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{f}")
    }
}

/// The shortest decimal digits of `f` (finite, non-zero) and its decimal exponent `e` such
/// that `f = 0.d1d2… × 10^(e)` is written `d1.d2… × 10^(e-1)`: returns (digits, exp) with
/// `f = d1.d2… × 10^exp`.
fn shortest(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exp.parse().unwrap_or(0))
}

/// Go's `%e` with the shortest digits: `d.ddde±XX`.
fn fmt_e(neg: bool, digits: &str, exp: i32) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`.
pub fn format_g(f: f64) -> String {
    if !f.is_finite() {
        return format_f(f);
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, exp) = shortest(f);
    if !(-4..6).contains(&exp) {
        return fmt_e(f < 0.0, &digits, exp);
    }
    format_f(f)
}

/// encoding/json's float: 'f', or 'e' (with `e-07` cleaned to `e-7`) outside [1e-6, 1e21).
pub fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let (digits, exp) = shortest(f);
        let mut s = fmt_e(f < 0.0, &digits, exp);
        let n = s.len();
        let b = s.as_bytes();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
        return Some(s);
    }
    Some(format_f(f))
}

/// A time as Go's `time.Time.MarshalText` writes it (RFC 3339 with nanoseconds, trailing
/// zeros of the fraction dropped, `Z` for a zero offset), from any form yaml.v3 reads as a
/// timestamp: `2006-1-2T15:4:5.999999999Z07:00` (`t` too), `2006-1-2 15:4:5.999999999`
/// and `2006-1-2`.
pub fn rfc3339_nano(s: &str) -> Option<String> {
    use crate::resolve::{Zone, parse_timestamp};
    let t = parse_timestamp(s)?;
    let date = format!("{:04}-{:02}-{:02}", t.year, t.month, t.day);
    let Some(time) = t.time else {
        return Some(format!("{date}T00:00:00Z"));
    };
    // More than nanoseconds: refused here.
    if time.fraction.len() > 9 {
        return None;
    }
    let frac = time.fraction.trim_end_matches('0');
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    let zone = match time.zone {
        Zone::None | Zone::Utc => "Z".to_string(),
        Zone::Offset {
            hours: 0,
            minutes: 0,
            ..
        } => "Z".to_string(),
        Zone::Offset {
            negative,
            hours,
            minutes,
        } => format!(
            "{}{hours:02}:{minutes:02}",
            if negative { '-' } else { '+' }
        ),
    };
    Some(format!(
        "{date}T{:02}:{:02}:{:02}{frac}{zone}",
        time.hour, time.minute, time.second
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_go_formats_them() {
        for (f, g, fixed, json) in [
            (1000000.0, "1e+06", "1000000", "1000000"),
            (123456.0, "123456", "123456", "123456"),
            (1234567.0, "1.234567e+06", "1234567", "1234567"),
            (3.5, "3.5", "3.5", "3.5"),
            (0.0001, "0.0001", "0.0001", "0.0001"),
            (0.00001, "1e-05", "0.00001", "0.00001"),
            (1e-7, "1e-07", "0.0000001", "1e-7"),
            (1e21, "1e+21", "1000000000000000000000", "1e+21"),
            (-2.0, "-2", "-2", "-2"),
        ] {
            assert_eq!(format_g(f), g, "{f}");
            assert_eq!(format_f(f), fixed, "{f}");
            assert_eq!(json_float(f).unwrap(), json, "{f}");
        }
        assert_eq!(format_g(f64::INFINITY), "+Inf");
    }

    #[test]
    fn times_as_go_marshals_them() {
        for (i, o) in [
            ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
            ("2024-1-2", "2024-01-02T00:00:00Z"),
            ("2024-01-02 03:04:05.500", "2024-01-02T03:04:05.5Z"),
            ("2024-01-02t03:04:05+02:00", "2024-01-02T03:04:05+02:00"),
            ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
        ] {
            assert_eq!(rfc3339_nano(i).as_deref(), Some(o), "{i}");
        }
        for bad in [
            "2024-13-01",
            "2024-02-30",
            "24-01-01",
            "2024-01-02T03:04:05",
            "x",
        ] {
            assert_eq!(rfc3339_nano(bad), None, "{bad}");
        }
    }
}
