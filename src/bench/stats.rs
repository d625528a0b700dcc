//! Figures of a set of runs: medians and spread, latency percentiles, CPU
//! per GiB.

use serde::Serialize;

use super::Run;

const GIB: f64 = (1u64 << 30) as f64;
const MIB: f64 = (1u64 << 20) as f64;

/// What a set of runs of one size comes to.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Median wall time of a run.
    pub median_seconds: f64,
    /// Throughput of the median run, bytes per second.
    pub median_bytes_per_second: f64,
    /// Median throughput in MiB/s.
    pub mib_per_s: f64,
    /// Slowest run's MiB/s.
    pub mib_per_s_min: f64,
    /// Fastest run's MiB/s.
    pub mib_per_s_max: f64,
    /// Commands per second, over all runs.
    pub commands_per_s: f64,
    /// Median command latency in milliseconds (None without per-command
    /// timings, as for a host copy).
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile command latency in milliseconds.
    pub latency_p99_ms: Option<f64>,
    /// Median CPU seconds (user + system, this process) per GiB copied.
    pub cpu_seconds_per_gib: f64,
}

/// The median of `v` (the mean of the middle two for an even count).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    match s.len() {
        0 => 0.0,
        n if n % 2 == 1 => s[n / 2],
        n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
    }
}

/// The `p`-th percentile (0–100) of `v`, nearest rank.
pub fn percentile(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    Some(s[rank.clamp(1, s.len()) - 1])
}

impl Summary {
    /// The summary of `runs`, each of which copied `bytes`.
    pub fn of(runs: &[Run], bytes: u64) -> Summary {
        if runs.is_empty() {
            return Summary::default();
        }
        let b = bytes as f64;
        let secs: Vec<f64> = runs.iter().map(|r| r.seconds).collect();
        let rate = |s: f64| if s > 0.0 { b / s } else { 0.0 };
        let median_seconds = median(&secs);
        let all_secs: f64 = secs.iter().sum();
        let commands: u64 = runs.iter().map(|r| r.commands).sum();
        let lat: Vec<f64> = runs
            .iter()
            .flat_map(|r| r.latencies.iter().copied())
            .collect();
        let cpu: Vec<f64> = runs.iter().map(|r| r.cpu_seconds / (b / GIB)).collect();
        Summary {
            median_seconds,
            median_bytes_per_second: rate(median_seconds),
            mib_per_s: rate(median_seconds) / MIB,
            mib_per_s_min: secs.iter().copied().map(rate).fold(f64::INFINITY, f64::min) / MIB,
            mib_per_s_max: secs.iter().copied().map(rate).fold(0.0, f64::max) / MIB,
            commands_per_s: if all_secs > 0.0 {
                commands as f64 / all_secs
            } else {
                0.0
            },
            latency_p50_ms: percentile(&lat, 50.0).map(|s| s * 1e3),
            latency_p99_ms: percentile(&lat, 99.0).map(|s| s * 1e3),
            cpu_seconds_per_gib: median(&cpu),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seconds: f64, latencies: Vec<f64>, cpu: f64) -> Run {
        Run {
            seconds,
            commands: latencies.len() as u64,
            latencies,
            cpu_seconds: cpu,
        }
    }

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&v, 100.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn a_summary_of_three_runs() {
        let gib = 1u64 << 30;
        let s = Summary::of(
            &[
                run(2.0, vec![0.5; 4], 0.2),
                run(1.0, vec![0.25; 4], 0.1),
                run(4.0, vec![1.0; 4], 0.4),
            ],
            gib,
        );
        assert_eq!(s.median_seconds, 2.0);
        assert_eq!(s.mib_per_s, 512.0);
        assert_eq!(s.mib_per_s_min, 256.0);
        assert_eq!(s.mib_per_s_max, 1024.0);
        assert_eq!(s.commands_per_s, 12.0 / 7.0);
        assert_eq!(s.latency_p50_ms, Some(500.0));
        assert_eq!(s.latency_p99_ms, Some(1000.0));
        assert!((s.cpu_seconds_per_gib - 0.2).abs() < 1e-12);
    }
}
