//! The national list of Italian comuni (ISTAT, June 2023; "ISTAT / Openpolis geojson-italy",
//! CC BY 4.0), compiled in: names areas and gives each comune its province and region.

use std::collections::HashMap;
use std::sync::OnceLock;

const COMUNI_CSV: &str = include_str!("../../data/istat/comuni.csv");

/// One comune of the reference list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comune {
    pub code: &'static str,
    pub name: &'static str,
    pub province_code: &'static str,
    pub province_acronym: &'static str,
    pub province_name: &'static str,
    pub region_code: &'static str,
    pub region_name: &'static str,
}

fn table() -> &'static HashMap<&'static str, Comune> {
    static TABLE: OnceLock<HashMap<&'static str, Comune>> = OnceLock::new();
    TABLE.get_or_init(|| {
        COMUNI_CSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                // the file has no quoted fields (its SOURCE.md checks that)
                let f: Vec<&'static str> = line.split(',').collect();
                (f.len() >= 7).then(|| {
                    (
                        f[0],
                        Comune {
                            code: f[0],
                            name: f[1],
                            province_code: f[2],
                            province_acronym: f[3],
                            province_name: f[4],
                            region_code: f[5],
                            region_name: f[6],
                        },
                    )
                })
            })
            .collect()
    })
}

/// The comune with this 6-character ISTAT code, if it is in the June 2023 list.
pub fn comune(code: &str) -> Option<&'static Comune> {
    table().get(code)
}

/// Every comune of the list (unordered).
pub fn comuni() -> impl Iterator<Item = &'static Comune> {
    table().values()
}

/// The name of a province by its 3-character code.
pub fn province_name(code: &str) -> Option<&'static str> {
    comuni()
        .find(|c| c.province_code == code)
        .map(|c| c.province_name)
}

/// The name of a region by its 2-character code.
pub fn region_name(code: &str) -> Option<&'static str> {
    comuni()
        .find(|c| c.region_code == code)
        .map(|c| c.region_name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_is_complete_and_resolves_codes() {
        assert_eq!(super::comuni().count(), 7899);
        let firenze = super::comune("048017").unwrap();
        assert_eq!(firenze.name, "Firenze");
        assert_eq!(firenze.province_code, "048");
        assert_eq!(firenze.region_name, "Toscana");
        assert_eq!(super::province_name("100"), Some("Prato"));
        assert!(super::comune("999999").is_none());
    }
}
