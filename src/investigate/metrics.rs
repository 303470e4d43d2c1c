//! The memory probe: Container Insights' memory curve of the service (or the task family) over
//! the hour before the kill: the peak, the shape (a steady climb is a leak, a jump is a burst,
//! a plateau near the limit is sizing), and a memory size to set, valid for Fargate.

use crate::aws::actions;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{cached, Probed};
use crate::gather::convert::time;
use crate::gather::{gaps, Ctx};
use crate::incident::{Gap, GapKind};

const NAMESPACE: &str = "ECS/ContainerInsights";
/// One-minute points over the hour before the event.
const PERIOD_SECONDS: i32 = 60;
const WINDOW_MINUTES: i64 = 60;
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

/// Reads the hour of memory before the event.
pub async fn probe(ctx: &Ctx<'_>, ask: &MemoryAsk) -> Probed<MemoryFacts> {
    let cluster = crate::arn::last_segment(&ask.cluster).to_string();
    let (subject, dimensions) = match (&ask.service, &ask.family) {
        (Some(service), _) => (
            format!("service {service}"),
            vec![
                ("ClusterName".to_string(), cluster.clone()),
                ("ServiceName".to_string(), service.clone()),
            ],
        ),
        (None, Some(family)) => (
            format!("task family {family}"),
            vec![
                ("ClusterName".to_string(), cluster.clone()),
                ("TaskDefinitionFamily".to_string(), family.clone()),
            ],
        ),
        (None, None) => {
            return Err(Gap::new(
                GapKind::Missing,
                "the memory curve",
                "the task belongs to no service and names no family",
                "read the task's memory in CloudWatch Container Insights",
            ))
        }
    };
    // A minute bucket: repeats of one crash loop share the read.
    let key = format!(
        "memory:{}:{}",
        dimensions
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join("/"),
        ask.until.timestamp() / 60
    );
    let read = async {
        let points = read_points(ctx, &dimensions, ask.until).await?;
        if points.is_empty() {
            return Err(Gap::new(
                GapKind::NotFound,
                format!("the memory curve of {subject}"),
                format!("Container Insights has no MemoryUtilized data for {subject} in the last hour"),
                format!("turn Container Insights on: aws ecs update-cluster-settings --cluster {cluster} --settings name=containerInsights,value=enhanced"),
            )
            .with_action(actions::CLOUDWATCH_GET_METRIC_DATA));
        }
        let percents: Vec<f64> = points.iter().map(MemoryPoint::percent).collect();
        Ok(MemoryFacts {
            subject: subject.clone(),
            dimensions: dimensions.clone(),
            peak_percent: percents.iter().copied().fold(0.0, f64::max),
            shape: shape(&percents),
            points,
            verified_by: vec![actions::CLOUDWATCH_GET_METRIC_DATA.into()],
        })
    };
    cached(ctx, key, read).await
}

fn query(id: &str, metric: &str, dimensions: &[(String, String)]) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(NAMESPACE)
        .metric_name(metric)
        .set_dimensions(Some(
            dimensions
                .iter()
                .map(|(name, value)| Dimension::builder().name(name).value(value).build())
                .collect(),
        ))
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(PERIOD_SECONDS)
                .stat("Maximum")
                .build(),
        )
        .return_data(true)
        .build()
}

async fn read_points(
    ctx: &Ctx<'_>,
    dimensions: &[(String, String)],
    until: DateTime<Utc>,
) -> Probed<Vec<MemoryPoint>> {
    let end = until + chrono::Duration::minutes(1);
    let start = until - chrono::Duration::minutes(WINDOW_MINUTES);
    ctx.count_call();
    let output = ctx
        .clients
        .cloudwatch()
        .get_metric_data()
        .metric_data_queries(query("used", "MemoryUtilized", dimensions))
        .metric_data_queries(query("reserved", "MemoryReserved", dimensions))
        .start_time(aws_smithy_types::DateTime::from_secs(start.timestamp()))
        .end_time(aws_smithy_types::DateTime::from_secs(end.timestamp()))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the memory curve",
                actions::CLOUDWATCH_GET_METRIC_DATA,
                &error,
            )
        })?;
    let series = |id: &str| -> Vec<(DateTime<Utc>, f64)> {
        output
            .metric_data_results()
            .iter()
            .find(|result| result.id() == Some(id))
            .map(|result| {
                result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .filter_map(|(at, value)| Some((time(Some(at))?, *value)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let reserved = series("reserved");
    let mut points: Vec<MemoryPoint> = series("used")
        .into_iter()
        .filter_map(|(at, utilized)| {
            let reserved = reserved.iter().find(|(when, _)| *when == at)?.1;
            Some(MemoryPoint {
                at,
                utilized,
                reserved,
            })
        })
        .collect();
    points.sort_by_key(|point| point.at);
    Ok(points)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_of_memory_curves() {
        let climb: Vec<f64> = (0..30).map(|i| 30.0 + f64::from(i) * 2.4).collect();
        assert_eq!(shape(&climb), Shape::Climb);
        let saw = [40.0, 70.0, 99.0, 35.0, 70.0, 98.0, 36.0, 75.0, 99.0];
        assert_eq!(shape(&saw), Shape::Sawtooth);
        let spike = [20.0, 21.0, 20.0, 22.0, 21.0, 99.0];
        assert_eq!(shape(&spike), Shape::Spike);
        let plateau = [92.0, 95.0, 97.0, 93.0, 99.0, 96.0];
        assert_eq!(shape(&plateau), Shape::Plateau);
        let flat = [30.0, 35.0, 33.0, 31.0, 40.0];
        assert_eq!(shape(&flat), Shape::Flat);
        assert_eq!(shape(&[99.0]), Shape::Unknown);
    }

    #[test]
    fn sizes_are_valid_for_fargate() {
        // 980 MiB peak → 1225 needed: 2048 at 256 CPU units.
        assert_eq!(suggested_size(980.0, Some(256), true), (Some(256), 2048));
        // 1900 MiB at 512 units → 2375 needed → 3072.
        assert_eq!(suggested_size(1900.0, Some(512), true), (Some(512), 3072));
        // 2000 MiB at 256 units → 2500 needed: 256 units stop at 2048, so 512 units and 3072.
        assert_eq!(suggested_size(2000.0, Some(256), true), (Some(512), 3072));
        // 20 GiB at 8192 units: 4096 steps.
        assert_eq!(
            suggested_size(20_000.0, Some(8192), true),
            (Some(8192), 28672)
        );
        // EC2: the next 128 MiB.
        assert_eq!(suggested_size(1000.0, None, false), (None, 1280));
    }
}
