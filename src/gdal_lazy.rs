//! GDAL loaded on first use (see `build.rs`): the first call of any GDAL function loads
//! libgdal, runs the hook set with [`on_load`] and points every trampoline at its function;
//! later calls cost one indirect jump. Without the trampolines (another platform, a cross
//! or static build, `BIANCA_GDAL_EAGER=1`) GDAL is linked as usual and the hook runs at
//! once.

use std::sync::OnceLock;

/// Runs `hook` once GDAL is loaded: at once when it is linked as usual or already loaded,
/// else inside the first GDAL call, before that call and before any other thread's, so
/// that GDAL's settings (an error handler) are in place for every call. Only the first hook
/// set is kept; set it before any thread calls GDAL.
pub fn on_load(hook: fn()) {
    let _ = HOOK.set(hook);
    #[cfg(bianca_gdal_lazy)]
    if lazy::LIB.get().is_some() {
        hook();
    }
    #[cfg(not(bianca_gdal_lazy))]
    hook();
}

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Whether libgdal is in the process: loaded by a first call, or linked as usual (also
/// when the trampolines missed a function the binary calls, which makes the linker keep
/// libgdal as a needed library).
pub fn loaded() -> bool {
    #[cfg(bianca_gdal_lazy)]
    return lazy::in_process();
    #[cfg(not(bianca_gdal_lazy))]
    true
}

#[cfg(bianca_gdal_lazy)]
mod lazy {
    use std::ffi::{c_char, c_int, c_void, CStr};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::OnceLock;

    include!(concat!(env!("OUT_DIR"), "/gdal_lazy.rs"));

    std::arch::global_asm!(
        include_str!(concat!(env!("OUT_DIR"), "/gdal_lazy.s")),
        options(att_syntax)
    );

    extern "C" {
        /// One per name of [`NAMES`], defined in `gdal_lazy.s`.
        static bianca_gdal_slots: [AtomicUsize; NAMES.len()];
        fn dlopen(file: *const c_char, flags: c_int) -> *mut c_void;
        fn dlsym(handle: *mut c_void, name: *const c_char) -> *mut c_void;
        fn dlerror() -> *const c_char;
        fn dlclose(handle: *mut c_void) -> c_int;
    }
    const RTLD_LAZY: c_int = 1;
    const RTLD_NOW: c_int = 2;
    const RTLD_NOLOAD: c_int = 4;
    const RTLD_GLOBAL: c_int = 0x100;

    /// Whether libgdal is loaded, by whatever means (`RTLD_NOLOAD` loads nothing).
    pub(super) fn in_process() -> bool {
        // SAFETY: a C string and flags glibc knows; a handle it returns is closed once
        unsafe {
            let h = dlopen(SONAME.as_ptr(), RTLD_LAZY | RTLD_NOLOAD);
            !h.is_null() && dlclose(h) == 0
        }
    }

    /// The library's handle, once loaded, the hook run and every slot filled.
    pub(super) static LIB: OnceLock<usize> = OnceLock::new();

    thread_local! {
        /// On the thread loading GDAL, while the hook runs: the library's handle.
        static LOADING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Called by a stub with the address of its slot (on the first call of that function):
    /// loads GDAL if not yet done and fills the slot, through which the stub then jumps.
    ///
    /// The hook runs before any slot is filled, so that another thread's first call waits
    /// for it (in `LIB`) instead of reaching GDAL before its settings; the hook's own calls
    /// come back here on the loading thread and fill just their slots.
    #[no_mangle]
    extern "C" fn bianca_gdal_resolve(slot: *const AtomicUsize) {
        // SAFETY: the slots are `NAMES.len()` aligned words that only ever hold function
        // addresses
        let slots = unsafe { &bianca_gdal_slots };
        let k = (slot as usize - slots.as_ptr() as usize) / std::mem::size_of::<usize>();
        let loading = LOADING.get();
        let lib = if loading != 0 {
            loading
        } else {
            *LIB.get_or_init(|| {
                // SAFETY: a C string and flags glibc knows
                let h = unsafe { dlopen(SONAME.as_ptr(), RTLD_NOW | RTLD_GLOBAL) };
                if h.is_null() {
                    die(&format!(
                        "cannot load {}: {}",
                        SONAME.to_string_lossy(),
                        error()
                    ));
                }
                if let Some(hook) = super::HOOK.get() {
                    LOADING.set(h as usize);
                    hook();
                    LOADING.set(0);
                }
                for (slot, name) in slots.iter().zip(NAMES) {
                    // SAFETY: a live handle and a C string
                    let f = unsafe { dlsym(h, name.as_ptr()) };
                    // a function this libgdal lacks keeps its stub, which ends below if
                    // called
                    if !f.is_null() {
                        slot.store(f as usize, Ordering::Release);
                    }
                }
                h as usize
            })
        };
        // SAFETY: a live handle and a C string
        let f = unsafe { dlsym(lib as *mut c_void, NAMES[k].as_ptr()) };
        if f.is_null() {
            die(&format!(
                "{} has no function {}",
                SONAME.to_string_lossy(),
                NAMES[k].to_string_lossy()
            ));
        }
        slots[k].store(f as usize, Ordering::Release);
    }

    fn error() -> String {
        // SAFETY: dlerror returns null or a C string valid until the next dl call
        let e = unsafe { dlerror() };
        if e.is_null() {
            "unknown error".into()
        } else {
            // SAFETY: see above
            unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned()
        }
    }

    /// There is no caller to return an error to: a GDAL function was called and cannot be.
    fn die(why: &str) -> ! {
        eprintln!("error: GDAL is needed but {why}");
        std::process::abort()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    static HOOK_RAN: AtomicBool = AtomicBool::new(false);

    #[test]
    fn a_gdal_call_loads_gdal_runs_the_hook_and_returns_its_answer() {
        super::on_load(|| HOOK_RAN.store(true, Ordering::SeqCst));
        // a plain call, and one whose C function takes a callback and strings
        let version = gdal::version::VersionInfo::release_name();
        assert!(version.starts_with("3."), "{version}");
        gdal::config::set_config_option("BIANCA_LAZY_TEST", "yes").expect("set");
        assert_eq!(
            gdal::config::get_config_option("BIANCA_LAZY_TEST", "no").expect("get"),
            "yes"
        );
        assert!(super::loaded());
        assert!(HOOK_RAN.load(Ordering::SeqCst));
    }
}
