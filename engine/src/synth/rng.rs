//! A small, fixed pseudo-random generator (xoshiro256**, seeded through SplitMix64), so that
//! the synthetic data never changes with a dependency's version.
//!
//! The draws use only integer arithmetic and `+ - * /` on `f64` (no `ln`, `exp`, `sin`), so
//! they are bit-identical on every IEEE 754 platform. (Town sizes and footprint shapes also
//! use `powf`, `sin` and `cos` from the platform's libm, before rounding to 7 decimals.)

/// One step of SplitMix64: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** (Blackman and Vigna, 2018).
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let s = [
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
            splitmix64(&mut x),
        ];
        Rng { s }
    }

    /// An independent stream for `seed` and a path of keys (e.g. `[PURPOSE, site, chunk]`).
    pub fn stream(seed: u64, keys: &[u64]) -> Self {
        let mut h = seed;
        for &k in keys {
            let mut kx = k ^ 0xD6E8_FEB8_6659_FD93;
            let mut x = h ^ splitmix64(&mut kx);
            h = splitmix64(&mut x);
        }
        Rng::new(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [a, b).
    pub fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.f64()
    }

    /// Uniform integer in [0, n) (multiply-shift; the bias is below 2^-40 for our n).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform integer in [a, b] (inclusive).
    pub fn int_in(&mut self, a: i64, b: i64) -> i64 {
        a + self.below((b - a + 1) as usize) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Approximately standard normal: Irwin-Hall sum of four uniforms, rescaled to unit
    /// variance (bounded at +-3.46; no transcendental functions).
    pub fn normal(&mut self) -> f64 {
        let s = self.f64() + self.f64() + self.f64() + self.f64();
        (s - 2.0) * 1.732_050_807_568_877_2
    }

    /// Geometric on {1, 2, ...} with the given mean (> 1), capped at `cap`: counts Bernoulli
    /// trials, so no logarithm is needed.
    pub fn geometric(&mut self, mean: f64, cap: u32) -> u32 {
        let go_on = 1.0 - 1.0 / mean;
        let mut k = 1;
        while k < cap && self.chance(go_on) {
            k += 1;
        }
        k
    }

    /// Picks an element.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_matches_reference_sequence_start() {
        // Same seed, same stream; different keys, different streams.
        let a: Vec<u64> = (0..4).map(|_| Rng::new(1).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        let mut x = Rng::stream(7, &[1, 2]);
        let mut y = Rng::stream(7, &[2, 1]);
        assert_ne!(x.next_u64(), y.next_u64());
        // SplitMix64 reference value for state 0 (Vigna's splitmix64.c).
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn distributions_have_the_expected_moments() {
        let mut r = Rng::new(42);
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let v = r.normal();
            s += v;
            s2 += v * v;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "{mean}");
        assert!((var - 1.0).abs() < 0.02, "{var}");
        let g: u64 = (0..n).map(|_| r.geometric(2.5, 20) as u64).sum();
        let gm = g as f64 / n as f64;
        assert!((gm - 2.5).abs() < 0.05, "{gm}");
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
