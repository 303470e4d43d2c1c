//! The command line: a second face on the library.
//!
//! `explain` diagnoses an event file offline; `diagnose` examines a live task or service;
//! `history` and `show` read what the function published (DEDUPE_TABLE); `rules` and
//! `explain-category` print the catalog's own documentation.

use std::io::Read;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use ecs_doctor::docs;
use ecs_doctor::incident::{Incident, LogTail};
use ecs_doctor::render::render;
use ecs_doctor::{diagnose, Category};

#[derive(Parser)]
#[command(
    name = "ecs-doctor",
    version,
    about = "Explains why an Amazon ECS task or deployment failed, with the evidence and the exact fix"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Diagnose an EventBridge ECS event from a file (`-` for standard input), offline.
    Explain {
        /// The EventBridge event (ECS Task State Change, Deployment State Change, Service Action).
        event: String,
        /// The failed container's log lines, one per line, as the function would read them.
        #[arg(long)]
        logs: Option<String>,
        /// Which container the log lines belong to (default: the container that failed).
        #[arg(long)]
        container: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Diagnose a live task or service with your own AWS credentials (profile, environment).
    /// Publishes nothing unless --publish.
    Diagnose {
        #[arg(long)]
        cluster: String,
        /// A task id or ARN.
        #[arg(long, conflicts_with = "service", required_unless_present = "service")]
        task: Option<String>,
        /// A service name: its latest stopped tasks and its failed deployments.
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// Log lines to read from the failed container.
        #[arg(long, default_value_t = 50)]
        log_lines: i32,
        /// For a service: how many of the newest stopped tasks to explain.
        #[arg(long, default_value_t = 3)]
        max_tasks: usize,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also publish each report to this SNS topic, as the function would.
        #[arg(long, value_name = "TOPIC_ARN")]
        publish: Option<String>,
    },
    /// List the incidents the function alerted on in a cluster, newest first (kept HISTORY_DAYS
    /// in the function's table, long after ECS forgets its stopped tasks).
    History {
        /// The cluster's ARN, or its name in --account and --region.
        #[arg(long)]
        cluster: String,
        /// The cluster's account (default: your credentials' account).
        #[arg(long)]
        account: Option<String>,
        #[arg(long, conflicts_with = "task")]
        service: Option<String>,
        /// A task id (its incident, if it was the one that alerted).
        #[arg(long)]
        task: Option<String>,
        /// How far back: 7d, 12h, 30m, or an RFC 3339 time.
        #[arg(long, default_value = "7d")]
        since: String,
        /// The function's DynamoDB table (the stack's IncidentsTable).
        #[arg(long, env = "DEDUPE_TABLE")]
        table: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Print a stored report as the alert showed it: by incident id, task ARN, or task id with
    /// --cluster.
    Show {
        target: String,
        /// With a task id: the cluster's ARN, or its name in --account and --region.
        #[arg(long)]
        cluster: Option<String>,
        /// The cluster's account (default: your credentials' account).
        #[arg(long)]
        account: Option<String>,
        #[arg(long, env = "DEDUPE_TABLE")]
        table: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the rules of the catalog.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print the long explanation of a category, e.g. `ecs-doctor explain-category oom`.
    ExplainCategory {
        /// A category id from `ecs-doctor rules`; omit it to list the categories.
        category: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The email text.
    Text,
    /// The machine JSON of the whole report.
    Json,
    /// The Amazon Q Developer (AWS Chatbot) custom notification.
    Chatbot,
}

#[derive(Clone, Copy, ValueEnum)]
enum ListFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Markdown,
}

fn read_input(path: &str) -> Result<Vec<u8>> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("could not read the event from standard input")?;
        Ok(bytes)
    } else {
        std::fs::read(path).with_context(|| format!("could not read '{path}'"))
    }
}

fn explain(
    event: &str,
    logs: Option<&str>,
    container: Option<&str>,
    format: Format,
) -> Result<String> {
    let bytes = read_input(event)?;
    let event = ecs_doctor::parse(&bytes).with_context(|| {
        format!(
            "'{}' is not an ECS event ecs-doctor can read",
            display_path(event)
        )
    })?;
    let mut incident = Incident::from_event(event);
    if let Some(path) = logs {
        let text =
            std::fs::read(path).with_context(|| format!("could not read the log file '{path}'"))?;
        let text = String::from_utf8_lossy(&text);
        let task = incident.task().cloned();
        let name = match (container, &task) {
            (Some(name), _) => name.to_string(),
            (None, Some(task)) => ecs_doctor::diagnose::failed_container(task, None)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            (None, None) => {
                bail!("--logs needs a task event (or --container) to know whose logs these are")
            }
        };
        incident.logs.push(LogTail {
            container: name,
            log_group: None,
            log_stream: None,
            region: None,
            lines: text.lines().map(str::to_string).collect(),
        });
    }
    let report = diagnose(&incident);
    let rendered = render(&report);
    Ok(match format {
        Format::Text => format!("Subject: {}\n\n{}", rendered.subject, rendered.text),
        Format::Json => rendered.json,
        Format::Chatbot => rendered.chatbot,
    })
}

fn display_path(path: &str) -> &str {
    if path == "-" {
        "standard input"
    } else {
        path
    }
}

#[allow(clippy::too_many_arguments)]
async fn diagnose_command(
    cluster: String,
    task: Option<String>,
    service: Option<String>,
    region: Option<String>,
    log_lines: i32,
    max_tasks: usize,
    format: Format,
    publish: Option<String>,
) -> Result<String> {
    use ecs_doctor::aws::{sdk_config, AwsOptions, Clients};
    use ecs_doctor::live::{diagnose_live, LiveOptions};

    let config = sdk_config(&AwsOptions {
        region,
        ..AwsOptions::default()
    })
    .await;
    if config.region().is_none() {
        bail!("no AWS region: pass --region, or set AWS_REGION or a profile's region");
    }
    let clients = Clients::from_conf(&config);
    let mut options = LiveOptions {
        max_tasks,
        ..LiveOptions::default()
    };
    options.gather.log_lines = log_lines;
    let reports = diagnose_live(&clients, &cluster, task, service, &options).await?;
    if reports.is_empty() {
        return Ok("Nothing to explain: the service has no recently stopped task and no failed deployment.".into());
    }
    let mut out = Vec::new();
    for report in &reports {
        let rendered = render(report);
        if let Some(topic) = &publish {
            let destinations = ecs_doctor::notify::Destinations::single(topic);
            let published =
                ecs_doctor::notify::publish(clients.sns(), &destinations, report, rendered.clone())
                    .await
                    .with_context(|| format!("could not publish to {topic}"))?;
            eprintln!(
                "published {} to {topic} (message id {})",
                report.category,
                published.message_id.as_deref().unwrap_or("unknown")
            );
        }
        out.push(match format {
            Format::Text => format!("Subject: {}\n\n{}", rendered.subject, rendered.text),
            Format::Json => rendered.json,
            Format::Chatbot => rendered.chatbot,
        });
    }
    Ok(out.join(match format {
        Format::Text => "\n----------------------------------------\n",
        _ => "\n",
    }))
}

/// The history's table and a client for it, or how to get one.
async fn history_table(
    table: Option<String>,
    region: Option<String>,
) -> Result<(aws_config::SdkConfig, String)> {
    let Some(table) = table else {
        bail!("no history table: pass --table NAME or set DEDUPE_TABLE to the function's table (the stack's IncidentsTable output: aws cloudformation describe-stacks --stack-name ecs-doctor --query \"Stacks[0].Outputs\"); the function keeps reports there for HISTORY_DAYS (default 30; 0 turns it off)");
    };
    let config = ecs_doctor::aws::sdk_config(&ecs_doctor::aws::AwsOptions {
        region,
        ..Default::default()
    })
    .await;
    if config.region().is_none() {
        bail!("no AWS region: pass --region, or set AWS_REGION or a profile's region");
    }
    Ok((config, table))
}

/// The account a cluster given by name is in: --account, else your credentials' own.
async fn account_of(config: &aws_config::SdkConfig, account: Option<String>) -> Result<String> {
    if let Some(account) = account {
        return Ok(account);
    }
    let identity = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .context("could not tell your account (sts get-caller-identity): pass --account, or the cluster's ARN")?;
    identity
        .account()
        .map(str::to_string)
        .context("sts get-caller-identity named no account: pass --account, or the cluster's ARN")
}

/// The cluster as the history keys it: an ARN, or a name in the account and the region.
async fn cluster_key(
    config: &aws_config::SdkConfig,
    cluster: &str,
    account: Option<String>,
) -> Result<ecs_doctor::incidents::history::ClusterKey> {
    use ecs_doctor::incidents::history::ClusterKey;
    if cluster.starts_with("arn:") {
        return Ok(ClusterKey::parse(cluster, None, None)?);
    }
    let account = account_of(config, account).await?;
    let region = config.region().map(|region| region.to_string());
    Ok(ClusterKey::parse(
        cluster,
        Some(&account),
        region.as_deref(),
    )?)
}

/// What `history` was asked, as typed.
struct HistoryArgs {
    cluster: String,
    account: Option<String>,
    service: Option<String>,
    task: Option<String>,
    since: String,
}

async fn history(
    args: HistoryArgs,
    table: Option<String>,
    region: Option<String>,
    format: ListFormat,
) -> Result<String> {
    let (config, table) = history_table(table, region).await?;
    let now = chrono::Utc::now();
    let query = ecs_doctor::incidents::history::Query {
        cluster: cluster_key(&config, &args.cluster, args.account).await?,
        service: args.service,
        task: args.task,
        incident: None,
        since: Some(ecs_doctor::incidents::history::parse_since(
            &args.since,
            now,
        )?),
        limit: 1000,
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let entries = ecs_doctor::incidents::history::entries(&dynamodb, &table, &query, now).await?;
    let incidents = ecs_doctor::incidents::history::incidents(&entries);
    if let ListFormat::Json = format {
        return Ok(serde_json::to_string_pretty(&incidents)?);
    }
    if incidents.is_empty() {
        return Ok(format!(
            "No incident in cluster {} since {} (table {table}).",
            query.cluster,
            query
                .since
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        ));
    }
    let when = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let mut out = String::new();
    for incident in &incidents {
        out.push_str(&format!(
            "{} → {}  {:8}  {:24}  {:>4}×  {}\n    {}\n",
            when(incident.first_seen),
            incident.last_seen.format("%H:%M"),
            incident.state,
            incident.category,
            incident.occurrences,
            incident.title,
            incident.id,
        ));
    }
    Ok(out)
}

async fn show(
    target: &str,
    cluster: Option<&str>,
    account: Option<String>,
    table: Option<String>,
    region: Option<String>,
    format: Format,
) -> Result<String> {
    let (config, table) = history_table(table, region).await?;
    // A task id is looked up in its cluster: an ARN, or a name in the account and the region.
    let (account, region) = match cluster.filter(|cluster| !cluster.starts_with("arn:")) {
        Some(_) => (
            Some(account_of(&config, account).await?),
            config.region().map(|region| region.to_string()),
        ),
        None => (account, None),
    };
    let query = ecs_doctor::incidents::history::show_query(
        target,
        cluster,
        account.as_deref(),
        region.as_deref(),
    )?;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let entries =
        ecs_doctor::incidents::history::entries(&dynamodb, &table, &query, chrono::Utc::now())
            .await?;
    // The diagnosis: the newest message that is not a follow-up or the resolution.
    let Some(entry) = entries
        .iter()
        .find(|e| e.kind != "follow-up" && e.kind != "resolved")
        .or(entries.first())
    else {
        bail!("nothing stored for '{target}' in cluster {} (table {table}); `ecs-doctor history --cluster {}` lists what is", query.cluster, query.cluster.arn());
    };
    if let Format::Json = format {
        return Ok(entry.report.clone());
    }
    let report: ecs_doctor::Report = serde_json::from_str(&entry.report)
        .with_context(|| format!("the stored report of {} is not readable", entry.incident_id))?;
    let rendered = render(&report);
    Ok(match format {
        Format::Chatbot => rendered.chatbot,
        _ => format!(
            "Subject: {}\n(published {}, {} of incident {})\n\n{}",
            rendered.subject,
            entry.published_at.format("%Y-%m-%d %H:%M:%S UTC"),
            entry.kind,
            entry.incident_id,
            rendered.text
        ),
    })
}

fn block_on<F: std::future::Future<Output = Result<String>>>(future: F) -> Result<String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")?
        .block_on(future)
}

fn run(cli: Cli) -> Result<String> {
    match cli.command {
        Command::History {
            cluster,
            account,
            service,
            task,
            since,
            table,
            region,
            format,
        } => {
            let args = HistoryArgs {
                cluster,
                account,
                service,
                task,
                since,
            };
            block_on(history(args, table, region, format))
        }
        Command::Show {
            target,
            cluster,
            account,
            table,
            region,
            format,
        } => block_on(show(
            &target,
            cluster.as_deref(),
            account,
            table,
            region,
            format,
        )),
        Command::Diagnose {
            cluster,
            task,
            service,
            region,
            log_lines,
            max_tasks,
            format,
            publish,
        } => block_on(diagnose_command(
            cluster, task, service, region, log_lines, max_tasks, format, publish,
        )),
        Command::Explain {
            event,
            logs,
            container,
            format,
        } => explain(&event, logs.as_deref(), container.as_deref(), format),
        Command::Rules { format } => Ok(match format {
            RulesFormat::Text => docs::rules_listing(),
            RulesFormat::Markdown => docs::rules_markdown(),
        }),
        Command::ExplainCategory { category: None } => Ok(Category::ALL
            .iter()
            .map(|c| format!("{:28} {}\n", c.id(), c.meaning()))
            .collect()),
        Command::ExplainCategory { category: Some(id) } => match Category::from_id(&id) {
            Some(category) => Ok(docs::explain_category(category)),
            None => bail!("unknown category '{id}': `ecs-doctor explain-category` lists them"),
        },
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(output) => {
            print!("{output}");
            if !output.ends_with('\n') {
                println!();
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ecs-doctor: {error:#}");
            ExitCode::from(2)
        }
    }
}
