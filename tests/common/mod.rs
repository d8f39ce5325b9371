//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// SplitMix64: a small, seeded, deterministic generator, so every failure
/// reproduces.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn below_u32(&mut self, n: u32) -> u32 {
        u32::try_from(self.below(u64::from(n))).unwrap()
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// How many iterations a long loop runs: fewer under Miri, which executes
/// some thousand times slower than native code; the shorter run still
/// exercises every path, and the native run keeps the full count.
pub fn iterations(native: usize, miri: usize) -> usize {
    if cfg!(miri) { miri } else { native }
}
