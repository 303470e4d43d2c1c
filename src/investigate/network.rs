//! The network probe, for a pull, a secret or a log driver that could not reach AWS: the task
//! subnets' routes (a default route to a NAT or an internet gateway?), the VPC endpoints there,
//! assignPublicIp, and security-group egress on 443, ending with the missing piece.

use crate::iam;
use aws_sdk_ec2::types::Filter;
use serde::{Deserialize, Serialize};

use super::capacity;
use super::{cached, Probed};
use crate::aws::{gaps, Ctx};
use crate::facts::capacity::{SubnetAsk, SubnetFacts};
use crate::facts::network::*;

/// Reads the path from the task's subnets.
pub async fn probe(ctx: &Ctx<'_>, ask: &NetworkAsk) -> Probed<NetworkFacts> {
    let key = format!(
        "net:{}:{}:{:?}:{:?}",
        ask.subnets.join(","),
        ask.security_groups.join(","),
        ask.assign_public_ip,
        ask.needs
    );
    cached(ctx, key, read(ctx, ask)).await
}

/// One round trip for what the task's subnets say (the subnets, the route tables associated
/// with them, the region's endpoints, the security groups), a second only when a subnet uses
/// its VPC's main route table. Each part is cached on its own, so the late pass (the service's
/// subnets and its security groups) reads only what the early one (the task's subnet) did not.
async fn read(ctx: &Ctx<'_>, ask: &NetworkAsk) -> Probed<NetworkFacts> {
    let mut ids = ask.subnets.clone();
    ids.sort();
    ids.dedup();
    let subnets_ask = SubnetAsk {
        subnets: ids.clone(),
    };
    let (subnets, tables, endpoints, egress) = tokio::join!(
        capacity::subnets(ctx, &subnets_ask),
        cached(
            ctx,
            format!("rt:{}", ids.join(",")),
            associated_tables(ctx, &ids)
        ),
        cached(
            ctx,
            format!("vpce:{}", ids.join(",")),
            region_endpoints(ctx)
        ),
        super::maybe(
            (!ask.security_groups.is_empty()).then(|| egress_443(ctx, &ask.security_groups))
        )
    );
    let subnets = subnets?;
    let mut facts = NetworkFacts {
        vpc_id: subnets.iter().find_map(|s| s.vpc_id.clone()),
        assign_public_ip: ask.assign_public_ip,
        security_groups: ask.security_groups.clone(),
        needs: ask.needs.clone(),
        verified_by: vec![iam::EC2_DESCRIBE_SUBNETS.into()],
        ..NetworkFacts::default()
    };
    if let Some(egress) = egress {
        facts.egress_443 = Some(egress?);
        facts
            .verified_by
            .push(iam::EC2_DESCRIBE_SECURITY_GROUPS.into());
    }
    let Some(vpc) = facts.vpc_id.clone() else {
        return Ok(facts);
    };
    let mut tables = tables?;
    let unassociated = subnets
        .iter()
        .any(|subnet| !tables.iter().any(|t| t.subnets.contains(&subnet.id)));
    if unassociated {
        tables.extend(cached(ctx, format!("rt-main:{vpc}"), main_table(ctx, &vpc)).await?);
    }
    facts.routes = routes_of(&subnets, &tables);
    facts
        .verified_by
        .push(iam::EC2_DESCRIBE_ROUTE_TABLES.into());
    (facts.endpoints, facts.s3_route_tables) = endpoints_in(&endpoints?, &vpc, &ask.region);
    facts
        .verified_by
        .push(iam::EC2_DESCRIBE_VPC_ENDPOINTS.into());
    Ok(facts)
}

/// A route table: its id, whether it is the VPC's main one, its subnets, and where 0.0.0.0/0 goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub id: String,
    pub main: bool,
    pub subnets: Vec<String>,
    pub default_route: Option<String>,
}

/// The route tables explicitly associated with `subnets`.
async fn associated_tables(ctx: &Ctx<'_>, subnets: &[String]) -> Probed<Vec<Table>> {
    let filter = Filter::builder()
        .name("association.subnet-id")
        .set_values(Some(subnets.to_vec()))
        .build();
    route_tables(ctx, vec![filter]).await
}

/// The VPC's main route table: the one a subnet without an association of its own uses.
async fn main_table(ctx: &Ctx<'_>, vpc: &str) -> Probed<Vec<Table>> {
    let filters = vec![
        Filter::builder().name("vpc-id").values(vpc).build(),
        Filter::builder()
            .name("association.main")
            .values("true")
            .build(),
    ];
    route_tables(ctx, filters).await
}

async fn route_tables(ctx: &Ctx<'_>, filters: Vec<Filter>) -> Probed<Vec<Table>> {
    ctx.count_call();
    let output = ctx
        .clients
        .ec2()
        .describe_route_tables()
        .set_filters(Some(filters))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the subnets' route tables",
                iam::EC2_DESCRIBE_ROUTE_TABLES,
                &error,
            )
        })?;
    Ok(output
        .route_tables()
        .iter()
        .map(|table| Table {
            id: table.route_table_id().unwrap_or_default().to_string(),
            main: table
                .associations()
                .iter()
                .any(|a| a.main().unwrap_or(false)),
            subnets: table
                .associations()
                .iter()
                .filter_map(|a| a.subnet_id().map(str::to_string))
                .collect(),
            default_route: table
                .routes()
                .iter()
                .filter(|route| route.destination_cidr_block() == Some("0.0.0.0/0"))
                .filter(|route| route.state().is_none_or(|s| s.as_str() == "active"))
                .find_map(|route| {
                    route
                        .nat_gateway_id()
                        .or(route.gateway_id())
                        .or(route.transit_gateway_id())
                        .or(route.network_interface_id())
                        .or(route.vpc_peering_connection_id())
                        .or(route.instance_id())
                        .map(str::to_string)
                }),
        })
        .collect())
}

/// Which table each subnet uses: its own association, else the main table.
fn routes_of(subnets: &[SubnetFacts], tables: &[Table]) -> Vec<SubnetRoute> {
    subnets
        .iter()
        .map(|subnet| {
            let own = tables.iter().find(|t| t.subnets.contains(&subnet.id));
            let table = own.or_else(|| tables.iter().find(|t| t.main));
            SubnetRoute {
                subnet: subnet.id.clone(),
                route_table: table.map(|t| t.id.clone()),
                main: own.is_none(),
                default_route: table.and_then(|t| t.default_route.clone()),
            }
        })
        .collect()
}

/// A VPC endpoint, as far as the verdict needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    pub vpc_id: String,
    pub service_name: String,
    pub usable: bool,
    pub route_tables: Vec<String>,
}

/// The region's VPC endpoints, read without a VPC filter so that the call does not wait for the
/// subnets to name the VPC (an account has a few dozen at most; one page of up to 1,000).
async fn region_endpoints(ctx: &Ctx<'_>) -> Probed<Vec<Endpoint>> {
    ctx.count_call();
    let output = ctx
        .clients
        .ec2()
        .describe_vpc_endpoints()
        .max_results(1000)
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the VPC's endpoints",
                iam::EC2_DESCRIBE_VPC_ENDPOINTS,
                &error,
            )
        })?;
    Ok(output
        .vpc_endpoints()
        .iter()
        .map(|endpoint| Endpoint {
            vpc_id: endpoint.vpc_id().unwrap_or_default().to_string(),
            service_name: endpoint.service_name().unwrap_or_default().to_string(),
            usable: endpoint.state().is_none_or(|s| {
                matches!(
                    s.as_str().to_ascii_lowercase().as_str(),
                    "available" | "pending"
                )
            }),
            route_tables: endpoint.route_table_ids().to_vec(),
        })
        .collect())
}

/// The usable endpoints of `vpc` (their names after `com.amazonaws.REGION.`), and the route
/// tables of its S3 gateway endpoint.
fn endpoints_in(endpoints: &[Endpoint], vpc: &str, region: &str) -> (Vec<String>, Vec<String>) {
    let prefix = format!("com.amazonaws.{region}.");
    let mut names = Vec::new();
    let mut s3_tables = Vec::new();
    for endpoint in endpoints.iter().filter(|e| e.vpc_id == vpc && e.usable) {
        let Some(name) = endpoint.service_name.strip_prefix(&prefix) else {
            continue;
        };
        if name == "s3" {
            s3_tables.extend(endpoint.route_tables.iter().cloned());
        }
        names.push(name.to_string());
    }
    names.sort();
    names.dedup();
    (names, s3_tables)
}

async fn egress_443(ctx: &Ctx<'_>, groups: &[String]) -> Probed<bool> {
    ctx.count_call();
    let output = ctx
        .clients
        .ec2()
        .describe_security_groups()
        .set_group_ids(Some(groups.to_vec()))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                "the task's security groups",
                iam::EC2_DESCRIBE_SECURITY_GROUPS,
                &error,
            )
        })?;
    Ok(output.security_groups().iter().any(|group| {
        group.ip_permissions_egress().iter().any(|rule| {
            let protocol = rule.ip_protocol().unwrap_or("-1");
            let all = protocol == "-1";
            let tcp_443 = (protocol == "tcp" || protocol == "6")
                && rule.from_port().unwrap_or(0) <= 443
                && rule.to_port().unwrap_or(65535) >= 443;
            let somewhere = !rule.ip_ranges().is_empty()
                || !rule.ipv6_ranges().is_empty()
                || !rule.prefix_list_ids().is_empty()
                || !rule.user_id_group_pairs().is_empty();
            (all || tcp_443) && somewhere
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(default_route: Option<&str>, endpoints: &[&str]) -> NetworkFacts {
        NetworkFacts {
            vpc_id: Some("vpc-1".into()),
            routes: vec![SubnetRoute {
                subnet: "subnet-a".into(),
                route_table: Some("rtb-1".into()),
                main: false,
                default_route: default_route.map(str::to_string),
            }],
            assign_public_ip: Some(false),
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            s3_route_tables: vec!["rtb-1".into()],
            security_groups: vec!["sg-1".into()],
            egress_443: Some(true),
            needs: vec![Need::Ecr],
            verified_by: Vec::new(),
        }
    }

    #[test]
    fn a_private_subnet_without_nat_or_endpoints_is_the_missing_piece() {
        let verdict = verdict(&facts(None, &[]));
        assert_eq!(verdict.problems.len(), 1);
        assert!(verdict.problems[0].contains("subnet-a has no route to 0.0.0.0/0"));
        assert!(verdict.problems[0].contains("ecr.api, ecr.dkr, s3"));
        assert!(verdict.fixes[0].contains("--route-table-id rtb-1"));
    }

    #[test]
    fn a_nat_route_or_every_endpoint_is_a_way_out() {
        assert!(verdict(&facts(Some("nat-0abc"), &[])).problems.is_empty());
        assert!(verdict(&facts(None, &["ecr.api", "ecr.dkr", "s3"]))
            .problems
            .is_empty());
        let partial = verdict(&facts(None, &["ecr.api", "s3"]));
        assert!(partial.problems[0].ends_with("no ecr.dkr endpoint"));
    }

    #[test]
    fn an_internet_gateway_needs_a_public_ip_and_egress_needs_443() {
        let igw = verdict(&facts(Some("igw-1"), &[]));
        assert!(igw.problems[0].contains("assignPublicIp DISABLED"));
        let mut closed = facts(Some("nat-1"), &[]);
        closed.egress_443 = Some(false);
        assert!(verdict(&closed).problems[0].contains("outbound TCP 443"));
    }
}
