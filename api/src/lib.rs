//! bianca-api: the store of datasets and snapshots ([`store`]) and, on top of it, the HTTP
//! server ([`serve`]): vector tiles, the JSON API, access control. Depends on `bianca-engine`, never the other way round.

pub mod diff;
pub mod serve;
pub mod store;
