//! Text search over addresses and comuni, for the map's search box.
//!
//! Texts and queries are read into words as the address matcher reads street names
//! ([`bianca_engine::address::search_words`]): lower case, accents folded, street types
//! written in full (`p.zza` → `piazza`, `v.le` → `viale`), particles left out (`del`,
//! `della`...), saints and numbers in words canonical (`xx settembre` = `venti settembre`
//! = `20 settembre`). A query matches an address when each of its words is a word of the
//! address, the last one possibly as a prefix ("via roma 1" finds "Via Roma 12"; the last
//! word is also tried as typed, so that "via vi" still finds "Via Vittorio Veneto"); comuni
//! match the same way on their names. So "p.zza duomo 3 prato" finds "Piazza del Duomo 3"
//! in Prato.
//!
//! When no address matches, whole words that are in no text are corrected to the one word
//! of the index within the matcher's edit threshold
//! ([`bianca_engine::address::fuzzy::max_edits`], same first and last letters; several
//! equally close words: no correction), and the search runs again with a lower score ("c.so mateotti"
//! finds "Corso Matteotti"; "via rome" never finds "Via Roma": 4 letters take no edit).
//!
//! Ranking: comuni before addresses at equal quality; whole words before prefixes; then
//! shorter texts; then alphabetical order.

use bianca_engine::address::fuzzy;
use bianca_engine::address::search_words;
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
        let texts: Vec<(Hit, String)> = texts
            .into_iter()
            .map(|(h, t)| (h, search_words(&t).join(" ")))
            .collect();
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
        let qw = search_words(query);
        let Some((last, full)) = qw.split_last() else {
            return Vec::new();
        };
        // the last word as typed, when it alone made the last word ("vi" → "6")
        let raw = normalise(query);
        let mut lasts = vec![last.clone()];
        if let Some(r) = words(&raw).last() {
            if r != last && search_words(r).last() == Some(last) {
                lasts.push(r.to_string());
            }
        }
        let found = self.ranked(full, &lasts, limit, 0.0);
        if found.iter().any(|r| matches!(r.hit, Hit::Address(_))) {
            return found;
        }
        // no address: correct the words that are in no text, and try again
        let mut corrected = false;
        let fixed: Vec<String> = full
            .iter()
            .map(|w| match self.correct(w) {
                Some(c) => {
                    corrected = true;
                    c
                }
                None => w.clone(),
            })
            .collect();
        let fixed_lasts = match (self.prefixed(last).is_empty(), self.correct(last)) {
            (true, Some(c)) => {
                corrected = true;
                vec![c]
            }
            _ => lasts,
        };
        if !corrected {
            return found;
        }
        let mut again = self.ranked(&fixed, &fixed_lasts, limit, 5.0);
        // comuni found the first time stay, ahead of corrected hits
        for r in found.into_iter().rev() {
            if !again.iter().any(|a| a.hit == r.hit) {
                again.insert(0, r);
            }
        }
        again.truncate(limit);
        again
    }

    /// The one word of the index within the edit threshold of `w`, when `w` is in none.
    fn correct(&self, w: &str) -> Option<String> {
        if !self.exact(w).is_empty() || w.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        let allowed = fuzzy::max_edits(w.chars().count());
        if allowed == 0 {
            return None;
        }
        let first: String = w.chars().take(1).collect();
        let mut best: Option<(usize, &str)> = None;
        let mut tied = false;
        for (v, _) in self.prefixed(&first) {
            let len = v.chars().count();
            if len.abs_diff(w.chars().count()) > allowed {
                continue;
            }
            if !fuzzy::same_ends(w, v) {
                continue;
            }
            let d = fuzzy::distance(w, v);
            if d > allowed || d > fuzzy::max_edits(len) {
                continue;
            }
            match best {
                Some((b, _)) if d > b => {}
                Some((b, _)) if d == b => tied = true,
                _ => {
                    best = Some((d, v));
                    tied = false;
                }
            }
        }
        best.filter(|_| !tied).map(|(_, v)| v.to_string())
    }

    /// Texts with every word of `full` and a word equal to or starting with one of
    /// `lasts`, best first; `penalty` comes off every score.
    fn ranked(&self, full: &[String], lasts: &[String], limit: usize, penalty: f64) -> Vec<Ranked> {
        let nwords = full.len() + 1;
        // candidates: the shortest posting list among the whole words, else the prefix's
        let mut candidates: Vec<u32> =
            if let Some(shortest) = full.iter().map(|w| self.exact(w)).min_by_key(|l| l.len()) {
                shortest.to_vec()
            } else {
                let mut c: Vec<u32> = Vec::new();
                for last in lasts {
                    for (_, l) in self.prefixed(last) {
                        c.extend_from_slice(l);
                        if c.len() > MAX_CANDIDATES {
                            break;
                        }
                    }
                }
                c.sort_unstable();
                c.dedup();
                c
            };
        candidates.truncate(MAX_CANDIDATES);
        let query_text = full
            .iter()
            .chain(lasts.first())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        let mut out: Vec<(f64, u32)> = Vec::new();
        for id in candidates {
            let (hit, text) = &self.texts[id as usize];
            let tw: Vec<&str> = words(text).collect();
            if !full.iter().all(|w| tw.contains(&w.as_str())) {
                continue;
            }
            let last_exact = lasts.iter().any(|l| tw.contains(&l.as_str()));
            if !last_exact
                && !lasts
                    .iter()
                    .any(|l| tw.iter().any(|w| w.starts_with(l.as_str())))
            {
                continue;
            }
            // whole-word matches, then comuni, then shorter (closer) texts
            let mut score = 10.0 * nwords as f64 - if last_exact { 0.0 } else { 5.0 } - penalty;
            if matches!(hit, Hit::Comune(_)) {
                score += 20.0;
                if *text == query_text {
                    score += 50.0;
                }
            }
            score -= (tw.len() - nwords.min(tw.len())) as f64 * 0.5;
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

    fn hits(idx: &SearchIndex, q: &str) -> Vec<Hit> {
        idx.search(q, 10).iter().map(|r| r.hit).collect()
    }

    #[test]
    fn abbreviations_particles_and_numbers_are_read_as_the_matcher_reads_them() {
        let idx = SearchIndex::build(vec![
            (Hit::Address(0), "PIAZZA DEL DUOMO 3 Prato".into()),
            (Hit::Address(1), "PIAZZA DEL DUOMO 3 Firenze".into()),
            (Hit::Address(2), "VIA XX SETTEMBRE 4 Prato".into()),
            (Hit::Address(3), "VIA VITTORIO VENETO 1 Prato".into()),
            (Hit::Address(4), "VIALE DELLA REPUBBLICA 7 Prato".into()),
            (Hit::Comune(0), "Prato".into()),
        ]);
        assert_eq!(hits(&idx, "p.zza duomo 3 prato"), [Hit::Address(0)]);
        assert_eq!(hits(&idx, "piazza del duomo 3 prato"), [Hit::Address(0)]);
        assert_eq!(hits(&idx, "via venti settembre 4"), [Hit::Address(2)]);
        assert_eq!(hits(&idx, "via 20 sett"), [Hit::Address(2)]);
        assert_eq!(hits(&idx, "v.le repubblica 7"), [Hit::Address(4)]);
        // the last word as typed, though "vi" alone would read as a Roman 6
        assert!(hits(&idx, "via vi").contains(&Hit::Address(3)));
        assert_eq!(hits(&idx, "via vitt"), [Hit::Address(3)]);
        // a particle being typed does not empty the list
        assert_eq!(hits(&idx, "piazza del").len(), 2);
    }

    #[test]
    fn typos_are_corrected_only_when_nothing_matches_and_one_word_is_close() {
        let idx = SearchIndex::build(vec![
            (Hit::Address(0), "CORSO MATTEOTTI 3 Prato".into()),
            (Hit::Address(1), "VIA GARIBALDI 5 Prato".into()),
            (Hit::Address(2), "VIA ROMA 1 Prato".into()),
            (Hit::Address(3), "VIA ROMANA 1 Prato".into()),
            (Hit::Comune(0), "Prato".into()),
        ]);
        let r = idx.search("c.so mateotti 3 prato", 10);
        assert_eq!(
            r.iter().map(|r| r.hit).collect::<Vec<_>>(),
            [Hit::Address(0)]
        );
        assert_eq!(hits(&idx, "via garibadli 5"), [Hit::Address(1)]);
        assert!(r[0].score < idx.search("corso matteotti 3 prato", 10)[0].score);
        // too short to correct: ROMA is never ROMANA
        assert!(hits(&idx, "via rome 1").is_empty());
    }
}
