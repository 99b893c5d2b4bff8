//! Loads GDAL on first use instead of at process start (x86-64 Linux only).
//!
//! GDAL and the hundred libraries it pulls in (PROJ, GEOS, HDF5, Poppler, ...) cost every
//! `bianca` process about 35 ms of symbol binding before `main`, while most runs (a
//! GeoParquet classification, `rules`, `serve` without rasters) never call it. This script
//! lists the functions of GDAL's C API that libgdal exports and generates, for each, a trampoline of the same
//! name that jumps through a slot; a slot first points to a stub that loads libgdal
//! (`dlopen`) and fills every slot (`src/gdal_lazy.rs`). The binary's references to GDAL
//! are then satisfied by the trampolines, and the linker (`--as-needed`) leaves libgdal out
//! of the binary's needed libraries.
//!
//! Another platform, a cross build, `GDAL_STATIC=1` or `BIANCA_GDAL_EAGER=1` link GDAL as
//! usual; so does anything missing (no `nm` / `objdump`, no libgdal found), with a warning.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(bianca_gdal_lazy)");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=BIANCA_GDAL_EAGER");
    for k in ["GDAL_LIB_DIR", "GDAL_HOME", "GDAL_STATIC", "CC"] {
        println!("cargo:rerun-if-env-changed={k}");
    }
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let supported = var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && var("HOST") == var("TARGET");
    // a static GDAL (gdal-sys's GDAL_STATIC) has nothing to load
    if !supported || var("BIANCA_GDAL_EAGER") == "1" || var("GDAL_STATIC") == "1" {
        return;
    }
    match generate(Path::new(&var("OUT_DIR"))) {
        Ok(()) => println!("cargo:rustc-cfg=bianca_gdal_lazy"),
        Err(why) => println!("cargo:warning=GDAL is linked eagerly: {why}"),
    }
}

/// Where libgdal.so is, as gdal-sys looks for it: `GDAL_LIB_DIR`, `GDAL_HOME/lib`, else the
/// C compiler's own library search path, which is where the linker finds it.
fn libgdal() -> Result<PathBuf, String> {
    let dir = std::env::var("GDAL_LIB_DIR")
        .map(|d| (d, "GDAL_LIB_DIR"))
        .or_else(|_| std::env::var("GDAL_HOME").map(|h| (format!("{h}/lib"), "GDAL_HOME")));
    if let Ok((dir, from)) = dir {
        let p = Path::new(&dir).join("libgdal.so");
        return p
            .exists()
            .then_some(p)
            .ok_or_else(|| format!("no libgdal.so in {dir} (from {from})"));
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = run(Command::new(&cc).arg("-print-file-name=libgdal.so"))?;
    let p = PathBuf::from(out.trim());
    // without the library, cc prints the bare name back
    if p.is_absolute() && p.exists() {
        Ok(p)
    } else {
        Err(format!("{cc} does not find libgdal.so"))
    }
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    if !out.status.success() {
        return Err(format!("{:?} failed: {}", cmd.get_program(), out.status));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

/// Prefixes of GDAL's C API (libgdal also exports functions of libraries it embeds, such as
/// json-c's, which are not bianca's to define).
const PREFIXES: [&str; 8] = ["GDAL", "OGR", "OSR", "OCT", "CPL", "CSL", "VSI", "GNM"];

/// The C functions of GDAL's API (not C++, not reserved names) libgdal defines.
fn functions(lib: &Path) -> Result<Vec<String>, String> {
    let out = run(Command::new("nm")
        .args(["-D", "--defined-only", "--format=posix"])
        .arg(lib))?;
    let mut names: Vec<String> = out
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (name, kind) = (f.next()?, f.next()?);
            let c_name = !name.starts_with('_')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            let api = PREFIXES.iter().any(|p| name.starts_with(p));
            (kind == "T" && c_name && api).then(|| name.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    if names.len() < 100 {
        return Err(format!(
            "only {} functions in {}",
            names.len(),
            lib.display()
        ));
    }
    Ok(names)
}

/// The name to load at run time (`libgdal.so.32`): the library's SONAME.
fn soname(lib: &Path) -> Result<String, String> {
    let out = run(Command::new("objdump").arg("-p").arg(lib))?;
    out.lines()
        .find_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some("SONAME")).then(|| f.next().map(str::to_string))?
        })
        .ok_or_else(|| format!("no SONAME in {}", lib.display()))
}

fn generate(out: &Path) -> Result<(), String> {
    let lib = libgdal()?;
    println!("cargo:rerun-if-changed={}", lib.display());
    let names = functions(&lib)?;
    let soname = soname(&lib)?;
    // AT&T syntax. Trampoline k: `jmp *slots[k]`; stub k: r11 = &slots[k], then the
    // shared entry, which saves the argument registers (rax too: it counts the vector
    // registers of a variadic call), lets `bianca_gdal_resolve` fill the slot (loading
    // GDAL on the first call), restores and jumps through the slot.
    let mut s = String::from("    .text\n");
    for (k, name) in names.iter().enumerate() {
        let _ = write!(
            s,
            "    .p2align 4\n    .globl {name}\n    .hidden {name}\n    .type {name},@function\n\
             {name}:\n    jmp *bianca_gdal_slots+{o}(%rip)\n    .size {name}, .-{name}\n\
             .Lbianca_gdal_stub_{k}:\n    lea bianca_gdal_slots+{o}(%rip), %r11\n    \
             jmp .Lbianca_gdal_entry\n",
            o = 8 * k
        );
    }
    s.push_str(
        "    .p2align 4\n.Lbianca_gdal_entry:\n    push %rbp\n    mov %rsp, %rbp\n\
         \x20   push %rdi\n    push %rsi\n    push %rdx\n    push %rcx\n    push %r8\n\
         \x20   push %r9\n    push %rax\n    push %r11\n    sub $128, %rsp\n",
    );
    for r in 0..8 {
        let _ = writeln!(s, "    movdqu %xmm{r}, {}(%rsp)", 16 * r);
    }
    s.push_str("    mov %r11, %rdi\n    call bianca_gdal_resolve\n");
    for r in 0..8 {
        let _ = writeln!(s, "    movdqu {}(%rsp), %xmm{r}", 16 * r);
    }
    s.push_str(
        "    add $128, %rsp\n    pop %r11\n    pop %rax\n    pop %r9\n    pop %r8\n\
         \x20   pop %rcx\n    pop %rdx\n    pop %rsi\n    pop %rdi\n    pop %rbp\n\
         \x20   jmp *(%r11)\n\n    .data\n    .p2align 3\n    .globl bianca_gdal_slots\n\
         \x20   .hidden bianca_gdal_slots\nbianca_gdal_slots:\n",
    );
    for k in 0..names.len() {
        let _ = writeln!(s, "    .quad .Lbianca_gdal_stub_{k}");
    }
    s.push_str("    .text\n");
    std::fs::write(out.join("gdal_lazy.s"), s).map_err(|e| e.to_string())?;
    let mut r = format!(
        "/// The library loaded on first use.\npub const SONAME: &std::ffi::CStr = c\"{soname}\";\n\
         /// Slot k's function.\npub static NAMES: [&std::ffi::CStr; {}] = [\n",
        names.len()
    );
    for name in &names {
        let _ = writeln!(r, "    c\"{name}\",");
    }
    r.push_str("];\n");
    std::fs::write(out.join("gdal_lazy.rs"), r).map_err(|e| e.to_string())
}
