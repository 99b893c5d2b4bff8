//! CSV dialect shared by the CSV readers: the header line, the delimiter (comma or
//! semicolon, detected from the header), and splitting one line into fields.
//!
//! Quoted fields follow RFC 4180 (`"a ""b"", c"`), but a quoted field may not contain a line
//! break: readers split the file at newlines to parse in parallel, so such a row is reported
//! as an unterminated quoted field.

use std::path::Path;

use crate::error::{Error, Result};

/// The parsed header of a CSV file.
#[derive(Debug, Clone)]
pub struct CsvHeader {
    /// `b','` or `b';'`.
    pub delimiter: u8,
    /// Column names as written (trimmed).
    pub names: Vec<String>,
    /// Column names trimmed and lowercased, for lookups.
    pub keys: Vec<String>,
}

impl CsvHeader {
    /// Index of the column whose lowercase name is `key`.
    pub fn index(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|k| k == key)
    }

    /// The first of `keys` present, with its index.
    pub fn find(&self, keys: &[&str]) -> Option<usize> {
        keys.iter().find_map(|k| self.index(k))
    }

    /// The present columns, for [`Error::MissingColumn`].
    pub fn present(&self) -> String {
        self.names.join(", ")
    }

    pub fn missing(&self, path: &Path, column: &str) -> Error {
        Error::MissingColumn {
            file: path.to_path_buf(),
            column: column.to_string(),
            present: self.present(),
        }
    }
}

/// Strips a UTF-8 byte order mark.
pub fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// Parses the header line (without its line break; a trailing `\r` is ignored).
///
/// The delimiter is whichever of `,` and `;` occurs more often outside quotes (comma on a
/// tie). A header with a single column that contains a tab or a `|` is reported as a wrong
/// delimiter, since only comma and semicolon are supported.
pub fn parse_header(line: &[u8], path: &Path) -> Result<CsvHeader> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (mut commas, mut semis, mut quoted) = (0usize, 0usize, false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semis += 1,
            _ => {}
        }
    }
    let delimiter = if semis > commas { b';' } else { b',' };
    let mut spans = Vec::new();
    let mut scratch = Vec::new();
    let in_scratch =
        split_line(line, delimiter, &mut spans, &mut scratch).map_err(|m| Error::Format {
            path: path.to_path_buf(),
            message: format!("line 1 (header): {m}"),
        })?;
    let src = if in_scratch { &scratch[..] } else { line };
    let mut names = Vec::with_capacity(spans.len());
    for &(a, b) in &spans {
        let s = std::str::from_utf8(&src[a..b]).map_err(|_| Error::Format {
            path: path.to_path_buf(),
            message: "line 1 (header): not valid UTF-8".into(),
        })?;
        names.push(s.trim().to_string());
    }
    if names.len() == 1 {
        for (sep, label) in [('\t', "tab"), ('|', "'|'")] {
            if names[0].contains(sep) {
                return Err(Error::Format {
                    path: path.to_path_buf(),
                    message: format!(
                        "the header has a single column {:?}: the file seems delimited by {label}; \
                         only comma- or semicolon-separated files are supported",
                        names[0]
                    ),
                });
            }
        }
    }
    let keys = names.iter().map(|n| n.to_lowercase()).collect();
    Ok(CsvHeader {
        delimiter,
        names,
        keys,
    })
}

/// Splits one line (no line break) into fields; spans are `(start, end)` byte offsets.
///
/// Returns `Ok(false)` when the spans index `line` (no quotes: the fast path) and `Ok(true)`
/// when they index `scratch`, which then holds the unquoted, unescaped fields.
pub fn split_line(
    line: &[u8],
    delim: u8,
    spans: &mut Vec<(usize, usize)>,
    scratch: &mut Vec<u8>,
) -> Result<bool, String> {
    spans.clear();
    if !line.contains(&b'"') {
        let mut start = 0;
        for i in memchr::memchr_iter(delim, line) {
            spans.push((start, i));
            start = i + 1;
        }
        spans.push((start, line.len()));
        return Ok(false);
    }
    scratch.clear();
    let mut i = 0;
    loop {
        let start = scratch.len();
        // Leading blanks before an opening quote are allowed.
        let mut j = i;
        while j < line.len() && line[j] == b' ' {
            j += 1;
        }
        if j < line.len() && line[j] == b'"' {
            j += 1;
            loop {
                match line.get(j) {
                    None => {
                        return Err(
                            "unterminated quoted field (a quoted field may not contain a \
                                    line break)"
                                .into(),
                        )
                    }
                    Some(b'"') if line.get(j + 1) == Some(&b'"') => {
                        scratch.push(b'"');
                        j += 2;
                    }
                    Some(b'"') => {
                        j += 1;
                        break;
                    }
                    Some(&c) => {
                        scratch.push(c);
                        j += 1;
                    }
                }
            }
            while j < line.len() && line[j] == b' ' {
                j += 1;
            }
            spans.push((start, scratch.len()));
            match line.get(j) {
                None => return Ok(true),
                Some(&c) if c == delim => i = j + 1,
                Some(&c) => {
                    return Err(format!(
                        "unexpected character {:?} after a closing quote",
                        c as char
                    ))
                }
            }
        } else {
            let end = memchr::memchr(delim, &line[i..]).map_or(line.len(), |k| i + k);
            scratch.extend_from_slice(&line[i..end]);
            spans.push((start, scratch.len()));
            if end == line.len() {
                return Ok(true);
            }
            i = end + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str, d: u8) -> Result<Vec<String>, String> {
        let (mut spans, mut scratch) = (Vec::new(), Vec::new());
        let sc = split_line(line.as_bytes(), d, &mut spans, &mut scratch)?;
        let src = if sc { &scratch[..] } else { line.as_bytes() };
        Ok(spans
            .iter()
            .map(|&(a, b)| String::from_utf8_lossy(&src[a..b]).into_owned())
            .collect())
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(fields("a,b,,c", b',').unwrap(), ["a", "b", "", "c"]);
        assert_eq!(
            fields(r#"1;"Via ""Roma""; 3";x"#, b';').unwrap(),
            ["1", "Via \"Roma\"; 3", "x"]
        );
        assert_eq!(fields(r#""a",b"#, b',').unwrap(), ["a", "b"]);
        assert!(fields(r#""a,b"#, b',')
            .unwrap_err()
            .contains("unterminated"));
        assert!(fields(r#""a"x,b"#, b',')
            .unwrap_err()
            .contains("closing quote"));
    }

    #[test]
    fn detects_delimiter_and_rejects_tabs() {
        let p = Path::new("u.csv");
        let h = parse_header(b"ID ; Lon;LAT\r", p).unwrap();
        assert_eq!(h.delimiter, b';');
        assert_eq!(h.keys, ["id", "lon", "lat"]);
        assert_eq!(h.names, ["ID", "Lon", "LAT"]);
        let h = parse_header(b"id,lon,lat", p).unwrap();
        assert_eq!(h.delimiter, b',');
        let e = parse_header(b"id\tlon\tlat", p).unwrap_err().to_string();
        assert!(e.contains("u.csv") && e.contains("delimited by tab"), "{e}");
    }
}
