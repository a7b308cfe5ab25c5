//! The allocator both binaries install (`#[global_allocator]` must be declared in each),
//! and the one setting they give it.

pub use mimalloc::MiMalloc;

/// Tells mimalloc to keep freed memory instead of returning it to the OS 10 ms later (its
/// default). Training allocates and frees tensors of tens of MB every step; returned pages
/// come back zeroed by the kernel on the next step, which cost a third of SimCSE's time in
/// system calls and page faults (`train --method simcse --max-documents 256 --batch-size
/// 16`: 5.7 examples/s and 15 s of system time before, 8.0 and 2 s after). Memory use
/// stays at the largest job's peak instead of falling back between jobs. Call it first
/// thing in `main`.
pub fn keep_freed_memory() {
    extern "C" {
        fn mi_option_set(option: std::os::raw::c_int, value: std::os::raw::c_long);
    }
    // mi_option_purge_delay in mimalloc.h (v2 and v3); -1: never purge.
    const MI_OPTION_PURGE_DELAY: std::os::raw::c_int = 15;
    // SAFETY: mimalloc (a dependency of this crate, so linked into every binary that uses
    // it) defines this function; setting an option is allowed at any time.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}
