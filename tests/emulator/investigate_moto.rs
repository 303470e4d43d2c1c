//! The investigation end to end: an event goes through the handler against moto, the probes its
//! hypothesis calls for read ECR, ELBv2, EC2, CloudWatch, Secrets Manager, SSM and ECS, and the
//! published report states the verified cause, what changed, and the fix with real values.
//!
//! Canned answers (tests/support/overlay.rs) only where moto cannot answer as AWS does, each
//! said where it is used: moto has no ListServiceDeployments, DescribeServiceDeployments or
//! DescribeServiceRevisions, and its DescribeTargetHealth calls every target healthy.

use crate::support::overlay::{Overlay, AWS_JSON, XML};
use crate::support::world::{
    self, container, manifest, manifest_list, stopped_task, Revision, World,
};
use crate::support::{Moto, ACCOUNT, REGION};
use aws_sdk_ecs::types::LaunchType;
use ecs_doctor::handler::{handle_value, OutcomeKind};
use ecs_doctor::render::text;
use ecs_doctor::report::Report;
use serde_json::json;

const PULL_NOT_FOUND: &str = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1.4.2: 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1.4.2: not found";

fn verified<'a>(report: &'a Report, call: &str) -> Vec<&'a str> {
    report
        .evidence
        .iter()
        .filter(|e| e.verified_by.as_deref() == Some(call))
        .map(|e| e.text.as_str())
        .collect()
}

/// api:1 ran fine (v1.4.1, 1024 MiB, DATABASE_URL); api:2 points at a tag that was never pushed,
/// halves the memory and drops DATABASE_URL.
/// The image most tests run.
const API_V1: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1";

/// Registers `revision` and runs it as the Fargate service the tests' events come from.
async fn running(world: &World, revision: Revision) -> String {
    let td = world.register(revision).await;
    world.service(&td, None, LaunchType::Fargate).await;
    td
}

async fn good_and_bad(world: &World) -> (String, String) {
    world.push("v1.4.0", &manifest('0'), None).await;
    world.push("v1.4.1", &manifest('1'), None).await;
    let good = world
        .register(Revision {
            memory: "1024",
            environment: &["DATABASE_URL", "LOG_LEVEL"],
            ..Revision::of("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1.4.1")
        })
        .await;
    let bad = world
        .register(Revision::of(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1.4.2",
        ))
        .await;
    (good, bad)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_that_was_never_pushed_is_named_with_the_tags_that_exist_and_what_changed() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let (_, bad) = good_and_bad(&world).await;
    world.service(&bad, None, LaunchType::Fargate).await;
    // Flood control off: the repeat below is gathered again, to show what the caches save.
    let app = world.app(&moto, &[("DEDUPE_WINDOW_MINUTES", "0")]).await;
    let event = stopped_task(
        &bad,
        "b7a1e0f0-0000-4000-8000-000000000001",
        ("TaskFailedToStart", PULL_NOT_FOUND),
        container("v1.4.2", None, Some(PULL_NOT_FOUND)),
        "x86_64",
        &world.subnet,
    );
    let first = handle_value(&app, event.clone(), None).await.unwrap();
    assert_eq!(first.outcome, OutcomeKind::Published, "{first:?}");
    let report = world.report().await;

    assert_eq!(report.category.id(), "image-pull-not-found");
    assert!(
        report.title.starts_with("Tag v1.4.2 not in ECR: api"),
        "{}",
        report.title
    );
    assert!(
        report.summary.starts_with(
            "Verified in ECR: tag v1.4.2 is not in repository team/api (the repository exists)."
        ),
        "{}",
        report.summary
    );
    let ecr = verified(&report, "ecr:DescribeImages");
    assert!(
        ecr[0].contains("tag v1.4.2 is not in repository team/api")
            && ecr[0].contains("v1.4.1 (pushed"),
        "{ecr:?}"
    );
    assert_eq!(
        report.evidence[0].verified_by.as_deref(),
        Some("ecr:DescribeImages"),
        "verified facts lead"
    );

    let changed = report.what_changed.as_ref().expect("what changed");
    assert_eq!(
        (changed.from.as_str(), changed.to.as_str()),
        ("api:1", "api:2")
    );
    assert_eq!(changed.basis, "the previous revision of the family");
    let texts: Vec<&str> = changed.changes.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts[0], "image team/api v1.4.1 → v1.4.2",
        "the image leads for a pull failure: {texts:?}"
    );
    assert!(texts.contains(&"task memory 1024 → 512 MiB"), "{texts:?}");
    assert!(
        texts.contains(&"environment variables removed: DATABASE_URL"),
        "{texts:?}"
    );

    let steps: Vec<&str> = report.next_steps.iter().map(|s| s.title.as_str()).collect();
    assert!(
        steps[0].starts_with("Push the missing tag v1.4.2 to team/api"),
        "{steps:?}"
    );
    assert_eq!(
        report.next_steps[0].command.as_deref(),
        Some("docker push 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v1.4.2")
    );
    assert!(steps[1].contains("such as v1.4.1"), "{steps:?}");
    assert!(
        steps.iter().any(|s| s.starts_with("Or roll back to api:1")),
        "{steps:?}"
    );

    let email = text::body(&report);
    assert!(
        email.contains("What changed since api:1 (the previous revision of the family)"),
        "{email}"
    );
    assert!(
        email.contains("Verified (ecr:DescribeImages): ECR repository team/api: tag v1.4.2"),
        "{email}"
    );

    // A crash-loop repeat: the probes' answers and both revisions come from the caches.
    let mut again = event;
    again["id"] = "b7a1e0f0-0000-4000-8000-000000000002".into();
    let second = handle_value(&app, again, None).await.unwrap();
    world.report().await;
    assert!(
        second.aws_calls + 4 <= first.aws_calls,
        "the repeat reads neither ECR nor the revisions again: {} then {}",
        first.aws_calls,
        second.aws_calls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_exit_from_an_image_built_for_another_architecture_is_verified_in_its_manifest_list(
) {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    world
        .push(
            "v2",
            &manifest_list(&[("linux", "amd64")]),
            Some("application/vnd.docker.distribution.manifest.list.v2+json"),
        )
        .await;
    let td = running(
        &world,
        Revision {
            architecture: Some("ARM64"),
            ..Revision::of("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:v2")
        },
    )
    .await;
    let app = world.app(&moto, &[]).await;
    // Exit 1 and not one log line (the log stream was never written): what an exec format error
    // looks like when the runtime does not say it.
    let event = stopped_task(
        &td,
        "c0a1e0f0-0000-4000-8000-000000000001",
        world::EXITED,
        container("v2", Some(1), None),
        "arm64",
        &world.subnet,
    );
    let report = world.run(&app, event).await;
    assert_eq!(
        report.category.id(),
        "wrong-architecture",
        "{}",
        report.summary
    );
    assert!(
        report.title.starts_with("Image built for linux/amd64 only"),
        "{}",
        report.title
    );
    let manifest = verified(&report, "ecr:BatchGetImage");
    assert_eq!(
        manifest,
        ["team/api:v2 is built for linux/amd64 only; the task runs on arm64"]
    );
    let steps: Vec<&str> = report.next_steps.iter().map(|s| s.title.as_str()).collect();
    assert!(steps[0].starts_with("Run the task on the image's architecture: set runtimePlatform.cpuArchitecture to X86_64 in api:1"), "{steps:?}");
    assert!(report.next_steps[1]
        .command
        .as_deref()
        .unwrap()
        .starts_with("docker buildx build --platform linux/amd64,linux/arm64"));
}

/// DescribeTargetHealth as AWS answers for a target whose health check got a 404 (reason code
/// and description as the ELBv2 API reference documents them); moto calls every target healthy.
const TARGET_HEALTH_404: &str = r#"<DescribeTargetHealthResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
  <DescribeTargetHealthResult>
    <TargetHealthDescriptions>
      <member>
        <HealthCheckPort>traffic-port</HealthCheckPort>
        <TargetHealth>
          <State>unhealthy</State>
          <Reason>Target.ResponseCodeMismatch</Reason>
          <Description>Health checks failed with these codes: [404]</Description>
        </TargetHealth>
        <Target><Id>10.1.1.25</Id><Port>8080</Port></Target>
      </member>
    </TargetHealthDescriptions>
  </DescribeTargetHealthResult>
  <ResponseMetadata><RequestId>5a3e7c1b-0000-4000-8000-000000000000</RequestId></ResponseMetadata>
</DescribeTargetHealthResponse>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_elb_health_check_stop_names_the_path_the_codes_and_the_fix() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let td = world.register(Revision::of(API_V1)).await;
    let target_group = aws_sdk_elasticloadbalancingv2::Client::new(&world.sdk)
        .create_target_group()
        .name("api")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8080)
        .vpc_id(&world.vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Ip)
        .health_check_path("/health")
        .health_check_interval_seconds(30)
        .healthy_threshold_count(5)
        .unhealthy_threshold_count(2)
        .matcher(
            aws_sdk_elasticloadbalancingv2::types::Matcher::builder()
                .http_code("200")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    world
        .service(&td, Some(&target_group), LaunchType::Fargate)
        .await;
    let overlay = Overlay::default();
    overlay.answer("DescribeTargetHealth", XML, TARGET_HEALTH_404);
    let app = world.app_behind(&moto, &[], &overlay).await;
    let event = stopped_task(
        &td,
        "d0a1e0f0-0000-4000-8000-000000000001",
        (
            "ServiceSchedulerInitiated",
            &format!("Task failed ELB health checks in (target-group {target_group})"),
        ),
        container("v1", Some(143), None),
        "x86_64",
        &world.subnet,
    );
    handle_value(&app, event, None).await.unwrap();
    assert_eq!(overlay.answered("DescribeTargetHealth"), 1);
    let report = world.report().await;
    assert_eq!(report.category.id(), "elb-health-check");
    assert!(
        report.title.starts_with("Health check gets 404 on /health"),
        "{}",
        report.title
    );
    assert_eq!(
        verified(&report, "elasticloadbalancing:DescribeTargetGroups"),
        ["health check: HTTP GET /health on the traffic port expecting 200, every 30 s (timeout 5 s, 5 to pass, 2 to fail); 0 healthy targets"]
    );
    assert_eq!(
        verified(&report, "elasticloadbalancing:DescribeTargetHealth"),
        ["target 10.1.1.25:8080 (this task) unhealthy: Target.ResponseCodeMismatch — Health checks failed with these codes: [404]"]
    );
    assert!(
        report
            .summary
            .contains("the load balancer gets 404 on /health: the app does not serve that path"),
        "{}",
        report.summary
    );
    let fix = &report.next_steps[0];
    assert!(
        fix.title
            .starts_with("Point the health check at a path the app serves"),
        "{fix:?}"
    );
    assert_eq!(
        fix.command.as_deref(),
        Some(format!("aws elbv2 modify-target-group --target-group-arn {target_group} --health-check-path /<path-the-app-serves> --region {REGION}").as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oom_kill_gets_the_memory_curve_and_a_valid_fargate_size() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let td = running(&world, Revision::of(API_V1)).await;
    // Container Insights: one task at 470 to 508 MiB of its 512 for the last 30 minutes.
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&world.sdk);
    let now = chrono::Utc::now().timestamp() / 60 * 60;
    for minute in 0..30 {
        let at = aws_smithy_types::DateTime::from_secs(now - (30 - minute) * 60);
        let used = 470.0 + f64::from((minute * 7 % 39) as i32);
        for (name, value) in [("MemoryUtilized", used), ("MemoryReserved", 512.0)] {
            cloudwatch
                .put_metric_data()
                .namespace("ECS/ContainerInsights")
                .metric_data(
                    aws_sdk_cloudwatch::types::MetricDatum::builder()
                        .metric_name(name)
                        .dimensions(
                            aws_sdk_cloudwatch::types::Dimension::builder()
                                .name("ClusterName")
                                .value("prod")
                                .build(),
                        )
                        .dimensions(
                            aws_sdk_cloudwatch::types::Dimension::builder()
                                .name("ServiceName")
                                .value("api")
                                .build(),
                        )
                        .timestamp(at)
                        .value(value)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
    }
    let app = world.app(&moto, &[]).await;
    let reason = "OutOfMemoryError: Container killed due to memory usage";
    let event = stopped_task(
        &td,
        "e0a1e0f0-0000-4000-8000-000000000001",
        world::EXITED,
        container("v1", Some(137), Some(reason)),
        "x86_64",
        &world.subnet,
    );
    let report = world.run(&app, event).await;
    assert_eq!(report.category.id(), "oom");
    let curve = verified(&report, "cloudwatch:GetMetricData");
    assert!(curve[0].starts_with("over the hour before the kill: peak 99 % of the reserved memory (about 508 of 512 MiB per task), 30 one-minute points; a plateau near the limit"), "{curve:?}");
    assert!(report.summary.starts_with("Verified in Container Insights: memory peaked at 99 % of the task's 512 MiB; a plateau near the limit."), "{}", report.summary);
    assert!(
        report.next_steps[0].title.starts_with(
            "Set the task's memory to 1024 MiB: the 512 MiB it hit plus 25 %, a valid Fargate size"
        ),
        "{:?}",
        report.next_steps[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placement_failure_counts_the_free_addresses_in_the_service_subnets() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    running(&world, Revision::of(API_V1)).await;
    // Fill the subnet: moto counts the addresses network interfaces take.
    let ec2 = aws_sdk_ec2::Client::new(&world.sdk);
    let free = ec2
        .describe_subnets()
        .subnet_ids(&world.subnet)
        .send()
        .await
        .unwrap()
        .subnets()[0]
        .available_ip_address_count()
        .unwrap();
    for _ in 0..free {
        ec2.create_network_interface()
            .subnet_id(&world.subnet)
            .send()
            .await
            .unwrap();
    }
    let app = world.app(&moto, &[]).await;
    let event = world::placement_failure("f0a1e0f0-0000-4000-8000-000000000001", "RESOURCE:ENI");
    let report = world.run(&app, event).await;
    assert_eq!(report.category.id(), "placement-eni-or-ip");
    assert!(
        report.title.starts_with("Subnets out of IP addresses"),
        "{}",
        report.title
    );
    assert_eq!(
        verified(&report, "ec2:DescribeSubnets"),
        [format!(
            "{} (us-east-1a, 10.1.1.0/24): 0 free addresses",
            world.subnet
        )]
    );
    let fix = report.next_steps[0].command.as_deref().unwrap();
    assert!(
        fix.contains(&format!(
            "subnets=[{},<subnet-with-room>],securityGroups=[{}]",
            world.subnet, world.security_group
        )),
        "{fix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_room_on_the_container_instances_is_measured_against_the_task() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let td = world
        .register(Revision {
            cpu: "8192",
            memory: "16384",
            ..Revision::of(API_V1)
        })
        .await;
    world.service(&td, None, LaunchType::Ec2).await;
    let ec2 = aws_sdk_ec2::Client::new(&world.sdk);
    let instance = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Small)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .unwrap()
        .instances()[0]
        .instance_id()
        .unwrap()
        .to_string();
    aws_sdk_ecs::Client::new(&world.sdk)
        .register_container_instance()
        .cluster(world::CLUSTER)
        .instance_identity_document(json!({"instanceId": instance}).to_string())
        .send()
        .await
        .unwrap();
    let app = world.app(&moto, &[]).await;
    let event = world::placement_failure("f1a1e0f0-0000-4000-8000-000000000001", "RESOURCE:MEMORY");
    let report = world.run(&app, event).await;
    assert_eq!(report.category.id(), "placement-resources");
    let instances = verified(&report, "ecs:DescribeContainerInstances");
    assert!(
        instances[0].starts_with(
            "1 ACTIVE container instances, 1 with a connected agent; the most left on one:"
        ),
        "{instances:?}"
    );
    assert!(
        instances[0]
            .ends_with("the task needs 8192 CPU units and 16384 MiB; 0 could take the task"),
        "{instances:?}"
    );
    assert!(
        report
            .title
            .starts_with("No room on the container instances"),
        "{}",
        report.title
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_that_timed_out_finds_the_private_subnet_without_a_way_out() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let td = running(&world, Revision::of(API_V1)).await;
    // Another VPC of the region has the ECR endpoints: the probe reads the region's endpoints
    // in the same round trip as the subnets, and must keep only those of the task's VPC.
    let ec2 = aws_sdk_ec2::Client::new(&world.sdk);
    let other = ec2
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .send()
        .await
        .unwrap();
    let other = other.vpc().and_then(|v| v.vpc_id()).unwrap();
    for service in ["ecr.api", "ecr.dkr"] {
        ec2.create_vpc_endpoint()
            .vpc_id(other)
            .service_name(format!("com.amazonaws.us-east-1.{service}"))
            .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Interface)
            .send()
            .await
            .unwrap();
    }
    let app = world.app(&moto, &[]).await;
    let reason = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 time(s): RequestError: send request failed caused by: Post \"https://api.ecr.us-east-1.amazonaws.com/\": dial tcp 52.95.120.8:443: i/o timeout. Please check your task network configuration.";
    let event = stopped_task(
        &td,
        "a0b1e0f0-0000-4000-8000-000000000001",
        ("TaskFailedToStart", reason),
        container("v1", None, None),
        "x86_64",
        &world.subnet,
    );
    let report = world.run(&app, event).await;
    assert_eq!(report.category.id(), "image-pull-network");
    assert!(
        report
            .title
            .starts_with("No route out of the task's subnet"),
        "{}",
        report.title
    );
    let routes = verified(&report, "ec2:DescribeRouteTables");
    assert!(
        routes[0].ends_with("(the VPC's main table): 0.0.0.0/0 → nowhere"),
        "{routes:?}"
    );
    assert_eq!(
        verified(&report, "ec2:DescribeVpcEndpoints"),
        ["endpoints for what the task needed (Amazon ECR (to pull the image)): none"]
    );
    assert!(
        report.summary.contains(&format!(
            "subnet {} has no route to 0.0.0.0/0",
            world.subnet
        )),
        "{}",
        report.summary
    );
    assert!(
        report
            .summary
            .contains("the VPC has no ecr.api, ecr.dkr, s3 endpoint"),
        "{}",
        report.summary
    );
    let fix = report.next_steps[0].command.as_deref().unwrap();
    assert!(
        fix.starts_with("aws ec2 create-route --route-table-id rtb-")
            && fix.contains("--nat-gateway-id nat-…"),
        "{fix}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_that_does_not_exist_is_named_and_a_denied_one_gets_the_policy_to_grant() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let secrets = aws_sdk_secretsmanager::Client::new(&world.sdk);
    // The secret names its key by an alias, as DescribeSecret then returns it.
    let kms = aws_sdk_kms::Client::new(&world.sdk);
    let key = kms.create_key().send().await.unwrap();
    let key = key.key_metadata().unwrap();
    let key_arn = key.arn().unwrap().to_string();
    kms.create_alias()
        .alias_name("alias/api-secrets")
        .target_key_id(key.key_id())
        .send()
        .await
        .unwrap();
    let kept = secrets
        .create_secret()
        .name("prod/api-key")
        .secret_string("not-a-real-key")
        .kms_key_id("alias/api-secrets")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let missing = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbCdEf");
    let td = running(
        &world,
        Revision {
            secrets: vec![
                ("DB_PASSWORD".into(), missing.clone()),
                ("API_KEY".into(), kept.clone()),
            ],
            ..Revision::of(API_V1)
        },
    )
    .await;
    let app = world.app(&moto, &[("DEDUPE_WINDOW_MINUTES", "0")]).await;
    let denied = |arn: &str| {
        format!("ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret {arn} from secrets manager: AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/api-execution/9f2c is not authorized to perform: secretsmanager:GetSecretValue on resource: {arn} because no identity-based policy allows the secretsmanager:GetSecretValue action status code: 400")
    };

    // ECS says "denied" for the secret that is not there: the probe says it does not exist.
    let event = stopped_task(
        &td,
        "a1b1e0f0-0000-4000-8000-000000000001",
        ("TaskFailedToStart", &denied(&missing)),
        container("v1", None, None),
        "x86_64",
        &world.subnet,
    );
    let report = world.run(&app, event).await;
    assert_eq!(
        report.category.id(),
        "secrets-invalid-reference",
        "{}",
        report.summary
    );
    assert!(
        report
            .title
            .starts_with("Secret for DB_PASSWORD does not exist"),
        "{}",
        report.title
    );
    assert_eq!(
        verified(&report, "secretsmanager:DescribeSecret"),
        ["does not exist (referenced by DB_PASSWORD of container api)"]
    );

    // The secret that exists under a customer managed key: the execution role needs both.
    let event = stopped_task(
        &td,
        "a1b1e0f0-0000-4000-8000-000000000002",
        ("TaskFailedToStart", &denied(&kept)),
        container("v1", None, None),
        "x86_64",
        &world.subnet,
    );
    let report = world.run(&app, event).await;
    assert_eq!(
        report.category.id(),
        "secrets-access-denied",
        "{}",
        report.summary
    );
    let facts = verified(&report, "secretsmanager:DescribeSecret");
    assert!(
        facts[0].starts_with(
            "exists (for API_KEY of container api); encrypted with KMS key alias/api-secrets"
        ),
        "{facts:?}"
    );
    let grant = report
        .next_steps
        .iter()
        .find(|s| {
            s.title
                .starts_with("Let the execution role api-execution read the secrets")
        })
        .expect("the grant");
    let command = grant.command.as_deref().unwrap();
    assert!(
        command.starts_with("aws iam put-role-policy --role-name api-execution"),
        "{command}"
    );
    assert!(
        command.contains(&format!(
            r#""Action":"secretsmanager:GetSecretValue","Resource":"{kept}""#
        )),
        "{command}"
    );
    // A policy on the alias would not cover the key (KMS developer guide): the key's ARN.
    assert!(
        command.contains(&format!(r#""Action":"kms:Decrypt","Resource":"{key_arn}""#)),
        "{command}"
    );
    assert!(!command.contains("alias/"), "{command}");
    assert_eq!(
        verified(&report, "kms:DescribeKey"),
        ["customer managed, Enabled (the key behind alias/api-secrets); encrypts API_KEY of container api"]
    );
}

/// The service deployment as the ECS API reference documents ListServiceDeployments,
/// DescribeServiceDeployments and DescribeServiceRevisions (moto has none of the three).
fn canned_deployment(overlay: &Overlay, good: &str, bad: &str) {
    canned_deployment_because(
        overlay,
        good,
        bad,
        "Service deployment rolled back because of alarm api-5xx.",
    );
}

/// moto has no service deployments: ListServiceDeployments, DescribeServiceDeployments and
/// DescribeServiceRevisions answer as AWS's API reference shows them, rolled back for `reason`.
fn canned_deployment_because(overlay: &Overlay, good: &str, bad: &str, reason: &str) {
    let service = world::service_arn("api");
    let cluster = world::cluster_arn();
    let revision =
        |id: &str| format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service-revision/prod/api/{id}");
    let deployment =
        |id: &str| format!("arn:aws:ecs:{REGION}:{ACCOUNT}:service-deployment/prod/api/{id}");
    let now = chrono::Utc::now().timestamp() as f64;
    overlay.answer(
        "ListServiceDeployments",
        AWS_JSON,
        json!({"serviceDeployments": [
            {"serviceDeploymentArn": deployment("NCWGC2ZR-taawPAYrIaU5"), "serviceArn": service, "clusterArn": cluster,
             "createdAt": now - 600.0, "startedAt": now - 600.0, "finishedAt": now - 30.0,
             "targetServiceRevisionArn": revision("4980306466373577095"), "status": "ROLLBACK_SUCCESSFUL",
             "statusReason": reason},
            {"serviceDeploymentArn": deployment("Kq7bPz1Q-abcDEFghIjk"), "serviceArn": service, "clusterArn": cluster,
             "createdAt": now - 86400.0, "finishedAt": now - 86000.0,
             "targetServiceRevisionArn": revision("1111111111111111111"), "status": "SUCCESSFUL"}
        ]})
        .to_string(),
    );
    overlay.answer(
        "DescribeServiceDeployments",
        AWS_JSON,
        json!({"serviceDeployments": [{
            "serviceDeploymentArn": deployment("NCWGC2ZR-taawPAYrIaU5"), "serviceArn": service, "clusterArn": cluster,
            "createdAt": now - 600.0, "startedAt": now - 600.0, "finishedAt": now - 30.0,
            "sourceServiceRevisions": [{"arn": revision("1111111111111111111"), "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0}],
            "targetServiceRevision": {"arn": revision("4980306466373577095"), "requestedTaskCount": 2, "runningTaskCount": 0, "pendingTaskCount": 0},
            "status": "ROLLBACK_SUCCESSFUL", "statusReason": reason,
            "rollback": {"reason": reason, "startedAt": now - 120.0, "serviceRevisionArn": revision("1111111111111111111")},
            "deploymentCircuitBreaker": {"status": "MONITORING_COMPLETE", "failureCount": 0, "threshold": 3},
            "deploymentConfiguration": if reason.contains("hook") {
                json!({"strategy": "CANARY", "bakeTimeInMinutes": 10,
                       "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}})
            } else {
                json!({"strategy": "ROLLING"})
            },
            "lifecycleStage": if reason.contains("hook") { "TEST_TRAFFIC_SHIFT" } else { "CLEAN_UP" },
            "lifecycleHookDetails": if reason.contains("hook") {
                json!([{"hookId": "ecs-aws_lambda-Zq1lD8v2", "targetType": "AWS_LAMBDA",
                        "targetArn": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:checkout-canary-check"),
                        "status": "FAILED", "timeoutAction": "ROLLBACK"}])
            } else {
                json!([])
            },
            "alarms": if reason.contains("alarm") {
                json!({"status": "TRIGGERED", "alarmNames": ["api-5xx"], "triggeredAlarmNames": ["api-5xx"]})
            } else {
                json!({"status": "MONITORING_COMPLETE", "alarmNames": [], "triggeredAlarmNames": []})
            }
        }], "failures": []})
        .to_string(),
    );
    overlay.answer(
        "DescribeServiceRevisions",
        AWS_JSON,
        json!({"serviceRevisions": [
            {"serviceRevisionArn": revision("1111111111111111111"), "serviceArn": service, "clusterArn": cluster, "taskDefinition": good},
            {"serviceRevisionArn": revision("4980306466373577095"), "serviceArn": service, "clusterArn": cluster, "taskDefinition": bad}
        ], "failures": []})
        .to_string(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_stopped_by_an_alarm_names_the_alarm_its_reason_and_what_changed() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let (good, bad) = good_and_bad(&world).await;
    world.service(&bad, None, LaunchType::Fargate).await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&world.sdk);
    cloudwatch
        .put_metric_alarm()
        .alarm_name("api-5xx")
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_Target_5XX_Count")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(3)
        .threshold(5.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    cloudwatch
        .set_alarm_state()
        .alarm_name("api-5xx")
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("Threshold Crossed: 3 out of the last 3 datapoints [41.0, 38.0, 52.0] were greater than the threshold (5.0).")
        .send()
        .await
        .unwrap();
    let overlay = Overlay::default();
    canned_deployment(&overlay, &good, &bad);
    let app = world.app_behind(&moto, &[], &overlay).await;
    let event = world::deployment_failed(
        "a2b1e0f0-0000-4000-8000-000000000001",
        "ECS deployment alarms: The deployment failed because of the CloudWatch alarm api-5xx in ALARM state.",
    );
    let report = world.run(&app, event).await;
    assert_eq!(report.category.id(), "deployment-alarm");
    assert!(report.summary.starts_with("Verified: alarm api-5xx (AWS/ApplicationELB HTTPCode_Target_5XX_Count) stopped the deployment: Threshold Crossed: 3 out of the last 3 datapoints"), "{}", report.summary);
    let alarm = verified(&report, "cloudwatch:DescribeAlarms");
    assert!(
        alarm[0].starts_with(
            "alarm api-5xx (AWS/ApplicationELB HTTPCode_Target_5XX_Count) ALARM since"
        ),
        "{alarm:?}"
    );
    let deployment = verified(&report, "ecs:DescribeServiceDeployments");
    assert_eq!(deployment[0], "NCWGC2ZR-taawPAYrIaU5 ROLLBACK_SUCCESSFUL (deploying api:2): Service deployment rolled back because of alarm api-5xx.");
    assert!(
        deployment[1].starts_with("ECS rolled back to api:1 at "),
        "{deployment:?}"
    );
    let changed = report.what_changed.as_ref().expect("what changed");
    assert_eq!(
        (changed.from.as_str(), changed.to.as_str()),
        ("api:1", "api:2")
    );
    assert_eq!(changed.basis, "the revision ECS rolled back to");
    assert!(
        report.next_steps.iter().all(|s| !s
            .command
            .as_deref()
            .unwrap_or("")
            .contains("describe-alarms --state-value")),
        "the alarm is named: no region-wide listing"
    );
    assert!(report.next_steps[0]
        .command
        .as_deref()
        .unwrap()
        .starts_with("aws cloudwatch describe-alarm-history --alarm-name api-5xx"));
    for operation in [
        "ListServiceDeployments",
        "DescribeServiceDeployments",
        "DescribeServiceRevisions",
    ] {
        assert_eq!(overlay.answered(operation), 1, "{operation}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_role_denial_in_the_logs_gets_the_action_the_resource_and_the_grant() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let td = running(
        &world,
        Revision {
            task_role: Some("api-task"),
            ..Revision::of(API_V1)
        },
    )
    .await;
    world
        .logs(&[
            "Starting api on :8080",
            "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the GetObject operation: User: arn:aws:sts::123456789012:assumed-role/api-task/7a1c0de5 is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::acme-config/prod.json because no identity-based policy allows the s3:GetObject action",
        ])
        .await;
    let app = world.app(&moto, &[]).await;
    let event = stopped_task(
        &td,
        "a3b1e0f0-0000-4000-8000-000000000001",
        world::EXITED,
        container("v1", Some(1), None),
        "x86_64",
        &world.subnet,
    );
    let report = world.run(&app, event).await;
    assert_eq!(report.category.id(), "task-role-access-denied");
    assert!(
        report.title.starts_with("Task role denied s3:GetObject"),
        "{}",
        report.title
    );
    let grant = &report.next_steps[0];
    assert_eq!(
        grant.title,
        "Allow s3:GetObject on arn:aws:s3:::acme-config/prod.json to the task role api-task"
    );
    assert_eq!(
        grant.command.as_deref(),
        Some(
            r#"aws iam put-role-policy --role-name api-task --policy-name ecs-doctor-s3-getobject --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-config/prod.json"}]}'"#
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_turned_off_read_nothing_more_and_a_denied_probe_is_a_gap_naming_its_action() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let (_, bad) = good_and_bad(&world).await;
    world.service(&bad, None, LaunchType::Fargate).await;
    let event = |id: &str| {
        stopped_task(
            &bad,
            id,
            ("TaskFailedToStart", PULL_NOT_FOUND),
            container("v1.4.2", None, Some(PULL_NOT_FOUND)),
            "x86_64",
            &world.subnet,
        )
    };

    let off = world.app(&moto, &[("PROBES", "none")]).await;
    let outcome = handle_value(&off, event("a4b1e0f0-0000-4000-8000-000000000001"), None)
        .await
        .unwrap();
    let report = world.report().await;
    assert!(
        report.evidence.iter().all(|e| e.verified_by.is_none()),
        "PROBES=none verifies nothing"
    );
    assert!(report.what_changed.is_none());
    assert_eq!(report.title.split(':').next(), Some("Image not found"));
    // DescribeTaskDefinition, DescribeServices, ListTasks (DescribeTasks), Publish: no probe.
    assert!(outcome.aws_calls <= 5, "{outcome:?}");

    // ECR refuses: the alert still goes out, and says which action to grant.
    let overlay = Overlay::default();
    overlay.rule(|request| {
        (request.operation == "DescribeImages").then(|| crate::support::overlay::Answer {
            status: 400,
            content_type: AWS_JSON,
            body: json!({"__type": "AccessDeniedException", "message": "User: arn:aws:sts::123456789012:assumed-role/ecs-doctor/x is not authorized to perform: ecr:DescribeImages"}).to_string(),
        })
    });
    // Flood control off: the loop's next crash below is gathered again.
    let denied = world
        .app_behind(&moto, &[("DEDUPE_WINDOW_MINUTES", "0")], &overlay)
        .await;
    let outcome = handle_value(&denied, event("a4b1e0f0-0000-4000-8000-000000000002"), None)
        .await
        .unwrap();
    assert_eq!(outcome.outcome, OutcomeKind::Published, "{outcome:?}");
    let report = world.report().await;
    let gap = report
        .gaps
        .iter()
        .find(|gap| gap.action.as_deref() == Some("ecr:DescribeImages"))
        .expect("a gap naming ecr:DescribeImages");
    assert_eq!(
        gap.fix,
        "grant ecr:DescribeImages to the ecs-doctor function's role"
    );
    assert!(report.what_changed.is_some(), "the other probes still ran");

    // The next crash of the loop: a denial lasts, so it is not asked again (kept like an
    // answer, two minutes), and the alert still names the action to grant.
    let asked = overlay.answered("DescribeImages");
    handle_value(&denied, event("a4b1e0f0-0000-4000-8000-000000000003"), None)
        .await
        .unwrap();
    let report = world.report().await;
    assert!(
        report
            .gaps
            .iter()
            .any(|gap| gap.action.as_deref() == Some("ecr:DescribeImages")),
        "{:?}",
        report.gaps
    );
    assert_eq!(overlay.answered("DescribeImages"), asked, "not asked again");
}

/// The deployment a canary's lifecycle hook failed: one alert, naming the hook function, the
/// lifecycle stage and the function's own error (its log group, read from moto's CloudWatch
/// Logs); not a circuit breaker. moto has no service deployments: those answers are canned. moto's
/// FilterLogEvents ignores `?term` filter patterns (AWS applies them); the probe picks the error
/// lines again itself, so both give the same lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_whose_hook_returned_failed_names_the_function_the_stage_and_its_error() {
    let moto = Moto::start();
    let world = World::new(&moto).await;
    let (good, bad) = good_and_bad(&world).await;
    world.service(&bad, None, LaunchType::Fargate).await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&world.sdk);
    logs.create_log_group()
        .log_group_name("/aws/lambda/checkout-canary-check")
        .send()
        .await
        .unwrap();
    crate::support::seed::crash_lines_in_with(
        &logs,
        "/aws/lambda/checkout-canary-check",
        "2026/12/06/[$LATEST]0f3a5c1e9d2b4a6f",
        &[
            "START RequestId: 6f1c8e2a-4b3d-4e5f-9a8b-7c6d5e4f3a2b Version: $LATEST",
            "[ERROR] CanaryCheckFailed: GET https://test.checkout.internal/health returned 503 (3 of 3 probes)",
            "END RequestId: 6f1c8e2a-4b3d-4e5f-9a8b-7c6d5e4f3a2b",
        ],
    )
    .await;
    let reason = format!(
        "Service deployment rolled back because TEST_TRAFFIC_SHIFT lifecycle hook(s) failed. Lifecycle hook target arn:aws:lambda:{REGION}:{ACCOUNT}:function:checkout-canary-check returned FAILED status."
    );
    let overlay = Overlay::default();
    canned_deployment_because(&overlay, &good, &bad, &reason);
    let app = world.app_behind(&moto, &[], &overlay).await;
    let event = world::deployment_failed("a2b1e0f0-0000-4000-8000-0000000000c1", &reason);
    let report = world.run(&app, event).await;
    assert_eq!(
        report.category.id(),
        "deployment-hook-failed",
        "{}",
        report.title
    );
    assert!(
        report.title.contains("checkout-canary-check"),
        "{}",
        report.title
    );
    assert!(
        report.summary.contains("checkout-canary-check")
            && report.summary.contains("TEST_TRAFFIC_SHIFT")
            && report.summary.contains(
                "CanaryCheckFailed: GET https://test.checkout.internal/health returned 503"
            ),
        "{}",
        report.summary
    );
    let deployment = verified(&report, "ecs:DescribeServiceDeployments");
    assert!(
        deployment
            .iter()
            .any(|e| e
                .contains("strategy CANARY, lifecycle stage TEST_TRAFFIC_SHIFT, bake time 10 min")),
        "{deployment:?}"
    );
    assert!(
        deployment
            .iter()
            .any(|e| e.contains("AWS_LAMBDA hook arn:aws:lambda:")
                && e.contains("checkout-canary-check FAILED")),
        "{deployment:?}"
    );
    let logged = verified(&report, "logs:FilterLogEvents");
    assert!(
        logged.iter().any(|line| line.contains("CanaryCheckFailed")),
        "{logged:?}"
    );
    assert!(
        !report.summary.contains("circuit breaker"),
        "{}",
        report.summary
    );
    let text = text::body(&report);
    assert!(
        text.contains("aws logs tail /aws/lambda/checkout-canary-check"),
        "{text}"
    );
}
