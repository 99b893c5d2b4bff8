//! The generator: towns, units, footprints and declarations.

use geo::MultiPolygon;
use rayon::prelude::*;

use super::geom::{blob, disc, km_to_deg_lon, round7, Prepared, KM_PER_DEG};
use super::reference::{Comune, Street};
use super::rng::Rng;
use crate::model::{
    Coverage, Declaration, Footprint, Interner, OfferAttrs, Offers, SourceKind, Status, Technology,
};
use crate::units::{StrColumn, Units};

// Stream purposes (keys of `Rng::stream`).
const TOWNS: u64 = 1;
const UNITS: u64 = 2;
const COVER: u64 = 3;
const TOWERS: u64 = 4;
const DECL: u64 = 5;

/// Units per parallel task: each task has its own stream, so the result does not depend on
/// the number of threads.
const PIECE: usize = 16_384;

/// Share of a comune's units that are scattered in the countryside.
const RURAL_SHARE: f64 = 0.15;
/// Share of units that get a declaration draw (only some draws become declarations).
const DECLARATION_DRAW: f64 = 0.04;

pub const FIBRANET: &str = "FibraNet";
pub const TELCOUNO: &str = "TelcoUno";
pub const RETEPIU: &str = "RetePiù";
pub const ONDAWEB: &str = "Ondaweb";
pub const MOBITRE: &str = "MobiTre";
pub const ARIA5: &str = "Aria5";
/// The six invented operators.
pub const OPERATORS: [&str; 6] = [FIBRANET, TELCOUNO, RETEPIU, ONDAWEB, MOBITRE, ARIA5];

/// A town centre: a Gaussian cluster of units.
#[derive(Debug, Clone)]
pub struct Town {
    pub comune: usize,
    pub lon: f64,
    pub lat: f64,
    /// Plausible resident population of the cluster.
    pub pop: f64,
    /// Standard deviation of the cluster, km.
    pub sigma_km: f64,
}

/// Where a share of the units go: a town cluster, or uniform over a comune.
#[derive(Debug, Clone, Copy)]
enum Site {
    Town(usize),
    Rural(usize),
}

pub fn towns(seed: u64, comuni: &[Comune], prepared: &[Prepared], pop: &[f64]) -> Vec<Town> {
    let mut out = Vec::new();
    for (c, (p, &pop)) in prepared.iter().zip(pop).enumerate() {
        let mut rng = Rng::stream(seed, &[TOWNS, c as u64]);
        let n = 1
            + (pop > 4_000.0) as usize
            + (pop > 12_000.0) as usize
            + (pop > 40_000.0) as usize
            + (pop > 120_000.0) as usize
            + rng.chance(0.4) as usize;
        // Main centre: of a few random interior points, the one nearest the bounding-box
        // centre; secondary centres (frazioni) anywhere.
        let (cx, cy) = ((p.min_x + p.max_x) / 2.0, (p.min_y + p.max_y) / 2.0);
        let mut candidates: Vec<(f64, f64)> =
            (0..6).filter_map(|_| p.sample(&mut rng, 5000)).collect();
        if candidates.is_empty() {
            // Cannot happen with the embedded data; keep a point anyway.
            tracing::warn!("comune {}: no interior point found", comuni[c].code);
            candidates.push((round7(cx), round7(cy)));
        }
        let d2 = |q: &(f64, f64)| (q.0 - cx).powi(2) + (q.1 - cy).powi(2);
        let main = candidates.iter().copied().fold(candidates[0], |best, q| {
            if d2(&q) < d2(&best) {
                q
            } else {
                best
            }
        });
        let mut shares: Vec<f64> = vec![if n == 1 { 1.0 } else { 0.6 }];
        let rest: Vec<f64> = (1..n).map(|_| rng.range(0.2, 1.0)).collect();
        let rest_sum: f64 = rest.iter().sum();
        shares.extend(rest.iter().map(|r| 0.4 * r / rest_sum));
        for (k, share) in shares.into_iter().enumerate() {
            let (lon, lat) = if k == 0 {
                main
            } else {
                p.sample(&mut rng, 5000).unwrap_or(main)
            };
            let town_pop = pop * (1.0 - RURAL_SHARE) * share;
            let sigma_km = (0.22 * (town_pop / 1000.0).powf(0.45)).clamp(0.15, 4.0);
            out.push(Town {
                comune: c,
                lon,
                lat,
                pop: town_pop,
                sigma_km,
            });
        }
    }
    out
}

/// Splits `n` into integer counts proportional to `w` (largest remainder, ties by index).
fn apportion(n: usize, w: &[f64]) -> Vec<usize> {
    let total: f64 = w.iter().sum();
    let exact: Vec<f64> = w.iter().map(|x| n as f64 * x / total).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let assigned: usize = counts.iter().sum();
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(n.saturating_sub(assigned)) {
        counts[i] += 1;
    }
    counts
}

/// Writes `n` (>= 1) as a zero-padded unit id `U0000001`.
fn unit_id(n: usize) -> String {
    format!("U{n:07}")
}

struct Piece {
    ids: StrColumn,
    lon: Vec<f64>,
    lat: Vec<f64>,
    units: Vec<u32>,
    comune: Vec<u32>,
    address: StrColumn,
}

pub fn units(
    seed: u64,
    n: usize,
    comuni: &[Comune],
    prepared: &[Prepared],
    pop: &[f64],
    towns: &[Town],
    streets: &[Vec<Street>],
) -> Units {
    let mut sites = Vec::new();
    let mut weights = Vec::new();
    for (c, &comune_pop) in pop.iter().enumerate().take(comuni.len()) {
        for (t, town) in towns.iter().enumerate().filter(|(_, t)| t.comune == c) {
            sites.push(Site::Town(t));
            weights.push(town.pop);
        }
        sites.push(Site::Rural(c));
        weights.push(comune_pop * RURAL_SHARE);
    }
    let counts = apportion(n, &weights);
    // Tasks: (site, piece number, first unit index, count).
    let mut tasks = Vec::new();
    let mut start = 0;
    for (s, &count) in counts.iter().enumerate() {
        for (k, first) in (0..count).step_by(PIECE).enumerate() {
            tasks.push((s, k, start + first, PIECE.min(count - first)));
        }
        start += count;
    }
    let pieces: Vec<Piece> = tasks
        .par_iter()
        .map(|&(s, k, first, count)| {
            let mut rng = Rng::stream(seed, &[UNITS, s as u64, k as u64]);
            let mut piece = Piece {
                ids: StrColumn::with_capacity(count, count * 8),
                lon: Vec::with_capacity(count),
                lat: Vec::with_capacity(count),
                units: Vec::with_capacity(count),
                comune: Vec::with_capacity(count),
                address: StrColumn::with_capacity(count, count * 24),
            };
            let (c, town) = match sites[s] {
                Site::Town(t) => (towns[t].comune, Some(&towns[t])),
                Site::Rural(c) => (c, None),
            };
            let poly = &prepared[c];
            // A point known to be inside: the comune's main town centre.
            let anchor = towns
                .iter()
                .find(|t| t.comune == c)
                .map(|t| (t.lon, t.lat))
                .unwrap_or((poly.min_x, poly.min_y));
            let mut addr = String::new();
            for i in 0..count {
                let (lon, lat) = match town {
                    Some(t) => {
                        let sx = t.sigma_km * km_to_deg_lon(t.lat);
                        let sy = t.sigma_km / KM_PER_DEG;
                        (0..16)
                            .map(|_| {
                                (
                                    round7(t.lon + sx * rng.normal()),
                                    round7(t.lat + sy * rng.normal()),
                                )
                            })
                            .find(|&(x, y)| poly.contains(x, y))
                            .or_else(|| poly.sample(&mut rng, 10_000))
                            .unwrap_or(anchor)
                    }
                    None => poly.sample(&mut rng, 10_000).unwrap_or(anchor),
                };
                let mean = if town.is_some() { 2.5 } else { 1.3 };
                let dwellings = rng.geometric(mean, 20);
                addr.clear();
                if let Some(street) = (!streets[c].is_empty()).then(|| rng.pick(&streets[c])) {
                    addr.push_str(&street.name);
                    addr.push(' ');
                    if !street.civici.is_empty() && rng.chance(0.35) {
                        let civico: &String = rng.pick(&street.civici);
                        addr.push_str(civico);
                    } else {
                        let num = 1 + rng.below(if town.is_some() { 120 } else { 40 });
                        addr.push_str(&num.to_string());
                    }
                }
                piece.ids.push(&unit_id(first + i + 1));
                piece.lon.push(lon);
                piece.lat.push(lat);
                piece.units.push(dwellings);
                piece.comune.push(c as u32);
                piece.address.push(&addr);
            }
            piece
        })
        .collect();
    let mut codes = Interner::new();
    for c in comuni {
        codes.intern(&c.code);
    }
    let mut out = Units {
        ids: StrColumn::with_capacity(n, n * 9),
        lon: Vec::with_capacity(n),
        lat: Vec::with_capacity(n),
        units: Vec::with_capacity(n),
        comune: Vec::with_capacity(n),
        comune_codes: codes,
        address: Some(StrColumn::with_capacity(n, n * 24)),
    };
    for p in pieces {
        out.ids.extend_from(&p.ids);
        out.lon.extend_from_slice(&p.lon);
        out.lat.extend_from_slice(&p.lat);
        out.units.extend_from_slice(&p.units);
        out.comune.extend_from_slice(&p.comune);
        if let Some(a) = out.address.as_mut() {
            a.extend_from(&p.address);
        }
    }
    out
}

/// Speed menus, (down, up) in Mbit/s.
fn menu(t: Technology) -> &'static [(f64, f64)] {
    match t {
        Technology::Fttc => &[(30.0, 3.0), (50.0, 10.0), (100.0, 20.0), (200.0, 20.0)],
        Technology::Ftth => &[(1000.0, 100.0), (1000.0, 300.0), (2500.0, 500.0)],
        Technology::Fwa => &[(30.0, 3.0), (100.0, 20.0), (300.0, 30.0), (1000.0, 200.0)],
        Technology::Mobile4g => &[(30.0, 5.0), (75.0, 15.0), (150.0, 30.0)],
        Technology::Mobile5g => &[(300.0, 50.0), (1000.0, 100.0), (2000.0, 200.0)],
        _ => &[(100.0, 20.0)],
    }
}

/// An offer with speeds from the menu, peak speeds on ~85% of offers, and the status.
fn offer(rng: &mut Rng, operator: &str, t: Technology, planned_p: f64) -> OfferAttrs {
    let (down, up) = *rng.pick(menu(t));
    let (peak_down, peak_up) = if rng.chance(0.85) {
        let f = rng.range(0.55, 0.95);
        (
            Some((down * f).round().max(1.0)),
            Some((up * f).round().max(1.0)),
        )
    } else {
        (None, None)
    };
    let planned = rng.chance(planned_p);
    OfferAttrs {
        operator: operator.to_string(),
        infrastructure: operator.to_string(),
        technology: t,
        down_mbps: down,
        up_mbps: up,
        peak_down_mbps: peak_down,
        peak_up_mbps: peak_up,
        status: if planned {
            Status::Planned
        } else {
            Status::Existing
        },
        year: planned.then(|| rng.int_in(2026, 2030) as i32),
        licensed: true,
    }
}

/// The same network sold by `reseller`: same geometry and technology, its own peak speeds.
fn resold(rng: &mut Rng, owner: &OfferAttrs, reseller: &str) -> OfferAttrs {
    let mut a = owner.clone();
    a.operator = reseller.to_string();
    a.infrastructure = owner.infrastructure.clone();
    if rng.chance(0.3) {
        a.peak_down_mbps = None;
        a.peak_up_mbps = None;
    }
    a
}

struct Builder {
    offers: Offers,
    footprints: Vec<Footprint>,
    source: u32,
}

impl Builder {
    fn add(&mut self, a: &OfferAttrs, geometry: MultiPolygon<f64>) {
        let offer = self.offers.push(a, self.source);
        self.footprints.push(Footprint { offer, geometry });
    }
}

fn jitter(rng: &mut Rng, t: &Town, km: f64) -> (f64, f64) {
    (
        t.lon + km * rng.range(-1.0, 1.0) * km_to_deg_lon(t.lat),
        t.lat + km * rng.range(-1.0, 1.0) / KM_PER_DEG,
    )
}

pub fn coverage(seed: u64, prepared: &[Prepared], towns: &[Town], units: &Units) -> Coverage {
    let mut offers = Offers::new();
    let source = offers.add_source("coverage.fgb", SourceKind::Footprints);
    let mut b = Builder {
        offers,
        footprints: Vec::new(),
        source,
    };
    for (i, t) in towns.iter().enumerate() {
        let mut rng = Rng::stream(seed, &[COVER, i as u64]);
        let lp = (t.pop / 1000.0).max(1.0).log10().min(3.0);
        // FibraNet: wholesale FTTH, resold by RetePiù.
        if rng.chance((0.2 + 0.3 * lp).min(0.95)) {
            let r = t.sigma_km * rng.range(1.3, 2.2);
            let a = offer(&mut rng, FIBRANET, Technology::Ftth, 0.25);
            let g = blob(t.lon, t.lat, r, &mut rng);
            if rng.chance(0.5) {
                let s = resold(&mut rng, &a, RETEPIU);
                b.add(&s, g.clone());
            }
            let existing = a.status == Status::Existing;
            b.add(&a, g);
            if existing && rng.chance(0.4) {
                let mut ext = offer(&mut rng, FIBRANET, Technology::Ftth, 1.0);
                ext.down_mbps = a.down_mbps;
                ext.up_mbps = a.up_mbps;
                b.add(&ext, blob(t.lon, t.lat, r * 1.6, &mut rng));
            }
        }
        // TelcoUno: FTTC in most towns (partly resold by RetePiù), FTTH in the larger ones.
        if rng.chance((0.55 + 0.2 * lp).min(0.95)) {
            let a = offer(&mut rng, TELCOUNO, Technology::Fttc, 0.08);
            let g = blob(t.lon, t.lat, t.sigma_km * rng.range(1.5, 2.5), &mut rng);
            if rng.chance(0.3) {
                let s = resold(&mut rng, &a, RETEPIU);
                b.add(&s, g.clone());
            }
            b.add(&a, g);
        }
        if t.pop > 15_000.0 && rng.chance(0.3 + 0.2 * lp) {
            let a = offer(&mut rng, TELCOUNO, Technology::Ftth, 0.4);
            b.add(
                &a,
                blob(t.lon, t.lat, t.sigma_km * rng.range(0.8, 1.4), &mut rng),
            );
        }
        // 4G and 5G sites in and around towns.
        for (op, p4) in [(TELCOUNO, 0.85), (MOBITRE, 0.8), (ARIA5, 0.45)] {
            if rng.chance(p4) {
                let (x, y) = jitter(&mut rng, t, t.sigma_km);
                let a = offer(&mut rng, op, Technology::Mobile4g, 0.03);
                b.add(&a, disc(x, y, rng.range(2.5, 6.0)));
            }
        }
        if t.pop > 6_000.0 {
            for op in [TELCOUNO, MOBITRE] {
                if !rng.chance((0.45 + 0.15 * lp).min(0.9)) {
                    continue;
                }
                let sites = 1 + (t.sigma_km / 1.2) as usize;
                for _ in 0..sites {
                    let (x, y) = jitter(&mut rng, t, t.sigma_km * 1.5);
                    let radius = rng.range(0.8, 2.0);
                    let a = offer(&mut rng, op, Technology::Mobile5g, 0.3);
                    b.add(&a, disc(x, y, radius));
                    // MobiTre also sells FWA on its 5G sites.
                    if op == MOBITRE && rng.chance(0.5) {
                        let mut f = offer(&mut rng, MOBITRE, Technology::Fwa, 0.2);
                        if f.down_mbps < 300.0 {
                            (f.down_mbps, f.up_mbps) = (300.0, 30.0);
                            f.peak_down_mbps = f.peak_down_mbps.map(|_| 240.0);
                            f.peak_up_mbps = f.peak_up_mbps.map(|_| 24.0);
                        }
                        b.add(&f, disc(x, y, radius * 1.2));
                    }
                }
            }
        }
        // Aria5: FWA near small towns, often on unlicensed spectrum.
        if t.pop < 8_000.0 && rng.chance(0.4) {
            let (x, y) = jitter(&mut rng, t, t.sigma_km * 2.0);
            let mut a = offer(&mut rng, ARIA5, Technology::Fwa, 0.1);
            a.licensed = !rng.chance(0.35);
            b.add(&a, disc(x, y, rng.range(2.0, 5.0)));
        }
    }
    // Rural towers: comuni drawn by bounding-box area, points uniform inside.
    let areas: Vec<f64> = prepared
        .iter()
        .map(|p| (p.max_x - p.min_x) * (p.max_y - p.min_y))
        .collect();
    let total: f64 = areas.iter().sum();
    let kinds: [(&str, Technology, usize, f64, f64); 4] = [
        (ONDAWEB, Technology::Fwa, 140, 3.0, 7.0),
        (TELCOUNO, Technology::Mobile4g, 60, 5.0, 10.0),
        (MOBITRE, Technology::Mobile4g, 60, 5.0, 10.0),
        (ARIA5, Technology::Fwa, 60, 2.0, 5.0),
    ];
    for (kind, &(op, tech, count, rmin, rmax)) in kinds.iter().enumerate() {
        let mut rng = Rng::stream(seed, &[TOWERS, kind as u64]);
        for _ in 0..count {
            let mut x = rng.range(0.0, total);
            let c = areas
                .iter()
                .position(|&a| {
                    x -= a;
                    x < 0.0
                })
                .unwrap_or(areas.len() - 1);
            let Some((lon, lat)) = prepared[c].sample(&mut rng, 10_000) else {
                continue;
            };
            let mut a = offer(&mut rng, op, tech, 0.15);
            if op == ARIA5 {
                a.licensed = !rng.chance(0.35);
            }
            b.add(&a, disc(lon, lat, rng.range(rmin, rmax)));
        }
    }
    let declarations = declarations(seed, units, &mut b);
    Coverage {
        offers: b.offers,
        footprints: b.footprints,
        declarations,
        rasters: Vec::new(),
    }
}

/// Infratel-style per-address declarations for a few % of units: FibraNet declaring
/// addresses it serves outside its polygons, FWA operators declaring single addresses, and
/// TelcoUno's planned FTTH.
fn declarations(seed: u64, units: &Units, b: &mut Builder) -> Vec<Declaration> {
    let fibranet: Vec<Prepared> = b
        .footprints
        .iter()
        .filter(|f| {
            let o = &b.offers.offers[f.offer as usize];
            b.offers.names.name(o.operator) == FIBRANET && o.technology == Technology::Ftth
        })
        .map(|f| Prepared::new(&f.geometry))
        .collect();
    let source = b
        .offers
        .add_source("declarations.csv", SourceKind::Declarations);
    let mk = |op: &str, t: Technology, down: f64, up: f64, peak: Option<(f64, f64)>| OfferAttrs {
        operator: op.to_string(),
        infrastructure: op.to_string(),
        technology: t,
        down_mbps: down,
        up_mbps: up,
        peak_down_mbps: peak.map(|p| p.0),
        peak_up_mbps: peak.map(|p| p.1),
        status: Status::Existing,
        year: None,
        licensed: true,
    };
    let mut variants = [
        mk(
            FIBRANET,
            Technology::Ftth,
            1000.0,
            300.0,
            Some((850.0, 250.0)),
        ),
        mk(FIBRANET, Technology::Ftth, 2500.0, 500.0, None),
        mk(ONDAWEB, Technology::Fwa, 100.0, 20.0, Some((70.0, 15.0))),
        mk(ONDAWEB, Technology::Fwa, 300.0, 30.0, None),
        mk(ARIA5, Technology::Fwa, 100.0, 10.0, Some((60.0, 6.0))),
        mk(
            TELCOUNO,
            Technology::Ftth,
            1000.0,
            100.0,
            Some((900.0, 90.0)),
        ),
        mk(
            TELCOUNO,
            Technology::Ftth,
            2500.0,
            500.0,
            Some((2000.0, 400.0)),
        ),
    ];
    variants[4].licensed = false;
    variants[5].status = Status::Planned;
    variants[5].year = Some(2027);
    variants[6].status = Status::Planned;
    variants[6].year = Some(2029);
    let offer_ix: Vec<u32> = variants.iter().map(|a| b.offers.push(a, source)).collect();
    let chunks: Vec<Vec<Declaration>> = (0..units.len().div_ceil(PIECE))
        .into_par_iter()
        .map(|k| {
            let mut rng = Rng::stream(seed, &[DECL, k as u64]);
            let mut out = Vec::new();
            for i in k * PIECE..((k + 1) * PIECE).min(units.len()) {
                if !rng.chance(DECLARATION_DRAW) {
                    continue;
                }
                let r = rng.f64();
                let v = if r < 0.5 {
                    let (x, y) = (units.lon[i], units.lat[i]);
                    if fibranet.iter().any(|p| p.contains(x, y)) {
                        continue;
                    }
                    if r < 0.35 {
                        0
                    } else {
                        1
                    }
                } else if r < 0.8 {
                    if r < 0.65 {
                        2
                    } else {
                        3
                    }
                } else if r < 0.88 {
                    4
                } else if r < 0.95 {
                    5
                } else {
                    6
                };
                out.push(Declaration {
                    unit_id: units.ids.get(i).to_string(),
                    offer: offer_ix[v],
                });
            }
            out
        })
        .collect();
    chunks.into_iter().flatten().collect()
}
