//! The secrets probe against moto: SSM parameters are paged to the end before one is said not
//! to exist, and a secret's KMS key is resolved (kms:DescribeKey) to the key ARN an IAM policy
//! must name.
//!
//! What moto cannot show, taken from AWS's documentation and said where it is used: AWS applies
//! DescribeParameters' filters page by page (its API reference: "the request can return fewer
//! results than MaxResults … including zero, with a NextToken"), while moto 5.2 filters first and
//! pages the matches by ten, ignoring MaxResults. The overlay puts AWS's empty first page in front
//! of moto; every later page is moto's own.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::overlay::{Answer, Overlay, AWS_JSON};
use crate::support::{Moto, ACCOUNT, REGION};
use aws_config::SdkConfig;
use aws_sdk_ssm::types::ParameterType;
use ecs_doctor::aws::{Caches, Clients};
use ecs_doctor::aws::{Ctx, GatherConfig};
use ecs_doctor::facts::secrets::{Reference, SecretAsk, SecretsRead};
use ecs_doctor::investigate::secrets::probe;
use serde_json::json;

/// More than a page of parameters (moto's page is ten, AWS's at most fifty).
const SEEDED: usize = 25;

async fn seed_parameters(sdk: &SdkConfig) {
    let ssm = aws_sdk_ssm::Client::new(sdk);
    for index in 0..SEEDED {
        ssm.put_parameter()
            .name(format!("/prod/app/p{index:02}"))
            .value("not-a-real-value")
            .r#type(ParameterType::String)
            // A retried put (the SDK retries a connection moto closed under load) must not fail
            // on the parameter its first attempt created.
            .overwrite(true)
            .send()
            .await
            .expect("put a parameter");
    }
}

fn reference(name: &str, value_from: &str) -> Reference {
    Reference {
        container: "api".into(),
        name: name.into(),
        value_from: value_from.into(),
    }
}

fn ask(references: Vec<Reference>) -> SecretAsk {
    SecretAsk {
        references,
        account: Some(ACCOUNT.into()),
    }
}

/// Runs the probe with clients on `sdk`; the read, and the AWS calls it made.
async fn run(sdk: &SdkConfig, ask: &SecretAsk) -> (SecretsRead, usize) {
    let clients = Clients::from_conf(sdk);
    let caches = Caches::default();
    let config = GatherConfig::default();
    let ctx = Ctx::new(&clients, &caches, &config, Duration::from_secs(20));
    let read = probe(&ctx, ask).await.expect("the probe reads");
    (read, ctx.stats().aws_calls)
}

/// AWS's empty page with a NextToken, for the first `pages` DescribeParameters requests (every
/// one when `pages` is None); the token is one moto reads as "from the start".
fn empty_pages_first(overlay: &Overlay, pages: Option<usize>) {
    let answered = Arc::new(AtomicUsize::new(0));
    overlay.rule(move |request| {
        if request.operation != "DescribeParameters" {
            return None;
        }
        let seen = answered.fetch_add(1, Ordering::SeqCst);
        pages.is_none_or(|pages| seen < pages).then(|| Answer {
            status: 200,
            content_type: AWS_JSON,
            body: json!({"Parameters": [], "NextToken": "0"}).to_string(),
        })
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_missing_from_an_empty_first_page_is_found_on_the_next() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    seed_parameters(&sdk).await;
    let overlay = Overlay::default();
    empty_pages_first(&overlay, Some(1));
    let sdk = overlay.wrap(&sdk);
    let ask = ask(vec![
        reference("DB_URL", "/prod/app/p17"),
        reference(
            "API_KEY",
            &format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/app/p03"),
        ),
        reference("GONE", "/prod/app/never-created"),
    ]);
    let (read, calls) = run(&sdk, &ask).await;
    let exists: Vec<(&str, Option<bool>)> = read
        .facts
        .iter()
        .map(|fact| (fact.name.as_str(), fact.exists))
        .collect();
    assert_eq!(
        exists,
        [
            ("DB_URL", Some(true)),
            ("API_KEY", Some(true)),
            ("GONE", Some(false))
        ],
        "{read:#?}"
    );
    assert_eq!(overlay.answered("DescribeParameters"), 1);
    assert_eq!(calls, 2, "the empty page, then moto's page to the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_that_never_end_leave_a_missing_parameter_unconcluded_after_ten() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    seed_parameters(&sdk).await;
    let overlay = Overlay::default();
    empty_pages_first(&overlay, None);
    let sdk = overlay.wrap(&sdk);
    let (read, calls) = run(&sdk, &ask(vec![reference("DB_URL", "/prod/app/p17")])).await;
    let fact = &read.facts[0];
    assert_eq!(fact.exists, None, "not 'does not exist': {fact:#?}");
    assert!(
        fact.note
            .as_deref()
            .is_some_and(|note| note.contains("first 10 pages")),
        "{fact:#?}"
    );
    assert_eq!(calls, 10, "bounded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_every_name_is_found_no_further_page_is_read() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    seed_parameters(&sdk).await;
    // Ten names, all present: moto's page of ten comes with a NextToken, which is not followed.
    let references: Vec<Reference> = (0..10)
        .map(|index| {
            reference(
                &format!("P{index}"),
                &format!("/prod/app/p{:02}", index * 2),
            )
        })
        .collect();
    let (read, calls) = run(&sdk, &ask(references)).await;
    assert!(
        read.facts.iter().all(|fact| fact.exists == Some(true)),
        "{read:#?}"
    );
    assert_eq!(calls, 1);
}

/// A key and an alias of it, as a team would make them.
async fn key_with_alias(sdk: &SdkConfig, alias: &str) -> String {
    let kms = aws_sdk_kms::Client::new(sdk);
    let key = kms
        .create_key()
        .description("orders database credentials")
        .send()
        .await
        .expect("create a key");
    let metadata = key.key_metadata().unwrap();
    kms.create_alias()
        .alias_name(alias)
        .target_key_id(metadata.key_id())
        .send()
        .await
        .expect("create the alias");
    metadata.arn().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_under_an_alias_is_resolved_to_the_key_arn() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let key_arn = key_with_alias(&sdk, "alias/orders-db").await;
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("prod/orders-db")
        .secret_string("not-a-real-password")
        .kms_key_id("alias/orders-db")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name("/prod/orders/token")
        .value("not-a-real-token")
        .r#type(ParameterType::SecureString)
        .key_id("alias/orders-db")
        .overwrite(true)
        .send()
        .await
        .unwrap();
    let (read, _) = run(
        &sdk,
        &ask(vec![
            reference("DB_PASSWORD", &secret),
            reference("TOKEN", "/prod/orders/token"),
        ]),
    )
    .await;
    assert!(read.gaps.is_empty(), "{:#?}", read.gaps);
    for fact in &read.facts {
        assert_eq!(
            fact.kms_key.as_deref(),
            Some("alias/orders-db"),
            "{fact:#?}"
        );
        let key = fact.key.as_ref().expect("resolved");
        assert_eq!(key.arn, key_arn);
        assert!(!key.aws_managed);
        assert_eq!(key.state.as_deref(), Some("Enabled"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_cannot_be_described_is_a_gap_naming_kms_describe_key() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name("prod/api-key")
        .secret_string("not-a-real-key")
        .kms_key_id("alias/nobody-made-this")
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let (read, _) = run(&sdk, &ask(vec![reference("API_KEY", &secret)])).await;
    assert_eq!(read.facts[0].exists, Some(true));
    assert_eq!(read.facts[0].key, None);
    assert_eq!(read.gaps.len(), 1, "{:#?}", read.gaps);
    assert_eq!(read.gaps[0].action.as_deref(), Some("kms:DescribeKey"));
}
