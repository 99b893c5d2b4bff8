//! bianca-engine: the domain and the algorithms of bianca, with no HTTP and no SQL.
//!
//! - [`address`]: matching addresses (comune, street, civico) to registry units: Italian
//!   normalisation, fuzzy streets, the method of each match;
//! - [`model`], [`units`]: housing units (columnar), offers, footprints, declarations;
//! - [`io`]: reading every supported input format (reprojected to EPSG:4326) and writing
//!   outputs atomically;
//! - [`join`]: the point-in-polygon join (index / probe / refine) and its brute-force oracle;
//! - [`rules`]: rule sets (TOML) and their evaluation per unit;
//! - [`classify`]: the parallel classification of a registry (footprints, declarations and
//!   coverage rasters);
//! - [`mobile`]: coverage rasters, their sampling, and the Italia 5G and H3 grids;
//! - [`stats`]: per-area statistics;
//! - [`progress`]: deployment progress uploads (BUL per comune, per address, mobile sites):
//!   parsing, validation, the history and its reports "as of" a date;
//! - [`synth`]: a deterministic synthetic Tuscany for demos, tests and benchmarks.

pub mod address;
pub mod areas;
pub mod classify;
pub mod error;
pub mod io;
pub mod istat;
pub mod join;
pub mod mobile;
pub mod model;
pub mod progress;
pub mod rules;
pub(crate) mod scatter;
pub mod stats;
pub mod synth;
pub mod table;
pub mod unit_table;
pub mod units;

pub use error::{Error, Location, OnError, Reject, Result};
