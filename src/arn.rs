//! Names read out of ARNs, task definition references and image references: one place for
//! every "which cluster, which revision, which repository" the code needs.

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, borrowed from the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// Everything after the account: `task/prod/0f3a…`, `secret:prod/db-AbCdEf`.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let mut parts = text.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }

    pub fn region(&self) -> Option<&'a str> {
        Some(self.region).filter(|region| !region.is_empty())
    }

    pub fn account(&self) -> Option<&'a str> {
        Some(self.account).filter(|account| !account.is_empty())
    }
}

/// The region of an ARN, when it has one.
pub fn region_of(arn: &str) -> Option<&str> {
    Arn::parse(arn)?.region()
}

/// The account of an ARN, when it has one.
pub fn account_of(arn: &str) -> Option<&str> {
    Arn::parse(arn)?.account()
}

/// The part after the last `/` of an ARN (a name or an id), or the whole text.
pub fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// A task definition named by ARN (`…:task-definition/api:42`) or as `api:42` (or `api`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDefinitionRef<'a> {
    pub family: &'a str,
    pub revision: Option<u32>,
}

impl<'a> TaskDefinitionRef<'a> {
    pub fn parse(text: &'a str) -> TaskDefinitionRef<'a> {
        let name = text
            .rsplit_once("task-definition/")
            .map_or(text, |(_, name)| name);
        match name.rsplit_once(':') {
            Some((family, revision)) => match revision.parse() {
                Ok(revision) => TaskDefinitionRef {
                    family,
                    revision: Some(revision),
                },
                Err(_) => TaskDefinitionRef {
                    family: name,
                    revision: None,
                },
            },
            None => TaskDefinitionRef {
                family: name,
                revision: None,
            },
        }
    }

    /// `family:revision` (or the family alone).
    pub fn name(&self) -> String {
        match self.revision {
            Some(revision) => format!("{}:{revision}", self.family),
            None => self.family.to_string(),
        }
    }

    /// `family:revision-1`, the revision registered before this one (if any).
    pub fn previous(&self) -> Option<String> {
        let revision = self.revision.filter(|revision| *revision > 1)?;
        Some(format!("{}:{}", self.family, revision - 1))
    }
}

/// `api:42` from an ARN or a name (the name unchanged).
pub fn task_definition_name(text: &str) -> &str {
    text.rsplit_once("task-definition/")
        .map_or(text, |(_, name)| name)
}

/// An image reference: `REGISTRY/REPOSITORY[:TAG][@DIGEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `123456789012.dkr.ecr.eu-west-1.amazonaws.com`, `docker.io`, `ghcr.io`.
    pub registry: String,
    pub repository: String,
    /// None with a digest-only reference.
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Where an ECR registry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrRegistry {
    pub account: String,
    pub region: String,
}

impl ImageRef {
    /// Reads an image as a task definition names it. Docker Hub's short forms (`nginx`,
    /// `library/nginx:1.27`) get the `docker.io` registry and the `latest` tag.
    pub fn parse(image: &str) -> Option<ImageRef> {
        let image = crate::redact::structure::image(image.trim());
        let image = image.as_ref();
        if image.is_empty() || image.contains(char::is_whitespace) {
            return None;
        }
        let (name, digest) = match image.split_once('@') {
            Some((name, digest)) => (name, Some(digest.to_string())),
            None => (image, None),
        };
        // The registry is the first segment when it looks like a host (has a dot or a port,
        // or is localhost); otherwise the image is on Docker Hub.
        let (registry, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest)
            }
            _ => ("docker.io".to_string(), name),
        };
        // A tag is after the last ':' of the last path segment (a registry port is not a tag).
        let last_slash = path.rfind('/').map_or(0, |at| at + 1);
        let (repository, tag) = match path[last_slash..].rfind(':') {
            Some(at) => (
                path[..last_slash + at].to_string(),
                Some(path[last_slash + at + 1..].to_string()),
            ),
            None => (path.to_string(), None),
        };
        if repository.is_empty() {
            return None;
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The ECR registry this image is in, if it is in ECR (`ACCOUNT.dkr.ecr.REGION.amazonaws.com`,
    /// and the `.com.cn` and FIPS forms).
    pub fn ecr(&self) -> Option<EcrRegistry> {
        let mut parts = self.registry.split('.');
        let account = parts.next()?;
        let (dkr, ecr) = (parts.next()?, parts.next()?);
        let region = parts.next()?;
        let is_ecr = account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && dkr == "dkr"
            && ecr.starts_with("ecr");
        is_ecr.then(|| EcrRegistry {
            account: account.to_string(),
            region: region.to_string(),
        })
    }

    /// `repository:tag` or `repository@digest`, for messages.
    pub fn short(&self) -> String {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => format!("{}:{tag}", self.repository),
            (None, Some(digest)) => format!("{}@{digest}", self.repository),
            (None, None) => self.repository.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_split_into_their_parts() {
        let arn = Arn::parse("arn:aws:ecs:eu-west-1:123456789012:task/prod/0f3a").unwrap();
        assert_eq!(arn.service, "ecs");
        assert_eq!(arn.region(), Some("eu-west-1"));
        assert_eq!(arn.account(), Some("123456789012"));
        assert_eq!(arn.resource, "task/prod/0f3a");
        assert_eq!(
            Arn::parse("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbC:password::")
                .unwrap()
                .resource,
            "secret:prod/db-AbC:password::"
        );
        assert!(Arn::parse("prod").is_none());
        assert_eq!(last_segment("arn:aws:ecs:eu-west-1:1:cluster/prod"), "prod");
    }

    #[test]
    fn task_definitions_by_arn_or_name() {
        let td = TaskDefinitionRef::parse("arn:aws:ecs:eu-west-1:1:task-definition/api:42");
        assert_eq!((td.family, td.revision), ("api", Some(42)));
        assert_eq!(td.name(), "api:42");
        assert_eq!(td.previous().as_deref(), Some("api:41"));
        assert_eq!(TaskDefinitionRef::parse("batch").revision, None);
        assert_eq!(TaskDefinitionRef::parse("api:1").previous(), None);
        assert_eq!(
            task_definition_name("arn:aws:ecs:eu-west-1:1:task-definition/api:42"),
            "api:42"
        );
    }

    #[test]
    fn images_in_ecr_and_elsewhere() {
        let image = ImageRef::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1.4.2")
            .unwrap();
        assert_eq!(image.repository, "team/api");
        assert_eq!(image.tag.as_deref(), Some("v1.4.2"));
        let ecr = image.ecr().unwrap();
        assert_eq!(
            (ecr.account.as_str(), ecr.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        let hub = ImageRef::parse("nginx").unwrap();
        assert_eq!(
            (hub.registry.as_str(), hub.tag.as_deref()),
            ("docker.io", Some("latest"))
        );
        assert!(hub.ecr().is_none());
        let pinned = ImageRef::parse("localhost:5000/api@sha256:abc").unwrap();
        assert_eq!(pinned.registry, "localhost:5000");
        assert_eq!(pinned.tag, None);
        assert_eq!(pinned.digest.as_deref(), Some("sha256:abc"));
    }
}
