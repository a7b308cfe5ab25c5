//! Dropout with masks drawn from the project's seeded generator, so a training run repeats
//! exactly on the CPU and a checkpoint resumes with the same masks.

use super::fused::DropMask;
use crate::rng::SplitMix64;
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
    /// p = 0 (nothing is dropped and no draw is made).
    pub(crate) fn mask(&mut self, n: usize) -> Option<DropMask> {
        if self.p <= 0.0 {
            return None;
        }
        let keep = 1.0 - self.p;
        let scale = 1.0 / keep;
        Some(Arc::new(
            (0..n)
                .map(|_| {
                    if (self.rng.next_f64() as f32) < keep {
                        scale
                    } else {
                        0.0
                    }
                })
                .collect(),
        ))
    }
}
