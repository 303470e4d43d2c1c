//! The image as ECR has it: the tag that is not there and those that are, the platforms it was
//! built for, a cross-account repository's policy.

use super::{at, Conclusion, Scene};
use crate::facts::ecr::{docker_architecture, runs_on, ImageFacts, TagFact};
use crate::iam;
use crate::report::Category;

pub(super) fn conclude(c: &mut Conclusion, scene: &Scene, facts: &ImageFacts) {
    let source = format!("ECR repository {}", facts.repository);
    let place = format!("(account {}, {})", facts.registry_id, facts.region);
    let wanted = match (&facts.tag, &facts.image) {
        (Some(tag), _) => format!("tag {tag}"),
        (None, image) => format!("image {image}"),
    };
    match (facts.repository_exists, facts.found) {
        (Some(false), _) => {
            c.headline("Repository not in ECR");
            c.verified(
                &source,
                format!("repository {} does not exist {place}", facts.repository),
                iam::ECR_DESCRIBE_IMAGES,
            );
            c.say(format!(
                "Verified in ECR: repository {} does not exist {place}.",
                facts.repository
            ));
            c.fix(
                format!(
                    "Correct the repository name in the task definition: registry {} has no {}",
                    facts.registry_id, facts.repository
                ),
                Some(format!(
                    "aws ecr describe-repositories --registry-id {} --region {} --query 'repositories[].repositoryName'",
                    facts.registry_id, facts.region
                )),
            );
        }
        (_, Some(false)) => missing_tag(c, scene, facts, &source, &place, &wanted),
        (_, Some(true)) if scene.has(Category::ImagePullNotFound) => {
            present(c, scene, facts, &source, &wanted)
        }
        (_, Some(true)) => {
            let pushed = facts
                .pushed_at
                .map(|t| format!(", pushed {}", at(t)))
                .unwrap_or_default();
            c.verified(
                &source,
                format!("{wanted} exists in {}{pushed}", facts.repository),
                iam::ECR_DESCRIBE_IMAGES,
            );
        }
        _ => {}
    }
    if facts.found.is_some() {
        // Whether the tag exists, and which do, is verified: no command to look it up.
        c.supersede("aws ecr describe-images");
        c.supersede("aws ecr list-images");
    }
    platforms(c, scene, facts, &source);
    policy(c, facts, &source);
}

fn tags_text(scene: &Scene, tags: &[TagFact]) -> String {
    tags.iter()
        .map(|tag| match tag.pushed_at {
            Some(pushed) => match scene.relative(pushed) {
                Some(relative) => format!("{} (pushed {}, {relative})", tag.tag, at(pushed)),
                None => format!("{} (pushed {})", tag.tag, at(pushed)),
            },
            None => tag.tag.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn missing_tag(
    c: &mut Conclusion,
    scene: &Scene,
    facts: &ImageFacts,
    source: &str,
    place: &str,
    wanted: &str,
) {
    c.headline(match &facts.tag {
        Some(tag) => format!("Tag {tag} not in ECR"),
        None => "Image digest not in ECR".to_string(),
    });
    let mut text = format!("{wanted} is not in repository {} {place}", facts.repository);
    if !facts.newest.is_empty() {
        text.push_str(&format!(
            "; the newest tags: {}",
            tags_text(scene, &facts.newest)
        ));
    }
    if !facts.closest.is_empty() {
        text.push_str(&format!(
            "; the closest by name: {}",
            tags_text(scene, &facts.closest)
        ));
    }
    c.verified(source, text, iam::ECR_DESCRIBE_IMAGES);
    let mut said = format!(
        "Verified in ECR: {wanted} is not in repository {} (the repository exists).",
        facts.repository
    );
    if let Some(newest) = facts.newest.first() {
        said.push_str(&format!(
            " The newest tag is {}.",
            tags_text(scene, std::slice::from_ref(newest))
        ));
    }
    c.say(said);
    let registry = format!(
        "{}.dkr.ecr.{}.amazonaws.com",
        facts.registry_id, facts.region
    );
    if let Some(tag) = &facts.tag {
        c.fix(
            format!(
                "Push the missing tag {tag} to {} (its build or push did not finish)",
                facts.repository
            ),
            Some(format!("docker push {registry}/{}:{tag}", facts.repository)),
        );
    }
    if let Some(existing) = facts.closest.first().or(facts.newest.first()) {
        c.fix(
            format!(
                "Or point container {} at a tag that exists, such as {} ({}/{}:{}), in a new revision",
                facts.container, existing.tag, registry, facts.repository, existing.tag
            ),
            None,
        );
    }
}

fn present(c: &mut Conclusion, scene: &Scene, facts: &ImageFacts, source: &str, wanted: &str) {
    let pushed = facts.pushed_at;
    let mut text = format!("{wanted} exists in repository {}", facts.repository);
    if let Some(pushed) = pushed {
        text.push_str(&format!(", pushed {}", at(pushed)));
    }
    c.verified(source, text, iam::ECR_DESCRIBE_IMAGES);
    let after = pushed
        .zip(scene.when)
        .is_some_and(|(pushed, when)| pushed > when);
    if after {
        c.say(format!(
            "Verified in ECR: {wanted} exists now, but it was pushed after the pull failed: the deployment ran before the push finished."
        ));
        c.fix(
            "Start a new deployment now that the image exists",
            scene.update_service("--force-new-deployment"),
        );
    } else {
        c.say(format!(
            "Verified in ECR: {wanted} exists, so the pull failed for another reason (the image's platform, the execution role, or a reference to another region or account)."
        ));
    }
}

fn platforms(c: &mut Conclusion, scene: &Scene, facts: &ImageFacts, source: &str) {
    let architecture = scene.architecture.as_str();
    if facts.single_platform {
        c.verified(
            source,
            format!(
                "{} is a single-platform image: its architecture is in its config, which ecs-doctor does not read",
                facts.image
            ),
            iam::ECR_BATCH_GET_IMAGE,
        );
        return;
    }
    if facts.platforms.is_empty() {
        return;
    }
    let built = facts.platforms.join(", ");
    if runs_on(&facts.platforms, architecture) {
        c.verified(
            source,
            format!(
                "{} is built for {built}: it includes the task's architecture ({architecture})",
                facts.image
            ),
            iam::ECR_BATCH_GET_IMAGE,
        );
        return;
    }
    c.headline(format!("Image built for {built} only"));
    c.verified(
        source,
        format!(
            "{} is built for {built} only; the task runs on {architecture}",
            facts.image
        ),
        iam::ECR_BATCH_GET_IMAGE,
    );
    c.say(format!(
        "Verified in ECR: image {} is built for {built} only and the task runs on {architecture} ({}).",
        facts.image,
        docker_architecture(architecture)
    ));
    let other = if docker_architecture(architecture) == "arm64" {
        "X86_64"
    } else {
        "ARM64"
    };
    c.fix(
        format!(
            "Run the task on the image's architecture: set runtimePlatform.cpuArchitecture to {other} in {}",
            scene.revision().unwrap_or_else(|| "the task definition".into())
        ),
        None,
    );
    c.fix(
        "Or build the image for both architectures",
        Some(format!(
            "docker buildx build --platform linux/amd64,linux/arm64 -t {}.dkr.ecr.{}.amazonaws.com/{} --push .",
            facts.registry_id, facts.region, facts.image
        )),
    );
}

fn policy(c: &mut Conclusion, facts: &ImageFacts, source: &str) {
    let Some(policy) = &facts.policy else {
        return;
    };
    let pulling = &policy.pulling_account;
    match policy.allows_pull {
        Some(true) => c.verified(
            source,
            format!("its repository policy lets account {pulling} pull: look at the execution role's ECR permissions"),
            iam::ECR_GET_REPOSITORY_POLICY,
        ),
        allows => {
            let text = match allows {
                None => format!("repository {} (account {}) has no policy: no other account may pull from it", facts.repository, facts.registry_id),
                _ => format!("the policy of repository {} (account {}) has no statement letting account {pulling} pull", facts.repository, facts.registry_id),
            };
            c.headline("Cross-account pull not allowed");
            c.verified(source, &text, iam::ECR_GET_REPOSITORY_POLICY);
            c.say(format!("Verified in ECR: {text}."));
            c.fix(
                format!(
                    "In account {}, add to the policy of {} a statement allowing arn:aws:iam::{pulling}:root ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability (set-repository-policy replaces the whole policy: merge it)",
                    facts.registry_id, facts.repository
                ),
                Some(format!(
                    "aws ecr get-repository-policy --registry-id {} --repository-name {} --region {}",
                    facts.registry_id, facts.repository, facts.region
                )),
            );
        }
    }
}
