//! bianca-api: the store of datasets and snapshots ([`store`]) and, on top of it, the HTTP
//! API. Depends on `bianca-engine`, never the other way round.

pub mod diff;
pub mod store;
