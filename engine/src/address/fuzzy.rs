//! Edit distance with a threshold that favours precision, and the trigram filter that keeps
//! it cheap.
//!
//! The distance is the optimal string alignment distance (Levenshtein plus transpositions of
//! neighbours, `strsim::osa_distance`) on the name key (name tokens joined by spaces). How
//! many edits a name may take depends on its length in letters and digits
//! ([`max_edits`]): none up to 6 (`ROMA` is never `ROMANA`, `VERDI` never `VERDE`, nor
//! `BOGAIA` `DOGAIA`: both are streets of Prato), one from 7 to 10 (`MARCONI`,
//! `GARIBALDI`), two from 11 to 17, three from 18; and the first and last letters must be
//! the same ([`same_ends`]). A wrong match puts a house on the wrong street, which is worse than no
//! match.
//!
//! Candidates come from padded trigrams: two strings within `d` Levenshtein edits share at
//! least `max(|a|, |b|) + 2 - 3d` of them (the q-gram lemma, q = 3), and a transposition
//! counts as two such edits, so streets sharing fewer than the bound for `2d` are never
//! compared.

/// Edits allowed for a name of `letters` letters and digits.
pub fn max_edits(letters: usize) -> usize {
    match letters {
        0..=6 => 0,
        7..=10 => 1,
        11..=17 => 2,
        _ => 3,
    }
}

/// Letters and digits of a name key (spaces left out).
pub fn letters(key: &str) -> usize {
    key.chars().filter(|c| !c.is_whitespace()).count()
}

/// Whether two name keys start with the same letter and end with the same letter: a typo
/// rarely hits either, and two real places often differ only there (`BOGAIA` and
/// `DOGAIA`; `POGGETTO` and `POGGETTI`, `CAMPORE` and `CAMPORI`: an Italian name's final
/// vowel makes another name).
pub fn same_ends(a: &str, b: &str) -> bool {
    a.chars().next() == b.chars().next() && a.chars().next_back() == b.chars().next_back()
}

/// The edit distance between two name keys.
pub fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The distinct padded trigrams of `key` (bytes; `#` pads both ends), sorted.
pub fn trigrams(key: &str) -> Vec<u32> {
    let mut padded = Vec::with_capacity(key.len() + 4);
    padded.extend_from_slice(b"##");
    padded.extend_from_slice(key.as_bytes());
    padded.extend_from_slice(b"##");
    let mut out: Vec<u32> = padded
        .windows(3)
        .map(|w| (u32::from(w[0]) << 16) | (u32::from(w[1]) << 8) | u32::from(w[2]))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The fewest trigrams that two keys of byte lengths `a` and `b` within `d` edits share.
pub fn min_shared(a: usize, b: usize, d: usize) -> usize {
    (a.max(b) + 2).saturating_sub(3 * d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_favour_precision() {
        assert_eq!(max_edits(letters("ROMA")), 0);
        assert_eq!(max_edits(letters("VERDI")), 0);
        assert_eq!(max_edits(letters("MARCONI")), 1);
        assert_eq!(max_edits(letters("BOGAIA")), 0);
        assert!(!same_ends("BOGAIA", "DOGAIA"));
        assert!(!same_ends("POGGETTO", "POGGETTI"));
        assert!(same_ends("MATEOTTI", "MATTEOTTI"));
        assert_eq!(max_edits(letters("DANTE ALIGHIERI")), 2);
        assert_eq!(distance("GARIBALDI", "GARIBADLI"), 1);
        assert_eq!(distance("ROMA", "ROMANA"), 2);
    }

    #[test]
    fn trigram_bound_holds_for_a_typo() {
        let (a, b) = ("MATTEOTTI", "MATEOTTI");
        let (ta, tb) = (trigrams(a), trigrams(b));
        let shared = ta.iter().filter(|t| tb.binary_search(t).is_ok()).count();
        assert!(shared >= min_shared(a.len(), b.len(), distance(a, b)));
    }
}
