//! The allocator, and how long it keeps freed memory.

/// mimalloc reuses freed memory instead of returning it to the OS and faulting fresh pages
/// in again: about 10% of a classification run went to page faults with glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (`enum mi_option_e`).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// For a run that ends when its work does (everything but `serve`): freed memory stays
/// with the process to be reused, instead of being handed back to the OS and faulted in
/// again. mimalloc otherwise purges (`madvise(MADV_DONTNEED)`) freed pages it has not
/// reused within its delay: 450-1000 such calls on a 2M-unit classification (two traced
/// runs), each splitting a transparent huge page that the next allocation zeroes again
/// (0.08 s of system time, 3-4% of the run). The peak is unchanged: memory is reused, only never
/// returned before exit.
pub fn keep_freed_memory() {
    // SAFETY: mimalloc's option setters take any value; -1 means "never purge"
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// mimalloc's purge delay in milliseconds (-1: never).
#[cfg(test)]
fn purge_delay() -> std::ffi::c_long {
    // SAFETY: reading an option has no precondition
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // mimalloc 3's default purge delay is 1000 ms (unless MIMALLOC_PURGE_DELAY is set):
        // the number names that option, not another one
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(purge_delay(), 1000);
        }
        keep_freed_memory();
        assert_eq!(purge_delay(), -1);
    }
}
