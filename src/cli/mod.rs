//! The subcommands: argument structs and the glue from arguments to the engine.

pub mod classify;
pub mod rules;
pub mod synth;
