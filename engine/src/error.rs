//! Typed errors of the engine. Every input error names the file, and where it applies the
//! row (1-based data row for tables, 1-based feature number for vector layers) and the field.

use std::fmt;
use std::path::PathBuf;

/// Where in an input a problem is: file, and optionally row/feature and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    /// Data row (CSV: line number in the file, header = line 1) or feature number (1-based).
    pub row: Option<u64>,
    pub field: Option<String>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Self {
            file: file.into(),
            row: None,
            field: None,
        }
    }
    pub fn row(mut self, row: u64) -> Self {
        self.row = Some(row);
        self
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field {field:?}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened, read or written. (The I/O error is part of the message
    /// and deliberately not a `source()`, so that error chains do not print it twice.)
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A value in the input is wrong: missing, not a number, out of range, unknown...
    #[error("{at}: {message}")]
    Input { at: Location, message: String },
    /// A required column is absent from the header or the layer's schema.
    #[error("{file}: missing column {column:?} (columns present: {present})")]
    MissingColumn {
        file: PathBuf,
        column: String,
        present: String,
    },
    /// The input has no rows or no features.
    #[error("{0}: the file has no data rows")]
    Empty(PathBuf),
    /// A coordinate reference system that does not exist or cannot be used.
    #[error("coordinate reference system {crs:?}: {message}")]
    Crs { crs: String, message: String },
    /// A file format the engine cannot read or write.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// A raster that cannot be used: no CRS or geotransform, a missing or bad metadata item
    /// (`band` names the 1-based band when the problem is one band's).
    #[error("{}{}: {message}", path.display(), band.map(|b| format!(", band {b}")).unwrap_or_default())]
    Raster {
        path: PathBuf,
        band: Option<usize>,
        message: String,
    },
    /// A rule set that cannot be loaded.
    #[error("rule set {name}: {message}")]
    Rules { name: String, message: String },
    /// Anything else about a run's configuration.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    pub fn input(at: Location, message: impl Into<String>) -> Self {
        Error::Input {
            at,
            message: message.into(),
        }
    }
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A row or feature that was rejected under `--on-error skip`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub at: Location,
    pub message: String,
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// What a reader does with a bad row or feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Stop at the first bad row with an [`Error`].
    #[default]
    Fail,
    /// Record the row as a [`Reject`] and go on.
    Skip,
}
