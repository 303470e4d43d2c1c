//! The image probe: is the tag (or digest) in its ECR repository, when was it pushed, which tags
//! do exist, which platforms the image was built for, and whether a cross-account repository lets
//! the task's account pull. A registry outside ECR is said to be unchecked (a gap).

use crate::iam;
use aws_sdk_ecr::operation::describe_images::DescribeImagesError;
use aws_sdk_ecr::types::{DescribeImagesFilter, ImageIdentifier, TagStatus};
use chrono::{DateTime, Utc};

use super::{cached, Probed};
use crate::arn::ImageRef;
use crate::aws::convert::time;
use crate::aws::{gaps, Ctx};
use crate::facts::ecr::*;
use crate::incident::{Gap, GapKind};

/// Manifest media types BatchGetImage may return: lists and indexes name their platforms.
const MEDIA_TYPES: [&str; 4] = [
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
];
/// Checks the image as asked.
pub async fn probe(ctx: &Ctx<'_>, ask: &ImageAsk) -> Probed<ImageFacts> {
    let what = format!("the image {} in its registry", ask.image);
    let Some(image) = ImageRef::parse(&ask.image) else {
        return Err(Gap::new(
            GapKind::Unsupported,
            what,
            "the image reference could not be read",
            "check the image field of the task definition",
        ));
    };
    let Some(ecr) = image.ecr() else {
        return Err(Gap::new(
            GapKind::Unsupported,
            what,
            format!(
                "the registry {} is outside Amazon ECR: ecs-doctor checks ECR repositories only",
                image.registry
            ),
            format!(
                "check by hand that the tag exists: docker manifest inspect {}",
                ask.image
            ),
        ));
    };
    let key = format!(
        "ecr:{}:{}:{}:{}{}{}",
        ecr.account,
        ecr.region,
        image.short(),
        u8::from(ask.existence),
        u8::from(ask.platforms),
        ask.pulling_account.as_deref().unwrap_or("")
    );
    cached(ctx, key, read(ctx, ask, &image, &ecr.account, &ecr.region)).await
}

async fn read(
    ctx: &Ctx<'_>,
    ask: &ImageAsk,
    image: &ImageRef,
    account: &str,
    region: &str,
) -> Probed<ImageFacts> {
    let client = ctx.clients.ecr_in(Some(region));
    let mut facts = ImageFacts {
        container: ask.container.clone(),
        image: image.short(),
        repository: image.repository.clone(),
        tag: image.tag.clone(),
        registry_id: account.to_string(),
        region: region.to_string(),
        ..ImageFacts::default()
    };
    let cross_account = ask
        .pulling_account
        .as_deref()
        .filter(|pulling| *pulling != account);
    let (described, listed, manifest, policy) = tokio::join!(
        describe(ctx, &client, image, account),
        super::maybe(
            ask.existence
                .then(|| newest_tags(ctx, &client, image, account))
        ),
        super::maybe(
            ask.platforms
                .then(|| manifest(ctx, &client, image, account))
        ),
        super::maybe(cross_account.map(|pulling| policy(ctx, &client, image, account, pulling))),
    );
    match described? {
        Described::Found { pushed_at, digest } => {
            facts.repository_exists = Some(true);
            facts.found = Some(true);
            facts.pushed_at = pushed_at;
            facts.digest = digest;
        }
        Described::NoSuchImage => {
            facts.repository_exists = Some(true);
            facts.found = Some(false);
        }
        Described::NoSuchRepository => {
            facts.repository_exists = Some(false);
            facts.found = Some(false);
        }
    }
    facts.verified_by.push(iam::ECR_DESCRIBE_IMAGES.into());
    if let Some(Ok(tags)) = listed {
        if facts.found == Some(false) {
            let wanted = image.tag.clone().unwrap_or_default();
            (facts.newest, facts.closest) = name_tags(tags, &wanted);
        }
    }
    if let Some(Ok(Some(manifest))) = manifest {
        facts.verified_by.push(iam::ECR_BATCH_GET_IMAGE.into());
        match platforms(&manifest) {
            Some(platforms) => facts.platforms = platforms,
            None => facts.single_platform = true,
        }
    }
    if let Some(result) = policy {
        facts.policy = Some(result?);
        facts
            .verified_by
            .push(iam::ECR_GET_REPOSITORY_POLICY.into());
    }
    Ok(facts)
}

enum Described {
    Found {
        pushed_at: Option<DateTime<Utc>>,
        digest: Option<String>,
    },
    NoSuchImage,
    NoSuchRepository,
}

fn image_id(image: &ImageRef) -> ImageIdentifier {
    let id = ImageIdentifier::builder();
    match (&image.digest, &image.tag) {
        (Some(digest), _) => id.image_digest(digest),
        (None, Some(tag)) => id.image_tag(tag),
        (None, None) => id.image_tag("latest"),
    }
    .build()
}

async fn describe(
    ctx: &Ctx<'_>,
    client: &aws_sdk_ecr::Client,
    image: &ImageRef,
    account: &str,
) -> Probed<Described> {
    ctx.count_call();
    let result = client
        .describe_images()
        .registry_id(account)
        .repository_name(&image.repository)
        .image_ids(image_id(image))
        .send()
        .await;
    match result {
        Ok(output) => {
            let detail = output.image_details().first();
            Ok(Described::Found {
                pushed_at: detail.and_then(|d| time(d.image_pushed_at())),
                digest: detail.and_then(|d| d.image_digest().map(str::to_string)),
            })
        }
        Err(error) => match error.as_service_error() {
            Some(DescribeImagesError::ImageNotFoundException(_)) => Ok(Described::NoSuchImage),
            Some(DescribeImagesError::RepositoryNotFoundException(_)) => {
                Ok(Described::NoSuchRepository)
            }
            _ => Err(gaps::from_sdk_error(
                &format!("the image {} in ECR", image.short()),
                iam::ECR_DESCRIBE_IMAGES,
                &error,
            )),
        },
    }
}

/// The repository's tagged images (the first page: up to 1000).
async fn newest_tags(
    ctx: &Ctx<'_>,
    client: &aws_sdk_ecr::Client,
    image: &ImageRef,
    account: &str,
) -> Probed<Vec<TagFact>> {
    ctx.count_call();
    let output = client
        .describe_images()
        .registry_id(account)
        .repository_name(&image.repository)
        .filter(
            DescribeImagesFilter::builder()
                .tag_status(TagStatus::Tagged)
                .build(),
        )
        .max_results(1000)
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                &format!("the tags of repository {}", image.repository),
                iam::ECR_DESCRIBE_IMAGES,
                &error,
            )
        })?;
    Ok(output
        .image_details()
        .iter()
        .flat_map(|detail| {
            let pushed_at = time(detail.image_pushed_at());
            detail.image_tags().iter().map(move |tag| TagFact {
                tag: tag.clone(),
                pushed_at,
            })
        })
        .collect())
}

async fn manifest(
    ctx: &Ctx<'_>,
    client: &aws_sdk_ecr::Client,
    image: &ImageRef,
    account: &str,
) -> Probed<Option<String>> {
    ctx.count_call();
    let output = client
        .batch_get_image()
        .registry_id(account)
        .repository_name(&image.repository)
        .image_ids(image_id(image))
        .set_accepted_media_types(Some(MEDIA_TYPES.map(str::to_string).to_vec()))
        .send()
        .await
        .map_err(|error| {
            gaps::from_sdk_error(
                &format!("the manifest of image {}", image.short()),
                iam::ECR_BATCH_GET_IMAGE,
                &error,
            )
        })?;
    Ok(output
        .images()
        .first()
        .and_then(|image| image.image_manifest().map(str::to_string)))
}

async fn policy(
    ctx: &Ctx<'_>,
    client: &aws_sdk_ecr::Client,
    image: &ImageRef,
    account: &str,
    pulling: &str,
) -> Probed<PolicyFact> {
    use aws_sdk_ecr::operation::get_repository_policy::GetRepositoryPolicyError;
    ctx.count_call();
    let result = client
        .get_repository_policy()
        .registry_id(account)
        .repository_name(&image.repository)
        .send()
        .await;
    let allows_pull = match result {
        Ok(output) => Some(policy_allows_pull(
            output.policy_text().unwrap_or_default(),
            pulling,
        )),
        Err(error) => match error.as_service_error() {
            Some(GetRepositoryPolicyError::RepositoryPolicyNotFoundException(_)) => None,
            _ => {
                return Err(gaps::from_sdk_error(
                    &format!(
                        "the policy of repository {} (account {account})",
                        image.repository
                    ),
                    iam::ECR_GET_REPOSITORY_POLICY,
                    &error,
                ))
            }
        },
    };
    Ok(PolicyFact {
        pulling_account: pulling.to_string(),
        allows_pull,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(tag: &str, hours_ago: i64) -> TagFact {
        TagFact {
            tag: tag.into(),
            pushed_at: Some(
                DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc)
                    - chrono::Duration::hours(hours_ago),
            ),
        }
    }

    #[test]
    fn a_missing_tag_names_the_newest_and_the_closest() {
        let tags = vec![
            tag("v1.3.0", 300),
            tag("v1.4.1", 2),
            tag("latest", 2),
            tag("v1.4.0", 50),
            tag("v1.2.9", 400),
            tag("nightly-1", 1),
        ];
        let (newest, closest) = name_tags(tags, "v1.4.2");
        let names = |tags: &[TagFact]| tags.iter().map(|t| t.tag.clone()).collect::<Vec<_>>();
        assert_eq!(names(&newest), ["nightly-1", "v1.4.1", "latest"]);
        assert_eq!(names(&closest), ["v1.4.0", "v1.3.0", "v1.2.9"]);
    }

    #[test]
    fn manifest_lists_name_their_platforms_and_attestations_are_left_out() {
        let list = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"digest":"sha256:a","platform":{"architecture":"amd64","os":"linux"}},
            {"digest":"sha256:b","platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
            {"digest":"sha256:c","platform":{"architecture":"unknown","os":"unknown"}}]}"#;
        let found = platforms(list).unwrap();
        assert_eq!(found, ["linux/amd64", "linux/arm64/v8"]);
        assert!(runs_on(&found, "ARM64") && runs_on(&found, "X86_64"));
        assert!(!runs_on(&["linux/amd64".to_string()], "ARM64"));
        assert_eq!(platforms(r#"{"schemaVersion":2,"config":{}}"#), None);
    }

    #[test]
    fn repository_policies_that_let_an_account_pull() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"pull","Effect":"Allow",
            "Principal":{"AWS":["arn:aws:iam::111122223333:root"]},
            "Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}]}"#;
        assert!(policy_allows_pull(policy, "111122223333"));
        assert!(!policy_allows_pull(policy, "444455556666"));
        let everyone = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:*"}}"#;
        assert!(policy_allows_pull(everyone, "444455556666"));
        let push_only = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"ecr:PutImage"}]}"#;
        assert!(!policy_allows_pull(push_only, "111122223333"));
    }
}
