//! Deployment progress: what Infratel and the operators report of the subsidised rollout
//! (the BUL plan, Italia 1 Giga, Italia 5G), and the state of the work "as of" any date.
//!
//! Three input formats ([`Format`]), all CSV:
//! - **bul**: the national BUL portal's open data per comune, as published
//!   (`region_name, province_name, city_name, city_id, fiber_work_status, ...`); one row
//!   gives up to three [`Item`]s: the fibre work (`FTTH`, carrying the base plan's housing
//!   units `ui_piano_base`), the wireless work (`FWA`) and the PCN (`PCN`), each with its
//!   status. The file carries no date: the upload says which date it reports;
//! - **civico**: operators' per-address progress, one row per civico x plan x technology;
//! - **sites**: mobile sites (Italia 5G backhaul and densification).
//!
//! [`parse`] reads a file into items and a list of [`Problem`]s by row and field;
//! [`validate`] adds the checks that need more than one row (duplicates, steps back,
//! the uploader's operator); [`history::History`] keeps every version of every item and
//! rebuilds the state as of a date; [`report`] sums it per area, plan and technology.

pub mod history;
pub mod parse;
pub mod report;
pub mod resolve;
pub mod status;
pub mod validate;

pub use history::History;
pub use parse::{parse, Parsed};
pub use status::Status;

use chrono::NaiveDate;
use serde::Serialize;
use std::fmt;

/// The format of a progress file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Bul,
    Civico,
    Sites,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Bul, Format::Civico, Format::Sites];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Bul => "bul",
            Format::Civico => "civico",
            Format::Sites => "sites",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The public plan (or private initiative) a piece of work belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Plan {
    /// Piano Banda Ultra Larga, white areas (Infratel, Open Fiber concession).
    #[serde(rename = "BUL")]
    Bul,
    /// Piano Italia 1 Giga (PNRR).
    #[serde(rename = "PI1G")]
    Pi1g,
    /// Piano Italia 5G (PNRR).
    #[serde(rename = "PI5G")]
    Pi5g,
    /// An operator's own investment.
    #[serde(rename = "PRIVATE")]
    Private,
    /// A region's own plan.
    #[serde(rename = "REGIONAL")]
    Regional,
}

impl Plan {
    pub const ALL: [Plan; 5] = [
        Plan::Bul,
        Plan::Pi1g,
        Plan::Pi5g,
        Plan::Private,
        Plan::Regional,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Bul => "BUL",
            Plan::Pi1g => "PI1G",
            Plan::Pi5g => "PI5G",
            Plan::Private => "PRIVATE",
            Plan::Regional => "REGIONAL",
        }
    }

    pub fn parse(s: &str) -> Option<Plan> {
        Plan::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an item describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A comune's work (BUL open data).
    Comune,
    /// One civico (address) of an operator's plan.
    Civico,
    /// A mobile site.
    Site,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Comune => "comune",
            ItemKind::Civico => "civico",
            ItemKind::Site => "site",
        }
    }

    pub fn parse(s: &str) -> Option<ItemKind> {
        [ItemKind::Comune, ItemKind::Civico, ItemKind::Site]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One reported state of one piece of work. Items with the same `key` are versions of the
/// same work; the one with the latest `status_date` on or before a date is its state then.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub kind: ItemKind,
    /// Identity across uploads: `bul:<code in file>:<technology>`,
    /// `civico:<operator>:<plan>:<technology>:<civico id>`,
    /// `site:<operator>:<plan>:<technology>:<site id>`.
    pub key: String,
    pub operator: String,
    pub plan: Plan,
    pub lot: Option<String>,
    /// The current ISTAT code of the comune (after [`resolve`]).
    pub comune: String,
    /// The code as the file wrote it.
    pub source_comune: String,
    /// `FTTH`, `FWA`, `4G`, `5G`, ... and `PCN` for the BUL file's PCN work.
    pub technology: String,
    pub status: Status,
    /// The status as the file wrote it (e.g. "collaudo terminato").
    pub status_text: String,
    pub status_date: NaiveDate,
    /// Housing units (UI) concerned; 0 for sites and for the BUL file's FWA and PCN work.
    pub units: i64,
    pub planned_start: Option<NaiveDate>,
    pub planned_ready: Option<NaiveDate>,
    pub ready_date: Option<NaiveDate>,
    pub sellable_date: Option<NaiveDate>,
    pub max_down: Option<f64>,
    pub max_up: Option<f64>,
    pub note: Option<String>,
    /// The civico's id (per-address) or the site's id.
    pub ref_id: Option<String>,
    pub street: Option<String>,
    pub number: Option<String>,
    /// The comune's name as written (BUL) or the site type (sites).
    pub name: Option<String>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// The source row's other columns, as a JSON object (BUL: the whole row).
    pub extra: Option<String>,
    /// The row of the file (line number, header = 1).
    pub row: u64,
}

impl Item {
    /// Late on `as_of`: a planned ready date before it and the work not done (excluded
    /// work is never late).
    pub fn is_late(&self, as_of: NaiveDate) -> bool {
        self.planned_ready.is_some_and(|d| d < as_of)
            && !self.status.is_done()
            && self.status != Status::Excluded
    }
}

/// One problem of an upload, by row and field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Line of the file (header = 1); 0 for the file as a whole.
    pub row: u64,
    pub field: String,
    pub value: String,
    pub message: String,
}

impl Problem {
    pub fn new(row: u64, field: &str, value: &str, message: impl Into<String>) -> Problem {
        Problem {
            row,
            field: field.to_string(),
            value: value.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row > 0 {
            write!(f, "row {}, ", self.row)?;
        }
        write!(f, "{}", self.field)?;
        if !self.value.is_empty() {
            write!(f, " {:?}", self.value)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A comune code of the file that is not current, and the comune it was resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    pub row: u64,
    pub code_in_file: String,
    pub name_in_file: String,
    pub code: String,
    pub name: String,
    pub method: resolve::Method,
}
