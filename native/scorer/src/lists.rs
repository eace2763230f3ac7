//! Allow and block lists of cards, terminals, merchant categories and countries, and the id keys they hold.
//!
//! Cards and terminals are held as the 64-bit keys the record carries (never the ids): [`hash_key`] computes the
//! same key as the schema package's `hashKey` does when a transaction is encoded, so a list names ids as sent.

use rustc_hash::FxHashSet;

use crate::record::Record;

/// What a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Card ids (held as keys).
    Card,
    /// Terminal ids (held as keys).
    Terminal,
    /// Merchant category codes.
    Mcc,
    /// ISO 3166 alpha-2 countries (packed).
    Country,
}

impl Kind {
    /// The kind's keyword in the rules text.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Terminal => "terminal",
            Self::Mcc => "mcc",
            Self::Country => "country",
        }
    }
}

/// One side (allow or block) of the lists.
#[derive(Clone, Debug, Default)]
pub struct Side {
    cards: FxHashSet<u64>,
    terminals: FxHashSet<u64>,
    mccs: FxHashSet<u64>,
    countries: FxHashSet<u64>,
}

impl Side {
    fn set(&mut self, kind: Kind) -> &mut FxHashSet<u64> {
        match kind {
            Kind::Card => &mut self.cards,
            Kind::Terminal => &mut self.terminals,
            Kind::Mcc => &mut self.mccs,
            Kind::Country => &mut self.countries,
        }
    }

    /// Entries held, per kind: cards, terminals, mccs, countries.
    #[must_use]
    pub fn sizes(&self) -> [usize; 4] {
        [
            self.cards.len(),
            self.terminals.len(),
            self.mccs.len(),
            self.countries.len(),
        ]
    }

    fn is_empty(&self) -> bool {
        self.sizes().iter().all(|&n| n == 0)
    }

    fn matches(&self, rec: &Record) -> bool {
        self.cards.contains(&rec.card)
            || self.terminals.contains(&rec.term)
            || (rec.mcc != 0 && self.mccs.contains(&u64::from(rec.mcc)))
            || (rec.country != 0 && self.countries.contains(&u64::from(rec.country)))
    }
}

/// The allow and block lists.
#[derive(Clone, Debug, Default)]
pub struct Lists {
    /// Transactions matching an entry are approved (unless blocked).
    pub allow: Side,
    /// Transactions matching an entry are declined.
    pub block: Side,
}

impl Lists {
    /// Whether both sides are empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.block.is_empty()
    }

    /// Adds a key to the allow (`allow`) or block side.
    pub fn insert(&mut self, allow: bool, kind: Kind, key: u64) {
        let side = if allow {
            &mut self.allow
        } else {
            &mut self.block
        };
        side.set(kind).insert(key);
    }

    /// Whether the record's card, terminal, mcc or country is on the block side.
    #[must_use]
    pub fn blocks(&self, rec: &Record) -> bool {
        !self.block.is_empty() && self.block.matches(rec)
    }

    /// Whether the record's card, terminal, mcc or country is on the allow side.
    #[must_use]
    pub fn allows(&self, rec: &Record) -> bool {
        !self.allow.is_empty() && self.allow.matches(rec)
    }
}

/// The 64-bit key of an id: the schema package's `hashKeyInto` (two 32-bit multiply-xorshift hashes over the UTF-16
/// code units), low word first.
#[must_use]
pub fn hash_key(id: &str) -> u64 {
    let units: Vec<u16> = id.encode_utf16().collect();
    // JS's `id.length ^ seed`: the length as a 32-bit integer.
    let len = units.len() as u32;
    let mut h1: u32 = 0x9e37_79b9 ^ len;
    let mut h2: u32 = 0x85eb_ca6b ^ len;
    for &c in &units {
        h1 = (h1 ^ u32::from(c))
            .wrapping_mul(0xcc9e_2d51)
            .rotate_left(15);
        h2 = (h2 ^ u32::from(c))
            .wrapping_mul(0x1b87_3593)
            .rotate_left(13);
    }
    h1 = (h1 ^ (h1 >> 16)).wrapping_mul(0x85eb_ca6b);
    h1 = (h1 ^ (h1 >> 13)).wrapping_mul(0xc2b2_ae35);
    h1 ^= h1 >> 16;
    h2 = (h2 ^ (h2 >> 15)).wrapping_mul(0x2c1b_3c6d);
    h2 = (h2 ^ (h2 >> 12)).wrapping_mul(0x297a_2d39);
    h2 ^= h2 >> 15;
    u64::from(h1) | (u64::from(h2) << 32)
}

/// An ISO 3166 alpha-2 code packed as the record holds it (`c0 | c1 << 8`); the caller checks the two letters.
#[must_use]
pub fn pack_country(code: &str) -> u16 {
    let b = code.as_bytes();
    u16::from(b[0]) | (u16::from(b[1]) << 8)
}
