//! Every IAM action ecs-doctor names, each spelled once. The call sites name the action of their
//! call with these constants (a gap says which action to grant, a verified fact which action
//! showed it), the lists in `crate::aws` (the reads, each probe's reads, the function's own) are built
//! from them, and `tests/engine/template.rs` holds the templates' roles to those lists.

// ---- What every failure reads in its account --------------------------------------------------
pub const ECS_DESCRIBE_TASK_DEFINITION: &str = "ecs:DescribeTaskDefinition";
pub const ECS_DESCRIBE_SERVICES: &str = "ecs:DescribeServices";
pub const ECS_LIST_TASKS: &str = "ecs:ListTasks";
pub const ECS_DESCRIBE_TASKS: &str = "ecs:DescribeTasks";
pub const ECS_LIST_TAGS_FOR_RESOURCE: &str = "ecs:ListTagsForResource";
pub const LOGS_GET_LOG_EVENTS: &str = "logs:GetLogEvents";

// ---- What the probes read -----------------------------------------------------------------------
pub const ECR_DESCRIBE_IMAGES: &str = "ecr:DescribeImages";
pub const ECR_BATCH_GET_IMAGE: &str = "ecr:BatchGetImage";
pub const ECR_GET_REPOSITORY_POLICY: &str = "ecr:GetRepositoryPolicy";
pub const ELB_DESCRIBE_TARGET_GROUPS: &str = "elasticloadbalancing:DescribeTargetGroups";
pub const ELB_DESCRIBE_TARGET_HEALTH: &str = "elasticloadbalancing:DescribeTargetHealth";
pub const CLOUDWATCH_GET_METRIC_DATA: &str = "cloudwatch:GetMetricData";
pub const CLOUDWATCH_DESCRIBE_ALARMS: &str = "cloudwatch:DescribeAlarms";
pub const EC2_DESCRIBE_SUBNETS: &str = "ec2:DescribeSubnets";
pub const EC2_DESCRIBE_ROUTE_TABLES: &str = "ec2:DescribeRouteTables";
pub const EC2_DESCRIBE_VPC_ENDPOINTS: &str = "ec2:DescribeVpcEndpoints";
pub const EC2_DESCRIBE_SECURITY_GROUPS: &str = "ec2:DescribeSecurityGroups";
pub const ECS_LIST_CONTAINER_INSTANCES: &str = "ecs:ListContainerInstances";
pub const ECS_DESCRIBE_CONTAINER_INSTANCES: &str = "ecs:DescribeContainerInstances";
pub const SECRETSMANAGER_DESCRIBE_SECRET: &str = "secretsmanager:DescribeSecret";
pub const SSM_DESCRIBE_PARAMETERS: &str = "ssm:DescribeParameters";
/// The secret's key, by the id or alias DescribeSecret or DescribeParameters gave: its ARN (a
/// policy on an alias does not cover the key) and whether AWS manages it. Metadata only.
pub const KMS_DESCRIBE_KEY: &str = "kms:DescribeKey";
pub const ECS_LIST_SERVICE_DEPLOYMENTS: &str = "ecs:ListServiceDeployments";
pub const ECS_DESCRIBE_SERVICE_DEPLOYMENTS: &str = "ecs:DescribeServiceDeployments";
pub const ECS_DESCRIBE_SERVICE_REVISIONS: &str = "ecs:DescribeServiceRevisions";
/// A lifecycle hook function's own error lines (its `/aws/lambda/NAME` log group).
pub const LOGS_FILTER_LOG_EVENTS: &str = "logs:FilterLogEvents";

// ---- What only the function does, in its own account -------------------------------------------
pub const SNS_PUBLISH: &str = "sns:Publish";
pub const DYNAMODB_GET_ITEM: &str = "dynamodb:GetItem";
pub const DYNAMODB_PUT_ITEM: &str = "dynamodb:PutItem";
pub const DYNAMODB_QUERY: &str = "dynamodb:Query";
pub const STS_ASSUME_ROLE: &str = "sts:AssumeRole";
/// The incident stream (EVENT_BUS_ARN).
pub const EVENTS_PUT_EVENTS: &str = "events:PutEvents";

// ---- What the task's roles need: named in fixes, never called by ecs-doctor ---------------------
/// A deployment hook's role invokes the hook function with it.
pub const LAMBDA_INVOKE_FUNCTION: &str = "lambda:InvokeFunction";
/// The execution role fetches a Secrets Manager secret with it.
pub const SECRETSMANAGER_GET_SECRET_VALUE: &str = "secretsmanager:GetSecretValue";
/// The execution role fetches SSM parameters with it.
pub const SSM_GET_PARAMETERS: &str = "ssm:GetParameters";
/// The execution role decrypts a secret under a customer managed key with it.
pub const KMS_DECRYPT: &str = "kms:Decrypt";

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The actions in a source text that stand alone between two quotes (`"ecs:DescribeTasks"`),
    /// as a call site or a JSON policy passes one. Prose that names an action inside a sentence
    /// is not counted. Every piece between two quotes is looked at, literal or not: code
    /// between two literals never has an action's shape.
    fn spelled_actions(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for literal in source.split('"').skip(1) {
            let Some((service, action)) = literal.split_once(':') else {
                continue;
            };
            let service_like = !service.is_empty()
                && service
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let action_like = action
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_uppercase())
                && action.bytes().all(|b| b.is_ascii_alphanumeric());
            if service_like && action_like {
                found.push(literal.to_string());
            }
        }
        found
    }

    fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // Test modules quote the actions they expect; the code before them may not.
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                // Comments may name an action as an example.
                let code: Vec<&str> = code
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("//"))
                    .collect();
                out.push((path.display().to_string(), code.join("\n")));
            }
        }
    }

    /// Names of an action's shape that are no action: condition keys.
    const NOT_ACTIONS: &[&str] = &["kms:ResourceAliases"];

    #[test]
    fn no_call_site_spells_an_action_the_constants_name() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&root, &mut files);
        let mut spelled = Vec::new();
        for (path, code) in files {
            if path.ends_with("iam.rs") {
                continue;
            }
            for action in spelled_actions(&code) {
                if NOT_ACTIONS.contains(&action.as_str()) {
                    continue;
                }
                spelled.push(format!("{path}: \"{action}\""));
            }
        }
        assert!(
            spelled.is_empty(),
            "use the constants of src/iam.rs:\n{}",
            spelled.join("\n")
        );
    }

    #[test]
    fn a_literal_action_is_told_from_prose_and_arns() {
        let source = r#"f("ecs:DescribeTasks"); g("grant sns:Publish on it"); h("arn:aws:ecs:x"); "kms:decrypt""#;
        assert_eq!(spelled_actions(source), ["ecs:DescribeTasks"]);
    }
}
