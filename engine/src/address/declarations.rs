//! Declarations keyed by address, placed on registry units.
//!
//! A declaration attaches an operator's offer to one unit, so only a match that names the
//! very civico places it: `exact`, `normalised` or `fuzzy_street` ([`Method::is_civico`]).
//! Anything less (the nearest number, the street, the comune) would give the offer to a
//! neighbour: such declarations are not placed and come back as rejects that say why.

use crate::error::Reject;
use crate::io::read::AddressedDeclaration;
use crate::model::Declaration;
use crate::units::Units;

use super::{Matcher, Method};

/// The outcome of [`place_declarations`].
#[derive(Debug, Clone, Default)]
pub struct Placed {
    /// The placed declarations, keyed by the matched unit's id.
    pub declarations: Vec<Declaration>,
    /// How many declarations each method matched, in the order of [`Method::ALL`].
    pub methods: [usize; 7],
    /// The declarations not placed, with the reason.
    pub not_placed: Vec<Reject>,
}

/// Matches every declaration's address against `matcher` (built on `units`).
pub fn place_declarations(
    matcher: &Matcher,
    units: &Units,
    list: &[AddressedDeclaration],
) -> Placed {
    let queries: Vec<(&str, &str, Option<&str>)> = list
        .iter()
        .map(|d| (d.comune.as_str(), d.street.as_str(), d.civico.as_deref()))
        .collect();
    let found = matcher.find_all(&queries);
    let mut out = Placed::default();
    for (d, m) in list.iter().zip(found) {
        if let Some(k) = Method::ALL.iter().position(|&x| x == m.method) {
            out.methods[k] += 1;
        }
        match m.unit.filter(|_| m.method.is_civico()) {
            Some(u) => out.declarations.push(Declaration {
                unit_id: units.ids.get(u as usize).to_string(),
                offer: d.offer,
            }),
            None => out.not_placed.push(Reject {
                at: d.at.clone(),
                message: format!(
                    "declaration not placed: the address matched {} only{}; a declaration \
                     needs an exact, normalised or fuzzy_street match",
                    m.method.as_str(),
                    if m.note.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", m.note)
                    }
                ),
            }),
        }
    }
    out
}
