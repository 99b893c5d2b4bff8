//! Prometheus metrics: requests and their latencies per route, tile cache hits and misses,
//! the snapshot served. Rendered in the text exposition format at `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    pub tile_hits: AtomicU64,
    pub tile_misses: AtomicU64,
    pub reloads: AtomicU64,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Records one request.
    pub fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.to_string(), method.to_string(), status))
                .or_default() += 1;
        }
        if let Ok(mut m) = self.latency.lock() {
            let h = m.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// The exposition text. `gauges` are extra `name{labels} value` lines with their help.
    pub fn render(&self, gauges: &[(&str, &str, String, f64)]) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP bianca_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE bianca_http_requests_total counter\n");
        if let Ok(m) = self.requests.lock() {
            for ((route, method, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "bianca_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                    escape(route),
                    escape(method)
                );
            }
        }
        out.push_str("# HELP bianca_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE bianca_http_request_duration_seconds histogram\n");
        if let Ok(m) = self.latency.lock() {
            for (route, h) in m.iter() {
                let r = escape(route);
                for (i, b) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "bianca_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{b}\"}} {}",
                        h.counts[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "bianca_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "bianca_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "bianca_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
                    h.count
                );
            }
        }
        for (name, help, v) in [
            (
                "bianca_tile_cache_hits_total",
                "Tiles answered from the cache.",
                &self.tile_hits,
            ),
            (
                "bianca_tile_cache_misses_total",
                "Tiles generated.",
                &self.tile_misses,
            ),
            (
                "bianca_snapshot_reloads_total",
                "Snapshots loaded after a change in the store.",
                &self.reloads,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        for (name, help, labels, v) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{labels} {v}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let m = Metrics::default();
        m.record("/a", "GET", 200, 0.0015);
        m.record("/a", "GET", 200, 0.3);
        m.record("/a", "GET", 404, 0.0001);
        let t = m.render(&[("bianca_x", "X.", "{a=\"1\"}".into(), 2.0)]);
        assert!(
            t.contains("bianca_http_requests_total{route=\"/a\",method=\"GET\",status=\"200\"} 2")
        );
        assert!(
            t.contains("bianca_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.001\"} 1")
        );
        assert!(
            t.contains("bianca_http_request_duration_seconds_bucket{route=\"/a\",le=\"0.002\"} 2")
        );
        assert!(
            t.contains("bianca_http_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3")
        );
        assert!(t.contains("bianca_x{a=\"1\"} 2"));
    }
}
