//! What the network probe finds: routes, endpoints and egress of the task's subnets; and the
//! verdict (can the task reach what it needs).

use serde::{Deserialize, Serialize};

/// What the task had to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// An image pull from ECR: ecr.api, ecr.dkr and the S3 gateway.
    Ecr,
    SecretsManager,
    Ssm,
    Logs,
}

impl Need {
    /// The VPC endpoints (service name after `com.amazonaws.REGION.`) that serve it privately.
    pub fn endpoints(self) -> &'static [&'static str] {
        match self {
            Need::Ecr => &["ecr.api", "ecr.dkr", "s3"],
            Need::SecretsManager => &["secretsmanager"],
            Need::Ssm => &["ssm"],
            Need::Logs => &["logs"],
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Need::Ecr => "Amazon ECR (to pull the image)",
            Need::SecretsManager => "Secrets Manager (to fetch the secrets)",
            Need::Ssm => "SSM Parameter Store (to fetch the parameters)",
            Need::Logs => "CloudWatch Logs (the log driver)",
        }
    }
}

/// Where the task runs and what it needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAsk {
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub assign_public_ip: Option<bool>,
    pub needs: Vec<Need>,
    /// The region of the endpoints' names.
    pub region: String,
}

/// How one subnet reaches the outside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubnetRoute {
    pub subnet: String,
    pub route_table: Option<String>,
    /// The main route table applies (no explicit association).
    pub main: bool,
    /// Where 0.0.0.0/0 goes: nat-…, igw-…, tgw-…, eni-…; None: nowhere.
    pub default_route: Option<String>,
}

/// The task's network path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkFacts {
    pub vpc_id: Option<String>,
    pub routes: Vec<SubnetRoute>,
    pub assign_public_ip: Option<bool>,
    /// VPC endpoints present (after `com.amazonaws.REGION.`), and the route tables of the S3
    /// gateway endpoint.
    pub endpoints: Vec<String>,
    pub s3_route_tables: Vec<String>,
    pub security_groups: Vec<String>,
    /// Whether some security group lets TCP 443 out (None: no group was read).
    pub egress_443: Option<bool>,
    pub needs: Vec<Need>,
    pub verified_by: Vec<String>,
}

/// What is missing on the path, and the fix with real values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub problems: Vec<String>,
    pub fixes: Vec<String>,
}

/// The missing piece: for each need, is there a way out (a NAT, an internet gateway with a
/// public IP, or the endpoints), and does a security group let 443 out?
pub fn verdict(facts: &NetworkFacts) -> Verdict {
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    if facts.egress_443 == Some(false) {
        problems.push(format!(
            "no security group of the task ({}) allows outbound TCP 443",
            facts.security_groups.join(", ")
        ));
        fixes.push(format!(
            "allow outbound 443: aws ec2 authorize-security-group-egress --group-id {} --protocol tcp --port 443 --cidr 0.0.0.0/0",
            facts.security_groups.first().map_or("sg-…", String::as_str)
        ));
    }
    // Unknown (the task's own subnet, read before the service): not called a problem.
    let public_ip = facts.assign_public_ip.unwrap_or(true);
    for route in &facts.routes {
        let table = route.route_table.as_deref().unwrap_or("(no route table)");
        let out = match route.default_route.as_deref() {
            Some(target) if target.starts_with("igw-") && !public_ip => {
                problems.push(format!(
                    "subnet {} routes 0.0.0.0/0 to internet gateway {target} (route table {table}), but the task gets no public IP (assignPublicIp DISABLED)",
                    route.subnet
                ));
                fixes.push("give the tasks a public IP: set assignPublicIp=ENABLED in the service's awsvpcConfiguration (aws ecs update-service --network-configuration …)".to_string());
                false
            }
            Some(_) => true,
            None => false,
        };
        if out {
            continue;
        }
        let missing: Vec<&str> = facts
            .needs
            .iter()
            .flat_map(|need| need.endpoints().iter().copied())
            .filter(|name| {
                if *name == "s3" {
                    !(facts.endpoints.iter().any(|e| e == "s3")
                        && route
                            .route_table
                            .as_ref()
                            .is_some_and(|t| facts.s3_route_tables.contains(t)))
                } else {
                    !facts.endpoints.iter().any(|e| e == name)
                }
            })
            .collect();
        if missing.is_empty() {
            continue;
        }
        if route.default_route.is_none() {
            problems.push(format!(
                "subnet {} has no route to 0.0.0.0/0 (route table {table}{}) and the VPC has no {} endpoint",
                route.subnet,
                if route.main { ", the VPC's main table" } else { "" },
                missing.join(", ")
            ));
        }
        fixes.push(format!(
            "add a default route to a NAT gateway: aws ec2 create-route --route-table-id {table} --destination-cidr-block 0.0.0.0/0 --nat-gateway-id nat-…; or create the VPC endpoints {} in {}",
            missing.join(", "),
            facts.vpc_id.as_deref().unwrap_or("the VPC")
        ));
    }
    fixes.dedup();
    Verdict { problems, fixes }
}
