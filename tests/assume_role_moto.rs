//! Many accounts against moto (it emulates STS, and credentials from AssumeRole act in the role's
//! account): an event from a member account is read there through its role, assumed once;
//! the function's own account and the SNS publish never use it.

mod support;

use ecs_doctor::aws::Clients;
use ecs_doctor::crossaccount::CrossAccountConfig;
use support::{Moto, ACCOUNT, REGION};

const MEMBER: &str = "222233334444";

async fn central(moto: &Moto) -> Clients {
    moto.clients().await.with_cross_account(CrossAccountConfig {
        home_account: Some(ACCOUNT.to_string()),
        ..CrossAccountConfig::default()
    })
}

async fn cluster_arns(clients: &Clients) -> Vec<String> {
    clients
        .ecs
        .list_clusters()
        .send()
        .await
        .expect("ListClusters")
        .cluster_arns()
        .to_vec()
}

#[tokio::test]
async fn a_member_accounts_event_is_read_in_that_account_through_its_role() {
    let moto = Moto::start();
    let central = central(&moto).await;

    let member = central
        .for_account(Some(MEMBER), Some(REGION))
        .await
        .expect("the member role is assumed");
    member
        .ecs
        .create_cluster()
        .cluster_name("payments")
        .send()
        .await
        .expect("CreateCluster in the member account");

    let seen_by_member = cluster_arns(&member).await;
    assert_eq!(
        seen_by_member,
        vec![format!("arn:aws:ecs:{REGION}:{MEMBER}:cluster/payments")],
        "the member clients act in the member account"
    );
    assert!(
        cluster_arns(&central).await.is_empty(),
        "the central account's own clients do not see the member's cluster"
    );
    let cross = central.cross_account().expect("cross-account is on");
    assert_eq!(cross.assume_role_calls(), 1);

    // The next event from that account reuses the credentials.
    let again = central
        .for_account(Some(MEMBER), Some(REGION))
        .await
        .expect("cached");
    assert_eq!(cluster_arns(&again).await, seen_by_member);
    assert_eq!(cross.assume_role_calls(), 1, "credentials are cached");
    assert_eq!(cross.reached(), 1);
}

#[tokio::test]
async fn reports_about_a_member_account_are_still_published_in_the_central_account() {
    let moto = Moto::start();
    let central = central(&moto).await;
    let topic = central
        .sns
        .create_topic()
        .name("ecs-doctor")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("a topic ARN")
        .to_string();
    assert!(topic.contains(&format!(":{ACCOUNT}:")), "{topic}");

    let member = central
        .for_account(Some(MEMBER), Some(REGION))
        .await
        .expect("the member role is assumed");
    // The central topic does not exist in the member account: this succeeds only because the
    // member clients publish with the central account's SNS client.
    member
        .sns
        .publish()
        .topic_arn(&topic)
        .message("[HIGH] Out of memory: payments")
        .send()
        .await
        .expect("Publish to the central topic");
}

#[tokio::test]
async fn the_functions_own_account_needs_no_role_in_any_region() {
    let moto = Moto::start();
    let central = central(&moto).await;
    let cross = central.cross_account().expect("cross-account is on");

    let here = central
        .for_account(Some(ACCOUNT), Some(REGION))
        .await
        .expect("own account");
    assert_eq!(here.region().as_deref(), Some(REGION));
    let unknown = central.for_account(None, None).await.expect("no account");
    assert_eq!(unknown.region().as_deref(), Some(REGION));

    let ireland = central
        .for_account(Some(ACCOUNT), Some("eu-west-1"))
        .await
        .expect("own account, another region");
    assert_eq!(ireland.region().as_deref(), Some("eu-west-1"));
    ireland
        .ecs
        .create_cluster()
        .cluster_name("dublin")
        .send()
        .await
        .expect("CreateCluster in eu-west-1");
    assert_eq!(
        cluster_arns(&ireland).await,
        vec![format!("arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/dublin")]
    );
    assert_eq!(cross.assume_role_calls(), 0, "no role for the own account");
}

#[tokio::test]
async fn the_home_account_is_asked_from_sts_when_account_id_is_unset() {
    let moto = Moto::start();
    let central = moto
        .clients()
        .await
        .with_cross_account(CrossAccountConfig::default());
    let cross = central.cross_account().expect("cross-account is on");
    central
        .for_account(Some(ACCOUNT), Some(REGION))
        .await
        .expect("own account, learnt from GetCallerIdentity");
    assert_eq!(cross.assume_role_calls(), 0);
    central
        .for_account(Some(MEMBER), Some(REGION))
        .await
        .expect("member account");
    assert_eq!(cross.assume_role_calls(), 1);
}

#[tokio::test]
async fn an_account_that_cannot_be_reached_is_a_gap_that_says_what_to_deploy() {
    let moto = Moto::start();
    let central = central(&moto).await;
    let gap = central
        .for_account(Some("not-an-account"), Some(REGION))
        .await
        .expect_err("not an account ID");
    assert!(gap.what.contains("not-an-account"), "{gap:?}");
    assert_eq!(central.cross_account().unwrap().assume_role_calls(), 0);

    // Without cross-account settings every event is read with the function's own clients.
    let plain = moto.clients().await;
    let same = plain
        .for_account(Some(MEMBER), Some(REGION))
        .await
        .expect("off");
    assert!(same.cross_account().is_none());
    assert_eq!(same.region().as_deref(), Some(REGION));
}
