//! Dropout with masks drawn from the project's seeded generator, so a training run repeats
//! exactly on the CPU and a checkpoint resumes with the same masks.

use super::fused::DropMask;
use crate::rng::SplitMix64;
use rayon::prelude::*;
use std::sync::Arc;

pub struct Dropout {
    pub p: f32,
    rng: SplitMix64,
}

impl Dropout {
    pub fn new(p: f32, seed: u64) -> Dropout {
        Dropout {
            p,
            rng: SplitMix64::new(seed),
        }
    }

    pub fn state(&self) -> u64 {
        self.rng.state()
    }

    /// A uniform draw in [0, 1) from the same generator, for other seeded choices made
    /// while training (which tokens MLM masks), so one checkpointed state covers them.
    pub fn draw(&mut self) -> f64 {
        self.rng.next_f64()
    }

    pub fn set_state(&mut self, state: u64) {
        self.rng = SplitMix64::from_state(state);
    }

    /// The next mask for `n` values: 0 where dropped, 1 / (1 - p) where kept; None when
    /// p = 0 (nothing is dropped and no draw is made). One draw of the run's generator
    /// seeds the mask; its chunks take generators forked from that seed, so the mask is
    /// drawn on every core yet is the same whatever the thread count.
    pub(crate) fn mask(&mut self, n: usize) -> Option<DropMask> {
        if self.p <= 0.0 {
            return None;
        }
        let keep = 1.0 - self.p as f64;
        let scale = (1.0 / keep) as f32;
        // A 64-bit draw below `threshold` keeps the value: probability `keep`.
        let threshold = (keep * 2f64.powi(64)).min(u64::MAX as f64) as u64;
        let seed = self.rng.next_u64();
        let mut mask = vec![0f32; n];
        mask.par_chunks_mut(CHUNK).enumerate().for_each(|(c, part)| {
            let mut rng = SplitMix64::new(seed ^ (c as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
            for v in part {
                *v = if rng.next_u64() < threshold { scale } else { 0.0 };
            }
        });
        Some(Arc::new(mask))
    }
}

/// Values per forked generator.
const CHUNK: usize = 1 << 14;
