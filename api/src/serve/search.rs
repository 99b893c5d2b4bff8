//! Text search over addresses and comuni, for the map's search box.
//!
//! Text is normalised (lower case, accents folded, punctuation as spaces) and split into
//! words. A query matches an address when each of its words is a word of the address,
//! the last one possibly as a prefix ("via roma 1" finds "Via Roma 12"); comuni match the
//! same way on their names. Ranking: comuni before addresses at equal quality; whole
//! words before prefixes; then shorter texts; then alphabetical order.

use std::collections::HashMap;

/// Lower case, accents folded to ASCII, anything not a letter or digit a space.
pub fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        let c = match ch {
            'à' | 'á' | 'â' | 'ä' | 'À' | 'Á' | 'Â' | 'Ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
            c if c.is_alphanumeric() => c.to_lowercase().next().unwrap_or(c),
            _ => ' ',
        };
        out.push(c);
    }
    out
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(' ').filter(|w| !w.is_empty())
}

/// One searchable text: an address (item = unit index) or a comune (item = area index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hit {
    Address(u32),
    Comune(u32),
}

/// A result with its rank (higher first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked {
    pub hit: Hit,
    pub score: f64,
}

/// An inverted index: word -> the texts that contain it.
#[derive(Debug, Default)]
pub struct SearchIndex {
    /// Sorted words, and for each the sorted ids of the texts containing it.
    vocab: Vec<(String, Vec<u32>)>,
    /// Per id: the hit and its normalised text.
    texts: Vec<(Hit, String)>,
}

/// Candidates examined at most per query: a one-letter query stays fast.
const MAX_CANDIDATES: usize = 200_000;

impl SearchIndex {
    pub fn build(texts: Vec<(Hit, String)>) -> SearchIndex {
        let texts: Vec<(Hit, String)> =
            texts.into_iter().map(|(h, t)| (h, normalise(&t))).collect();
        let mut map: HashMap<&str, Vec<u32>> = HashMap::new();
        for (id, (_, t)) in texts.iter().enumerate() {
            for w in words(t) {
                let list = map.entry(w).or_default();
                if list.last() != Some(&(id as u32)) {
                    list.push(id as u32);
                }
            }
        }
        let mut vocab: Vec<(String, Vec<u32>)> =
            map.into_iter().map(|(w, l)| (w.to_string(), l)).collect();
        vocab.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        SearchIndex { vocab, texts }
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    fn exact(&self, w: &str) -> &[u32] {
        match self.vocab.binary_search_by(|(v, _)| v.as_str().cmp(w)) {
            Ok(i) => &self.vocab[i].1,
            Err(_) => &[],
        }
    }

    /// The word entries starting with `prefix`.
    fn prefixed(&self, prefix: &str) -> &[(String, Vec<u32>)] {
        let lo = self.vocab.partition_point(|(v, _)| v.as_str() < prefix);
        let hi = lo + self.vocab[lo..].partition_point(|(v, _)| v.starts_with(prefix));
        &self.vocab[lo..hi]
    }

    /// The best `limit` matches of `query`, best first.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Ranked> {
        let q = normalise(query);
        let qw: Vec<&str> = words(&q).collect();
        let Some((last, full)) = qw.split_last() else {
            return Vec::new();
        };
        // candidates: the shortest posting list among the whole words, else the prefix's
        let mut candidates: Vec<u32> =
            if let Some(shortest) = full.iter().map(|w| self.exact(w)).min_by_key(|l| l.len()) {
                shortest.to_vec()
            } else {
                let mut c: Vec<u32> = Vec::new();
                for (_, l) in self.prefixed(last) {
                    c.extend_from_slice(l);
                    if c.len() > MAX_CANDIDATES {
                        break;
                    }
                }
                c.sort_unstable();
                c.dedup();
                c
            };
        candidates.truncate(MAX_CANDIDATES);
        let mut out: Vec<(f64, u32)> = Vec::new();
        for id in candidates {
            let (hit, text) = &self.texts[id as usize];
            let tw: Vec<&str> = words(text).collect();
            if !full.iter().all(|w| tw.contains(w)) {
                continue;
            }
            let last_exact = tw.contains(last);
            if !last_exact && !tw.iter().any(|w| w.starts_with(last)) {
                continue;
            }
            // whole-word matches, then comuni, then shorter (closer) texts
            let mut score = 10.0 * qw.len() as f64 - if last_exact { 0.0 } else { 5.0 };
            if matches!(hit, Hit::Comune(_)) {
                score += 20.0;
                if text.as_str() == q.trim() {
                    score += 50.0;
                }
            }
            score -= (tw.len() - qw.len().min(tw.len())) as f64 * 0.5;
            out.push((score, id));
        }
        let text = |id: u32| self.texts[id as usize].1.as_str();
        let order = |a: &(f64, u32), b: &(f64, u32)| {
            b.0.total_cmp(&a.0).then_with(|| text(a.1).cmp(text(b.1)))
        };
        if out.len() > limit && limit > 0 {
            out.select_nth_unstable_by(limit - 1, order);
        }
        out.truncate(limit);
        out.sort_by(order);
        out.into_iter()
            .map(|(score, id)| Ranked {
                hit: self.texts[id as usize].0,
                score,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SearchIndex {
        SearchIndex::build(vec![
            (Hit::Address(0), "Via Roma 12, Firenze".into()),
            (Hit::Address(1), "Via Roma 1, Prato".into()),
            (Hit::Address(2), "Piazza della Libertà 3, Firenze".into()),
            (Hit::Address(3), "Via Romana 5, Firenze".into()),
            (Hit::Comune(0), "Firenze".into()),
            (Hit::Comune(1), "Fiesole".into()),
        ])
    }

    #[test]
    fn text_is_folded() {
        assert_eq!(normalise("Libertà, SANT'ANNA"), "liberta  sant anna");
    }

    #[test]
    fn every_word_must_match_the_last_as_a_prefix() {
        let idx = index();
        let hits: Vec<Hit> = idx.search("via roma 1", 10).iter().map(|r| r.hit).collect();
        assert_eq!(hits, [Hit::Address(1), Hit::Address(0)]);
        let hits: Vec<Hit> = idx
            .search("roma firenze", 10)
            .iter()
            .map(|r| r.hit)
            .collect();
        assert_eq!(hits, [Hit::Address(0)]);
        assert!(idx.search("via napoli", 10).is_empty());
        assert!(idx.search("  ", 10).is_empty());
    }

    #[test]
    fn comuni_rank_first_and_accents_do_not_matter() {
        let idx = index();
        let r = idx.search("firenze", 10);
        assert_eq!(r[0].hit, Hit::Comune(0));
        assert_eq!(r.len(), 4);
        let r = idx.search("fi", 10);
        assert_eq!(r[0].hit, Hit::Comune(1));
        assert_eq!(r[1].hit, Hit::Comune(0));
        let r = idx.search("liberta", 10);
        assert_eq!(r[0].hit, Hit::Address(2));
        assert_eq!(idx.search("via", 2).len(), 2);
    }
}
