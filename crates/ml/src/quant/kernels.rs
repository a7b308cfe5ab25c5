//! The integer dot-product micro-kernels, one per instruction set, and the choice among
//! them at run time.
//!
//! Weights are packed in blocks of 16 output channels; within a block, for each group of
//! four inputs, the 16 channels' four bytes lie side by side (64 bytes), which is exactly
//! one AVX-512 register for `vpdpbusd` or two AVX2 registers. A tile multiplies up to `MR`
//! activation rows by up to `NB` such blocks and leaves i32 sums; the caller scales them.
//!
//! Activations arrive as signed bytes in [-127, 127]. VNNI (AVX-512's, or AVX-VNNI's on
//! 256-bit registers) multiplies unsigned by signed bytes, so its rows are stored offset
//! by 128 and the caller subtracts 128 x the channel's weight sum; AVX2's `vpmaddubsw` would saturate on such products, so it takes the sign of
//! each activation onto the weight and multiplies magnitudes (at most 2 x 127 x 127, which
//! fits in i16). Both give the exact same integers.

/// Output channels per packed block.
pub const BLOCK: usize = 16;
/// Inputs per packed group (one i32 lane of `vpdpbusd`).
pub const GROUP: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Int8Kernel {
    /// AVX-512 with VNNI (`vpdpbusd` on 512-bit registers): Ice Lake and later Xeons, Zen 4.
    Avx512Vnni,
    /// AVX-VNNI (`vpdpbusd` on 256-bit registers): CPUs with VNNI but without AVX-512,
    /// such as Intel's Alder Lake and later desktop and laptop parts.
    AvxVnni,
    /// AVX2 (`vpmaddubsw` + `vpmaddwd`): every x86-64 CPU of the last decade.
    Avx2,
    /// Plain Rust, for other CPUs: correct, not fast.
    Portable,
}

impl Int8Kernel {
    /// The fastest kernel this CPU runs.
    pub fn detect() -> Int8Kernel {
        Self::available()[0]
    }

    /// Every kernel this CPU can run, fastest first.
    pub fn available() -> Vec<Int8Kernel> {
        let mut kernels = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni")
            {
                kernels.push(Int8Kernel::Avx512Vnni);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
                && std::arch::is_x86_feature_detected!("avxvnni")
            {
                kernels.push(Int8Kernel::AvxVnni);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                kernels.push(Int8Kernel::Avx2);
            }
        }
        kernels.push(Int8Kernel::Portable);
        kernels
    }

    pub fn parse(name: &str) -> Option<Int8Kernel> {
        match name {
            "avx512-vnni" => Some(Int8Kernel::Avx512Vnni),
            "avx-vnni" => Some(Int8Kernel::AvxVnni),
            "avx2" => Some(Int8Kernel::Avx2),
            "portable" => Some(Int8Kernel::Portable),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Int8Kernel::Avx512Vnni => "avx512-vnni",
            Int8Kernel::AvxVnni => "avx-vnni",
            Int8Kernel::Avx2 => "avx2",
            Int8Kernel::Portable => "portable",
        }
    }

    pub fn is_vectorised(self) -> bool {
        self != Int8Kernel::Portable
    }

    /// Whether activation rows are stored offset by 128 (unsigned) for this kernel.
    pub(super) fn offsets_activations(self) -> bool {
        matches!(self, Int8Kernel::Avx512Vnni | Int8Kernel::AvxVnni)
    }

    /// Rows and blocks of one tile.
    pub(super) fn tile_shape(self) -> (usize, usize) {
        match self {
            Int8Kernel::Avx512Vnni => (6, 4),
            Int8Kernel::AvxVnni => (6, 1),
            Int8Kernel::Avx2 => (4, 1),
            Int8Kernel::Portable => (4, 1),
        }
    }

    /// Sums of `rows` (pointers to activation rows of `groups * GROUP` bytes) times
    /// `blocks` (pointers to packed weight blocks) into `out`, row-major: row i, block j,
    /// channel c at `(i * blocks.len() + j) * BLOCK + c`. `rows` and `blocks` have exactly
    /// the tile shape's lengths (callers repeat the last row or block to fill a partial
    /// tile and ignore what those produce).
    ///
    /// # Safety
    /// Each row pointer must be valid for `groups * GROUP` bytes and each block pointer for
    /// `groups * GROUP * BLOCK` bytes, and this CPU must have the kernel's features (as
    /// [`Int8Kernel::available`] reports).
    pub(super) unsafe fn tile(
        self,
        rows: &[*const u8],
        blocks: &[*const i8],
        groups: usize,
        out: &mut [i32],
    ) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx512Vnni => x86::tile_vnni::<6, 4>(rows, blocks, groups, out),
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::AvxVnni => x86::tile_avx_vnni::<6>(rows, blocks[0], groups, out),
            #[cfg(target_arch = "x86_64")]
            Int8Kernel::Avx2 => x86::tile_avx2::<4>(rows, blocks[0], groups, out),
            _ => portable_tile(rows, blocks, groups, out),
        }
    }
}

fn portable_tile(rows: &[*const u8], blocks: &[*const i8], groups: usize, out: &mut [i32]) {
    let nb = blocks.len();
    for (i, &row) in rows.iter().enumerate() {
        // SAFETY: the caller guarantees the lengths (see `tile`).
        let a = unsafe { std::slice::from_raw_parts(row as *const i8, groups * GROUP) };
        for (j, &block) in blocks.iter().enumerate() {
            let w = unsafe { std::slice::from_raw_parts(block, groups * GROUP * BLOCK) };
            let mut acc = [0i32; BLOCK];
            for g in 0..groups {
                let a4 = &a[g * GROUP..(g + 1) * GROUP];
                let w64 = &w[g * GROUP * BLOCK..(g + 1) * GROUP * BLOCK];
                for (c, sum) in acc.iter_mut().enumerate() {
                    for (t, &x) in a4.iter().enumerate() {
                        *sum += x as i32 * w64[c * GROUP + t] as i32;
                    }
                }
            }
            out[(i * nb + j) * BLOCK..(i * nb + j + 1) * BLOCK].copy_from_slice(&acc);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use crate::quant::kernels::{BLOCK, GROUP};
    use std::arch::x86_64::*;

    /// `MR` rows by `NB` blocks with `vpdpbusd`: `MR * NB` accumulators stay in registers
    /// (6 x 4 = 24 of the 32), each group loads `NB` weight vectors and broadcasts each
    /// row's four bytes once.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) unsafe fn tile_vnni<const MR: usize, const NB: usize>(
        rows: &[*const u8],
        blocks: &[*const i8],
        groups: usize,
        out: &mut [i32],
    ) {
        debug_assert!(rows.len() == MR && blocks.len() == NB && out.len() >= MR * NB * BLOCK);
        // Fixed-size copies: no bounds checks in the loop, and the pointers stay in registers.
        let mut rows_at = [std::ptr::null::<u8>(); MR];
        rows_at.copy_from_slice(&rows[..MR]);
        let mut blocks_at = [std::ptr::null::<i8>(); NB];
        blocks_at.copy_from_slice(&blocks[..NB]);
        let mut acc = [[_mm512_setzero_si512(); NB]; MR];
        let mut w = [_mm512_setzero_si512(); NB];
        for g in 0..groups {
            for j in 0..NB {
                w[j] = _mm512_loadu_si512(blocks_at[j].wrapping_add(g * GROUP * BLOCK) as *const _);
            }
            for i in 0..MR {
                let a = _mm512_set1_epi32((rows_at[i].wrapping_add(g * GROUP) as *const i32).read_unaligned());
                for j in 0..NB {
                    acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], a, w[j]);
                }
            }
        }
        for i in 0..MR {
            for j in 0..NB {
                _mm512_storeu_si512(out.as_mut_ptr().add((i * NB + j) * BLOCK) as *mut _, acc[i][j]);
            }
        }
    }

    /// `MR` rows by one block (two 8-channel halves) with AVX-VNNI's 256-bit `vpdpbusd`:
    /// 2 x MR accumulators (12 of the 16 registers), the same integers as `tile_vnni`.
    #[target_feature(enable = "avx2,avxvnni")]
    pub(super) unsafe fn tile_avx_vnni<const MR: usize>(
        rows: &[*const u8],
        block: *const i8,
        groups: usize,
        out: &mut [i32],
    ) {
        debug_assert!(rows.len() == MR && out.len() >= MR * BLOCK);
        let mut rows_at = [std::ptr::null::<u8>(); MR];
        rows_at.copy_from_slice(&rows[..MR]);
        let mut acc = [[_mm256_setzero_si256(); 2]; MR];
        for g in 0..groups {
            let base = block.wrapping_add(g * GROUP * BLOCK);
            let w = [
                _mm256_loadu_si256(base as *const __m256i),
                _mm256_loadu_si256(base.wrapping_add(32) as *const __m256i),
            ];
            for i in 0..MR {
                let a = _mm256_set1_epi32((rows_at[i].wrapping_add(g * GROUP) as *const i32).read_unaligned());
                for h in 0..2 {
                    acc[i][h] = _mm256_dpbusd_avx_epi32(acc[i][h], a, w[h]);
                }
            }
        }
        for i in 0..MR {
            for h in 0..2 {
                _mm256_storeu_si256(out.as_mut_ptr().add(i * BLOCK + h * 8) as *mut __m256i, acc[i][h]);
            }
        }
    }

    /// `MR` rows by one block (two 8-channel halves) with `vpmaddubsw`: the activation's
    /// sign moves onto the weight so both factors of the unsigned-by-signed product stay
    /// within 127 and the pairwise i16 sums cannot saturate.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn tile_avx2<const MR: usize>(
        rows: &[*const u8],
        block: *const i8,
        groups: usize,
        out: &mut [i32],
    ) {
        debug_assert!(rows.len() == MR && out.len() >= MR * BLOCK);
        let mut rows_at = [std::ptr::null::<u8>(); MR];
        rows_at.copy_from_slice(&rows[..MR]);
        let ones = _mm256_set1_epi16(1);
        let mut acc = [[_mm256_setzero_si256(); 2]; MR];
        for g in 0..groups {
            let base = block.wrapping_add(g * GROUP * BLOCK);
            let w = [
                _mm256_loadu_si256(base as *const __m256i),
                _mm256_loadu_si256(base.wrapping_add(32) as *const __m256i),
            ];
            for i in 0..MR {
                let a = _mm256_set1_epi32((rows_at[i].wrapping_add(g * GROUP) as *const i32).read_unaligned());
                let magnitude = _mm256_sign_epi8(a, a);
                for h in 0..2 {
                    let signed = _mm256_sign_epi8(w[h], a);
                    let pairs = _mm256_maddubs_epi16(magnitude, signed);
                    acc[i][h] = _mm256_add_epi32(acc[i][h], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        for i in 0..MR {
            for h in 0..2 {
                _mm256_storeu_si256(out.as_mut_ptr().add(i * BLOCK + h * 8) as *mut __m256i, acc[i][h]);
            }
        }
    }
}
