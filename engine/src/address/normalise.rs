//! Italian street names, normalised: words folded to upper-case ASCII, street types and
//! their abbreviations, particles, titles, saints and numbers written in words.
//!
//! [`words`] folds a text into [`Word`]s: accents are dropped (`À` → `A`), case is folded,
//! anything that is not a letter or a digit separates words, and a word remembers whether a
//! full stop or an apostrophe followed it and whether a slash preceded it (`P.ZZA`, `DELL'`,
//! `7/A`). Digits and letters are separate words (`7A` → `7`, `A`; `SP13` → `SP`, `13`).
//! U+FFFD, which some exports leave after an apostrophe (`LOCALITA'<U+FFFD>`), counts as
//! an apostrophe. Dotted abbreviations written in pieces are joined back (`P.ZZA` → `PZZA`,
//! `S.N.C.` → `SNC`, `F.LLI` → `FLLI`), and a one-letter word followed by a full stop stays
//! an initial (`A.FIRENZUOLA` → `A`, `FIRENZUOLA`).
//!
//! [`Street::parse`] reads a street name (without its house number) into its [`Kind`]
//! (`VIA`, `PIAZZA`, `LOCALITA`...; written in full or abbreviated, first word only; `V`,
//! `P` and `C` only when more words follow) and its name *tokens*:
//!
//! - particles (`DI`, `DEL`, `DELLA`, `D'`, `L'`, `E`...) and titles (`DON`, `DOTT`,
//!   `PROF`, `GEN`, `PAPA`...) are left out, so `PIAZZA DEL DUOMO` = `P.ZZA DUOMO` and
//!   `VIA DON MINZONI` = `VIA MINZONI` (a name made of nothing else keeps them);
//! - saints are one token: `STO`, `STA`, `SANTO`, `SANTA`, `SANT'` → `SAN`; `SS`, `SANTI`,
//!   `SANTISSIMA`... → `SS`; `S.` stays an initial, since it may stand for a saint or a
//!   first name (`S. PELLICO`), and matches `SAN` as an initial does; `F.LLI` → `FRATELLI`;
//! - numbers in words and Roman numerals become digits: `VENTI`, `XX` → `20`
//!   (`VIA XX SETTEMBRE` = `VIA VENTI SETTEMBRE` = `VIA 20 SETTEMBRE`), `PIO IX` → `PIO 9`;
//!   `PRIMO` and a one-letter numeral (`I`, `V`, `X`) only before a month (`I MAGGIO` =
//!   `PRIMO MAGGIO` = `1 MAGGIO`); a Roman numeral is a word of `I`, `V` and `X` only, of
//!   two letters or more, so that `DI`, `MI` or `CIVILI` are never read as numbers;
//! - leading zeros go (`04` → `4`).
//!
//! First names and initials are *not* removed here: whether `VIA D. ALIGHIERI` is `VIA
//! DANTE ALIGHIERI` depends on the other streets of the comune, so the street index
//! compares token lists ([`variant_of`]).

use std::fmt;

/// One folded word of an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Upper-case letters, or digits.
    pub text: String,
    /// A full stop followed it.
    pub dot: bool,
    /// An apostrophe followed it.
    pub apos: bool,
    /// A slash preceded it.
    pub slash: bool,
    /// A comma followed it.
    pub comma: bool,
}

impl Word {
    pub fn is_digits(&self) -> bool {
        self.text.bytes().all(|b| b.is_ascii_digit())
    }
}

/// What a character is, once folded.
enum Folded {
    Letter(char),
    Digit(char),
    Dot,
    Apostrophe,
    Slash,
    Comma,
    Space,
}

fn fold(c: char) -> Folded {
    let l = match c {
        'a'..='z' => c.to_ascii_uppercase(),
        'A'..='Z' => c,
        '0'..='9' => return Folded::Digit(c),
        '.' => return Folded::Dot,
        '\'' | '’' | '‘' | '`' | '´' | '\u{FFFD}' => return Folded::Apostrophe,
        '/' | '\\' => return Folded::Slash,
        ',' | ';' => return Folded::Comma,
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'À' | 'Á' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'E',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'Ò' | 'Ó' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'U',
        'ç' | 'Ç' => 'C',
        'ñ' | 'Ñ' => 'N',
        'ß' => 'S',
        c if c.is_alphabetic() => c.to_uppercase().next().unwrap_or(c),
        _ => return Folded::Space,
    };
    Folded::Letter(l)
}

/// Dotted abbreviations written in two or three pieces, joined back.
const JOINED: [&str; 24] = [
    "PZZA", "PZA", "PZALE", "PZZALE", "PLE", "PTTA", "VLE", "VLO", "CSO", "LGO", "SNC", "BGO",
    "CDA", "STO", "STA", "SS", "SSMA", "SP", "SR", "SC", "SV", "FLLI", "LGNO", "VCLO",
];

/// Folds `s` into words (see the module documentation).
pub fn words(s: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut cur = String::new();
    let mut cur_digits = false;
    let mut slash = false;
    let flush = |out: &mut Vec<Word>, cur: &mut String, slash: &mut bool| {
        if !cur.is_empty() {
            out.push(Word {
                text: std::mem::take(cur),
                dot: false,
                apos: false,
                slash: std::mem::take(slash),
                comma: false,
            });
        }
    };
    for c in s.chars() {
        match fold(c) {
            Folded::Letter(l) => {
                if cur_digits {
                    flush(&mut out, &mut cur, &mut slash);
                }
                cur_digits = false;
                cur.push(l);
            }
            Folded::Digit(d) => {
                if !cur_digits {
                    flush(&mut out, &mut cur, &mut slash);
                }
                cur_digits = true;
                cur.push(d);
            }
            other => {
                let had = !cur.is_empty();
                flush(&mut out, &mut cur, &mut slash);
                if let Some(w) = out.last_mut().filter(|_| had) {
                    match other {
                        Folded::Dot => w.dot = true,
                        Folded::Apostrophe => w.apos = true,
                        Folded::Comma => w.comma = true,
                        _ => {}
                    }
                }
                if matches!(other, Folded::Slash) {
                    slash = true;
                }
            }
        }
    }
    flush(&mut out, &mut cur, &mut slash);
    join_dotted(out)
}

/// `P.ZZA` → `PZZA`, `S.N.C.` → `SNC`: a short dotted word and the next one(s) whose
/// concatenation is a known abbreviation.
fn join_dotted(ws: Vec<Word>) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::with_capacity(ws.len());
    let mut i = 0;
    while i < ws.len() {
        let w = &ws[i];
        if w.dot && w.text.len() <= 2 && !w.is_digits() {
            let mut joined = None;
            for n in [3usize, 2] {
                if i + n > ws.len() || ws[i..i + n - 1].iter().any(|x| !x.dot || x.is_digits()) {
                    continue;
                }
                let cat: String = ws[i..i + n].iter().map(|x| x.text.as_str()).collect();
                if JOINED.contains(&cat.as_str()) {
                    let last = &ws[i + n - 1];
                    joined = Some((
                        n,
                        Word {
                            text: cat,
                            dot: last.dot,
                            apos: last.apos,
                            slash: w.slash,
                            comma: last.comma,
                        },
                    ));
                    break;
                }
            }
            if let Some((n, word)) = joined {
                out.push(word);
                i += n;
                continue;
            }
        }
        out.push(w.clone());
        i += 1;
    }
    out
}

/// The folded letter or digit of `c` (`à` → `A`), `None` for anything else.
pub fn fold_char(c: char) -> Option<char> {
    match fold(c) {
        Folded::Letter(l) => Some(l),
        Folded::Digit(d) => Some(d),
        _ => None,
    }
}

/// Letters and digits of `s` only, folded: what the `exact` method compares (case, accents,
/// spaces and punctuation ignored).
pub fn light_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match fold(c) {
            Folded::Letter(l) => out.push(l),
            Folded::Digit(d) => out.push(d),
            _ => {}
        }
    }
    out
}

/// A street type. Types of the same [`Kind::family`] are interchangeable (`LOCALITA`,
/// `FRAZIONE`, `NUCLEO`... all name a place rather than a street).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Via,
    Viale,
    Vialetto,
    Piazza,
    Piazzale,
    Piazzetta,
    Corso,
    Largo,
    Vicolo,
    Vico,
    Strada,
    Stradello,
    StradaProvinciale,
    StradaStatale,
    StradaRegionale,
    StradaComunale,
    StradaVicinale,
    Localita,
    Frazione,
    Nucleo,
    Borgata,
    Contrada,
    Villaggio,
    Borgo,
    Salita,
    Discesa,
    Traversa,
    Lungarno,
    Lungomare,
    Lungolago,
    Galleria,
    Passaggio,
    Podere,
    Rione,
    Calle,
    Rampa,
    Scalinata,
    Rotonda,
    Quartiere,
}

/// Single-word spellings of each kind (folded; dotted pieces already joined).
const KINDS: &[(&[&str], Kind)] = &[
    (&["VIA"], Kind::Via),
    (&["VIALE", "VLE", "VL"], Kind::Viale),
    (&["VIALETTO"], Kind::Vialetto),
    (&["PIAZZA", "PZZA", "PZA", "PZ", "PIAZ"], Kind::Piazza),
    (
        &["PIAZZALE", "PLE", "PZALE", "PZZALE", "PZLE"],
        Kind::Piazzale,
    ),
    (&["PIAZZETTA", "PTTA"], Kind::Piazzetta),
    (&["CORSO", "CSO"], Kind::Corso),
    (&["LARGO", "LGO"], Kind::Largo),
    (&["VICOLO", "VIC", "VLO", "VCLO"], Kind::Vicolo),
    (&["VICO"], Kind::Vico),
    (&["STRADA", "STR", "STRD"], Kind::Strada),
    (&["STRADELLO"], Kind::Stradello),
    (
        &["LOCALITA", "LOC", "LOCAL", "LOCALIT", "LOCALTA"],
        Kind::Localita,
    ),
    (&["FRAZIONE", "FRAZ", "FR"], Kind::Frazione),
    (&["NUCLEO"], Kind::Nucleo),
    (&["BORGATA"], Kind::Borgata),
    (&["CONTRADA", "CDA"], Kind::Contrada),
    (&["VILLAGGIO"], Kind::Villaggio),
    (&["BORGO", "BGO"], Kind::Borgo),
    (&["SALITA", "SAL"], Kind::Salita),
    (&["DISCESA"], Kind::Discesa),
    (&["TRAVERSA", "TRAV"], Kind::Traversa),
    (&["LUNGARNO", "LGNO"], Kind::Lungarno),
    (&["LUNGOMARE"], Kind::Lungomare),
    (&["LUNGOLAGO"], Kind::Lungolago),
    (&["GALLERIA", "GALL"], Kind::Galleria),
    (&["PASSAGGIO"], Kind::Passaggio),
    (&["PODERE", "POD"], Kind::Podere),
    (&["RIONE"], Kind::Rione),
    (&["CALLE"], Kind::Calle),
    (&["RAMPA"], Kind::Rampa),
    (&["SCALINATA"], Kind::Scalinata),
    (&["ROTONDA"], Kind::Rotonda),
    (&["QUARTIERE"], Kind::Quartiere),
];

/// Numbered roads: an abbreviation, or `STRADA` and an adjective; only before a number
/// (`SS 12`, `STRADA PROVINCIALE 13`), since `SS` is also a saint.
const ROADS: &[(&str, &str, Kind)] = &[
    ("SP", "PROVINCIALE", Kind::StradaProvinciale),
    ("SS", "STATALE", Kind::StradaStatale),
    ("SR", "REGIONALE", Kind::StradaRegionale),
    ("SC", "COMUNALE", Kind::StradaComunale),
    ("SV", "VICINALE", Kind::StradaVicinale),
];

impl Kind {
    /// The type written in full.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Via => "VIA",
            Kind::Viale => "VIALE",
            Kind::Vialetto => "VIALETTO",
            Kind::Piazza => "PIAZZA",
            Kind::Piazzale => "PIAZZALE",
            Kind::Piazzetta => "PIAZZETTA",
            Kind::Corso => "CORSO",
            Kind::Largo => "LARGO",
            Kind::Vicolo => "VICOLO",
            Kind::Vico => "VICO",
            Kind::Strada => "STRADA",
            Kind::Stradello => "STRADELLO",
            Kind::StradaProvinciale => "STRADA PROVINCIALE",
            Kind::StradaStatale => "STRADA STATALE",
            Kind::StradaRegionale => "STRADA REGIONALE",
            Kind::StradaComunale => "STRADA COMUNALE",
            Kind::StradaVicinale => "STRADA VICINALE",
            Kind::Localita => "LOCALITA",
            Kind::Frazione => "FRAZIONE",
            Kind::Nucleo => "NUCLEO",
            Kind::Borgata => "BORGATA",
            Kind::Contrada => "CONTRADA",
            Kind::Villaggio => "VILLAGGIO",
            Kind::Borgo => "BORGO",
            Kind::Salita => "SALITA",
            Kind::Discesa => "DISCESA",
            Kind::Traversa => "TRAVERSA",
            Kind::Lungarno => "LUNGARNO",
            Kind::Lungomare => "LUNGOMARE",
            Kind::Lungolago => "LUNGOLAGO",
            Kind::Galleria => "GALLERIA",
            Kind::Passaggio => "PASSAGGIO",
            Kind::Podere => "PODERE",
            Kind::Rione => "RIONE",
            Kind::Calle => "CALLE",
            Kind::Rampa => "RAMPA",
            Kind::Scalinata => "SCALINATA",
            Kind::Rotonda => "ROTONDA",
            Kind::Quartiere => "QUARTIERE",
        }
    }

    /// Kinds that name a place rather than a street share a family; every other kind is
    /// its own family.
    pub fn family(self) -> Kind {
        match self {
            Kind::Localita
            | Kind::Frazione
            | Kind::Nucleo
            | Kind::Borgata
            | Kind::Contrada
            | Kind::Villaggio => Kind::Localita,
            k => k,
        }
    }

    /// The kind of one word (`V.LE`, `PIAZZA`...), not counting the one-letter forms.
    pub fn of_word(w: &str) -> Option<Kind> {
        KINDS
            .iter()
            .find(|(spellings, _)| spellings.contains(&w))
            .map(|&(_, k)| k)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether two streets' kinds allow them to be the same street: equal families, or a kind
/// missing on either side.
pub fn kinds_compatible(a: Option<Kind>, b: Option<Kind>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.family() == b.family(),
        _ => true,
    }
}

/// The kind at the start of `ws`, and how many words it takes.
pub fn leading_kind(ws: &[Word]) -> Option<(Kind, usize)> {
    let first = ws.first()?;
    let next_is_number = ws.get(1).is_some_and(Word::is_digits);
    for &(abbr, adjective, kind) in ROADS {
        if first.text == abbr && next_is_number {
            return Some((kind, 1));
        }
        if first.text == "STRADA" && ws.get(1).is_some_and(|w| w.text == adjective) {
            return Some((kind, 2));
        }
    }
    if ws.len() >= 2 {
        match first.text.as_str() {
            "V" => return Some((Kind::Via, 1)),
            "P" => return Some((Kind::Piazza, 1)),
            "C" if first.dot => return Some((Kind::Corso, 1)),
            _ => {}
        }
    }
    Kind::of_word(&first.text).map(|k| (k, 1))
}

/// Articles, prepositions and conjunctions left out of names. `D` and `L` count only
/// before an apostrophe (`D'ANNUNZIO`); otherwise they are initials.
const PARTICLES: &[&str] = &[
    "DI", "DEL", "DELLO", "DELLA", "DELL", "DEI", "DEGLI", "DELLE", "DEGL", "DA", "DAL", "DALLO",
    "DALLA", "DALL", "DAI", "DAGLI", "DALLE", "AL", "ALLO", "ALLA", "ALL", "AI", "AGLI", "ALLE",
    "IL", "LO", "LA", "LE", "GLI", "E", "ED", "IN", "NEL", "NELLO", "NELLA", "NELL", "NEI",
    "NEGLI", "NELLE", "SUL", "SULLO", "SULLA", "SULL", "SUI", "SUGLI", "SULLE", "PER",
];

/// Titles left out of names (`VIA DON MINZONI` = `VIA MINZONI`).
const TITLES: &[&str] = &[
    "DON",
    "DOTT",
    "DOTTOR",
    "DOTTORE",
    "DR",
    "PROF",
    "PROFESSOR",
    "PROFESSORE",
    "AVV",
    "AVVOCATO",
    "ING",
    "INGEGNERE",
    "ON",
    "ONOREVOLE",
    "SEN",
    "SENATORE",
    "GEN",
    "GENERALE",
    "AMM",
    "AMMIRAGLIO",
    "COL",
    "COLONNELLO",
    "CAP",
    "CAPITANO",
    "TEN",
    "TENENTE",
    "MAR",
    "MARESCIALLO",
    "SERG",
    "SERGENTE",
    "MONS",
    "MONSIGNOR",
    "MONSIGNORE",
    "CARD",
    "CARDINALE",
    "PAPA",
    "PADRE",
    "FRA",
    "FRATE",
    "SUOR",
    "SUORA",
    "MADRE",
    "BEATO",
    "BEATA",
    "CAV",
    "CAVALIERE",
    "COMM",
    "COMMENDATORE",
    "MAESTRO",
    "MO",
    "RAG",
    "RAGIONIERE",
    "GEOM",
    "ARCH",
    "PRESBITERO",
    "SAC",
    "SACERDOTE",
    "MED",
    "PITTORE",
    "POETA",
    "MARTIRE",
];

const MONTHS: &[&str] = &[
    "GENNAIO",
    "FEBBRAIO",
    "MARZO",
    "APRILE",
    "MAGGIO",
    "GIUGNO",
    "LUGLIO",
    "AGOSTO",
    "SETTEMBRE",
    "OTTOBRE",
    "NOVEMBRE",
    "DICEMBRE",
];

const UNITS: [&str; 10] = [
    "", "UNO", "DUE", "TRE", "QUATTRO", "CINQUE", "SEI", "SETTE", "OTTO", "NOVE",
];
const TEENS: [&str; 10] = [
    "DIECI",
    "UNDICI",
    "DODICI",
    "TREDICI",
    "QUATTORDICI",
    "QUINDICI",
    "SEDICI",
    "DICIASSETTE",
    "DICIOTTO",
    "DICIANNOVE",
];
const TENS: [&str; 10] = [
    "",
    "",
    "VENTI",
    "TRENTA",
    "QUARANTA",
    "CINQUANTA",
    "SESSANTA",
    "SETTANTA",
    "OTTANTA",
    "NOVANTA",
];

/// An Italian number word from 1 to 100 (`VENTI`, `VENTUNO`, `TRENTATRE`, `CENTO`).
pub fn number_word(w: &str) -> Option<u32> {
    if w == "CENTO" {
        return Some(100);
    }
    if let Some(u) = UNITS.iter().position(|&u| u == w).filter(|&u| u > 0) {
        return Some(u as u32);
    }
    if let Some(t) = TEENS.iter().position(|&t| t == w) {
        return Some(10 + t as u32);
    }
    for (t, tens) in TENS.iter().enumerate().skip(2) {
        let Some(rest) = w.strip_prefix(tens).or_else(|| {
            // elision before UNO and OTTO: VENTUNO, TRENTOTTO
            let short = &tens[..tens.len() - 1];
            w.strip_prefix(short)
                .filter(|r| r.starts_with('U') || r.starts_with('O'))
        }) else {
            continue;
        };
        if rest.is_empty() {
            return Some(10 * t as u32);
        }
        if let Some(u) = UNITS.iter().position(|&u| u == rest).filter(|&u| u > 0) {
            return Some(10 * t as u32 + u as u32);
        }
    }
    None
}

/// A number from 1 to 100 written in Italian words (`21` → `VENTUNO`), as
/// [`number_word`] reads it back.
pub fn number_in_words(n: u32) -> Option<String> {
    Some(match n {
        1..=9 => UNITS[n as usize].to_string(),
        10..=19 => TEENS[n as usize - 10].to_string(),
        20..=99 => {
            let (t, u) = (TENS[n as usize / 10], n as usize % 10);
            match u {
                0 => t.to_string(),
                // elision before UNO and OTTO: VENTUNO, TRENTOTTO
                1 | 8 => format!("{}{}", &t[..t.len() - 1], UNITS[u]),
                _ => format!("{t}{}", UNITS[u]),
            }
        }
        100 => "CENTO".to_string(),
        _ => return None,
    })
}

/// A Roman numeral made of `I`, `V` and `X` only (up to 39), written canonically.
pub fn roman(w: &str) -> Option<u32> {
    if w.is_empty() || w.len() > 7 || !w.bytes().all(|b| matches!(b, b'I' | b'V' | b'X')) {
        return None;
    }
    let val = |b: u8| match b {
        b'I' => 1,
        b'V' => 5,
        _ => 10,
    };
    let b = w.as_bytes();
    let mut total = 0i32;
    for i in 0..b.len() {
        let v = val(b[i]);
        if b.get(i + 1).is_some_and(|&n| val(n) > v) {
            total -= v;
        } else {
            total += v;
        }
    }
    let n = u32::try_from(total).ok().filter(|&n| n > 0)?;
    // only the canonical spelling (so that IIII or VX are not numbers)
    (to_roman(n) == w).then_some(n)
}

fn to_roman(mut n: u32) -> String {
    let mut s = String::new();
    for (v, r) in [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")] {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

/// A street name read into its kind and its name tokens (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Street {
    pub kind: Option<Kind>,
    pub tokens: Vec<String>,
    /// The name tokens with particles and titles kept: tells `VIA DEL GUANTO` from `VIA
    /// GUANTO` when a registry has both.
    pub with_particles: String,
}

impl Street {
    /// Reads a street name (no house number).
    pub fn parse(s: &str) -> Street {
        Street::from_words(&words(s))
    }

    pub fn from_words(ws: &[Word]) -> Street {
        let (kind, skip) = match leading_kind(ws) {
            // a kind alone is the name ("VIA" is no street, but "BORGO" may be one)
            Some((_, n)) if n == ws.len() => (None, 0),
            Some((k, n)) => (Some(k), n),
            None => (None, 0),
        };
        let rest = &ws[skip..];
        let all = name_tokens(rest, false);
        let tokens = name_tokens(rest, true);
        let tokens = if tokens.is_empty() {
            all.clone()
        } else {
            tokens
        };
        Street {
            kind,
            tokens,
            with_particles: all.join(" "),
        }
    }

    /// The name tokens joined by spaces: the key of the `normalised` method (with the kind).
    pub fn name_key(&self) -> String {
        self.tokens.join(" ")
    }
}

impl fmt::Display for Street {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(k) = self.kind {
            write!(f, "{k}")?;
            if !self.tokens.is_empty() {
                f.write_str(" ")?;
            }
        }
        f.write_str(&self.name_key())
    }
}

/// The name tokens of `ws` (a street name after its kind). With `drop`, particles and
/// titles are left out.
fn name_tokens(ws: &[Word], drop: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(ws.len());
    for (i, w) in ws.iter().enumerate() {
        let t = w.text.as_str();
        let before_month = ws
            .get(i + 1)
            .is_some_and(|n| MONTHS.contains(&n.text.as_str()));
        if w.is_digits() {
            let n = t.trim_start_matches('0');
            out.push(if n.is_empty() { "0" } else { n }.to_string());
            continue;
        }
        // a dotted letter is an initial ("E. FERMI"), never a particle
        let initial = w.dot && t.len() == 1;
        if drop && !initial {
            let elided = (t == "D" || t == "L") && w.apos;
            if elided || PARTICLES.contains(&t) || TITLES.contains(&t) {
                continue;
            }
        }
        let canon: Option<String> = match t {
            // "S." may be a saint or an initial ("S. PELLICO"): it stays an initial
            "STO" | "STA" | "SANTO" | "SANTA" | "SANT" | "SAN" => Some("SAN".into()),
            "SS" | "SANTI" | "SANTISSIMA" | "SANTISSIMO" | "SANTISSIMI" | "SSMA" => {
                Some("SS".into())
            }
            "FLLI" | "FRATELLI" => Some("FRATELLI".into()),
            "PRIMO" | "I" if before_month => Some("1".into()),
            "V" | "X" if before_month => roman(t).map(|n| n.to_string()),
            _ if t.len() >= 2 => roman(t).or_else(|| number_word(t)).map(|n| n.to_string()),
            _ => None,
        };
        out.push(canon.unwrap_or_else(|| t.to_string()));
    }
    out
}

/// Italian first names common in street names (typed by hand, sorted): the words a name
/// may lose and stay the same street (`VIA ALDO MORO` = `VIA MORO`).
pub const FIRST_NAMES: &[&str] = &[
    "ADOLFO",
    "AGOSTINO",
    "ALBERTO",
    "ALBINO",
    "ALCIDE",
    "ALDO",
    "ALESSANDRA",
    "ALESSANDRO",
    "ALFONSO",
    "ALFREDO",
    "ALIGHIERO",
    "AMEDEO",
    "AMERIGO",
    "AMILCARE",
    "ANDREA",
    "ANGELO",
    "ANGIOLO",
    "ANNA",
    "ANTONIETTA",
    "ANTONIO",
    "ARMANDO",
    "ARNALDO",
    "ARRIGO",
    "ARTURO",
    "ATTILIO",
    "AUGUSTO",
    "AURELIO",
    "BALDASSARRE",
    "BARTOLOMEO",
    "BASILIO",
    "BATTISTA",
    "BENEDETTO",
    "BENVENUTO",
    "BERNARDINO",
    "BERNARDO",
    "BETTINO",
    "BIAGIO",
    "BONIFACIO",
    "BRUNO",
    "CAMILLO",
    "CARLA",
    "CARLO",
    "CAROLINA",
    "CATERINA",
    "CESARE",
    "CIRO",
    "CLAUDIO",
    "CLEMENTE",
    "CORRADO",
    "COSIMO",
    "CRISTOFORO",
    "DANIELE",
    "DANTE",
    "DARIO",
    "DAVIDE",
    "DIEGO",
    "DINO",
    "DOMENICO",
    "DONATO",
    "DUCCIO",
    "EDMONDO",
    "EDOARDO",
    "EGIDIO",
    "ELENA",
    "ELEONORA",
    "ELIO",
    "EMANUELE",
    "EMILIA",
    "EMILIO",
    "ENNIO",
    "ENRICO",
    "ENZO",
    "ERNESTO",
    "ETTORE",
    "EUGENIO",
    "EZIO",
    "FABIO",
    "FABRIZIO",
    "FAUSTO",
    "FEDERICO",
    "FEDERIGO",
    "FELICE",
    "FERDINANDO",
    "FERRUCCIO",
    "FILIPPO",
    "FLAVIO",
    "FRANCESCA",
    "FRANCESCO",
    "FRANCO",
    "GABRIELE",
    "GAETANO",
    "GALILEO",
    "GASPARE",
    "GERARDO",
    "GIACINTO",
    "GIACOMO",
    "GIAN",
    "GIANNI",
    "GINO",
    "GIORGIO",
    "GIOSUE",
    "GIOVAN",
    "GIOVANNA",
    "GIOVANNI",
    "GIROLAMO",
    "GIULIA",
    "GIULIANO",
    "GIULIO",
    "GIUSEPPE",
    "GIUSEPPINA",
    "GOFFREDO",
    "GRAZIA",
    "GUALTIERO",
    "GUGLIELMO",
    "GUIDO",
    "IACOPO",
    "IGINO",
    "IGNAZIO",
    "ILARIO",
    "ITALO",
    "JACOPO",
    "LAURA",
    "LEONARDO",
    "LEONE",
    "LEOPOLDO",
    "LINO",
    "LORENZO",
    "LUCA",
    "LUCIA",
    "LUCIANO",
    "LUDOVICO",
    "LUIGI",
    "LUISA",
    "MANLIO",
    "MARCELLO",
    "MARCO",
    "MARGHERITA",
    "MARIA",
    "MARIANO",
    "MARINO",
    "MARIO",
    "MARTINO",
    "MASSIMO",
    "MATILDE",
    "MATTEO",
    "MAURIZIO",
    "MICHELANGELO",
    "MICHELE",
    "NAZARIO",
    "NELLO",
    "NERI",
    "NICCOLO",
    "NICOLA",
    "NICOLO",
    "NINO",
    "NORBERTO",
    "OLINTO",
    "ORAZIO",
    "OSCAR",
    "OTTAVIO",
    "PALMIRO",
    "PAOLO",
    "PASQUALE",
    "PIER",
    "PIERO",
    "PIETRO",
    "PIO",
    "RAFFAELE",
    "RAFFAELLO",
    "RENATO",
    "RICCARDO",
    "RINALDO",
    "ROBERTO",
    "ROCCO",
    "ROMOLO",
    "ROSA",
    "ROSARIO",
    "RUGGERO",
    "SALVATORE",
    "SALVO",
    "SANDRO",
    "SANTE",
    "SAVERIO",
    "SEBASTIANO",
    "SERGIO",
    "SILVIO",
    "SIMONE",
    "SOFIA",
    "STEFANO",
    "TEODORO",
    "TERESA",
    "TITO",
    "TOMMASO",
    "TULLIO",
    "UGO",
    "UGOLINO",
    "UMBERTO",
    "VALENTINO",
    "VASCO",
    "VINCENZO",
    "VITO",
    "VITTORIA",
    "VITTORIO",
];

/// Qualifiers that tell two streets apart: a name may not gain or lose one of them and stay
/// the same street (`VIA BOLOGNESE` is not `VIA BOLOGNESE NORD`).
const QUALIFIERS: &[&str] = &[
    "NORD",
    "SUD",
    "EST",
    "OVEST",
    "NUOVA",
    "NUOVO",
    "VECCHIA",
    "VECCHIO",
    "ALTA",
    "ALTO",
    "BASSA",
    "BASSO",
    "SUPERIORE",
    "INFERIORE",
    "SOPRA",
    "SOTTO",
    "PRIMA",
    "SECONDA",
    "TERZA",
    "INTERNA",
    "INTERNO",
    "ESTERNA",
    "ESTERNO",
    "PICCOLA",
    "PICCOLO",
    "GRANDE",
    "PRIVATA",
    "TRAVERSA",
    "VICINALE",
    "COMUNALE",
    "PROVINCIALE",
    "STATALE",
    "ANTICA",
    "ANTICO",
    "DESTRA",
    "SINISTRA",
    "PARALLELA",
    "SAN",
    "SS",
];

/// Whether the name `a` and the name `b` can be the same street written with first names
/// or titles left out, initials for names, or words in another order (`DANTE ALIGHIERI`,
/// `ALIGHIERI`, `D ALIGHIERI`, `ALIGHIERI DANTE`).
///
/// Every token of the shorter name must be matched to a distinct token of the longer: equal,
/// or an initial equal to the other token's first letter. Tokens of the longer name left
/// over must be initials or [`FIRST_NAMES`], and come before its last matched token (a
/// first name is left out, never a surname: `VIA DANTE` is not `VIA DANTE ALIGHIERI`, and
/// `VIA DEL POZZO` is not `VIA VIUCCIA DEL POZZO`). At least one matched pair must be a
/// whole word of 3 letters or more. With as many tokens on both sides, every token must be
/// matched (a reordering).
pub fn variant_of(a: &[String], b: &[String]) -> bool {
    match a.len().cmp(&b.len()) {
        std::cmp::Ordering::Less => variant_one_way(a, b),
        std::cmp::Ordering::Greater => variant_one_way(b, a),
        // as many tokens: initials may be on either side (`A VOLTA`, `ALESSANDRO VOLTA`)
        std::cmp::Ordering::Equal => variant_one_way(a, b) || variant_one_way(b, a),
    }
}

/// [`variant_of`] with `short` no longer than `long`.
fn variant_one_way(short: &[String], long: &[String]) -> bool {
    if short.is_empty() {
        return false;
    }
    let mut used = vec![false; long.len()];
    let mut strong = false;
    // whole words first, then initials, so that an initial never takes a whole word's pair
    for t in short.iter().filter(|t| t.len() > 1 || is_digit_token(t)) {
        let Some(j) = (0..long.len()).find(|&j| !used[j] && long[j] == *t) else {
            return false;
        };
        used[j] = true;
        if t.len() >= 3 && !is_digit_token(t) {
            strong = true;
        }
    }
    for t in short.iter().filter(|t| t.len() == 1 && !is_digit_token(t)) {
        let Some(j) = (0..long.len())
            .find(|&j| !used[j] && !is_digit_token(&long[j]) && long[j].starts_with(t.as_str()))
        else {
            return false;
        };
        used[j] = true;
    }
    if !strong {
        return false;
    }
    let Some(last_used) = used.iter().rposition(|&u| u) else {
        return false;
    };
    long.iter().enumerate().all(|(j, t)| {
        used[j]
            || (j < last_used
                && !QUALIFIERS.contains(&t.as_str())
                && (is_initial(t) || FIRST_NAMES.binary_search(&t.as_str()).is_ok()))
    })
}

fn is_initial(t: &str) -> bool {
    t.len() == 1 && !is_digit_token(t)
}

fn is_digit_token(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// The words of a free text for search (lower case): street types written in full where
/// they are abbreviated (`p.zza` → `piazza`, anywhere for abbreviations of two letters or
/// more, first word only for `v.` and `p.`), particles left out (unless the text has
/// nothing else), saints and numbers as in [`Street::parse`].
pub fn search_words(s: &str) -> Vec<String> {
    let ws = words(s);
    let mut out = Vec::with_capacity(ws.len());
    let mut i = 0;
    while i < ws.len() {
        let kind = if i == 0 {
            leading_kind(&ws)
        } else {
            Kind::of_word(&ws[i].text).map(|k| (k, 1))
        };
        if let Some((k, n)) = kind {
            out.extend(k.as_str().split(' ').map(str::to_ascii_lowercase));
            i += n;
            continue;
        }
        // the rest up to the next kind word, as a name
        let end = (i + 1..ws.len())
            .find(|&j| Kind::of_word(&ws[j].text).is_some())
            .unwrap_or(ws.len());
        let toks = name_tokens(&ws[i..end], true);
        out.extend(toks.into_iter().map(|t| t.to_lowercase()));
        i = end;
    }
    // a text of particles only keeps them
    if out.is_empty() {
        out = name_tokens(&ws, false)
            .into_iter()
            .map(|t| t.to_lowercase())
            .collect();
    }
    out
}
