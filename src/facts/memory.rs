//! What the memory probe finds: the container's memory over the hour before it stopped, its
//! shape, and the size that fits it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Headroom over the observed peak when sizing.
pub const HEADROOM: f64 = 1.25;

/// Whose memory to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryAsk {
    pub cluster: String,
    /// The service (ClusterName, ServiceName); otherwise the task family
    /// (ClusterName, TaskDefinitionFamily).
    pub service: Option<String>,
    pub family: Option<String>,
    /// The end of the window: the event's time.
    pub until: DateTime<Utc>,
}

/// One minute of the curve, summed over the tasks (as Container Insights reports it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MemoryPoint {
    pub at: DateTime<Utc>,
    /// MiB used.
    pub utilized: f64,
    /// MiB reserved (the tasks' memory).
    pub reserved: f64,
}

impl MemoryPoint {
    pub fn percent(&self) -> f64 {
        if self.reserved > 0.0 {
            self.utilized / self.reserved * 100.0
        } else {
            0.0
        }
    }
}

/// The curve and what it says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryFacts {
    /// "service api" or "task family api".
    pub subject: String,
    pub dimensions: Vec<(String, String)>,
    /// Oldest first.
    pub points: Vec<MemoryPoint>,
    /// The highest use relative to the reservation, in percent.
    pub peak_percent: f64,
    pub shape: Shape,
    pub verified_by: Vec<String>,
}

/// What the curve looks like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// Too few points to say.
    #[default]
    Unknown,
    /// Rises steadily to the limit: a leak, or load the size does not cover.
    Climb,
    /// Rises to the limit and drops, again and again: each task grows until it is killed.
    Sawtooth,
    /// Jumps from well below to the limit within a minute or two: a burst (start-up, one big
    /// request or batch).
    Spike,
    /// Stays near the limit: the size is too small for the ordinary load.
    Plateau,
    /// Stays well below the limit: the kill came from a burst shorter than a minute.
    Flat,
}

impl Shape {
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Unknown => "too few points to tell its shape",
            Shape::Climb => "a steady climb to the limit: a leak, or a load the size does not cover; more memory buys time, the growth is the cause",
            Shape::Sawtooth => "a sawtooth: each task grows until it is killed, then a new one starts low; a leak, or a cache without a bound",
            Shape::Spike => "a sudden jump from well below to the limit: a burst (start-up, one large request or batch)",
            Shape::Plateau => "a plateau near the limit: the size is too small for the ordinary load",
            Shape::Flat => "well below the limit at one-minute resolution: the kill came from a burst shorter than a minute",
        }
    }

    /// Whether more memory is the fix (and not only time bought).
    pub fn sizing(self) -> bool {
        matches!(
            self,
            Shape::Spike | Shape::Plateau | Shape::Flat | Shape::Unknown
        )
    }
}

/// Reads the shape of a curve of percentages, oldest first.
pub fn shape(percents: &[f64]) -> Shape {
    if percents.len() < 4 {
        return Shape::Unknown;
    }
    let peak = percents.iter().copied().fold(0.0, f64::max);
    if peak < 80.0 {
        return Shape::Flat;
    }
    let high = |value: f64| value >= peak * 0.9;
    let low = |value: f64| value <= peak * 0.6;
    // Drops from near the peak to well below it: each is a kill and a fresh task.
    let drops = percents
        .windows(2)
        .filter(|pair| high(pair[0]) && low(pair[1]))
        .count();
    if drops >= 2 {
        return Shape::Sawtooth;
    }
    let rises = percents
        .windows(2)
        .filter(|pair| pair[1] >= pair[0])
        .count();
    let steady = rises * 10 >= (percents.len() - 1) * 7;
    let first = percents[0];
    if steady && first <= peak * 0.7 {
        // Climbed over many points, or jumped in one or two?
        let big_steps = percents
            .windows(2)
            .filter(|pair| pair[1] - pair[0] >= peak * 0.3)
            .count();
        return if big_steps == 0 {
            Shape::Climb
        } else {
            Shape::Spike
        };
    }
    let near = percents.iter().filter(|value| high(**value)).count();
    if near * 2 >= percents.len() {
        return Shape::Plateau;
    }
    Shape::Spike
}

/// The task-level memory to set for an observed peak (MiB), with headroom, rounded to a size
/// Fargate accepts for the task's CPU (raising the CPU when the memory needs it); on EC2, to
/// the next 128 MiB. Returns (cpu units, memory MiB); cpu is None off Fargate.
pub fn suggested_size(peak_mib: f64, cpu: Option<i32>, fargate: bool) -> (Option<i32>, i32) {
    let needed = (peak_mib * HEADROOM).ceil() as i32;
    if !fargate {
        return (None, (needed + 127) / 128 * 128);
    }
    let cpu = cpu.unwrap_or(256);
    for (units, sizes) in fargate_sizes() {
        if units < cpu {
            continue;
        }
        if let Some(size) = sizes.into_iter().find(|size| *size >= needed) {
            return (Some(units), size);
        }
    }
    (Some(16384), 122_880)
}

/// Fargate's valid task sizes: CPU units and the memory sizes each allows.
fn fargate_sizes() -> Vec<(i32, Vec<i32>)> {
    let range = |from: i32, to: i32, step: i32| (from..=to).step_by(step as usize).collect();
    vec![
        (256, vec![512, 1024, 2048]),
        (512, range(1024, 4096, 1024)),
        (1024, range(2048, 8192, 1024)),
        (2048, range(4096, 16384, 1024)),
        (4096, range(8192, 30720, 1024)),
        (8192, range(16384, 61440, 4096)),
        (16384, range(32768, 122_880, 8192)),
    ]
}
