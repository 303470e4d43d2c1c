//! The memory probe: Container Insights' memory curve of the service (or the task family) over
//! the hour before the kill: the peak, the shape (a steady climb is a leak, a jump is a burst,
//! a plateau near the limit is sizing), and a memory size to set, valid for Fargate.

use crate::iam;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use chrono::{DateTime, Utc};

use super::{cached, Probed};
use crate::aws::convert::time;
use crate::aws::{gaps, Ctx};
use crate::facts::memory::*;
use crate::incident::{Gap, GapKind};

const NAMESPACE: &str = "ECS/ContainerInsights";
/// One-minute points over the hour before the event.
const PERIOD_SECONDS: i32 = 60;
const WINDOW_MINUTES: i64 = 60;
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
            .with_action(iam::CLOUDWATCH_GET_METRIC_DATA));
        }
        let percents: Vec<f64> = points.iter().map(MemoryPoint::percent).collect();
        Ok(MemoryFacts {
            subject: subject.clone(),
            dimensions: dimensions.clone(),
            peak_percent: percents.iter().copied().fold(0.0, f64::max),
            shape: shape(&percents),
            points,
            verified_by: vec![iam::CLOUDWATCH_GET_METRIC_DATA.into()],
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
            gaps::from_sdk_error("the memory curve", iam::CLOUDWATCH_GET_METRIC_DATA, &error)
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
