//! A linear memory's bytes: one address-space reservation per memory, of
//! which the first `len` bytes are readable and writable and the rest is
//! inaccessible.
//!
//! The reservation (8 GiB and a page) covers every address a wasm32 access
//! can form, a 32-bit address plus a 32-bit offset plus the access size, so
//! generated code can leave bounds checks out: an access past the end
//! faults, and the JIT's signal handler (`jit::guard`) turns the fault into
//! the `out of bounds memory access` trap. Growing makes more of the
//! reservation accessible in place, so the base address never changes while
//! the memory lives; fresh pages read as zero.
//!
//! Where the address space is too small for the reservation (`ulimit -v`),
//! a memory is an exact-size mapping that moves when it grows
//! ([`LinearMemory::guarded`] is false): the interpreter runs with it, the
//! JIT refuses it.
//!
//! The interpreter and the host see an ordinary byte slice (`Deref`).
//!
//! Unsafe code: the mapping calls and the slice views of the mapping.

#![allow(unsafe_code)]

use std::ops::{Deref, DerefMut};

/// Bytes reserved per memory: every `address + offset + size` of a wasm32
/// access is below this.
pub(crate) const RESERVATION: usize = (8 << 30) + (64 << 10);

pub(crate) struct LinearMemory {
    /// Start of the mapping, or dangling (with `len == 0`) for the empty
    /// placeholder the interpreter leaves while it holds a memory.
    base: *mut u8,
    len: usize,
    /// Bytes mapped at `base` (`RESERVATION` for a guarded memory); 0 for
    /// the placeholder.
    mapped: usize,
    guarded: bool,
}

// SAFETY: the memory owns its mapping exclusively, like a `Vec<u8>` owns
// its buffer; access goes through `&self`/`&mut self`.
unsafe impl Send for LinearMemory {}
// SAFETY: as for `Send`: shared references only read.
unsafe impl Sync for LinearMemory {}

impl Default for LinearMemory {
    fn default() -> Self {
        LinearMemory {
            base: std::ptr::NonNull::dangling().as_ptr(),
            len: 0,
            mapped: 0,
            guarded: false,
        }
    }
}

impl LinearMemory {
    /// A memory of `len` zero bytes in a fresh reservation (or, when the
    /// address space has no room for one, an exact-size mapping); `None`
    /// when not even that can be mapped.
    pub(crate) fn new(len: usize) -> Option<LinearMemory> {
        // SAFETY: an anonymous private mapping with no access, at an address
        // the kernel picks; nothing else refers to it.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                RESERVATION,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Self::unguarded(len);
        }
        let mut m = LinearMemory {
            base: p.cast(),
            len: 0,
            mapped: RESERVATION,
            guarded: true,
        };
        m.grow_to(len).then_some(m)
    }

    /// `len` zero bytes, mapped exactly (at least a page).
    fn unguarded(len: usize) -> Option<LinearMemory> {
        let mapped = len.max(4096);
        // SAFETY: as in `new`, readable and writable.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        (p != libc::MAP_FAILED).then(|| LinearMemory {
            base: p.cast(),
            len,
            mapped,
            guarded: false,
        })
    }

    /// Whether accesses past the end fault (the memory is a whole
    /// reservation, and its base never moves): what JIT code relies on.
    #[cfg_attr(not(feature = "jit"), allow(dead_code))]
    pub(crate) fn guarded(&self) -> bool {
        self.guarded
    }

    /// Make the first `new_len` bytes accessible (never shrinks); false
    /// when that is past the reservation or the system refuses.
    pub(crate) fn grow_to(&mut self, new_len: usize) -> bool {
        if new_len <= self.len {
            return true;
        }
        if self.mapped == 0 {
            return false;
        }
        if !self.guarded {
            // SAFETY: our own mapping, which may move: nothing holds its
            // address across a grow (the interpreter and host re-borrow).
            let p = unsafe {
                libc::mremap(self.base.cast(), self.mapped, new_len, libc::MREMAP_MAYMOVE)
            };
            if p == libc::MAP_FAILED {
                return false;
            }
            self.base = p.cast();
            self.mapped = new_len;
            self.len = new_len;
            return true;
        }
        if new_len > RESERVATION - (64 << 10) {
            return false;
        }
        // SAFETY: `[base, base + new_len)` lies inside our reservation
        // (checked above); page-aligned because lengths are whole wasm pages
        // and the mapping starts on a page.
        let r = unsafe {
            libc::mprotect(
                self.base.cast(),
                new_len,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        };
        if r != 0 {
            return false;
        }
        self.len = new_len;
        true
    }

    #[cfg_attr(not(feature = "jit"), allow(dead_code))]
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        self.base
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if self.mapped != 0 {
            // SAFETY: the whole mapping is ours and nothing refers to it any
            // more (the memory is being dropped).
            unsafe {
                libc::munmap(self.base.cast(), self.mapped);
            }
        }
    }
}

impl Deref for LinearMemory {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: the first `len` bytes are mapped readable and writable
        // (or `len` is 0 and `base` dangling but aligned).
        unsafe { std::slice::from_raw_parts(self.base, self.len) }
    }
}

impl DerefMut for LinearMemory {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as for `deref`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.base, self.len) }
    }
}

impl std::fmt::Debug for LinearMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearMemory")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_in_place_with_zeroes() {
        let mut m = LinearMemory::new(65536).expect("reserves");
        m[65535] = 7;
        let base = m.as_mut_ptr();
        assert!(m.grow_to(3 * 65536));
        assert_eq!(m.as_mut_ptr(), base, "the base never moves");
        assert_eq!(m.len(), 3 * 65536);
        assert_eq!(m[65535], 7);
        assert!(m[65536..].iter().all(|b| *b == 0));
        assert!(!m.grow_to(RESERVATION), "not past the reservation");
        assert_eq!(m.len(), 3 * 65536);
    }

    #[test]
    fn without_a_reservation_a_memory_still_works_and_grows() {
        let mut m = LinearMemory::unguarded(65536).expect("maps");
        assert!(!m.guarded());
        m[65535] = 9;
        assert!(m.grow_to(5 * 65536));
        assert_eq!(m.len(), 5 * 65536);
        assert_eq!(m[65535], 9);
        assert!(m[65536..].iter().all(|b| *b == 0));
    }

    #[test]
    fn the_placeholder_is_empty_and_cannot_grow() {
        let mut m = LinearMemory::default();
        assert!(m.is_empty());
        assert!(!m.grow_to(65536));
    }
}
