//! Capacity as measured: the memory curve before an OOM kill and the size to set, the subnets'
//! free addresses, the container instances' room.

use super::{Conclusion, Scene};
use crate::facts::capacity::{InstancesFacts, SubnetFacts, FEW_IPS};
use crate::facts::memory::{suggested_size, MemoryFacts, Shape, HEADROOM};
use crate::iam;
use crate::incident::TaskDefinition;

pub(super) fn memory(c: &mut Conclusion, scene: &Scene, facts: &MemoryFacts) {
    let td = scene.task_definition();
    let (cpu, task_memory) = td.map_or((None, None), TaskDefinition::needs);
    let fargate = td.is_some_and(|td| td.requires_compatibilities.iter().any(|c| c == "FARGATE"))
        || scene
            .incident
            .service
            .as_ref()
            .is_some_and(|s| s.launch_type.as_deref() == Some("FARGATE"));
    let peak = facts.peak_percent;
    let peak_mib = task_memory.map(|mib| peak / 100.0 * f64::from(mib));
    let mut text = format!(
        "over the hour before the kill: peak {peak:.0} % of the reserved memory{}, {} one-minute points; {}",
        match (peak_mib, task_memory) {
            (Some(used), Some(of)) => format!(" (about {used:.0} of {of} MiB per task)"),
            _ => String::new(),
        },
        facts.points.len(),
        facts.shape.describe()
    );
    if facts.shape == Shape::Flat {
        text.push_str(" (Container Insights keeps one point a minute)");
    }
    c.verified(
        format!("Container Insights, {}", facts.subject),
        text,
        iam::CLOUDWATCH_GET_METRIC_DATA,
    );
    c.supersede("get-metric-statistics --namespace ECS/ContainerInsights");
    let Some(task_memory) = task_memory else {
        return;
    };
    if matches!(facts.shape, Shape::Climb | Shape::Sawtooth) {
        c.headline("Out of memory: memory grows until the kill");
    }
    c.say(format!(
        "Verified in Container Insights: memory peaked at {peak:.0} % of the task's {task_memory} MiB; {}.",
        facts.shape.describe().split(':').next().unwrap_or_default()
    ));
    // The kill came at a limit, so the need is above it whatever a one-minute point caught:
    // the container's own hard limit when it is below the task's memory, else the task's.
    let container = scene
        .report
        .resources
        .container
        .as_deref()
        .and_then(|name| td.and_then(|td| td.container(name)));
    let container_limit = container
        .and_then(|c| c.memory)
        .filter(|limit| *limit < task_memory);
    let (what, limit, fargate) = match (container, container_limit) {
        (Some(container), Some(limit)) => (
            format!("container {}'s hard limit (memory)", container.name),
            limit,
            false,
        ),
        _ => ("the task's memory".to_string(), task_memory, fargate),
    };
    let basis = peak_mib.unwrap_or(0.0).max(f64::from(limit));
    let (new_cpu, new_memory) = suggested_size(basis, cpu, fargate);
    let cpu_change = match (new_cpu, cpu) {
        (Some(new), Some(old)) if new != old => format!(
            " and its CPU to {new} units (Fargate pairs that memory with at least that CPU)"
        ),
        _ => String::new(),
    };
    let title = if facts.shape.sizing() {
        format!(
            "Set {what} to {new_memory} MiB{cpu_change}: the {limit} MiB it hit plus {:.0} %{}",
            (HEADROOM - 1.0) * 100.0,
            if fargate {
                ", a valid Fargate size"
            } else {
                ""
            }
        )
    } else {
        format!("Find what grows (a heap profile over an hour, a cache without a bound); meanwhile {new_memory} MiB for {what}{cpu_change} buys time")
    };
    c.fix(
        title,
        scene.revision().map(|revision| {
            format!(
                "aws ecs describe-task-definition --task-definition {revision} --region {} --query 'taskDefinition.{{cpu:cpu,memory:memory,containers:containerDefinitions[].{{name:name,memory:memory,memoryReservation:memoryReservation}}}}'",
                scene.region
            )
        }),
    );
}

pub(super) fn subnets(c: &mut Conclusion, scene: &Scene, subnets: &[SubnetFacts]) {
    if subnets.is_empty() {
        return;
    }
    let describe = |subnet: &SubnetFacts| {
        format!(
            "{} ({}{}): {} free addresses",
            subnet.id,
            subnet.availability_zone.as_deref().unwrap_or("?"),
            subnet
                .cidr
                .as_deref()
                .map(|cidr| format!(", {cidr}"))
                .unwrap_or_default(),
            subnet.available_ips.map_or("?".into(), |n| n.to_string())
        )
    };
    for subnet in subnets {
        c.verified("EC2 subnet", describe(subnet), iam::EC2_DESCRIBE_SUBNETS);
    }
    let full: Vec<&SubnetFacts> = subnets
        .iter()
        .filter(|s| s.available_ips.is_some_and(|n| n < FEW_IPS))
        .collect();
    let listed = subnets
        .iter()
        .map(|s| s.id.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let network = scene
        .incident
        .service
        .as_ref()
        .and_then(|s| s.network.as_ref());
    let groups = network
        .map(|n| n.security_groups.join(","))
        .unwrap_or_else(|| "sg-…".into());
    if full.len() == subnets.len() {
        c.headline("Subnets out of IP addresses");
        c.say(format!(
            "Verified: the service's subnets have (almost) no free IP addresses ({}); each awsvpc task needs one.",
            full.iter().map(|s| format!("{} {}", s.id, s.available_ips.unwrap_or(0))).collect::<Vec<_>>().join(", ")
        ));
        c.fix(
            "Add a subnet with free addresses to the service (or free addresses in these)",
            scene.update_service(&format!(
                "--network-configuration 'awsvpcConfiguration={{subnets=[{listed},<subnet-with-room>],securityGroups=[{groups}]}}'"
            )),
        );
    } else if !full.is_empty() {
        c.say(format!(
            "Verified: {} nearly out of addresses; the others have room, so tasks placed there start.",
            full.iter().map(|s| describe(s)).collect::<Vec<_>>().join(", ")
        ));
    } else {
        c.say("Verified: the subnets have free addresses, so the shortage is ENI attachment points on the container instances.");
        c.fix(
            "Let each instance take more awsvpc tasks: turn on ENI trunking (new instances get it)",
            Some(format!(
                "aws ecs put-account-setting --name awsvpcTrunking --value enabled --region {}",
                scene.region
            )),
        );
    }
}

pub(super) fn instances(c: &mut Conclusion, scene: &Scene, facts: &InstancesFacts) {
    let needs = match (facts.needed_cpu, facts.needed_memory) {
        (Some(cpu), Some(memory)) => format!("; the task needs {cpu} CPU units and {memory} MiB"),
        _ => String::new(),
    };
    let most = match (facts.most_cpu_left, facts.most_memory_left) {
        (Some(cpu), Some(memory)) => {
            format!("; the most left on one: {cpu} CPU units, {memory} MiB")
        }
        _ => String::new(),
    };
    c.verified(
        format!("cluster {}", facts.cluster),
        format!(
            "{} ACTIVE container instances, {} with a connected agent{most}{needs}; {} could take the task",
            facts.active, facts.connected, facts.fitting
        ),
        iam::ECS_DESCRIBE_CONTAINER_INSTANCES,
    );
    if facts.active == 0 {
        c.headline("No container instances");
        c.say(format!(
            "Verified: cluster {} has no ACTIVE container instance.",
            facts.cluster
        ));
        c.fix(
            "Start instances for the cluster: its Auto Scaling group or capacity provider has none running",
            Some(format!("aws ecs describe-capacity-providers --region {}", scene.region)),
        );
    } else if facts.connected < facts.active {
        c.say(format!(
            "Verified: {} of the {} instances have a disconnected ECS agent and take no task.",
            facts.active - facts.connected,
            facts.active
        ));
    }
    if facts.connected > 0 && facts.fitting == 0 {
        c.headline("No room on the container instances");
        c.say(format!(
            "Verified: no container instance of cluster {} has room for the task{most}{needs}.",
            facts.cluster
        ));
        c.fix(
            "Add capacity: raise the Auto Scaling group's desired count, or let a capacity provider with managed scaling do it",
            Some("aws autoscaling set-desired-capacity --auto-scaling-group-name <asg> --desired-capacity <current+1>".into()),
        );
    }
}
