//! A minimal PMTiles v3 reader for tests (the pmtiles crate reads only asynchronously):
//! the header, the JSON metadata and one tile by z/x/y, through leaf directories.

use std::io::Read;
use std::path::Path;

/// An archive read whole into memory.
pub struct Archive {
    bytes: Vec<u8>,
}

/// A directory entry: tile id, offset, length, run length (0: a leaf directory).
#[derive(Debug, Clone, Copy)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u64,
    run_length: u64,
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn varint(b: &[u8], pos: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let byte = b[*pos];
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

impl Archive {
    pub fn open(path: &Path) -> Archive {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(&bytes[..7], b"PMTiles");
        assert_eq!(bytes[7], 3, "PMTiles version 3");
        Archive { bytes }
    }

    fn u64_at(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.bytes[at..at + 8].try_into().unwrap())
    }

    /// Bytes at `offset`, `len`, decompressed as the header's internal compression says.
    fn internal(&self, offset: u64, len: u64) -> Vec<u8> {
        let b = &self.bytes[offset as usize..(offset + len) as usize];
        match self.bytes[97] {
            1 => b.to_vec(),
            2 => gunzip(b),
            c => panic!("internal compression {c}"),
        }
    }

    fn directory(&self, offset: u64, len: u64) -> Vec<Entry> {
        let b = self.internal(offset, len);
        let mut pos = 0;
        let n = varint(&b, &mut pos) as usize;
        let mut e = vec![
            Entry {
                tile_id: 0,
                offset: 0,
                length: 0,
                run_length: 0
            };
            n
        ];
        let mut last = 0;
        for x in e.iter_mut() {
            last += varint(&b, &mut pos);
            x.tile_id = last;
        }
        for x in e.iter_mut() {
            x.run_length = varint(&b, &mut pos);
        }
        for x in e.iter_mut() {
            x.length = varint(&b, &mut pos);
        }
        for i in 0..n {
            let v = varint(&b, &mut pos);
            e[i].offset = if v == 0 && i > 0 {
                e[i - 1].offset + e[i - 1].length
            } else {
                v - 1
            };
        }
        e
    }

    /// The JSON metadata.
    pub fn metadata(&self) -> serde_json::Value {
        let b = self.internal(self.u64_at(24), self.u64_at(32));
        serde_json::from_slice(&b).expect("JSON metadata")
    }

    /// The tile's bytes, decompressed (gzip tiles); `None` when the archive has none.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
        let id = ::pmtiles::TileId::from(::pmtiles::TileCoord::new(z, x, y).expect("tile")).value();
        let (mut offset, mut len) = (self.u64_at(8), self.u64_at(16));
        for _ in 0..4 {
            let dir = self.directory(offset, len);
            let i = match dir.binary_search_by_key(&id, |e| e.tile_id) {
                Ok(i) => i,
                Err(0) => return None,
                Err(i) => i - 1,
            };
            let e = dir[i];
            if e.run_length == 0 {
                (offset, len) = (self.u64_at(40) + e.offset, e.length);
                continue;
            }
            if id - e.tile_id >= e.run_length {
                return None;
            }
            let at = (self.u64_at(56) + e.offset) as usize;
            let b = &self.bytes[at..at + e.length as usize];
            return Some(match self.bytes[98] {
                1 => b.to_vec(),
                2 => gunzip(b),
                c => panic!("tile compression {c}"),
            });
        }
        panic!("directories nested too deep");
    }
}
