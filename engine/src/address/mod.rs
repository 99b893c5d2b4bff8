//! Matching addresses to the registry the way a patient clerk would: Infratel's lists of
//! civici, operators' declarations and the public map's search all arrive as text.
//!
//! - [`normalise`]: Italian street names folded and read into a street type ([`Kind`]) and
//!   name tokens (abbreviations, particles, titles, saints, numbers in words);
//! - [`number`]: house numbers with their suffixes in any form, civici without a number,
//!   kilometre markers, and splitting a whole address into street and civico;
//! - [`fuzzy`]: the edit-distance threshold (precision first) and its trigram filter;
//! - [`street_index`]: one comune's streets, found exactly, normalised, as a variant (first
//!   names, initials, order) or fuzzily; ambiguity is reported, never guessed;
//! - [`matcher`]: the registry indexed by comune, and the [`Method`] of each match;
//! - [`declarations`]: declarations keyed by address placed on units (civico-level
//!   matches only).
//!
//! The registry's addresses are read from its `address` column (the readers compose it from
//! split street type / name / number / suffix columns: see [`crate::io::read`]).

pub mod declarations;
pub mod fuzzy;
pub mod matcher;
pub mod normalise;
pub mod number;
pub mod street_index;

#[cfg(test)]
mod tests;

pub use declarations::{place_declarations, Placed};
pub use matcher::{Match, Matcher, Method, RegistryStats};
pub use normalise::{search_words, Kind, Street};
pub use number::{parse_civico, Civico};
