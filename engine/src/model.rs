//! The domain model: technologies, offers, footprints and the string interner they share.
//!
//! An [`Offer`] is one operator's network serving a place. It reaches housing units in one of
//! three ways: a [`Footprint`] polygon (spatial join), a [`Declaration`] naming a unit id
//! (attribute join), or a [`RasterCoverage`] band sampled at each unit (mobile coverage; see
//! [`crate::mobile`]).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Access technology of an offer. The numeric value is the bit position in [`TechMask`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Technology {
    Ftth = 0,
    Fttb = 1,
    Fttc = 2,
    Vdsl = 3,
    Adsl = 4,
    Cable = 5,
    Fwa = 6,
    Sat = 7,
    Mobile4g = 8,
    Mobile5g = 9,
}

impl Technology {
    pub const ALL: [Technology; 10] = [
        Technology::Ftth,
        Technology::Fttb,
        Technology::Fttc,
        Technology::Vdsl,
        Technology::Adsl,
        Technology::Cable,
        Technology::Fwa,
        Technology::Sat,
        Technology::Mobile4g,
        Technology::Mobile5g,
    ];

    /// The canonical spelling used in files and outputs (`FTTH`, `4G`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Technology::Ftth => "FTTH",
            Technology::Fttb => "FTTB",
            Technology::Fttc => "FTTC",
            Technology::Vdsl => "VDSL",
            Technology::Adsl => "ADSL",
            Technology::Cable => "CABLE",
            Technology::Fwa => "FWA",
            Technology::Sat => "SAT",
            Technology::Mobile4g => "4G",
            Technology::Mobile5g => "5G",
        }
    }

    /// True for cellular mobile networks (4G, 5G).
    pub fn is_mobile(self) -> bool {
        matches!(self, Technology::Mobile4g | Technology::Mobile5g)
    }

    pub fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

impl fmt::Display for Technology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`Technology::from_str`]: the text is not one of the known technologies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTechnology(pub String);

impl fmt::Display for UnknownTechnology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown technology {:?} (expected one of FTTH, FTTB, FTTC, VDSL, ADSL, CABLE, FWA, SAT, 4G, 5G)",
            self.0
        )
    }
}

impl std::error::Error for UnknownTechnology {}

impl FromStr for Technology {
    type Err = UnknownTechnology;

    /// Case-insensitive; accepts `LTE` for 4G and `NR` for 5G, and ignores surrounding blanks.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_uppercase();
        Ok(match t.as_str() {
            "FTTH" => Technology::Ftth,
            "FTTB" => Technology::Fttb,
            "FTTC" => Technology::Fttc,
            "VDSL" | "VDSL2" => Technology::Vdsl,
            "ADSL" | "ADSL2" | "ADSL2+" => Technology::Adsl,
            "CABLE" | "DOCSIS" => Technology::Cable,
            "FWA" => Technology::Fwa,
            "SAT" | "SATELLITE" => Technology::Sat,
            "4G" | "LTE" => Technology::Mobile4g,
            "5G" | "NR" => Technology::Mobile5g,
            _ => return Err(UnknownTechnology(s.to_string())),
        })
    }
}

/// A set of technologies, one bit per [`Technology`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TechMask(pub u16);

impl TechMask {
    pub fn contains(self, t: Technology) -> bool {
        self.0 & t.bit() != 0
    }
    pub fn insert(&mut self, t: Technology) {
        self.0 |= t.bit();
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Technology> {
        Technology::ALL
            .into_iter()
            .filter(move |t| self.contains(*t))
    }
}

impl fmt::Display for TechMask {
    /// `FTTH|FWA|5G`, in the order of [`Technology::ALL`]; empty for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for t in self.iter() {
            if !first {
                f.write_str("|")?;
            }
            f.write_str(t.as_str())?;
            first = false;
        }
        Ok(())
    }
}

/// Whether an offer exists today or is planned for a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Existing,
    Planned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Existing => "existing",
            Status::Planned => "planned",
        }
    }
}

impl FromStr for Status {
    type Err = String;
    /// `existing` / `planned`, case-insensitive (Italian `esistente` / `pianificato` too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "existing" | "esistente" | "current" => Ok(Status::Existing),
            "planned" | "pianificato" | "previsto" => Ok(Status::Planned),
            _ => Err(format!(
                "unknown status {s:?} (expected existing or planned)"
            )),
        }
    }
}

/// Index of an interned string in an [`Interner`].
pub type Sym = u32;

/// A string table: each distinct string gets a dense `u32` id.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    names: Vec<String>,
    index: HashMap<String, Sym>,
}

impl Interner {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn intern(&mut self, s: &str) -> Sym {
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = self.names.len() as Sym;
        self.names.push(s.to_string());
        self.index.insert(s.to_string(), id);
        id
    }
    pub fn get(&self, s: &str) -> Option<Sym> {
        self.index.get(s).copied()
    }
    pub fn name(&self, id: Sym) -> &str {
        &self.names[id as usize]
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

/// The attributes of one offer, as read from a footprint feature or a declaration row.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferAttrs {
    pub operator: String,
    /// Owner of the physical network; equals `operator` when the input does not say.
    pub infrastructure: String,
    pub technology: Technology,
    pub down_mbps: f64,
    pub up_mbps: f64,
    /// Peak-hour download speed; `None` when the input does not give it (never defaulted).
    pub peak_down_mbps: Option<f64>,
    pub peak_up_mbps: Option<f64>,
    pub status: Status,
    /// Year the coverage is (or was) available. Required when `status` is planned.
    pub year: Option<i32>,
    /// For FWA: whether it uses licensed spectrum. True when not given.
    pub licensed: bool,
}

/// One offer stored in an [`Offers`] table, with interned names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    pub operator: Sym,
    pub infrastructure: Sym,
    pub technology: Technology,
    pub down_mbps: f32,
    pub up_mbps: f32,
    pub peak_down_mbps: Option<f32>,
    pub peak_up_mbps: Option<f32>,
    pub status: Status,
    pub year: Option<i32>,
    pub licensed: bool,
    /// Index into [`Offers::sources`]: the dataset this offer came from.
    pub source: u32,
}

/// A dataset that offers were read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// The file path as given by the user.
    pub path: String,
    pub kind: SourceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Footprints,
    Declarations,
    /// A coverage raster (one offer per band).
    Raster,
}

/// All offers of one run, with the operator / infrastructure names they refer to.
#[derive(Debug, Clone, Default)]
pub struct Offers {
    pub offers: Vec<Offer>,
    /// Operator and infrastructure names share one interner, so that an operator that owns
    /// its network and an `infrastructure` value naming it resolve to the same id.
    pub names: Interner,
    pub sources: Vec<SourceInfo>,
}

impl Offers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_source(&mut self, path: &str, kind: SourceKind) -> u32 {
        self.sources.push(SourceInfo {
            path: path.to_string(),
            kind,
        });
        (self.sources.len() - 1) as u32
    }

    /// Stores an offer and returns its index.
    pub fn push(&mut self, a: &OfferAttrs, source: u32) -> u32 {
        let operator = self.names.intern(&a.operator);
        let infrastructure = self.names.intern(&a.infrastructure);
        self.offers.push(Offer {
            operator,
            infrastructure,
            technology: a.technology,
            down_mbps: a.down_mbps as f32,
            up_mbps: a.up_mbps as f32,
            peak_down_mbps: a.peak_down_mbps.map(|v| v as f32),
            peak_up_mbps: a.peak_up_mbps.map(|v| v as f32),
            status: a.status,
            year: a.year,
            licensed: a.licensed,
            source,
        });
        (self.offers.len() - 1) as u32
    }

    pub fn len(&self) -> usize {
        self.offers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }
}

/// A coverage polygon of one offer. Coordinates are lon/lat (EPSG:4326).
#[derive(Debug, Clone, PartialEq)]
pub struct Footprint {
    pub offer: u32,
    pub geometry: geo::MultiPolygon<f64>,
}

/// A per-address declaration: `offer` reaches the unit whose id is `unit_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    pub unit_id: String,
    pub offer: u32,
}

/// What the pixels of a coverage raster measure (the raster's `VALUE` metadata item).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// Expected download speed, Mbit/s (`down_mbps`).
    DownMbps,
    /// Download speed at peak hours, Mbit/s (`peak_down_mbps`).
    PeakDownMbps,
    /// Reference signal received power, dBm (`rsrp_dbm`); a rule set's `[[signal]]` table
    /// maps it to speeds.
    RsrpDbm,
}

impl ValueKind {
    pub const ALL: [ValueKind; 3] = [
        ValueKind::DownMbps,
        ValueKind::PeakDownMbps,
        ValueKind::RsrpDbm,
    ];

    /// The spelling of the `VALUE` metadata item.
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::DownMbps => "down_mbps",
            ValueKind::PeakDownMbps => "peak_down_mbps",
            ValueKind::RsrpDbm => "rsrp_dbm",
        }
    }
}

impl FromStr for ValueKind {
    type Err = String;
    /// `down_mbps`, `peak_down_mbps` or `rsrp_dbm`, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        ValueKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| {
                format!("unknown value kind {s:?} (expected down_mbps, peak_down_mbps or rsrp_dbm)")
            })
    }
}

/// One band of a coverage raster: the offer it stands for (operator, technology, status,
/// year; its speeds are per pixel) and its pixels.
#[derive(Debug, Clone)]
pub struct RasterCoverage {
    pub offer: u32,
    pub kind: ValueKind,
    /// Upload speed of the whole band (`UP_MBPS`), when the raster says; unknown otherwise.
    pub up_mbps: Option<f32>,
    pub band: std::sync::Arc<crate::mobile::Band>,
}

/// Everything that reaches units in one run: offers and the ways they reach units.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    pub offers: Offers,
    pub footprints: Vec<Footprint>,
    pub declarations: Vec<Declaration>,
    pub rasters: Vec<RasterCoverage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn technology_parses_case_insensitively_and_rejects_unknown() {
        assert_eq!("ftth".parse::<Technology>().unwrap(), Technology::Ftth);
        assert_eq!(" 5g ".parse::<Technology>().unwrap(), Technology::Mobile5g);
        assert_eq!("LTE".parse::<Technology>().unwrap(), Technology::Mobile4g);
        let e = "FIBER".parse::<Technology>().unwrap_err();
        assert!(e.to_string().contains("\"FIBER\""));
    }

    #[test]
    fn tech_mask_displays_in_canonical_order() {
        let mut m = TechMask::default();
        m.insert(Technology::Mobile5g);
        m.insert(Technology::Ftth);
        m.insert(Technology::Fwa);
        assert_eq!(m.to_string(), "FTTH|FWA|5G");
        assert_eq!(TechMask::default().to_string(), "");
    }

    #[test]
    fn interner_gives_dense_stable_ids() {
        let mut i = Interner::new();
        assert_eq!(i.intern("OPA"), 0);
        assert_eq!(i.intern("OPB"), 1);
        assert_eq!(i.intern("OPA"), 0);
        assert_eq!(i.name(1), "OPB");
    }
}
