//! A registry's address: one column, or split into street type, street name, number and
//! suffix (as in ANNCSU-style registries: `dug`, `denominazione`, `civico`, `esponente`).
//!
//! Column names, lowercase, the first present of each list:
//!
//! | part | names |
//! |---|---|
//! | whole address | `address`, `indirizzo` |
//! | street type | `street_type`, `dug`, `tipo_via` |
//! | street name | `street_name`, `street`, `denominazione`, `toponimo`, `strada` |
//! | number | `number`, `house_number`, `civico`, `numero` |
//! | suffix | `suffix`, `esponente`, `barrato` |
//!
//! A whole `address` column wins. Otherwise a street name column makes the address, the
//! other parts being optional: the parts are joined as `TYPE NAME, NUMBER/SUFFIX` (the
//! comma tells the matcher where the street ends, so a name ending in a number, such as
//! `STRADA PROVINCIALE 13`, stays whole), `TYPE NAME` when the number is blank. A type
//! already at the start of the name is not repeated (`VIA` + `VIA ROMA`).

/// Where the address is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressCols {
    Whole(usize),
    Split {
        kind: Option<usize>,
        name: usize,
        number: Option<usize>,
        suffix: Option<usize>,
    },
}

pub const WHOLE: &[&str] = &["address", "indirizzo"];
pub const STREET_TYPE: &[&str] = &["street_type", "dug", "tipo_via"];
pub const STREET_NAME: &[&str] = &[
    "street_name",
    "street",
    "denominazione",
    "toponimo",
    "strada",
];
pub const NUMBER: &[&str] = &["number", "house_number", "civico", "numero"];
pub const SUFFIX: &[&str] = &["suffix", "esponente", "barrato"];

impl AddressCols {
    /// The address columns, from a lookup of lowercase column names.
    pub fn find(index: &dyn Fn(&str) -> Option<usize>) -> Option<AddressCols> {
        let first = |names: &[&str]| names.iter().find_map(|n| index(n));
        if let Some(i) = first(WHOLE) {
            return Some(AddressCols::Whole(i));
        }
        Some(AddressCols::Split {
            name: first(STREET_NAME)?,
            kind: first(STREET_TYPE),
            number: first(NUMBER),
            suffix: first(SUFFIX),
        })
    }

    /// The columns read, whole or parts.
    pub fn columns(&self) -> Vec<usize> {
        match *self {
            AddressCols::Whole(i) => vec![i],
            AddressCols::Split {
                kind,
                name,
                number,
                suffix,
            } => [kind, Some(name), number, suffix]
                .into_iter()
                .flatten()
                .collect(),
        }
    }

    /// Whether the address is split in parts.
    pub fn is_split(&self) -> bool {
        matches!(self, AddressCols::Split { .. })
    }

    /// The address of one row, from its values (`get` returns a trimmed value or `None`).
    pub fn compose<'a>(&self, get: &dyn Fn(usize) -> Option<&'a str>) -> std::borrow::Cow<'a, str> {
        match *self {
            AddressCols::Whole(i) => get(i).unwrap_or("").into(),
            AddressCols::Split {
                kind,
                name,
                number,
                suffix,
            } => {
                let part = |c: Option<usize>| c.and_then(get).map(str::trim).unwrap_or("");
                compose_parts(part(kind), part(Some(name)), part(number), part(suffix)).into()
            }
        }
    }
}

/// `TYPE NAME, NUMBER/SUFFIX` (see the module documentation).
pub fn compose_parts(kind: &str, name: &str, number: &str, suffix: &str) -> String {
    let mut s = String::with_capacity(kind.len() + name.len() + number.len() + suffix.len() + 4);
    let repeated = !kind.is_empty()
        && name
            .get(..kind.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(kind))
        && name.as_bytes().get(kind.len()) == Some(&b' ');
    if !kind.is_empty() && !repeated {
        s.push_str(kind);
        if !name.is_empty() {
            s.push(' ');
        }
    }
    s.push_str(name);
    if !number.is_empty() {
        s.push_str(", ");
        s.push_str(number);
        if !suffix.is_empty() {
            s.push('/');
            s.push_str(suffix);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_compose_into_one_address() {
        assert_eq!(compose_parts("VIA", "ROMA", "7", "A"), "VIA ROMA, 7/A");
        assert_eq!(compose_parts("Via", "Via Roma", "7", ""), "Via Roma, 7");
        assert_eq!(
            compose_parts("", "STRADA PROVINCIALE 13", "", ""),
            "STRADA PROVINCIALE 13"
        );
        assert_eq!(compose_parts("VIA", "ROMA", "", "A"), "VIA ROMA");
        let names = ["id", "dug", "denominazione", "civico", "esponente"];
        let find = |k: &str| names.iter().position(|n| *n == k);
        assert_eq!(
            AddressCols::find(&find),
            Some(AddressCols::Split {
                kind: Some(1),
                name: 2,
                number: Some(3),
                suffix: Some(4)
            })
        );
        let names = ["id", "address", "street"];
        let find = |k: &str| names.iter().position(|n| *n == k);
        assert_eq!(AddressCols::find(&find), Some(AddressCols::Whole(1)));
        let names = ["id", "civico"];
        let find = |k: &str| names.iter().position(|n| *n == k);
        assert_eq!(AddressCols::find(&find), None);
    }
}
