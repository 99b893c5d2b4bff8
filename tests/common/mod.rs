//! Helpers shared by the end-to-end test binaries.
#![allow(dead_code)]

pub mod pmtiles_archive;

use std::path::Path;
use std::process::{Command, Output};

/// The binary, with no `DATABASE_URL` from the environment: tests name their store.
pub fn bianca() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bianca"));
    c.env_remove("DATABASE_URL");
    c
}

pub fn run(args: &[&str]) -> Output {
    let out = bianca().args(args).output().expect("run bianca");
    out
}

pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "bianca {args:?} failed:\n{err}");
    err
}

pub fn fail(args: &[&str]) -> String {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "bianca {args:?} should fail:\n{err}");
    err
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// 1234567 -> "1,234,567", as bianca prints counts.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
