//! The point-in-polygon join of housing units against coverage footprints.
//!
//! Split as in a spatial database's join: [`index`] builds, once, a uniform grid over the
//! footprints in which every (cell, footprint) pair is marked *inside* (the whole cell is
//! covered) or *boundary* (an edge crosses the cell); [`probe`] places every point in its
//! cell and orders the points cell by cell, so that a cell's candidates are prepared once
//! ([`index::GridIndex::candidates`]) and each point's answer is a bit mask over them
//! ([`index::GridIndex::covering_mask`]); [`refine`] settles boundary candidates with an
//! exact test on the polygon's edges, bucketed by horizontal bands. [`oracle`] is the brute-force reference every
//! variant is tested against.
//!
//! Edge cases, as in the rules: a point on a polygon's boundary (edge or vertex, outer ring
//! or hole) is covered; a point inside a hole is not; orientation predicates are exact
//! (`robust::orient2d`), so the answer does not depend on rounding.

pub(crate) mod counting;
pub mod index;
pub mod oracle;
pub mod probe;
pub mod refine;

pub use index::GridIndex;
pub use refine::PolygonSet;

#[cfg(test)]
mod tests;
