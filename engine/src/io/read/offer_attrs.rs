//! Parsing of offer attributes (footprints and declarations share these columns) and small
//! value parsers used by every reader.

use std::str::FromStr;

use crate::error::{Error, Location, Result};
use crate::model::{OfferAttrs, Status, Technology};

/// Offer columns that must be present in the header or schema of a footprint or declaration
/// file (`year` is required only for planned offers, so it is checked per row).
pub const REQUIRED_OFFER_COLUMNS: [&str; 5] =
    ["operator", "technology", "down_mbps", "up_mbps", "status"];

/// Parses the offer attributes of one row or feature.
///
/// `get(name)` returns the raw text of column `name` (lowercase), or `None` when the column
/// is absent or null; blank text counts as absent. `at` locates the row; the error names the
/// field too.
///
/// - `operator` (required, non-blank), `technology` (required, see [`Technology::from_str`]);
/// - `down_mbps`, `up_mbps` (required, finite numbers >= 0);
/// - `peak_down_mbps`, `peak_up_mbps` (optional, `None` when blank: never defaulted);
/// - `status` (required, existing | planned), `year` (integer, required when planned);
/// - `infrastructure` (optional, defaults to the operator);
/// - `licensed` (optional true/false/1/0/yes/no/si; default true).
///
/// Numbers accept a decimal comma (`2,5`) when they contain no dot.
pub fn parse_offer_attrs(
    get: &dyn Fn(&str) -> Option<String>,
    at: &Location,
) -> Result<OfferAttrs> {
    let value = |name: &str| {
        get(name)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let err = |name: &str, msg: String| Error::input(at.clone().field(name), msg);
    let required = |name: &str| value(name).ok_or_else(|| err(name, "missing value".into()));
    let speed = |name: &str, v: &str| -> Result<f64> {
        match parse_f64(v) {
            Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(err(
                name,
                format!("expected a number of Mbit/s >= 0, got {v:?}"),
            )),
        }
    };

    let operator = required("operator")?;
    let tech_text = required("technology")?;
    let technology =
        Technology::from_str(&tech_text).map_err(|e| err("technology", e.to_string()))?;
    let down_mbps = speed("down_mbps", &required("down_mbps")?)?;
    let up_mbps = speed("up_mbps", &required("up_mbps")?)?;
    let peak_down_mbps = value("peak_down_mbps")
        .map(|v| speed("peak_down_mbps", &v))
        .transpose()?;
    let peak_up_mbps = value("peak_up_mbps")
        .map(|v| speed("peak_up_mbps", &v))
        .transpose()?;
    let status = Status::from_str(&required("status")?).map_err(|e| err("status", e))?;
    let year = match value("year") {
        Some(v) => Some(
            parse_int(&v)
                .and_then(|y| i32::try_from(y).ok())
                .filter(|y| (1900..=2200).contains(y))
                .ok_or_else(|| err("year", format!("expected a year such as 2026, got {v:?}")))?,
        ),
        None if status == Status::Planned => {
            return Err(err(
                "year",
                "missing value: required when status is planned".into(),
            ))
        }
        None => None,
    };
    let infrastructure = value("infrastructure").unwrap_or_else(|| operator.clone());
    let licensed = match value("licensed") {
        Some(v) => parse_bool(&v).ok_or_else(|| {
            err(
                "licensed",
                format!("expected true/false, 1/0 or yes/no, got {v:?}"),
            )
        })?,
        None => true,
    };
    Ok(OfferAttrs {
        operator,
        infrastructure,
        technology,
        down_mbps,
        up_mbps,
        peak_down_mbps,
        peak_up_mbps,
        status,
        year,
        licensed,
    })
}

/// Parses a decimal number, trimmed; a single decimal comma is accepted when there is no dot.
pub fn parse_f64(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<f64>() {
        return Some(v);
    }
    if !s.contains('.') && s.bytes().filter(|&b| b == b',').count() == 1 {
        return s.replace(',', ".").parse().ok();
    }
    None
}

/// Parses an integer, trimmed; `2026.0` (how some drivers print integral reals) is accepted.
pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    let f: f64 = s.parse().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// true/false, 1/0, yes/no, y/n, si/sì, t/f (case-insensitive).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "t" | "si" | "sì" => Some(true),
        "false" | "0" | "no" | "n" | "f" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<OfferAttrs> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse_offer_attrs(&|k| m.get(k).cloned(), &Location::file("cov.csv").row(7))
    }

    const BASE: [(&str, &str); 5] = [
        ("operator", "OPA"),
        ("technology", "ftth"),
        ("down_mbps", "1000"),
        ("up_mbps", "300"),
        ("status", "existing"),
    ];

    #[test]
    fn parses_defaults_without_inventing_peaks() {
        let a = parse(&BASE).unwrap();
        assert_eq!(a.operator, "OPA");
        assert_eq!(a.infrastructure, "OPA");
        assert_eq!(a.technology, Technology::Ftth);
        assert_eq!((a.down_mbps, a.up_mbps), (1000.0, 300.0));
        assert_eq!((a.peak_down_mbps, a.peak_up_mbps), (None, None));
        assert_eq!(a.year, None);
        assert!(a.licensed);
        let mut v = BASE.to_vec();
        v.extend([
            ("peak_down_mbps", "80,5"),
            ("peak_up_mbps", " "),
            ("licensed", "no"),
            ("infrastructure", "INFRA"),
            ("year", "2026.0"),
        ]);
        let a = parse(&v).unwrap();
        assert_eq!(a.peak_down_mbps, Some(80.5));
        assert_eq!(a.peak_up_mbps, None);
        assert!(!a.licensed);
        assert_eq!(a.infrastructure, "INFRA");
        assert_eq!(a.year, Some(2026));
    }

    #[test]
    fn errors_name_file_row_and_field() {
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (vec![("operator", " ")], "operator", "missing value"),
            (
                vec![("technology", "FIBRA")],
                "technology",
                "expected one of",
            ),
            (vec![("down_mbps", "-1")], "down_mbps", ">= 0"),
            (vec![("up_mbps", "fast")], "up_mbps", "\"fast\""),
            (vec![("peak_down_mbps", "NaN")], "peak_down_mbps", ">= 0"),
            (vec![("status", "maybe")], "status", "existing or planned"),
            (
                vec![("status", "planned")],
                "year",
                "required when status is planned",
            ),
            (vec![("year", "20x6")], "year", "20x6"),
            (vec![("licensed", "perhaps")], "licensed", "yes/no"),
        ];
        for (over, field, text) in cases {
            let mut v: Vec<(&str, &str)> = BASE
                .iter()
                .filter(|(k, _)| !over.iter().any(|(o, _)| o == k))
                .copied()
                .collect();
            v.extend(over);
            let e = parse(&v).unwrap_err().to_string();
            assert!(e.contains("cov.csv"), "{e}");
            assert!(e.contains("row 7"), "{e}");
            assert!(e.contains(&format!("field \"{field}\"")), "{e}");
            assert!(e.contains(text), "{e}");
        }
    }
}
