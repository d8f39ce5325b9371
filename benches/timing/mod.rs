//! A small timing helper: several rounds, the cases compared alternated
//! within each round, medians and minimums reported, comparisons as ratios
//! measured in the same process.
#![allow(dead_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One operation to time: called with an iteration count, runs it that many
/// times.
pub struct Case<'a> {
    pub name: String,
    pub run: Box<dyn FnMut(u64) + 'a>,
}

impl<'a> Case<'a> {
    pub fn new(name: impl Into<String>, run: impl FnMut(u64) + 'a) -> Self {
        Case {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// Nanoseconds per iteration: median and minimum over the rounds.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
}

/// How long one sample should take, and how many rounds to run.
pub struct Plan {
    pub sample: Duration,
    pub rounds: usize,
}

impl Plan {
    /// From the environment: `BENCH_QUICK=1` for a fast smoke run.
    pub fn from_env() -> Self {
        if std::env::var_os("BENCH_QUICK").is_some() {
            Plan {
                sample: Duration::from_millis(2),
                rounds: 3,
            }
        } else {
            Plan {
                sample: Duration::from_millis(20),
                rounds: 15,
            }
        }
    }
}

/// Finds an iteration count whose sample takes about `plan.sample`.
fn calibrate(case: &mut Case<'_>, plan: &Plan) -> u64 {
    let mut iters = 1u64;
    loop {
        let start = Instant::now();
        (case.run)(iters);
        let took = start.elapsed();
        if took >= plan.sample / 4 || iters >= 1 << 40 {
            let per = took.as_secs_f64() / iters as f64;
            return ((plan.sample.as_secs_f64() / per.max(1e-12)) as u64).max(1);
        }
        iters *= 4;
    }
}

/// Times every case, alternating them within each round (and reversing the
/// order every other round), and returns each one's stats in order.
pub fn measure(cases: &mut [Case<'_>], plan: &Plan) -> Vec<Stats> {
    let iters: Vec<u64> = cases.iter_mut().map(|c| calibrate(c, plan)).collect();
    let mut samples = vec![Vec::with_capacity(plan.rounds); cases.len()];
    for round in 0..plan.rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..cases.len()).collect()
        } else {
            (0..cases.len()).rev().collect()
        };
        for i in order {
            let start = Instant::now();
            (cases[i].run)(black_box(iters[i]));
            let ns = start.elapsed().as_nanos() as f64 / iters[i] as f64;
            samples[i].push(ns);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            Stats {
                median: s[s.len() / 2],
                min: s[0],
            }
        })
        .collect()
}

/// Formats nanoseconds readably.
pub fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}
