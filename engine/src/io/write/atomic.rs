//! Atomic replacement of an output file: write next to the target, fsync, rename over it.
//!
//! A run that fails (an error, a panic) leaves the target untouched: either the old file is
//! still there, or there is no file at all. Temporary files live in the target's directory so
//! that the final rename never crosses a file system; they are hidden (leading `.`) and
//! removed when the [`AtomicFile`] is dropped without [`AtomicFile::commit`].

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempDir};

use crate::error::{Error, Result};

/// A file being written in place of `target`, published by [`AtomicFile::commit`].
///
/// Two flavours:
/// - [`AtomicFile::create`]: the temporary is a file (`.{name}.tmp-XXXXXX.{ext}`) that this
///   process writes through [`AtomicFile::writer`];
/// - [`AtomicFile::for_external_writer`]: the temporary is a private directory
///   (`.{name}.tmp-XXXXXX/`) and [`AtomicFile::path`] is a *not yet existing* path inside it
///   with the target's own file name, for libraries (GDAL) that insist on creating the file
///   themselves and may leave side files (journals, spatial-index scratch files) next to it.
///   The whole directory goes away on drop or after commit.
///
/// Dropping without committing (including while unwinding from a panic) removes everything
/// that was written. The target's permissions are kept when it already exists; a new file
/// gets `0o666 & !umask`, like any file created by `File::create`.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    temp: Temp,
}

#[derive(Debug)]
enum Temp {
    File(BufWriter<NamedTempFile>),
    Dir { dir: TempDir, path: PathBuf },
}

impl AtomicFile {
    /// Creates a temporary file in `target`'s directory, to be written with [`Self::writer`].
    ///
    /// Fails with [`Error::Io`] naming `target` when its directory does not exist or is not
    /// writable, and with [`Error::Format`] when `target` is a directory or has no file name.
    pub fn create(target: &Path) -> Result<Self> {
        let (dir, name) = split_target(target)?;
        let ext = extension_suffix(target);
        let mut builder = tempfile::Builder::new();
        let prefix = format!(".{name}.tmp-");
        builder.prefix(&prefix).suffix(&ext);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let file = builder
            .tempfile_in(&dir)
            .map_err(|e| Error::io(target, e))?;
        if let Ok(meta) = fs::metadata(target) {
            // Keep the permissions of the file we replace (best effort: a failure here only
            // means the new file has the default permissions).
            let _ = file.as_file().set_permissions(meta.permissions());
        }
        Ok(Self {
            target: target.to_path_buf(),
            temp: Temp::File(BufWriter::with_capacity(1 << 20, file)),
        })
    }

    /// Creates a private temporary directory in `target`'s directory; [`Self::path`] is where
    /// the external writer must create the file (same file name as `target`, so drivers that
    /// go by the extension pick the right format). The file does not exist yet.
    pub fn for_external_writer(target: &Path) -> Result<Self> {
        let (dir, name) = split_target(target)?;
        let prefix = format!(".{name}.tmp-");
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&dir)
            .map_err(|e| Error::io(target, e))?;
        let path = tmp.path().join(&name);
        Ok(Self {
            target: target.to_path_buf(),
            temp: Temp::Dir { dir: tmp, path },
        })
    }

    /// The final path, written on commit.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary path being written.
    pub fn path(&self) -> &Path {
        match &self.temp {
            Temp::File(w) => w.get_ref().path(),
            Temp::Dir { path, .. } => path,
        }
    }

    /// A buffered writer on the temporary file; `None` for [`Self::for_external_writer`].
    pub fn writer(&mut self) -> Option<&mut BufWriter<NamedTempFile>> {
        match &mut self.temp {
            Temp::File(w) => Some(w),
            Temp::Dir { .. } => None,
        }
    }

    /// Flushes and fsyncs the temporary file, renames it over the target (replacing any
    /// existing file atomically) and fsyncs the directory.
    ///
    /// Fails with [`Error::Io`] naming the target; the temporary is then removed and an
    /// existing target is left as it was. For [`Self::for_external_writer`], the external
    /// writer must have closed the file before this is called, and it must exist.
    pub fn commit(self) -> Result<()> {
        let target = self.target;
        let io = |e: std::io::Error| Error::io(&target, e);
        match self.temp {
            Temp::File(w) => {
                let tmp = w.into_inner().map_err(|e| io(e.into_error()))?;
                tmp.as_file().sync_all().map_err(io)?;
                tmp.persist(&target).map_err(|e| io(e.error))?;
            }
            Temp::Dir { dir, path } => {
                File::open(&path).and_then(|f| f.sync_all()).map_err(io)?;
                fs::rename(&path, &target).map_err(io)?;
                // Side files left by the writer, if any, go with the directory.
                drop(dir);
            }
        }
        sync_dir(&target);
        Ok(())
    }
}

/// The target's directory (`.` for a bare file name) and file name; rejects directories.
fn split_target(target: &Path) -> Result<(PathBuf, String)> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Format {
            path: target.to_path_buf(),
            message: "the output path has no file name".into(),
        })?;
    if target.is_dir() {
        return Err(Error::Format {
            path: target.to_path_buf(),
            message: "the output path is a directory".into(),
        });
    }
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name))
}

/// `.ext` of the target (empty when it has none), so that temporaries keep the extension.
fn extension_suffix(target: &Path) -> String {
    target
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default()
}

/// Makes the rename durable (best effort: not every platform or file system allows opening
/// or syncing a directory, and the data itself is already synced).
fn sync_dir(target: &Path) {
    #[cfg(unix)]
    if let Some(dir) = target.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Writes `target` atomically with `body`, which gets a buffered writer on the temporary file.
/// Nothing is published unless `body` returns `Ok`.
pub(crate) fn write_atomically<F>(target: &Path, body: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<NamedTempFile>) -> Result<()>,
{
    let mut file = AtomicFile::create(target)?;
    if let Some(w) = file.writer() {
        body(w)?;
        w.flush().map_err(|e| Error::io(target, e))?;
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_target_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        fs::write(&target, "old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        let tmp = f.path().to_path_buf();
        let tmp_name = tmp.file_name().unwrap().to_string_lossy().into_owned();
        assert!(tmp_name.starts_with(".out.csv.tmp-"), "{tmp_name}");
        assert!(tmp_name.ends_with(".csv"), "{tmp_name}");
        assert_eq!(tmp.parent(), Some(dir.path()));
        f.writer().unwrap().write_all(b"new").unwrap();
        // Not visible before commit.
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(entries(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn drop_without_commit_removes_temporary_and_keeps_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.writer().unwrap().write_all(b"half").unwrap();
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(entries(dir.path()), vec!["out.csv"]);
    }

    #[test]
    fn panic_while_writing_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let t = target.clone();
        let r = std::panic::catch_unwind(move || {
            write_atomically(&t, |w| {
                w.write_all(b"half").unwrap();
                panic!("boom");
            })
        });
        assert!(r.is_err());
        assert!(!target.exists());
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn external_writer_directory_is_removed_with_side_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.gpkg");
        let f = AtomicFile::for_external_writer(&target).unwrap();
        assert_eq!(f.path().file_name().unwrap(), "out.gpkg");
        assert!(!f.path().exists());
        fs::write(f.path(), "data").unwrap();
        fs::write(f.path().with_extension("gpkg-journal"), "x").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "data");
        assert_eq!(entries(dir.path()), vec!["out.gpkg"]);

        let f = AtomicFile::for_external_writer(&target).unwrap();
        fs::write(f.path(), "half").unwrap();
        drop(f);
        assert_eq!(fs::read_to_string(&target).unwrap(), "data");
        assert_eq!(entries(dir.path()), vec!["out.gpkg"]);
    }

    #[test]
    fn missing_directory_is_an_io_error_naming_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("nope").join("out.csv");
        let err = AtomicFile::create(&target).unwrap_err();
        assert!(
            matches!(err, Error::Io { ref path, .. } if path == &target),
            "{err:?}"
        );
        assert!(err.to_string().contains("nope/out.csv"), "{err}");
        let err = AtomicFile::for_external_writer(&target).unwrap_err();
        assert!(
            matches!(err, Error::Io { ref path, .. } if path == &target),
            "{err:?}"
        );
    }

    #[test]
    fn directory_target_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let err = AtomicFile::create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn existing_permissions_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        fs::write(&target, "old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&target, |w| {
            w.write_all(b"new").map_err(|e| Error::io("x", e))
        })
        .unwrap();
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
}
