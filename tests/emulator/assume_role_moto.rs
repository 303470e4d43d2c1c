//! Many accounts against moto (it emulates STS, and credentials from AssumeRole act in the role's
//! account): an event from a member account is read there through its role, assumed once;
//! the function's own account never uses it, and publishing stays with the function's own
//! clients (`App::clients`), which account routing never replaces.

use crate::support::{Moto, ACCOUNT, REGION};
use ecs_doctor::aws::{Accounts, Clients, CrossAccountConfig};

const MEMBER: &str = "222233334444";

async fn central(moto: &Moto) -> Accounts {
    Accounts::new(
        moto.clients().await,
        CrossAccountConfig {
            home_account: Some(ACCOUNT.to_string()),
            ..CrossAccountConfig::default()
        },
    )
}

async fn cluster_arns(clients: &Clients) -> Vec<String> {
    clients
        .ecs()
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
        .clients_for(Some(MEMBER), Some(REGION))
        .await
        .expect("the member role is assumed");
    member
        .ecs()
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
    let home = central
        .clients_for(Some(ACCOUNT), Some(REGION))
        .await
        .unwrap();
    assert!(
        cluster_arns(&home).await.is_empty(),
        "the central account's own clients do not see the member's cluster"
    );
    let cross = &central;
    assert_eq!(cross.assume_role_calls(), 1);

    // The next event from that account reuses the credentials.
    let again = central
        .clients_for(Some(MEMBER), Some(REGION))
        .await
        .expect("cached");
    assert_eq!(cluster_arns(&again).await, seen_by_member);
    assert_eq!(cross.assume_role_calls(), 1, "credentials are cached");
    assert_eq!(cross.reached(), 1);
}

#[tokio::test]
async fn a_member_accounts_clients_act_in_that_account_and_publishing_keeps_the_functions_own() {
    let moto = Moto::start();
    let home = moto.clients().await;
    let central = Accounts::new(
        home.clone(),
        CrossAccountConfig {
            home_account: Some(ACCOUNT.to_string()),
            ..CrossAccountConfig::default()
        },
    );
    let topic = home
        .sns()
        .create_topic()
        .name("ecs-doctor")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("a topic ARN")
        .to_string();
    assert!(topic.contains(&format!(":{ACCOUNT}:")), "{topic}");
    home.sns()
        .publish()
        .topic_arn(&topic)
        .message("[HIGH] Out of memory: payments")
        .send()
        .await
        .expect("Publish to the central topic with the function's own clients");

    // The member's clients are another account's: moto shows it by their ARNs. (It would also
    // let them publish to the central topic, which real SNS refuses without a topic policy, so
    // that cannot be shown here; the handler publishes with `App::clients` only.)
    let member = central
        .clients_for(Some(MEMBER), Some(REGION))
        .await
        .expect("the member role is assumed");
    let member_topic = member
        .sns()
        .create_topic()
        .name("ecs-doctor")
        .send()
        .await
        .expect("CreateTopic in the member account")
        .topic_arn()
        .expect("a topic ARN")
        .to_string();
    assert!(
        member_topic.contains(&format!(":{MEMBER}:")),
        "{member_topic}"
    );
    assert_ne!(member_topic, topic);
}

#[tokio::test]
async fn the_functions_own_account_needs_no_role_in_any_region() {
    let moto = Moto::start();
    let central = central(&moto).await;
    let cross = &central;

    let here = central
        .clients_for(Some(ACCOUNT), Some(REGION))
        .await
        .expect("own account");
    assert_eq!(here.region().as_deref(), Some(REGION));
    let unknown = central.clients_for(None, None).await.expect("no account");
    assert_eq!(unknown.region().as_deref(), Some(REGION));

    let ireland = central
        .clients_for(Some(ACCOUNT), Some("eu-west-1"))
        .await
        .expect("own account, another region");
    assert_eq!(ireland.region().as_deref(), Some("eu-west-1"));
    ireland
        .ecs()
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
    let central = Accounts::new(moto.clients().await, CrossAccountConfig::default());
    let cross = &central;
    central
        .clients_for(Some(ACCOUNT), Some(REGION))
        .await
        .expect("own account, learnt from GetCallerIdentity");
    assert_eq!(cross.assume_role_calls(), 0);
    central
        .clients_for(Some(MEMBER), Some(REGION))
        .await
        .expect("member account");
    assert_eq!(cross.assume_role_calls(), 1);
}

/// Lambda names the function on every invocation (`Lambda-Runtime-Invoked-Function-Arn`), and
/// its account is the function's own: no GetCallerIdentity on the first event. Here the ARN
/// says MEMBER while STS (moto's credentials) would say ACCOUNT: the ARN is what counts.
#[tokio::test]
async fn the_home_account_is_read_from_the_invoked_functions_arn_before_sts() {
    let moto = Moto::start();
    let central = Accounts::new(moto.clients().await, CrossAccountConfig::default());
    central.learn_home_account(&format!(
        "arn:aws:lambda:{REGION}:{MEMBER}:function:ecs-doctor"
    ));
    central
        .clients_for(Some(MEMBER), Some(REGION))
        .await
        .expect("own account");
    assert_eq!(
        central.assume_role_calls(),
        0,
        "no role for the own account"
    );
    // Not an account: nothing learnt (STS would be asked).
    let other = Accounts::new(moto.clients().await, CrossAccountConfig::default());
    other.learn_home_account("");
    other.learn_home_account("arn:aws:lambda:eu-west-1:not-an-id:function:f");
    other
        .clients_for(Some(ACCOUNT), Some(REGION))
        .await
        .expect("own account, from STS");
    assert_eq!(other.assume_role_calls(), 0);
}

#[tokio::test]
async fn an_account_that_cannot_be_reached_is_a_gap_that_says_what_to_deploy() {
    let moto = Moto::start();
    let central = central(&moto).await;
    let gap = central
        .clients_for(Some("not-an-account"), Some(REGION))
        .await
        .expect_err("not an account ID");
    assert!(gap.what.contains("not-an-account"), "{gap:?}");
    assert_eq!(central.assume_role_calls(), 0);

    // Clients assembled from parts (no SDK configuration) read every account with themselves.
    let plain = Accounts::home_only(moto.clients().await);
    let same = plain
        .clients_for(Some(MEMBER), Some(REGION))
        .await
        .expect("off");
    assert_eq!(plain.assume_role_calls(), 0);
    assert_eq!(same.region().as_deref(), Some(REGION));
}
