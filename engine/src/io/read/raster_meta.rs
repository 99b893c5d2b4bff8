//! Metadata items of one coverage raster given on the command line, as
//! `FILE:KEY=VALUE[,KEY=VALUE...]` (`--raster-meta`), so that a run with several rasters
//! that lack their items (two operators' networks, say) can describe each one.
//!
//! - `KEY` is one of the items of [`super::raster`] (`OPERATOR`, `INFRASTRUCTURE`,
//!   `TECHNOLOGY`, `STATUS`, `YEAR`, `VALUE`, `UP_MBPS`), in any case; a key given twice for
//!   one raster (in one value or in two) is an error.
//! - `FILE` is everything before the last `:` that precedes the first `=`, so a path may hold
//!   `:` (`C:\maps\a.tif:OPERATOR=X`) but no `=`. Values end at the next `,`: they cannot
//!   hold one. Blanks around keys and values are dropped; an empty value is an error.
//! - Values are checked as the raster reader checks the file's items (a technology, a
//!   status, a value kind, a year between 1990 and 2100, a speed >= 0).
//! - `FILE` names the raster given with the same path (`./` and repeated `/` aside), or else
//!   the only raster with the same file name; see [`super::RasterOptions::for_files`].

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use crate::model::{Status, Technology, ValueKind};

/// A metadata item of coverage rasters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaKey {
    Operator,
    Infrastructure,
    Technology,
    Status,
    Year,
    Value,
    UpMbps,
}

impl MetaKey {
    pub const ALL: [MetaKey; 7] = [
        MetaKey::Operator,
        MetaKey::Infrastructure,
        MetaKey::Technology,
        MetaKey::Status,
        MetaKey::Year,
        MetaKey::Value,
        MetaKey::UpMbps,
    ];

    /// The item's name, as GDAL metadata holds it.
    pub fn as_str(self) -> &'static str {
        match self {
            MetaKey::Operator => "OPERATOR",
            MetaKey::Infrastructure => "INFRASTRUCTURE",
            MetaKey::Technology => "TECHNOLOGY",
            MetaKey::Status => "STATUS",
            MetaKey::Year => "YEAR",
            MetaKey::Value => "VALUE",
            MetaKey::UpMbps => "UP_MBPS",
        }
    }

    /// Checks a value of this item: `Err` says what is wrong with it.
    pub fn check(self, v: &str) -> Result<(), String> {
        match self {
            MetaKey::Operator | MetaKey::Infrastructure => Ok(()),
            MetaKey::Technology => v
                .parse::<Technology>()
                .map(|_| ())
                .map_err(|e| e.to_string()),
            MetaKey::Status => v.parse::<Status>().map(|_| ()),
            MetaKey::Value => v.parse::<ValueKind>().map(|_| ()),
            MetaKey::Year => parse_year(v).map(|_| ()),
            MetaKey::UpMbps => parse_up_mbps(v).map(|_| ()),
        }
    }
}

impl fmt::Display for MetaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The names of every key, for messages.
fn key_list() -> String {
    MetaKey::ALL.map(MetaKey::as_str).join(", ")
}

impl FromStr for MetaKey {
    type Err = String;
    /// Case-insensitive, blanks around ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim();
        MetaKey::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(k))
            .ok_or_else(|| format!("unknown key {k:?} (expected one of {})", key_list()))
    }
}

/// A `YEAR` item: a year between 1990 and 2100.
pub fn parse_year(y: &str) -> Result<i32, String> {
    y.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .ok_or_else(|| format!("YEAR: {y:?} is not a year between 1990 and 2100"))
}

/// An `UP_MBPS` item: a finite speed >= 0, Mbit/s.
pub fn parse_up_mbps(u: &str) -> Result<f32, String> {
    u.trim()
        .parse::<f32>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("UP_MBPS: {u:?} is not a speed (Mbit/s, >= 0)"))
}

/// The items given for one raster: `FILE:KEY=VALUE[,KEY=VALUE...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RasterMeta {
    /// The raster as written: its path as given with the coverage, or its file name.
    pub file: String,
    /// The items in the order given, each key once, values trimmed and checked.
    pub items: Vec<(MetaKey, String)>,
    /// The whole value as given, for messages.
    pub text: String,
}

/// A `--raster-meta` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RasterMetaError {
    /// Not of the form `FILE:KEY=VALUE[,KEY=VALUE...]`, an unknown key, a key given twice
    /// or a bad value: the message says which (the value itself is not repeated in it).
    #[error("{0}")]
    Syntax(String),
    /// `FILE` is none of the rasters of the run.
    #[error("{text:?}: {file} is none of the rasters given with --coverage ({rasters})")]
    NoSuchRaster {
        text: String,
        file: String,
        rasters: String,
    },
    /// `FILE` is a file name that several rasters of the run have.
    #[error("{text:?}: several rasters are named {file} ({paths}): give the path as given with --coverage")]
    Ambiguous {
        text: String,
        file: String,
        paths: String,
    },
    /// Two values give one raster the same item.
    #[error("{text:?}: {key} of {path} is given twice")]
    Repeated {
        text: String,
        key: MetaKey,
        path: String,
    },
}

impl FromStr for RasterMeta {
    type Err = RasterMetaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = |m: String| {
            RasterMetaError::Syntax(format!(
                "{m} (expected FILE:KEY=VALUE[,KEY=VALUE...], KEY one of {})",
                key_list()
            ))
        };
        let eq = s
            .find('=')
            .ok_or_else(|| syntax("no KEY=VALUE item".into()))?;
        let colon = s[..eq]
            .rfind(':')
            .ok_or_else(|| syntax("no ':' between the file and its items".into()))?;
        let file = s[..colon].trim();
        if file.is_empty() {
            return Err(syntax("no file before ':'".into()));
        }
        let mut items: Vec<(MetaKey, String)> = Vec::new();
        for part in s[colon + 1..].split(',') {
            let part = part.trim();
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| syntax(format!("{part:?} is not KEY=VALUE")))?;
            let key: MetaKey = k.parse().map_err(RasterMetaError::Syntax)?;
            let v = v.trim();
            if v.is_empty() {
                return Err(syntax(format!("{key} has no value")));
            }
            if items.iter().any(|(k, _)| *k == key) {
                return Err(RasterMetaError::Syntax(format!("{key} is given twice")));
            }
            key.check(v).map_err(|m| {
                RasterMetaError::Syntax(if m.starts_with(key.as_str()) {
                    m
                } else {
                    format!("{key}: {m}")
                })
            })?;
            items.push((key, v.to_string()));
        }
        Ok(RasterMeta {
            file: file.to_string(),
            items,
            text: s.to_string(),
        })
    }
}

/// The path's components without `.`: `./a//b.tif` and `a/b.tif` are one path.
fn components(p: &Path) -> Vec<Component<'_>> {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

impl RasterMeta {
    /// The index in `files` of the raster this value names: the one with the same path, else
    /// the only one with the same file name.
    pub fn find(&self, files: &[PathBuf]) -> Result<usize, RasterMetaError> {
        let want = Path::new(&self.file);
        let same = components(want);
        if let Some(i) = files.iter().position(|f| components(f) == same) {
            return Ok(i);
        }
        let name = want.file_name();
        let by_name: Vec<usize> = (0..files.len())
            .filter(|&i| name.is_some() && files[i].file_name() == name)
            .collect();
        let list = |ix: &mut dyn Iterator<Item = usize>| {
            ix.map(|i| files[i].display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match by_name.as_slice() {
            [i] => Ok(*i),
            [] => Err(RasterMetaError::NoSuchRaster {
                text: self.text.clone(),
                file: self.file.clone(),
                rasters: if files.is_empty() {
                    "there is none".into()
                } else {
                    list(&mut (0..files.len()))
                },
            }),
            _ => Err(RasterMetaError::Ambiguous {
                text: self.text.clone(),
                file: self.file.clone(),
                paths: list(&mut by_name.iter().copied()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(s: &str) -> RasterMeta {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        s.parse::<RasterMeta>().unwrap_err().to_string()
    }

    #[test]
    fn values_are_parsed_with_keys_in_any_case() {
        let m = meta("data/a.tif:operator=TelcoUno, Technology=5G ,VALUE=peak_down_mbps");
        assert_eq!(m.file, "data/a.tif");
        assert_eq!(
            m.items,
            vec![
                (MetaKey::Operator, "TelcoUno".into()),
                (MetaKey::Technology, "5G".into()),
                (MetaKey::Value, "peak_down_mbps".into()),
            ]
        );
        // every key; a path with ':' in it; a value with ':' in it
        let m = meta(
            r"C:\maps\b.tif:OPERATOR=A:B,INFRASTRUCTURE=Net,TECHNOLOGY=4g,STATUS=planned,YEAR=2027,VALUE=rsrp_dbm,UP_MBPS=12.5",
        );
        assert_eq!(m.file, r"C:\maps\b.tif");
        assert_eq!(m.items.len(), 7);
        assert_eq!(m.items[0], (MetaKey::Operator, "A:B".into()));
        assert_eq!(m.items[6], (MetaKey::UpMbps, "12.5".into()));
    }

    #[test]
    fn malformed_values_say_what_is_wrong() {
        for (s, want) in [
            ("a.tif", "no KEY=VALUE item"),
            ("a.tif:", "no KEY=VALUE item"),
            ("OPERATOR=X", "no ':' between the file and its items"),
            (":OPERATOR=X", "no file before ':'"),
            ("a.tif:OPERATOR=X,", "\"\" is not KEY=VALUE"),
            ("a.tif:OPERATOR=X,TECHNOLOGY", "\"TECHNOLOGY\" is not KEY=VALUE"),
            ("a.tif:OPERATOR=", "OPERATOR has no value"),
            ("a.tif:COLOUR=red", "unknown key \"COLOUR\" (expected one of OPERATOR, INFRASTRUCTURE, TECHNOLOGY, STATUS, YEAR, VALUE, UP_MBPS)"),
            ("a.tif:OPERATOR=X,operator=Y", "OPERATOR is given twice"),
            ("a.tif:TECHNOLOGY=6G", "TECHNOLOGY: unknown technology \"6G\""),
            ("a.tif:STATUS=maybe", "STATUS: unknown status \"maybe\""),
            ("a.tif:VALUE=dbm", "VALUE: unknown value kind \"dbm\""),
            ("a.tif:YEAR=27", "YEAR: \"27\" is not a year between 1990 and 2100"),
            ("a.tif:UP_MBPS=-1", "UP_MBPS: \"-1\" is not a speed"),
        ] {
            let e = err(s);
            assert!(e.contains(want), "{s}: {e}");
        }
    }

    #[test]
    fn the_file_is_found_by_path_then_by_unambiguous_name() {
        let files: Vec<PathBuf> = ["data/a.tif", "./other/b.tif", "x/c.tif", "y/c.tif"]
            .map(PathBuf::from)
            .to_vec();
        let find = |s: &str| meta(&format!("{s}:OPERATOR=X")).find(&files);
        assert_eq!(find("data/a.tif"), Ok(0));
        assert_eq!(find("./data//a.tif"), Ok(0));
        assert_eq!(find("other/b.tif"), Ok(1));
        assert_eq!(find("a.tif"), Ok(0));
        assert_eq!(find("elsewhere/a.tif"), Ok(0), "by file name");
        assert_eq!(find("y/c.tif"), Ok(3), "the path settles the name");
        let e = find("c.tif").unwrap_err().to_string();
        assert_eq!(
            e,
            "\"c.tif:OPERATOR=X\": several rasters are named c.tif (x/c.tif, y/c.tif): give the path as given with --coverage"
        );
        let e = find("d.tif").unwrap_err().to_string();
        assert_eq!(
            e,
            "\"d.tif:OPERATOR=X\": d.tif is none of the rasters given with --coverage (data/a.tif, ./other/b.tif, x/c.tif, y/c.tif)"
        );
        let e = meta("d.tif:OPERATOR=X").find(&[]).unwrap_err().to_string();
        assert!(e.ends_with("(there is none)"), "{e}");
    }
}
