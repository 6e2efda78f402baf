//! The process's allocator: a start-up region in front of the general allocator.
//!
//! kustomize starts secretgen once per generator, and a small call allocates little: some
//! 50 KB in 600 blocks all told for a tree build of three Secrets. A general allocator
//! keeps each size of block on pages of its own (mimalloc, the static build's: one page
//! faulted in for each of some 35 sizes such a call uses). The region hands out the first
//! small blocks one after the other from a static, zeroed area, so a short call touches as
//! many pages as it allocates bytes; and everything else goes to the general allocator:
//! blocks over [`MAX_BLOCK`] or aligned past a page, and every block once the region is
//! spent.
//!
//! A block freed in the region is not reused: the region is spent once, so a long run
//! leaves at most its size unused. That also makes every byte the region hands out a fresh
//! zero, which `alloc_zeroed` relies on. A block that grows is moved unless it is the last
//! one handed out (then it grows in place).

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest block the region hands out; larger ones (file contents, stream buffers) go
/// to the general allocator.
pub const MAX_BLOCK: usize = 16 << 10;

/// The region's alignment, and the largest alignment it serves.
const PAGE: usize = 4096;

/// The region: `N` bytes, zero until handed out, never handed out twice.
#[repr(C, align(4096))]
struct Region<const N: usize>(UnsafeCell<[u8; N]>);

// SAFETY: the bytes are reached only through blocks handed out by `Heap::take`, each once,
// to one owner; the offset that hands them out is atomic.
unsafe impl<const N: usize> Sync for Region<N> {}

/// The global allocator: a region of `N` bytes in front of `A`.
pub struct Heap<A, const N: usize> {
    region: Region<N>,
    /// How much of the region is handed out (its offset of the next free byte).
    next: AtomicUsize,
    general: A,
}

impl<A, const N: usize> Heap<A, N> {
    pub const fn new(general: A) -> Self {
        Self {
            region: Region(UnsafeCell::new([0; N])),
            next: AtomicUsize::new(0),
            general,
        }
    }

    fn base(&self) -> *mut u8 {
        self.region.0.get().cast()
    }

    /// Whether `ptr` is a block of the region.
    fn holds(&self, ptr: *mut u8) -> bool {
        (ptr as usize).wrapping_sub(self.base() as usize) < N
    }

    /// A block of the region for `layout`, if it is small and the region has room.
    fn take(&self, layout: Layout) -> Option<*mut u8> {
        if layout.size() > MAX_BLOCK || layout.align() > PAGE {
            return None;
        }
        let mut next = self.next.load(Ordering::Relaxed);
        loop {
            // The region starts on a page, so an offset aligned is an address aligned.
            let start = next.next_multiple_of(layout.align());
            let end = start + layout.size();
            if end > N {
                return None;
            }
            match self
                .next
                .compare_exchange_weak(next, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                // SAFETY: `start + size <= N`: inside the region.
                Ok(_) => return Some(unsafe { self.base().add(start) }),
                Err(now) => next = now,
            }
        }
    }
}

// SAFETY: a block of the region is `layout.size()` bytes inside the region, aligned to
// `layout.align()`, and handed out once (`next` only grows); every other block is the
// general allocator's, and only it frees or resizes them.
unsafe impl<A: GlobalAlloc, const N: usize> GlobalAlloc for Heap<A, N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.take(layout) {
            Some(ptr) => ptr,
            // SAFETY: the caller's layout, passed on.
            None => unsafe { self.general.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.take(layout) {
            // Zero: the region starts zeroed and no byte of it is handed out twice.
            Some(ptr) => ptr,
            // SAFETY: the caller's layout, passed on.
            None => unsafe { self.general.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.holds(ptr) {
            // SAFETY: a block the general allocator handed out, with its layout.
            unsafe { self.general.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.holds(ptr) {
            // SAFETY: a block the general allocator handed out, with its layout.
            return unsafe { self.general.realloc(ptr, layout, new_size) };
        }
        if new_size <= layout.size() {
            return ptr;
        }
        // The last block handed out grows in place while it stays small and in the region.
        let start = ptr as usize - self.base() as usize;
        if new_size <= MAX_BLOCK
            && start + new_size <= N
            && self
                .next
                .compare_exchange(
                    start + layout.size(),
                    start + new_size,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            return ptr;
        }
        // SAFETY: the caller guarantees that `new_size`, rounded up to the alignment, does
        // not overflow `isize`: a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a valid layout of a non-zero size (it is larger than the old one).
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: two distinct blocks, the old one `layout.size()` bytes, the new one
            // larger.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size()) };
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::System;

    /// The system allocator, counting the blocks it has out.
    #[derive(Default)]
    struct Counted(AtomicUsize);

    unsafe impl GlobalAlloc for Counted {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.0.fetch_add(1, Ordering::Relaxed);
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            self.0.fetch_add(1, Ordering::Relaxed);
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            self.0.fetch_sub(1, Ordering::Relaxed);
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    const N: usize = 4 * PAGE;

    fn heap() -> Box<Heap<Counted, N>> {
        Box::new(Heap::new(Counted::default()))
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    /// Fills a block with a byte of its own, so an overlap of two blocks shows.
    fn fill(ptr: *mut u8, size: usize, byte: u8) {
        unsafe { std::ptr::write_bytes(ptr, byte, size) }
    }

    fn all(ptr: *mut u8, size: usize, byte: u8) -> bool {
        unsafe { std::slice::from_raw_parts(ptr, size) }
            .iter()
            .all(|&b| b == byte)
    }

    #[test]
    fn small_blocks_come_from_the_region_aligned_and_apart() {
        let h = heap();
        let mut blocks = Vec::new();
        for (i, (size, align)) in [
            (1, 1),
            (24, 8),
            (3, 2),
            (100, 16),
            (7, 64),
            (64, 4096),
            (5, 1),
        ]
        .into_iter()
        .enumerate()
        {
            let l = layout(size, align);
            let p = unsafe { h.alloc(l) };
            assert!(h.holds(p), "block {i} is the region's");
            assert_eq!(p as usize % align, 0, "block {i} aligned");
            fill(p, size, i as u8 + 1);
            blocks.push((p, l, i as u8 + 1));
        }
        for &(p, l, byte) in &blocks {
            assert!(all(p, l.size(), byte), "no block overlaps another");
            unsafe { h.dealloc(p, l) };
        }
        assert_eq!(
            h.general.0.load(Ordering::Relaxed),
            0,
            "the general allocator was not used"
        );
    }

    #[test]
    fn large_and_page_aligned_blocks_and_a_spent_region_go_to_the_general_allocator() {
        let h = heap();
        let big = layout(MAX_BLOCK + 1, 8);
        let wide = layout(8, 2 * PAGE);
        for l in [big, wide] {
            let p = unsafe { h.alloc(l) };
            assert!(!h.holds(p) && !p.is_null());
            assert_eq!(p as usize % l.align(), 0);
            unsafe { h.dealloc(p, l) };
        }
        assert_eq!(
            h.general.0.load(Ordering::Relaxed),
            0,
            "each was freed there"
        );

        // Spend the region: the block that does not fit, and every one after it, are the
        // general allocator's; one that still fits is the region's.
        let l = layout(1000, 8);
        let mut from_region = 0;
        let p = loop {
            let p = unsafe { h.alloc(l) };
            if !h.holds(p) {
                break p;
            }
            from_region += 1;
        };
        assert_eq!(from_region, N / 1000);
        assert_eq!(h.general.0.load(Ordering::Relaxed), 1);
        let tail = unsafe { h.alloc(layout(N - from_region * 1000, 8)) };
        assert!(
            h.holds(tail),
            "the region's last bytes still serve a block that fits"
        );
        let after = unsafe { h.alloc(layout(1, 1)) };
        assert!(!h.holds(after));
        unsafe {
            h.dealloc(p, l);
            h.dealloc(after, layout(1, 1));
        }
        assert_eq!(h.general.0.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn zeroed_blocks_are_zero_from_the_region_and_from_the_general_allocator() {
        let h = heap();
        // A freed block of the region is never handed out again, so it cannot come back
        // with its old bytes.
        let l = layout(512, 8);
        let first = unsafe { h.alloc(l) };
        fill(first, 512, 0xAA);
        unsafe { h.dealloc(first, l) };
        for _ in 0..(N / 512) + 2 {
            let p = unsafe { h.alloc_zeroed(l) };
            assert_ne!(p, first);
            assert!(
                all(p, 512, 0),
                "zeroed ({})",
                if h.holds(p) { "region" } else { "general" }
            );
            fill(p, 512, 0xAA);
            unsafe { h.dealloc(p, l) };
        }
    }

    #[test]
    fn a_block_grows_in_place_when_last_and_moves_with_its_bytes_otherwise() {
        let h = heap();
        let l = layout(16, 8);
        let a = unsafe { h.alloc(l) };
        fill(a, 16, 1);
        // The last block: in place, its new bytes still zero.
        let a2 = unsafe { h.realloc(a, l, 48) };
        assert_eq!(a2, a);
        assert!(all(a, 16, 1) && all(unsafe { a.add(16) }, 32, 0));
        // Not the last any more: moved, bytes kept.
        let b = unsafe { h.alloc(l) };
        fill(b, 16, 2);
        let a3 = unsafe { h.realloc(a2, layout(48, 8), 100) };
        assert_ne!(a3, a2);
        assert!(h.holds(a3) && all(a3, 16, 1) && all(b, 16, 2));
        // Shrinking keeps the block.
        assert_eq!(unsafe { h.realloc(a3, layout(100, 8), 10) }, a3);
        // Past the largest block: to the general allocator, bytes kept; then resized there.
        let c = unsafe { h.realloc(b, l, MAX_BLOCK + 1) };
        assert!(!h.holds(c) && all(c, 16, 2));
        let c2 = unsafe { h.realloc(c, layout(MAX_BLOCK + 1, 8), 2 * MAX_BLOCK) };
        assert!(!h.holds(c2) && all(c2, 16, 2));
        unsafe { h.dealloc(c2, layout(2 * MAX_BLOCK, 8)) };
        assert_eq!(h.general.0.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn threads_share_the_region_without_sharing_a_block() {
        let h = heap();
        let l = layout(24, 8);
        let blocks: Vec<Vec<usize>> = std::thread::scope(|s| {
            let h = &*h;
            let handles: Vec<_> = (0..4u8)
                .map(|t| {
                    s.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let p = unsafe { h.alloc(l) };
                            fill(p, 24, t + 1);
                            if !h.holds(p) {
                                unsafe { h.dealloc(p, l) };
                                break mine;
                            }
                            mine.push(p as usize);
                        }
                    })
                })
                .collect();
            handles.into_iter().map(|j| j.join().unwrap()).collect()
        });
        let mut all_blocks: Vec<usize> = blocks.iter().flatten().copied().collect();
        assert_eq!(all_blocks.len(), N / 24, "the region was handed out whole");
        all_blocks.sort_unstable();
        assert!(
            all_blocks.windows(2).all(|w| w[1] - w[0] >= 24),
            "no two blocks overlap"
        );
        for (t, mine) in blocks.iter().enumerate() {
            assert!(
                mine.iter().all(|&p| all(p as *mut u8, 24, t as u8 + 1)),
                "each thread's bytes are its own"
            );
        }
    }
}
