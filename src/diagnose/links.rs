//! AWS console deep links to what a report is about.

use super::template::Vars;
use crate::report::Link;

/// The CloudWatch console escapes path segments twice, with `$25` standing for `%`.
fn console_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(byte as char),
            _ => out.push_str(&format!("$25{byte:02X}")),
        }
    }
    out
}

pub fn links(vars: &Vars) -> Vec<Link> {
    let mut links = Vec::new();
    let Some(region) = vars.get("region") else {
        return links;
    };
    let console = format!("https://{region}.console.aws.amazon.com");
    let mut push = |label: &str, url: String| {
        links.push(Link {
            label: label.to_string(),
            url,
        })
    };
    let cluster = vars.get("cluster");
    if let (Some(cluster), Some(task_id)) = (cluster, vars.get("task_id")) {
        push(
            "Task",
            format!(
                "{console}/ecs/v2/clusters/{cluster}/tasks/{task_id}/configuration?region={region}"
            ),
        );
    }
    if let (Some(cluster), Some(service)) = (cluster, vars.get("service")) {
        push(
            "Service events",
            format!(
                "{console}/ecs/v2/clusters/{cluster}/services/{service}/events?region={region}"
            ),
        );
        push(
            "Service deployments",
            format!("{console}/ecs/v2/clusters/{cluster}/services/{service}/deployments?region={region}"),
        );
    }
    if let (Some(group), Some(stream)) = (vars.get("log_group"), vars.get("log_stream")) {
        push(
            "Log stream",
            format!(
                "{console}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{}/log-events/{}",
                console_escape(group),
                console_escape(stream)
            ),
        );
    }
    if let Some((family, Some(revision))) = vars
        .get("task_definition")
        .map(|td| crate::arn::TaskDefinitionRef::parse(td))
        .map(|td| (td.family, td.revision))
    {
        push(
            "Task definition",
            format!(
                "{console}/ecs/v2/task-definitions/{family}/{revision}/containers?region={region}"
            ),
        );
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_stream_links_escape_slashes_the_console_way() {
        assert_eq!(console_escape("/ecs/api"), "$252Fecs$252Fapi");
    }
}
