//! Progress bars on a terminal, nothing in pipes and CI.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Whether progress should be drawn: stderr is a terminal and CI is not set.
pub fn enabled() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// A bar counting `total` units, hidden when progress is disabled.
pub fn bar(total: u64, what: &str) -> ProgressBar {
    bar_of(total, what, "units")
}

/// A bar counting `total` `items` (pixels, hexagons...), hidden when progress is disabled.
pub fn bar_of(total: u64, what: &str, items: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(total), draw_target());
    pb.set_style(
        ProgressStyle::with_template(&format!(
            "{{msg:>12}} [{{bar:40.cyan/blue}}] {{human_pos}}/{{human_len}} {items}, {{elapsed}} elapsed, {{eta}} to go"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A spinner for work of unknown length, hidden when progress is disabled.
pub fn spinner(what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, draw_target());
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_string());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}

fn draw_target() -> ProgressDrawTarget {
    if enabled() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}
