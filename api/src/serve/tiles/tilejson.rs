//! TileJSON 3.0.0 documents, one per layer, at `/tiles/{layer}.json`.

use super::LayerName;
use crate::serve::snapshot::Served;
use serde_json::{json, Value};

/// The deepest zoom a layer's tiles are made for (clients overzoom beyond it).
pub fn max_zoom(layer: LayerName) -> u8 {
    match layer {
        LayerName::Units | LayerName::Coverage | LayerName::MobileWhite => 16,
        LayerName::Hexagons | LayerName::Areas => 14,
    }
}

fn class_fields(s: &Served, rule: usize, fields: &mut serde_json::Map<String, Value>) {
    fields.insert(
        "class".into(),
        json!(format!(
            "class with most housing units under rule set {}",
            s.rules[rule].name
        )),
    );
    for c in &s.class_names[rule] {
        fields.insert(
            format!("n_{c}"),
            json!(format!("housing units classed {c}")),
        );
        fields.insert(
            format!("share_{c}"),
            json!(format!("share of housing units classed {c}")),
        );
    }
}

/// The fields of the `mobile_white` layer and its description (the server's TileJSON and
/// the static site's archive metadata).
pub fn mobile_white_fields() -> (serde_json::Map<String, Value>, &'static str) {
    let mut fields = serde_json::Map::new();
    for (k, v) in [
        ("id", "area number"),
        ("pixels", "100 m pixels of the area (EPSG:3035 grid)"),
        ("addresses", "addresses inside"),
        ("units", "housing units inside"),
        ("population", "population inside (when known)"),
    ] {
        fields.insert(k.into(), json!(v));
    }
    (
        fields,
        "Mobile white areas: Italia 5G eligible pixels, dissolved",
    )
}

/// The TileJSON of `layer`. `tiles_url` is the URL template of its tiles (with the query
/// string the client gave, so that filters carry over).
pub fn document(
    s: &Served,
    layer: LayerName,
    tiles_url: String,
    rule: usize,
    full: bool,
    attribution: &str,
) -> Value {
    let mut fields = serde_json::Map::new();
    let description = match layer {
        LayerName::Units => {
            fields.insert("id".into(), json!("unit id in the registry"));
            fields.insert("tech".into(), json!("best technology reaching the address"));
            fields.insert(
                "speed".into(),
                json!(
                    "speed class of the best download: none, <30, 30-100, 100-300, 300-1000, 1000+"
                ),
            );
            fields.insert("units".into(), json!("housing units at the address"));
            fields.insert(
                "mobile".into(),
                json!("best mobile network: 5G, 4G or none"),
            );
            fields.insert(
                "ftth".into(),
                json!("true when fibre to the home reaches the address"),
            );
            if full {
                for (k, v) in [
                    ("down", "best download, Mbit/s"),
                    ("up", "best upload, Mbit/s"),
                    ("networks", "qualifying networks under the rule set"),
                    ("networks_4g", "4G networks"),
                    ("networks_5g", "5G networks"),
                    ("technologies", "all technologies, |-separated"),
                ] {
                    fields.insert(k.into(), json!(v));
                }
            }
            fields.insert(
                "cluster".into(),
                json!("true below zoom 13: one point per H3 cell with its counts"),
            );
            fields.insert(
                "addresses".into(),
                json!("addresses in the cell (clusters)"),
            );
            class_fields(s, rule, &mut fields);
            "Address points (civici) from zoom 13, H3 cell clusters below"
        }
        LayerName::Hexagons => {
            for (k, v) in [
                ("h3", "H3 cell index"),
                ("res", "H3 resolution"),
                ("addresses", "addresses in the cell"),
                ("units", "housing units in the cell"),
                ("units_4g", "housing units with a 4G network"),
                ("units_5g", "housing units with a 5G network"),
                ("units_ftth", "housing units with fibre to the home"),
                (
                    "share_ftth",
                    "share of housing units with fibre to the home",
                ),
                ("share_4g", "share of housing units with a 4G network"),
                ("share_5g", "share of housing units with a 5G network"),
                ("mean_down", "mean best download over addresses, Mbit/s"),
            ] {
                fields.insert(k.into(), json!(v));
            }
            class_fields(s, rule, &mut fields);
            "H3 hexagons with housing units per class"
        }
        LayerName::Areas => {
            for (k, v) in [
                ("level", "region, province or comune"),
                ("code", "ISTAT code"),
                ("name", "name"),
                ("addresses", "addresses"),
                ("units", "housing units"),
                ("units_4g", "housing units with a 4G network"),
                ("units_5g", "housing units with a 5G network"),
                ("mean_down", "mean best download over addresses, Mbit/s"),
            ] {
                fields.insert(k.into(), json!(v));
            }
            class_fields(s, rule, &mut fields);
            "Regions (to z7), provinces (z5-10) and comuni (from z7) with their statistics"
        }
        LayerName::Coverage => {
            for (k, v) in [
                ("operator", "operator"),
                (
                    "technology",
                    "FTTH, FTTB, FTTC, VDSL, ADSL, CABLE, FWA, SAT, 4G, 5G",
                ),
                (
                    "down",
                    "download, Mbit/s (of a raster of speed: the class's lowest)",
                ),
                ("up", "upload, Mbit/s (footprints)"),
                ("status", "existing or planned"),
                ("year", "year a planned network is expected"),
                ("dataset", "the dataset the footprint or raster comes from"),
                (
                    "raster",
                    "true for the value-class polygons of a coverage raster",
                ),
                (
                    "value",
                    "what the raster's pixels measure: down_mbps, peak_down_mbps or rsrp_dbm",
                ),
                ("min", "the value class's lowest value (Mbit/s or dBm)"),
                (
                    "level",
                    "the value class's rank, from 1 (the lowest values) to 4",
                ),
                (
                    "max",
                    "the next class's lowest value (none for the top class)",
                ),
            ] {
                fields.insert(k.into(), json!(v));
            }
            "Operators' coverage: footprints, and coverage rasters by class of value"
        }
        LayerName::MobileWhite => {
            let (f, description) = mobile_white_fields();
            fields = f;
            description
        }
    };
    let b = s.bounds;
    json!({
        "tilejson": "3.0.0",
        "name": format!("bianca {}", layer.as_str()),
        "description": format!("{description}; snapshot {}", s.info.name),
        "version": "1.0.0",
        "attribution": attribution,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": 0,
        "maxzoom": max_zoom(layer),
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 8],
        "vector_layers": [{
            "id": layer.as_str(),
            "description": description,
            "minzoom": 0,
            "maxzoom": max_zoom(layer),
            "fields": fields,
        }],
    })
}
