//! Identifier generation: resource ids shaped like the real ones and RequestIds.
//!
//! Ids come from a small seeded generator (SplitMix64) that lives in each account's state, so a
//! handler is a deterministic function of (state, request, clock): the same requests in the same
//! order give the same ids, which is what makes replay and `--seed` possible. Depends on nothing.

use std::sync::atomic::{AtomicU64, Ordering};

const ALNUM: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdGen {
    state: u64,
}

pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a, for turning names into seeds.
pub fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl IdGen {
    pub fn new(seed: u64) -> Self {
        IdGen { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        splitmix64(self.state)
    }

    /// `prefix` + the region's 3-character code + 18 random `[a-z0-9]`: 21 characters after the
    /// dash, as REAL-SERVICE §9 shows (e.g. `ngw-bp1uewa15k4iy5770ya89`).
    pub fn resource_id(&mut self, prefix: &str, region_code: &str) -> String {
        let mut s = String::with_capacity(prefix.len() + 22);
        s.push_str(prefix);
        s.push('-');
        s.push_str(region_code);
        push_alnum(&mut s, self, 21usize.saturating_sub(region_code.len()));
        s
    }

    /// `prefix-` + `n` random `[a-z0-9]` (ids without a region code, e.g. resource groups).
    pub fn plain_id(&mut self, prefix: &str, n: usize) -> String {
        let mut s = String::with_capacity(prefix.len() + 1 + n);
        s.push_str(prefix);
        s.push('-');
        push_alnum(&mut s, self, n);
        s
    }
}

fn push_alnum(s: &mut String, g: &mut IdGen, n: usize) {
    let mut left = 0u32;
    let mut bits = 0u64;
    for _ in 0..n {
        if left == 0 {
            bits = g.next_u64();
            left = 10; // 10 draws of 6 bits from each u64
        }
        // 6 bits → 0..63, folded onto 36 symbols with a slight bias that does not matter for ids.
        let v = (bits & 0x3f) as usize % 36;
        bits >>= 6;
        left -= 1;
        s.push(ALNUM[v] as char);
    }
}

/// RequestIds: upper-case UUIDs (8-4-4-4-12), deterministic for a seed and a request count.
#[derive(Debug)]
pub struct RequestIds {
    seed: AtomicU64,
    counter: AtomicU64,
}

impl RequestIds {
    pub fn new(seed: u64) -> Self {
        RequestIds { seed: AtomicU64::new(seed), counter: AtomicU64::new(0) }
    }

    pub fn reseed(&self, seed: u64) {
        self.seed.store(seed, Ordering::SeqCst);
        self.counter.store(0, Ordering::SeqCst);
    }

    pub fn next(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let seed = self.seed.load(Ordering::Relaxed);
        let a = splitmix64(seed ^ splitmix64(n));
        let b = splitmix64(a ^ 0x5851_F42D_4C95_7F2D);
        // Version-4 / variant bits so that strict UUID parsers accept it.
        let hi = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let lo = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08X}-{:04X}-{:04X}-{:04X}-{:012X}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_have_the_real_shape() {
        let mut g = IdGen::new(7);
        let id = g.resource_id("ngw", "bp1");
        assert_eq!(id.len(), 4 + 21);
        assert!(id.starts_with("ngw-bp1"));
        assert!(id[4..].bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(id, g.resource_id("ngw", "bp1"));
        assert_eq!(IdGen::new(7).resource_id("ngw", "bp1"), id, "seeded ids repeat");
    }

    #[test]
    fn request_ids_are_upper_case_uuids() {
        let r = RequestIds::new(1);
        let id = r.next();
        assert_eq!(id.len(), 36);
        let parts: Vec<_> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase()));
        assert_ne!(id, r.next());
    }
}
