//! A tiny deterministic generator (SplitMix64), so a sample built twice with the same seed
//! is byte-identical without pulling in a random-number crate.

/// SplitMix64 state.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A generator for one named purpose, independent of how much other purposes consumed.
    pub(crate) fn derive(seed: u64, purpose: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in purpose.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng::new(seed ^ h)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// `len` lowercase hex characters.
    pub(crate) fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next_u64()));
        }
        s.truncate(len);
        s
    }

    /// Readable text of about `len` bytes (compressible, like real documents).
    pub(crate) fn text(&mut self, len: usize) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "connections",
            "community",
            "activity",
            "wiki",
            "file",
            "blog",
            "forum",
            "status",
            "update",
            "profile",
            "meeting",
            "notes",
            "project",
            "review",
            "draft",
            "release",
            "customer",
            "report",
            "quarter",
            "plan",
            "team",
            "design",
            "budget",
            "summary",
        ];
        let mut out = Vec::with_capacity(len + 16);
        while out.len() < len {
            let w = WORDS[self.below(WORDS.len() as u64) as usize];
            out.extend_from_slice(w.as_bytes());
            out.push(if self.below(12) == 0 { b'\n' } else { b' ' });
        }
        out.truncate(len);
        out
    }

    /// Incompressible bytes (like jar or image content).
    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_purposes_differ() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, "x").next_u64()).collect();
        let b: Vec<u64> = (0..4).map(|_| Rng::derive(7, "x").next_u64()).collect();
        assert_eq!(a, b);
        assert_ne!(
            Rng::derive(7, "x").next_u64(),
            Rng::derive(7, "y").next_u64()
        );
        assert_eq!(Rng::new(1).text(100).len(), 100);
        assert_eq!(Rng::new(1).hex(21).len(), 21);
    }
}
