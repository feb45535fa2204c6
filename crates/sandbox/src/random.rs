//! Deterministic pseudo-random numbers: the same seed gives the same tenant, the same
//! credentials and the same injected faults, run after run.

/// A small, fast, seedable generator (SplitMix64). Not for secrets that guard anything real:
/// the sandbox only ever serves 127.0.0.1.
#[derive(Debug, Clone)]
pub(crate) struct Dice {
    state: u64,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x5DEE_CE66_D1CE_5EED,
        }
    }

    /// A generator for one purpose (`stream`) derived from `seed`, so that adding draws in
    /// one place never shifts the values drawn in another.
    pub(crate) fn for_stream(seed: u64, stream: &str) -> Self {
        let mut mixed = seed;
        for byte in stream.bytes() {
            mixed = mixed.rotate_left(5) ^ u64::from(byte);
            mixed = mixed.wrapping_mul(0x100_0000_01B3);
        }
        Self::new(mixed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` of 0 gives 0).
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        (self.next_u64() % bound as u64) as usize
    }

    /// A float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len()))
    }

    /// A GUID in the canonical 8-4-4-4-12 lower-case form (version 4 layout).
    pub(crate) fn guid(&mut self) -> String {
        let high = self.next_u64();
        let low = self.next_u64();
        let high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        let low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xFFFF,
            high & 0xFFFF,
            low >> 48,
            low & 0xFFFF_FFFF_FFFF
        )
    }

    /// `len` characters drawn from `alphabet`.
    pub(crate) fn text(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }
}

/// True when `text` is a GUID in 8-4-4-4-12 form (any case).
pub(crate) fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    parts.len() == 5
        && parts
            .iter()
            .zip(lengths)
            .all(|(part, len)| part.len() == len && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_guids_are_well_formed() {
        let mut a = Dice::new(7);
        let mut b = Dice::new(7);
        assert_eq!(a.guid(), b.guid());
        let guid = a.guid();
        assert!(is_guid(&guid), "{guid}");
        assert!(!is_guid("not-a-guid"));
        assert_ne!(
            Dice::for_stream(1, "apps").next_u64(),
            Dice::for_stream(1, "users").next_u64()
        );
    }
}
