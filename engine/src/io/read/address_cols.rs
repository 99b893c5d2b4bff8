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
//!
//! Lists of addresses to match (`bianca match`, declarations keyed by address) name their
//! columns the same way, plus a comune ([`QueryCols`]).

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

/// Column names of the comune in lists of addresses, most specific first: an ISTAT code
/// column wins over a name column when a file has both.
pub const COMUNE: &[&str] = &[
    "com_istat_code",
    "pro_com_t",
    "istat_comune",
    "codice_istat",
    "comune",
    "municipality",
];

/// Where a list of addresses keeps the comune, the street and the civico.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryCols {
    pub comune: usize,
    /// Street type, when it has its own column.
    pub kind: Option<usize>,
    /// The street, or the whole address.
    pub street: usize,
    pub number: Option<usize>,
    pub suffix: Option<usize>,
}

/// Field names chosen by the user (`--comune-field` and friends); `None`: found by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryFields {
    pub comune: Option<String>,
    pub street: Option<String>,
    pub number: Option<String>,
}

impl QueryCols {
    /// The columns of a list of addresses. `index` looks a lowercase name up; `missing`
    /// makes the error for an absent column. A field named in `fields` must exist; without
    /// one, the comune is the first of [`COMUNE`], the street an address column, else a
    /// street name column with its type, number and suffix columns.
    pub fn find(
        index: &dyn Fn(&str) -> Option<usize>,
        fields: &QueryFields,
        missing: &dyn Fn(&str) -> crate::Error,
    ) -> crate::Result<QueryCols> {
        let named = |f: &str| index(&f.trim().to_lowercase()).ok_or_else(|| missing(f));
        let first = |names: &[&str]| names.iter().find_map(|n| index(n));
        let comune = match &fields.comune {
            Some(f) => named(f)?,
            None => first(COMUNE).ok_or_else(|| missing("comune"))?,
        };
        let mut q = match &fields.street {
            Some(f) => QueryCols {
                comune,
                kind: None,
                street: named(f)?,
                number: first(NUMBER),
                suffix: first(SUFFIX),
            },
            None => match AddressCols::find(index) {
                Some(AddressCols::Whole(i)) => QueryCols {
                    comune,
                    kind: None,
                    street: i,
                    number: None,
                    suffix: None,
                },
                Some(AddressCols::Split {
                    kind,
                    name,
                    number,
                    suffix,
                }) => QueryCols {
                    comune,
                    kind,
                    street: name,
                    number,
                    suffix,
                },
                None => {
                    return Err(missing(
                        "address (or a street column: street, strada, denominazione...)",
                    ))
                }
            },
        };
        if let Some(f) = &fields.number {
            q.number = Some(named(f)?);
        }
        // a column cannot be both the street and its number
        if q.number == Some(q.street) {
            q.number = None;
            q.suffix = None;
        }
        Ok(q)
    }

    /// The street of a row (with its type when that has a column of its own).
    pub fn street<'a>(&self, get: &dyn Fn(usize) -> Option<&'a str>) -> std::borrow::Cow<'a, str> {
        let name = get(self.street).unwrap_or("").trim();
        match self
            .kind
            .and_then(get)
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            Some(k) => compose_parts(k, name, "", "").into(),
            None => name.into(),
        }
    }

    /// The civico of a row, `None` when the list has no number column (the civico is then
    /// read from the end of the street).
    pub fn civico<'a>(
        &self,
        get: &dyn Fn(usize) -> Option<&'a str>,
    ) -> Option<std::borrow::Cow<'a, str>> {
        let n = get(self.number?).unwrap_or("").trim();
        match self
            .suffix
            .and_then(get)
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) if !n.is_empty() => Some(format!("{n}/{s}").into()),
            _ => Some(n.into()),
        }
    }

    /// Every column read.
    pub fn columns(&self) -> Vec<usize> {
        [
            Some(self.comune),
            self.kind,
            Some(self.street),
            self.number,
            self.suffix,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
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

    #[test]
    fn lists_of_addresses_find_their_columns() {
        let names = [
            "regione",
            "comune",
            "com_istat_code",
            "strada",
            "civico",
            "stato",
        ];
        let find = |k: &str| names.iter().position(|n| *n == k);
        let missing = |c: &str| crate::Error::Invalid(format!("missing {c}"));
        let q = QueryCols::find(&find, &QueryFields::default(), &missing).unwrap();
        assert_eq!(
            (q.comune, q.street, q.number, q.kind),
            (2, 3, Some(4), None)
        );
        let fields = QueryFields {
            comune: Some("COMUNE".into()),
            street: Some("strada".into()),
            number: None,
        };
        let q = QueryCols::find(&find, &fields, &missing).unwrap();
        assert_eq!((q.comune, q.street, q.number), (1, 3, Some(4)));
        let vals = ["", "PRATO", "100005", "VIA ROMA", "7", ""];
        let get = |i: usize| vals.get(i).copied();
        assert_eq!(q.street(&get), "VIA ROMA");
        assert_eq!(q.civico(&get).as_deref(), Some("7"));
        let fields = QueryFields {
            number: Some("nope".into()),
            ..QueryFields::default()
        };
        let e = QueryCols::find(&find, &fields, &missing).unwrap_err();
        assert_eq!(e.to_string(), "missing nope");
        let names = [
            "id",
            "comune",
            "dug",
            "denominazione",
            "civico",
            "esponente",
        ];
        let find = |k: &str| names.iter().position(|n| *n == k);
        let q = QueryCols::find(&find, &QueryFields::default(), &missing).unwrap();
        let vals = ["1", "Prato", "P.ZZA", "DUOMO", "3", "B"];
        let get = |i: usize| vals.get(i).copied();
        assert_eq!(q.street(&get), "P.ZZA DUOMO");
        assert_eq!(q.civico(&get).as_deref(), Some("3/B"));
    }
}
