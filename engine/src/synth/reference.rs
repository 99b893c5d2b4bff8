//! The reference data embedded in the binary (see `data/SOURCE.md`): the 273 comuni of
//! Tuscany and, per comune, real street names with a few of their civici.

use std::io::Read;
use std::path::PathBuf;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

use crate::error::{Error, Result};

/// ISTAT / Openpolis limits of the Tuscan comuni, simplified with shared arcs.
pub static COMUNI_GEOJSON: &[u8] = include_bytes!("../../../data/synth/comuni.geojson");
/// `com_istat_code<TAB>strada<TAB>civico civico ...`, from Infratel's civici list, gzipped.
static STREETS_TSV_GZ: &[u8] = include_bytes!("../../../data/synth/streets.tsv.gz");

/// One comune of the reference data.
#[derive(Debug, Clone)]
pub struct Comune {
    /// ISTAT code, 6 characters, zero padded (`048017`).
    pub code: String,
    pub name: String,
    pub prov_istat_code: String,
    pub prov_acr: String,
    pub geometry: MultiPolygon<f64>,
}

/// A real street of a comune, with up to three of its real civici (may be empty).
#[derive(Debug, Clone)]
pub struct Street {
    pub name: String,
    pub civici: Vec<String>,
}

fn bad(file: &str, message: impl Into<String>) -> Error {
    Error::Format {
        path: PathBuf::from(format!("<embedded data/synth/{file}>")),
        message: message.into(),
    }
}

fn ring(v: &Value) -> Option<LineString<f64>> {
    let pts = v
        .as_array()?
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            Some(Coord {
                x: p.first()?.as_f64()?,
                y: p.get(1)?.as_f64()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(LineString::from(pts))
}

fn polygon(v: &Value) -> Option<Polygon<f64>> {
    let rings = v.as_array()?;
    let exterior = ring(rings.first()?)?;
    let interiors = rings[1..].iter().map(ring).collect::<Option<Vec<_>>>()?;
    Some(Polygon::new(exterior, interiors))
}

fn geometry(g: &Value) -> Option<MultiPolygon<f64>> {
    let coords = g.get("coordinates")?;
    match g.get("type")?.as_str()? {
        "Polygon" => Some(MultiPolygon(vec![polygon(coords)?])),
        "MultiPolygon" => Some(MultiPolygon(
            coords
                .as_array()?
                .iter()
                .map(polygon)
                .collect::<Option<Vec<_>>>()?,
        )),
        _ => None,
    }
}

/// The comuni, in the order of the file (by ISTAT code).
pub fn comuni() -> Result<Vec<Comune>> {
    const FILE: &str = "comuni.geojson";
    let doc: Value =
        serde_json::from_slice(COMUNI_GEOJSON).map_err(|e| bad(FILE, e.to_string()))?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(FILE, "no features array"))?;
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let prop = |k: &str| -> Result<String> {
                f.get("properties")
                    .and_then(|p| p.get(k))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| bad(FILE, format!("feature {}: no property {k:?}", i + 1)))
            };
            let geometry = f
                .get("geometry")
                .and_then(geometry)
                .ok_or_else(|| bad(FILE, format!("feature {}: bad geometry", i + 1)))?;
            Ok(Comune {
                code: prop("com_istat_code")?,
                name: prop("name")?,
                prov_istat_code: prop("prov_istat_code")?,
                prov_acr: prop("prov_acr")?,
                geometry,
            })
        })
        .collect()
}

/// Streets per comune, aligned with `comuni` (a comune absent from the list gets none).
pub fn streets(comuni: &[Comune]) -> Result<Vec<Vec<Street>>> {
    const FILE: &str = "streets.tsv.gz";
    let mut text = String::new();
    flate2::read::GzDecoder::new(STREETS_TSV_GZ)
        .read_to_string(&mut text)
        .map_err(|e| bad(FILE, e.to_string()))?;
    let index: std::collections::HashMap<&str, usize> = comuni
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.as_str(), i))
        .collect();
    let mut out = vec![Vec::new(); comuni.len()];
    for (n, line) in text.lines().enumerate() {
        let mut cols = line.split('\t');
        let (Some(code), Some(name), civici) = (cols.next(), cols.next(), cols.next()) else {
            return Err(bad(FILE, format!("line {}: expected 3 columns", n + 1)));
        };
        if let Some(&i) = index.get(code) {
            out[i].push(Street {
                name: name.to_string(),
                civici: civici
                    .unwrap_or("")
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
            });
        }
    }
    Ok(out)
}

/// Approximate resident population of the larger comuni (rounded, ISTAT 2023 order of
/// magnitude), used only to make town sizes plausible. Other comuni get a weight from the
/// number of their streets in the reference data.
pub const POPULATION: &[(&str, u32)] = &[
    ("Firenze", 360_000),
    ("Prato", 196_000),
    ("Livorno", 153_000),
    ("Arezzo", 97_000),
    ("Pisa", 89_000),
    ("Pistoia", 89_000),
    ("Lucca", 89_000),
    ("Grosseto", 81_000),
    ("Massa", 67_000),
    ("Carrara", 60_000),
    ("Viareggio", 60_000),
    ("Siena", 53_000),
    ("Scandicci", 50_000),
    ("Sesto Fiorentino", 49_000),
    ("Empoli", 49_000),
    ("Campi Bisenzio", 47_000),
    ("Capannori", 46_000),
    ("Cascina", 45_000),
    ("Piombino", 33_000),
    ("Camaiore", 32_000),
    ("San Giuliano Terme", 31_000),
    ("Rosignano Marittimo", 30_000),
    ("Pontedera", 29_000),
    ("Poggibonsi", 29_000),
    ("Cecina", 28_000),
    ("Quarrata", 27_000),
    ("San Miniato", 27_000),
    ("Bagno a Ripoli", 25_000),
    ("Montevarchi", 24_000),
    ("Figline e Incisa Valdarno", 23_000),
    ("Pietrasanta", 23_000),
    ("Fucecchio", 23_000),
    ("Massarosa", 22_000),
    ("Colle di Val d'Elsa", 21_000),
    ("Cortona", 21_000),
    ("Follonica", 21_000),
    ("Monsummano Terme", 21_000),
    ("Montecatini-Terme", 20_000),
    ("Lastra a Signa", 20_000),
    ("Montemurlo", 19_000),
    ("Pescia", 19_000),
    ("Signa", 19_000),
    ("Borgo San Lorenzo", 18_000),
    ("Calenzano", 18_000),
    ("Agliana", 18_000),
    ("Castelfiorentino", 17_000),
    ("Sansepolcro", 16_000),
    ("Altopascio", 16_000),
    ("San Giovanni Valdarno", 16_000),
    ("Certaldo", 16_000),
    ("Orbetello", 14_000),
    ("Vinci", 14_000),
    ("Collesalvetti", 16_000),
    ("Seravezza", 13_000),
    ("Pontassieve", 20_000),
    ("Portoferraio", 12_000),
];

/// A plausible population for each comune, aligned with `comuni`.
pub fn population(comuni: &[Comune], streets: &[Vec<Street>]) -> Vec<f64> {
    comuni
        .iter()
        .zip(streets)
        .map(
            |(c, s)| match POPULATION.iter().find(|(n, _)| *n == c.name) {
                Some(&(_, p)) => p as f64,
                None => 1500.0 + 45.0 * s.len() as f64,
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_data_is_complete() {
        let c = comuni().unwrap();
        assert_eq!(c.len(), 273);
        assert!(c
            .iter()
            .all(|c| c.code.len() == 6 && c.code.bytes().all(|b| b.is_ascii_digit())));
        let firenze = c.iter().find(|c| c.code == "048017").unwrap();
        assert_eq!(firenze.name, "Firenze");
        assert_eq!(firenze.prov_acr, "FI");
        let s = streets(&c).unwrap();
        assert!(s.iter().all(|s| !s.is_empty() && s.len() <= 150));
        assert!(s.iter().flatten().all(|s| !s.name.contains('\u{FFFD}')));
        for (name, _) in POPULATION {
            assert!(
                c.iter().any(|c| c.name == *name),
                "{name} not in the comuni"
            );
        }
        let p = population(&c, &s);
        let total: f64 = p.iter().sum();
        assert!((3.0e6..4.5e6).contains(&total), "{total}");
    }
}
