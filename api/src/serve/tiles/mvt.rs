//! Mapbox Vector Tile 2.1 encoding: layers with deduplicated keys and values, and geometry
//! command streams (MoveTo / LineTo / ClosePath, zigzag-encoded deltas).
//!
//! Coordinates are integers in tile space: (0, 0) top left, `EXTENT` at the right and
//! bottom edges, y growing down. Polygons must come oriented as the specification says:
//! exterior rings with a positive surveyor's-formula area in tile coordinates (clockwise on
//! screen), holes negative ([`super::clip`] does this).

use geozero::mvt::tile::{Feature, GeomType, Layer, Value};
use geozero::mvt::{Message, Tile};
use std::collections::HashMap;

/// Tile coordinates per tile side.
pub const EXTENT: u32 = 4096;

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum Prop {
    Str(String),
    Int(i64),
    Double(f64),
    Bool(bool),
}

impl From<&str> for Prop {
    fn from(s: &str) -> Self {
        Prop::Str(s.to_string())
    }
}
impl From<String> for Prop {
    fn from(s: String) -> Self {
        Prop::Str(s)
    }
}
impl From<i64> for Prop {
    fn from(v: i64) -> Self {
        Prop::Int(v)
    }
}
impl From<u32> for Prop {
    fn from(v: u32) -> Self {
        Prop::Int(v.into())
    }
}
impl From<f64> for Prop {
    fn from(v: f64) -> Self {
        Prop::Double(v)
    }
}
impl From<bool> for Prop {
    fn from(v: bool) -> Self {
        Prop::Bool(v)
    }
}

/// A value as a hash key (doubles by their bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    Str(String),
    Int(i64),
    Double(u64),
    Bool(bool),
}

/// One layer under construction.
pub struct LayerBuilder {
    layer: Layer,
    keys: HashMap<String, u32>,
    values: HashMap<ValueKey, u32>,
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn command(id: u32, count: u32) -> u32 {
    (id & 0x7) | (count << 3)
}

impl LayerBuilder {
    pub fn new(name: &str) -> Self {
        LayerBuilder {
            layer: Layer {
                version: 2,
                name: name.to_string(),
                features: Vec::new(),
                keys: Vec::new(),
                values: Vec::new(),
                extent: Some(EXTENT),
            },
            keys: HashMap::new(),
            values: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.layer.features.len()
    }

    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    fn tags<K: AsRef<str>>(&mut self, props: &[(K, Prop)]) -> Vec<u32> {
        let mut tags = Vec::with_capacity(props.len() * 2);
        for (k, v) in props {
            let k = k.as_ref();
            let ki = match self.keys.get(k) {
                Some(&i) => i,
                None => {
                    let i = self.layer.keys.len() as u32;
                    self.layer.keys.push(k.to_string());
                    self.keys.insert(k.to_string(), i);
                    i
                }
            };
            let key = match v {
                Prop::Str(s) => ValueKey::Str(s.clone()),
                Prop::Int(i) => ValueKey::Int(*i),
                Prop::Double(d) => ValueKey::Double(d.to_bits()),
                Prop::Bool(b) => ValueKey::Bool(*b),
            };
            let vi = match self.values.get(&key) {
                Some(&i) => i,
                None => {
                    let i = self.layer.values.len() as u32;
                    let mut value = Value::default();
                    match v {
                        Prop::Str(s) => value.string_value = Some(s.clone()),
                        Prop::Int(i) if *i >= 0 => value.uint_value = Some(*i as u64),
                        Prop::Int(i) => value.sint_value = Some(*i),
                        Prop::Double(d) => value.double_value = Some(*d),
                        Prop::Bool(b) => value.bool_value = Some(*b),
                    }
                    self.layer.values.push(value);
                    self.values.insert(key, i);
                    i
                }
            };
            tags.push(ki);
            tags.push(vi);
        }
        tags
    }

    /// Adds a point feature.
    pub fn point<K: AsRef<str>>(&mut self, id: Option<u64>, x: i32, y: i32, props: &[(K, Prop)]) {
        let tags = self.tags(props);
        self.layer.features.push(Feature {
            id,
            tags,
            r#type: Some(GeomType::Point as i32),
            geometry: vec![command(1, 1), zigzag(x), zigzag(y)],
        });
    }

    /// Adds a polygon feature made of `rings` (each open: the first point is not repeated),
    /// already oriented. Nothing is added when there are no rings.
    pub fn polygon<K: AsRef<str>>(
        &mut self,
        id: Option<u64>,
        rings: &[Vec<[i32; 2]>],
        props: &[(K, Prop)],
    ) {
        if rings.is_empty() {
            return;
        }
        let mut geometry = Vec::new();
        let (mut cx, mut cy) = (0i32, 0i32);
        for ring in rings {
            let Some(first) = ring.first() else { continue };
            geometry.push(command(1, 1));
            geometry.push(zigzag(first[0] - cx));
            geometry.push(zigzag(first[1] - cy));
            (cx, cy) = (first[0], first[1]);
            geometry.push(command(2, (ring.len() - 1) as u32));
            for p in &ring[1..] {
                geometry.push(zigzag(p[0] - cx));
                geometry.push(zigzag(p[1] - cy));
                (cx, cy) = (p[0], p[1]);
            }
            geometry.push(command(7, 1));
        }
        let tags = self.tags(props);
        self.layer.features.push(Feature {
            id,
            tags,
            r#type: Some(GeomType::Polygon as i32),
            geometry,
        });
    }

    pub fn finish(self) -> Layer {
        self.layer
    }
}

/// Compresses an encoded tile with gzip, as tiles travel (HTTP `Content-Encoding: gzip`,
/// PMTiles' tile compression). An empty tile stays empty.
pub fn gzip(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(raw.len() / 3),
        flate2::Compression::new(5),
    );
    e.write_all(raw)?;
    e.finish()
}

/// Encodes layers as one tile (empty layers are left out).
pub fn encode(layers: Vec<Layer>) -> Vec<u8> {
    Tile {
        layers: layers
            .into_iter()
            .filter(|l| !l.features.is_empty())
            .collect(),
    }
    .encode_to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_matches_the_specification() {
        assert_eq!(zigzag(0), 0);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(-2), 3);
        assert_eq!(command(1, 1), 9);
        assert_eq!(command(2, 3), 26);
        assert_eq!(command(7, 1), 15);
    }

    #[test]
    fn polygon_commands_are_relative_to_the_cursor() {
        let mut l = LayerBuilder::new("t");
        // the specification's example polygon (section 4.3.5.3)
        l.polygon(
            None,
            &[vec![[3, 6], [8, 12], [20, 34]]],
            &[("a", 1i64.into())],
        );
        let layer = l.finish();
        assert_eq!(
            layer.features[0].geometry,
            vec![9, 6, 12, 18, 10, 12, 24, 44, 15]
        );
        assert_eq!(layer.keys, ["a"]);
        assert_eq!(layer.values[0].uint_value, Some(1));
    }

    #[test]
    fn keys_and_values_are_shared_between_features() {
        let mut l = LayerBuilder::new("t");
        l.point(
            Some(1),
            1,
            1,
            &[("class", "white".into()), ("n", 3i64.into())],
        );
        l.point(
            Some(2),
            2,
            2,
            &[("class", "white".into()), ("n", (-3i64).into())],
        );
        let layer = l.finish();
        assert_eq!(layer.keys.len(), 2);
        assert_eq!(layer.values.len(), 3);
        assert_eq!(layer.values[2].sint_value, Some(-3));
        assert_eq!(layer.features[1].tags, vec![0, 0, 1, 2]);
    }
}
