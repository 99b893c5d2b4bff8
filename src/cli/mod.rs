//! The subcommands: argument structs and the glue from arguments to the engine.

pub mod classify;
pub mod coverage;
pub mod db;
pub mod export_public;
pub mod grid;
pub mod import;
pub mod match_cmd;
pub mod output;
pub mod progress;
pub mod rules;
pub mod serve;
pub mod snapshots;
pub mod store;
pub mod synth;
pub mod tokens;
