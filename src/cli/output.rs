//! What every subcommand's output needs: staged (all-or-nothing) files, the rejects table,
//! number formatting.

use anyhow::{bail, Context, Result};
use bianca_engine::io::write::{write_table_as, Format};
use bianca_engine::table::{Column, ColumnType, Table, Value};
use bianca_engine::Reject;
use std::path::{Path, PathBuf};

/// The directory of `p` must exist, so that a long run does not fail at its very end.
pub fn check_dir(p: &Path) -> Result<()> {
    let dir = dir_of(p);
    if !dir.is_dir() {
        bail!(
            "{}: directory {} does not exist",
            p.display(),
            dir.display()
        );
    }
    Ok(())
}

/// The directory a file path lives in (`.` for a bare file name).
pub fn dir_of(p: &Path) -> &Path {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Outputs written under their own names in hidden temporary directories beside their
/// targets, renamed together by [`Staged::commit`]; whatever was not committed is removed with
/// its directory on drop.
#[derive(Default)]
pub struct Staged {
    pending: Vec<(tempfile::TempDir, PathBuf, PathBuf)>,
}

impl Staged {
    pub fn write(&mut self, target: &Path, table: &dyn Table) -> Result<()> {
        let tmp = self.stage(target)?;
        write_table_as(&tmp, table, Format::from_path(target)?)
            .with_context(|| format!("writing {}", target.display()))?;
        Ok(())
    }

    /// The temporary path to write `target` under, for a writer of its own (a file written
    /// in pieces); renamed to `target` by [`Staged::commit`], removed if never committed.
    pub fn stage(&mut self, target: &Path) -> Result<PathBuf> {
        let dir = dir_of(target);
        let name = target
            .file_name()
            .with_context(|| format!("{}: not a file name", target.display()))?;
        let tmp_dir = tempfile::Builder::new()
            .prefix(".bianca-pending-")
            .tempdir_in(dir)
            .with_context(|| format!("writing {}", target.display()))?;
        let tmp = tmp_dir.path().join(name);
        self.pending
            .push((tmp_dir, tmp.clone(), target.to_path_buf()));
        Ok(tmp)
    }

    pub fn commit(self) -> Result<()> {
        for (_dir, tmp, target) in &self.pending {
            std::fs::rename(tmp, target)
                .with_context(|| format!("writing {}", target.display()))?;
        }
        Ok(())
    }
}

/// The current calendar year (UTC), from the system clock.
pub fn current_year() -> i32 {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)) as i32
}

pub fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The rejected rows as a table: file, row, field, error.
pub struct RejectTable<'a> {
    rejects: &'a [Reject],
    files: Vec<String>,
    columns: Vec<Column>,
}

impl<'a> RejectTable<'a> {
    pub fn new(rejects: &'a [Reject]) -> Self {
        RejectTable {
            rejects,
            files: rejects
                .iter()
                .map(|r| r.at.file.display().to_string())
                .collect(),
            columns: vec![
                Column::new("file", ColumnType::Str),
                Column::new("row", ColumnType::Int),
                Column::new("field", ColumnType::Str),
                Column::new("error", ColumnType::Str),
            ],
        }
    }
}

impl Table for RejectTable<'_> {
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn len(&self) -> usize {
        self.rejects.len()
    }
    fn value(&self, row: usize, col: usize) -> Value<'_> {
        let r = &self.rejects[row];
        match col {
            0 => Value::Str(&self.files[row]),
            1 => r.at.row.map_or(Value::Null, |v| Value::Int(v as i64)),
            2 => r.at.field.as_deref().map_or(Value::Null, Value::Str),
            _ => Value::Str(&r.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separates_groups() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(25_756_160), "25,756,160");
    }

    #[test]
    fn current_year_is_plausible() {
        let y = current_year();
        assert!((2025..2100).contains(&y), "{y}");
    }
}
