//! A small seeded generator (SplitMix64) so every stochastic step — SVD sketches, UMAP
//! negative sampling, k-means seeding — gives the same numbers on every platform and crate
//! version for the same seed.

/// The seed every seeded step uses unless the user gives another: one constant, so a
/// default run of the CLI, the app and the benchmarks draws the same numbers.
pub const DEFAULT_SEED: u64 = 42;

#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// A generator continuing from a raw state (no seed mixing), for forking streams.
    pub fn from_state(state: u64) -> SplitMix64 {
        SplitMix64 { state }
    }

    /// The raw state, to continue the stream later with `from_state`.
    pub fn state(&self) -> u64 {
        self.state
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0), by multiply-shift: no modulo bias worth measuring at our n.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 32) * n as u64 >> 32) as usize
    }

    /// Standard normal numbers (Box-Muller).
    pub fn gaussian(&mut self, count: usize) -> Vec<f32> {
        (0..count)
            .map(|_| {
                let u = self.next_f64().max(f64::MIN_POSITIVE);
                let v = self.next_f64();
                ((-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()) as f32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_bounds_hold() {
        let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c = SplitMix64::new(8);
        assert_ne!(xs[0], c.next_u64());
        let mut counts = [0usize; 5];
        for _ in 0..10_000 {
            counts[c.below(5)] += 1;
        }
        assert!(
            counts.iter().all(|&k| (1_700..2_300).contains(&k)),
            "{counts:?}"
        );
    }
}
