//! House numbers (*civici*): `7`, `7/A`, `7A`, `7 A`, `7-A`, `7 BIS`, `7/BIS`, `N. 7`; and
//! civici without a number: `SNC`, `S.N.C.`, `0`, `0/SNC`, `SENZA NUMERO`, a blank; and
//! kilometre markers: `KM 12`, `KM 12,5`.
//!
//! A suffix is what follows the number: one or two letters, `BIS`, `TER`, `QUATER`,
//! `ROSSO` / `R` (Genoa's red numbers), or, after a slash, up to 6 letters (`143/EST`,
//! `7/III`) or digits (`7/1`); an interior number may follow it (`2/B 1` is suffix `B1`).
//! `SNC` anywhere (`0/SNC`, `0/SNC 2`, `51/SNC`) means no number. Its written form does not matter: `7/A`, `7A`, `7 A` and `7-A` are
//! all number 7 with suffix `A` (the suffix is a separate civico: `7/A` is not `7`).
//! A range (`12-14`) is its first number.

use std::fmt;

use super::normalise::{words, Word};

/// A suffix of at most 8 ASCII letters or digits, packed in a `u64` (0 = no suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Suffix(u64);

impl Suffix {
    pub const NONE: Suffix = Suffix(0);

    /// `None` for a text longer than 8 bytes or with other characters than `A-Z0-9`.
    pub fn new(s: &str) -> Option<Suffix> {
        if s.len() > 8
            || !s
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return None;
        }
        let mut v = 0u64;
        for b in s.bytes() {
            v = (v << 8) | u64::from(b);
        }
        Some(Suffix(v))
    }

    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Suffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0.to_be_bytes();
        for &b in bytes.iter().filter(|&&b| b != 0) {
            write!(f, "{}", b as char)?;
        }
        Ok(())
    }
}

/// Why a civico has no number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoNumber {
    /// The field is empty (or there is no number after the street).
    Blank,
    /// `SNC`, `S.N.C.`, `SENZA NUMERO`, `0/SNC`.
    Snc,
    /// `0`.
    Zero,
}

/// A house number as written, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Civico {
    Number {
        n: u32,
        suffix: Suffix,
    },
    /// A kilometre marker, in tenths of a kilometre (`KM 12,5` → 125).
    Km(u32),
    None(NoNumber),
}

impl fmt::Display for Civico {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Civico::Number { n, suffix } if suffix.is_none() => write!(f, "{n}"),
            Civico::Number { n, suffix } => write!(f, "{n}/{suffix}"),
            Civico::Km(t) if t % 10 == 0 => write!(f, "KM {}", t / 10),
            Civico::Km(t) => write!(f, "KM {},{}", t / 10, t % 10),
            Civico::None(NoNumber::Snc) => f.write_str("SNC"),
            Civico::None(NoNumber::Zero) => f.write_str("0"),
            Civico::None(NoNumber::Blank) => Ok(()),
        }
    }
}

/// Words that may stand before a number: `N. 7`, `NR 7`, `CIVICO 7`.
const PREFIXES: &[&str] = &["N", "NR", "NUM", "NUMERO", "CIV", "CIVICO"];

/// Reads a whole house-number field. `None` when it is not a house number (`"VIA ROMA"`,
/// `"7 ABCDEFGHI"`).
pub fn parse_civico(s: &str) -> Option<Civico> {
    let ws = words(s);
    if ws.is_empty() {
        return Some(Civico::None(NoNumber::Blank));
    }
    civico_of(&ws)
}

/// Reads `ws` as one house number (the whole slice).
pub fn civico_of(ws: &[Word]) -> Option<Civico> {
    let ws = match ws.first() {
        Some(w) if ws.len() > 1 && PREFIXES.contains(&w.text.as_str()) && ws[1].is_digits() => {
            &ws[1..]
        }
        _ => ws,
    };
    let texts: Vec<&str> = ws.iter().map(|w| w.text.as_str()).collect();
    match texts.as_slice() {
        ["SNC"] | ["SENZA", "NUMERO"] | ["SN"] => return Some(Civico::None(NoNumber::Snc)),
        // 0/SNC, 0/SNC 2 (an interior), 51/SNC: a civico without its number
        [_, "SNC", ..] | ["SNC", ..] => return Some(Civico::None(NoNumber::Snc)),
        ["KM", n] => return digits(n).map(|n| Civico::Km(n.saturating_mul(10))),
        ["KM", n, d] if d.len() == 1 => {
            let (n, d) = (digits(n)?, digits(d)?);
            return Some(Civico::Km(n.saturating_mul(10).saturating_add(d)));
        }
        _ => {}
    }
    let n = digits(texts.first()?)?;
    let suffix = match &ws[1..] {
        [] => Suffix::NONE,
        // 12-14: a range, read as its first number
        [w] if w.is_digits() && !w.slash => Suffix::NONE,
        [w] if suffix_word(w) => Suffix::new(&w.text)?,
        // 7/A/1, 7 BIS A: the words joined
        [a, b] if suffix_word(a) && suffix_word(b) => {
            Suffix::new(&format!("{}{}", a.text, b.text))?
        }
        _ => return None,
    };
    if n == 0 && suffix.is_none() {
        return Some(Civico::None(NoNumber::Zero));
    }
    Some(Civico::Number { n, suffix })
}

/// A word that may follow a house number as its suffix.
fn suffix_word(w: &Word) -> bool {
    let t = w.text.as_str();
    // KM starts a marker (N. before a number is stripped before the suffix is read)
    if t == "KM" {
        return false;
    }
    (w.is_digits() && t.len() <= 4)
        || (!w.is_digits() && t.len() <= 2)
        || (!w.is_digits() && w.slash && t.len() <= 6)
        || matches!(t, "BIS" | "TER" | "QUATER" | "ROSSO")
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A whole address split into the street's words and its civico.
///
/// After the last comma when what follows is a civico (`VIA 4 NOVEMBRE, 12`); otherwise the
/// longest run of up to 4 final words that reads as a civico and leaves a street name
/// before it (`VIA ROMA 7 A`, `SP 13 KM 5`). A number that would leave only a street type
/// belongs to the name (`STRADA PROVINCIALE 13`, `VIA 13`: no civico), and so does a
/// number followed by a word of more than 6 letters (`VIA 1 MAGGIO`).
pub fn split_address(s: &str) -> (Vec<Word>, Civico) {
    let ws = words(s);
    split_words(ws)
}

/// [`split_address`] on words already folded.
pub fn split_words(mut ws: Vec<Word>) -> (Vec<Word>, Civico) {
    let blank = Civico::None(NoNumber::Blank);
    // after the last comma
    if let Some(c) = ws[..ws.len().saturating_sub(1)]
        .iter()
        .rposition(|w| w.comma)
    {
        if let Some(civ) = civico_of(&ws[c + 1..]) {
            if has_name(&ws[..=c]) {
                ws.truncate(c + 1);
                return (ws, civ);
            }
        }
    }
    let start = ws.len().saturating_sub(4);
    for k in start.max(1)..ws.len() {
        if !ws[k].is_digits() && !matches!(ws[k].text.as_str(), "SNC" | "KM" | "N" | "NR") {
            continue;
        }
        if let Some(civ) = civico_of(&ws[k..]) {
            if has_name(&ws[..k]) {
                ws.truncate(k);
                return (ws, civ);
            }
        }
    }
    (ws, blank)
}

/// Whether `ws` is a street name and not a street type alone.
fn has_name(ws: &[Word]) -> bool {
    match super::normalise::leading_kind(ws) {
        Some((_, n)) => n < ws.len(),
        None => !ws.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: u32, s: &str) -> Civico {
        Civico::Number {
            n,
            suffix: Suffix::new(s).unwrap(),
        }
    }

    #[test]
    fn suffix_forms_are_one_civico() {
        for s in ["7/A", "7A", "7 A", "7-A", "7 a", "n. 7/a", "N.7 A"] {
            assert_eq!(parse_civico(s), Some(num(7, "A")), "{s}");
        }
        for s in ["7 BIS", "7/BIS", "7bis", "7-bis"] {
            assert_eq!(parse_civico(s), Some(num(7, "BIS")), "{s}");
        }
        assert_eq!(parse_civico("7"), Some(num(7, "")));
        assert_eq!(parse_civico("007"), Some(num(7, "")));
        assert_eq!(parse_civico("7/1"), Some(num(7, "1")));
        assert_eq!(parse_civico("143/EST"), Some(num(143, "EST")));
        assert_eq!(parse_civico("106/N"), Some(num(106, "N")));
        assert_eq!(parse_civico("106 N"), Some(num(106, "N")));
        assert_eq!(parse_civico("2/B 1"), Some(num(2, "B1")));
        assert_eq!(parse_civico("12-14"), Some(num(12, "")));
        assert_ne!(parse_civico("7/A"), parse_civico("7"));
        assert_eq!(num(7, "A").to_string(), "7/A");
    }

    #[test]
    fn civici_without_a_number() {
        for s in [
            "SNC",
            "snc",
            "S.N.C.",
            "s.n.c",
            "0/SNC",
            "0/SNC 2",
            "senza numero",
        ] {
            assert_eq!(parse_civico(s), Some(Civico::None(NoNumber::Snc)), "{s}");
        }
        assert_eq!(parse_civico("0"), Some(Civico::None(NoNumber::Zero)));
        assert_eq!(parse_civico(" "), Some(Civico::None(NoNumber::Blank)));
        assert_eq!(parse_civico("KM 12"), Some(Civico::Km(120)));
        assert_eq!(parse_civico("km. 12,5"), Some(Civico::Km(125)));
        assert_eq!(parse_civico("VIA ROMA"), None);
        assert_eq!(parse_civico("7 ABCDEFGHIJ"), None);
        assert_eq!(parse_civico("7 PRATO"), None);
    }

    fn split(s: &str) -> (String, Civico) {
        let (ws, c) = split_address(s);
        let street: Vec<String> = ws.into_iter().map(|w| w.text).collect();
        (street.join(" "), c)
    }

    #[test]
    fn addresses_split_into_street_and_civico() {
        assert_eq!(split("Via Roma 7/A"), ("VIA ROMA".into(), num(7, "A")));
        assert_eq!(split("VIA ROMA 7 A"), ("VIA ROMA".into(), num(7, "A")));
        assert_eq!(split("via roma, 7"), ("VIA ROMA".into(), num(7, "")));
        assert_eq!(
            split("VIA 4 NOVEMBRE, 12"),
            ("VIA 4 NOVEMBRE".into(), num(12, ""))
        );
        assert_eq!(
            split("VIA XX SETTEMBRE 12 BIS"),
            ("VIA XX SETTEMBRE".into(), num(12, "BIS"))
        );
        assert_eq!(
            split("VIA 1 MAGGIO"),
            ("VIA 1 MAGGIO".into(), Civico::None(NoNumber::Blank))
        );
        assert_eq!(
            split("STRADA PROVINCIALE 13"),
            (
                "STRADA PROVINCIALE 13".into(),
                Civico::None(NoNumber::Blank)
            )
        );
        assert_eq!(split("SP 13 KM 5"), ("SP 13".into(), Civico::Km(50)));
        assert_eq!(
            split("LOCALITA' USELLA S.N.C."),
            ("LOCALITA USELLA".into(), Civico::None(NoNumber::Snc))
        );
        assert_eq!(
            split("Piazza del Duomo n. 3"),
            ("PIAZZA DEL DUOMO".into(), num(3, ""))
        );
    }
}
