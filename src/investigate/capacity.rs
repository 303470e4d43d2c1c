//! The placement probes: free addresses in the service's subnets (an awsvpc task needs one per
//! task), and the cluster's container instances against what the task asks for (EC2 capacity).

use crate::iam;

use super::{cached, Probed};
use crate::aws::{gaps, Ctx};
use crate::facts::capacity::*;

/// ListContainerInstances and DescribeContainerInstances take at most 100 at a time.
const PAGE: i32 = 100;
/// Reads the subnets (shared with the network probe).
pub async fn subnets(ctx: &Ctx<'_>, ask: &SubnetAsk) -> Probed<Vec<SubnetFacts>> {
    let mut ids = ask.subnets.clone();
    ids.sort();
    ids.dedup();
    let key = format!("subnets:{}", ids.join(","));
    cached(ctx, key, describe_subnets(ctx, ids)).await
}

async fn describe_subnets(ctx: &Ctx<'_>, ids: Vec<String>) -> Probed<Vec<SubnetFacts>> {
    ctx.count_call();
    let output = ctx
        .clients
        .ec2()
        .describe_subnets()
        .set_subnet_ids(Some(ids))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error("the service's subnets", iam::EC2_DESCRIBE_SUBNETS, &error)
        })?;
    Ok(output
        .subnets()
        .iter()
        .map(|subnet| SubnetFacts {
            id: subnet.subnet_id().unwrap_or_default().to_string(),
            vpc_id: subnet.vpc_id().map(str::to_string),
            availability_zone: subnet.availability_zone().map(str::to_string),
            cidr: subnet.cidr_block().map(str::to_string),
            available_ips: subnet.available_ip_address_count(),
            map_public_ip: subnet.map_public_ip_on_launch(),
        })
        .collect())
}

/// Reads the cluster's ACTIVE container instances and what they have left.
pub async fn instances(ctx: &Ctx<'_>, ask: &InstanceAsk) -> Probed<InstancesFacts> {
    let key = format!("instances:{}:{:?}:{:?}", ask.cluster, ask.cpu, ask.memory);
    cached(ctx, key, read_instances(ctx, ask)).await
}

async fn read_instances(ctx: &Ctx<'_>, ask: &InstanceAsk) -> Probed<InstancesFacts> {
    let what = format!(
        "the container instances of cluster {}",
        crate::arn::last_segment(&ask.cluster)
    );
    let needed = async {
        match (&ask.task_definition, ask.cpu.or(ask.memory)) {
            (Some(arn), None) => crate::gather::ecs::task_definition(ctx, arn)
                .await
                .map(|td| td.needs())
                .unwrap_or((None, None)),
            _ => (ask.cpu, ask.memory),
        }
    };
    let ((cpu, memory), listed) = tokio::join!(needed, list_instances(ctx, ask, &what));
    let ask = &InstanceAsk {
        cpu,
        memory,
        ..ask.clone()
    };
    let listed = listed?;
    let mut facts = InstancesFacts {
        cluster: crate::arn::last_segment(&ask.cluster).to_string(),
        needed_cpu: ask.cpu,
        needed_memory: ask.memory,
        verified_by: vec![iam::ECS_LIST_CONTAINER_INSTANCES.into()],
        ..InstancesFacts::default()
    };
    if listed.container_instance_arns().is_empty() {
        return Ok(facts);
    }
    ctx.count_call();
    let described = ctx
        .clients
        .ecs()
        .describe_container_instances()
        .cluster(&ask.cluster)
        .set_container_instances(Some(listed.container_instance_arns().to_vec()))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(&what, iam::ECS_DESCRIBE_CONTAINER_INSTANCES, &error)
        })?;
    facts
        .verified_by
        .push(iam::ECS_DESCRIBE_CONTAINER_INSTANCES.into());
    let left = |instance: &aws_sdk_ecs::types::ContainerInstance, name: &str| {
        instance
            .remaining_resources()
            .iter()
            .find(|resource| resource.name() == Some(name))
            .map(|resource| resource.integer_value())
    };
    for instance in described.container_instances() {
        facts.active += 1;
        if !instance.agent_connected() {
            continue;
        }
        facts.connected += 1;
        let (cpu, memory) = (left(instance, "CPU"), left(instance, "MEMORY"));
        facts.most_cpu_left = facts.most_cpu_left.max(cpu);
        facts.most_memory_left = facts.most_memory_left.max(memory);
        let fits = |have: Option<i32>, need: Option<i32>| match (have, need) {
            (Some(have), Some(need)) => have >= need,
            _ => true,
        };
        if fits(cpu, ask.cpu) && fits(memory, ask.memory) {
            facts.fitting += 1;
        }
    }
    Ok(facts)
}

async fn list_instances(
    ctx: &Ctx<'_>,
    ask: &InstanceAsk,
    what: &str,
) -> Probed<aws_sdk_ecs::operation::list_container_instances::ListContainerInstancesOutput> {
    ctx.count_call();
    ctx.clients
        .ecs()
        .list_container_instances()
        .cluster(&ask.cluster)
        .status(aws_sdk_ecs::types::ContainerInstanceStatus::Active)
        .max_results(PAGE)
        .send()
        .await
        .map_err(|error| gaps::from_sdk_error(what, iam::ECS_LIST_CONTAINER_INSTANCES, &error))
}
