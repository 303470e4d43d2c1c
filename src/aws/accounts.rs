//! Account routing: an event from a member account is read in that account, through the
//! read-only role `templates/member.yaml` creates there (MEMBER_ROLE_NAME), assumed once and
//! kept until shortly before its credentials expire. Events from the function's own account
//! (ACCOUNT_ID) are read with its own clients. Publishing always stays in the function's account.
//!
//! This sits on top of [`Clients`]: it builds clients for other accounts and regions, and the
//! clients know nothing of it.

use crate::iam;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_config::Region;
use aws_sdk_ecs::config::{Credentials, SharedCredentialsProvider};

use super::gaps;
use super::Clients;
use crate::event::EcsEvent;
use crate::incident::{Gap, GapKind};

/// The role's name when MEMBER_ROLE_NAME is not set (templates/member.yaml's default).
pub const DEFAULT_MEMBER_ROLE_NAME: &str = "ecs-doctor-read";
/// How long an assumed role's credentials are asked for (the AssumeRole default and the
/// member role's MaxSessionDuration).
const SESSION: Duration = Duration::from_secs(3600);
/// Credentials this close to expiring are renewed before use: an invocation lasts at most 30 s
/// plus retries, and clocks drift.
const RENEW_BEFORE: Duration = Duration::from_secs(5 * 60);

/// How to reach member accounts (ACCOUNT_ID, MEMBER_ROLE_NAME).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossAccountConfig {
    /// The function's own account (the template sets ACCOUNT_ID). None: asked from STS once
    /// (GetCallerIdentity, which needs no permission).
    pub home_account: Option<String>,
    /// The role to assume in a member account.
    pub member_role_name: String,
    /// The session name member accounts see in CloudTrail.
    pub session_name: String,
}

impl Default for CrossAccountConfig {
    fn default() -> Self {
        CrossAccountConfig {
            home_account: None,
            member_role_name: DEFAULT_MEMBER_ROLE_NAME.to_string(),
            session_name: "ecs-doctor".to_string(),
        }
    }
}

impl CrossAccountConfig {
    pub fn from_env() -> CrossAccountConfig {
        CrossAccountConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads ACCOUNT_ID and MEMBER_ROLE_NAME through `lookup`; a blank value is unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> CrossAccountConfig {
        let get = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let defaults = CrossAccountConfig::default();
        CrossAccountConfig {
            home_account: get("ACCOUNT_ID"),
            member_role_name: get("MEMBER_ROLE_NAME").unwrap_or(defaults.member_role_name),
            ..defaults
        }
    }
}

/// The clients for each account and region an event comes from.
#[derive(Debug)]
pub struct Accounts {
    home: Clients,
    /// None: every event is read with the home clients (clients assembled from parts).
    config: Option<CrossAccountConfig>,
    home_account: tokio::sync::OnceCell<Option<String>>,
    /// By (account, region): the clients and when their credentials expire (None: never, the
    /// function's own credentials in another region).
    reached: Mutex<HashMap<(String, String), Reached>>,
    assume_role_calls: AtomicUsize,
}

#[derive(Debug, Clone)]
struct Reached {
    clients: Clients,
    expires: Option<SystemTime>,
}

impl Accounts {
    /// Member accounts are read through their role; the home account with `home`.
    pub fn new(home: Clients, config: CrossAccountConfig) -> Accounts {
        let config = home.has_config().then_some(config);
        Accounts {
            home,
            config,
            home_account: tokio::sync::OnceCell::new(),
            reached: Mutex::new(HashMap::new()),
            assume_role_calls: AtomicUsize::new(0),
        }
    }

    /// Every account is read with `home` (tests with mocked clients, the command line).
    pub fn home_only(home: Clients) -> Accounts {
        Accounts {
            config: None,
            ..Accounts::new(home, CrossAccountConfig::default())
        }
    }

    /// How many (account, region) pairs have clients now.
    pub fn reached(&self) -> usize {
        self.reached.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// AssumeRole calls made so far (cached credentials make none).
    pub fn assume_role_calls(&self) -> usize {
        self.assume_role_calls.load(Ordering::Relaxed)
    }

    /// `clients_for` with the event's account and region.
    pub async fn for_event(&self, event: &EcsEvent) -> Result<Clients, Gap> {
        self.clients_for(event.account.as_deref(), event.region.as_deref())
            .await
    }

    /// The clients to read `account` in `region` with: the home clients for the home account
    /// in its region, the same credentials for another region, and for a member account its
    /// role's credentials (assumed once, renewed before they expire). An unknown account or
    /// region means "here".
    ///
    /// Err: the member account cannot be read (no role, not trusted, not an account ID); the gap
    /// says what to deploy or fix, and the report is still published without that context.
    pub async fn clients_for(
        &self,
        account: Option<&str>,
        region: Option<&str>,
    ) -> Result<Clients, Gap> {
        let Some(config) = &self.config else {
            return Ok(self.home.clone());
        };
        let home_region = self.home.region();
        let region = region
            .map(str::trim)
            .filter(|region| !region.is_empty())
            .map(str::to_string)
            .or_else(|| home_region.clone());
        let same_region = region == home_region;
        let account = account.map(str::trim).filter(|account| !account.is_empty());
        let is_home = match (account, self.home_account().await) {
            (None, _) | (_, None) => true,
            (Some(account), Some(home)) => account == home,
        };
        if is_home && same_region {
            return Ok(self.home.clone());
        }
        let region = region.unwrap_or_default();
        let account = account.unwrap_or_default().to_string();
        let key = (account.clone(), region.clone());
        if let Some(clients) = self.cached(&key) {
            return Ok(clients);
        }
        let mut builder = self
            .home
            .config()
            .to_builder()
            .region(Region::new(region.clone()));
        let mut expires = None;
        if !is_home {
            let credentials = self.assume(config, &account, &region).await?;
            expires = credentials.expiry();
            builder = builder.credentials_provider(SharedCredentialsProvider::new(credentials));
        }
        let clients = Clients::from_conf(&builder.build());
        self.remember(key, &clients, expires);
        Ok(clients)
    }

    /// Learns the function's own account from the ARN Lambda invoked it by (each invocation
    /// carries it, `arn:aws:lambda:REGION:ACCOUNT:function:NAME`), so that no GetCallerIdentity
    /// call is made on the first event. ACCOUNT_ID, when set, is what counts.
    pub fn learn_home_account(&self, function_arn: &str) {
        let unset = self
            .config
            .as_ref()
            .is_some_and(|config| config.home_account.is_none());
        let account = crate::arn::account_of(function_arn)
            .filter(|account| account.len() == 12 && account.bytes().all(|c| c.is_ascii_digit()));
        if let (true, Some(account)) = (unset, account) {
            // Already known (from an earlier invocation or STS): the same account.
            let _ = self.home_account.set(Some(account.to_string()));
        }
    }

    /// The function's own account: ACCOUNT_ID, else the invoked function's ARN, else
    /// GetCallerIdentity once (None if it fails:
    /// every event is then read with the function's own credentials).
    async fn home_account(&self) -> Option<&str> {
        self.home_account
            .get_or_init(|| async {
                if let Some(account) = self.config.as_ref()?.home_account.clone() {
                    return Some(account);
                }
                match self.home.sts().get_caller_identity().send().await {
                    Ok(identity) => identity.account().map(str::to_string),
                    Err(error) => {
                        tracing::warn!(error = %aws_smithy_types::error::display::DisplayErrorContext(&error),
                            "ecs-doctor could not learn its own account; set ACCOUNT_ID");
                        None
                    }
                }
            })
            .await
            .as_deref()
    }

    fn cached(&self, key: &(String, String)) -> Option<Clients> {
        let reached = self.reached.lock().unwrap_or_else(|e| e.into_inner());
        let entry = reached.get(key)?;
        let fresh = entry.expires.is_none_or(|expires| {
            expires
                .checked_sub(RENEW_BEFORE)
                .is_some_and(|renew_at| SystemTime::now() < renew_at)
        });
        fresh.then(|| entry.clients.clone())
    }

    fn remember(&self, key: (String, String), clients: &Clients, expires: Option<SystemTime>) {
        let mut reached = self.reached.lock().unwrap_or_else(|e| e.into_inner());
        reached.insert(
            key,
            Reached {
                clients: clients.clone(),
                expires,
            },
        );
    }

    /// AssumeRole into the member account's role.
    async fn assume(
        &self,
        config: &CrossAccountConfig,
        account: &str,
        region: &str,
    ) -> Result<Credentials, Gap> {
        let role_name = &config.member_role_name;
        let what = format!("account {account} ({region}): its ECS, logs and network");
        if !is_account_id(account) {
            return Err(Gap::new(
                GapKind::Missing,
                what,
                format!("the event's account '{account}' is not a 12-digit account ID"),
                "send ecs-doctor the events EventBridge delivers, unmodified",
            ));
        }
        let role_arn = format!("arn:{}:iam::{account}:role/{role_name}", partition(region));
        self.assume_role_calls.fetch_add(1, Ordering::Relaxed);
        let assumed = self
            .home
            .sts()
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name(&config.session_name)
            .duration_seconds(SESSION.as_secs() as i32)
            .send()
            .await;
        let output = assumed.map_err(|error| {
            let gap = gaps::from_sdk_error(&what, iam::STS_ASSUME_ROLE, &error);
            Gap {
                reason: format!("could not assume {role_arn}: {}", gap.reason),
                fix: format!(
                    "deploy templates/member.yaml in account {account} (it creates {role_name}, \
                     trusted by this function's role), or set MEMBER_ROLE_NAME to the role's name"
                ),
                ..gap
            }
        })?;
        let Some(credentials) = output.credentials() else {
            return Err(Gap::new(
                GapKind::Unavailable,
                what,
                format!("AssumeRole on {role_arn} returned no credentials"),
                "retry; if it persists, check the role in the member account",
            )
            .with_action(iam::STS_ASSUME_ROLE));
        };
        let expiry = SystemTime::try_from(*credentials.expiration())
            .unwrap_or_else(|_| SystemTime::now() + SESSION);
        Ok(Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            Some(credentials.session_token().to_string()),
            Some(expiry),
            "ecs-doctor-member-role",
        ))
    }
}

/// The partition of a region: the role ARN must name it.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

fn is_account_id(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_to_the_member_template_role() {
        let config = CrossAccountConfig::from_lookup(|_| None);
        assert_eq!(config.member_role_name, "ecs-doctor-read");
        assert_eq!(config.home_account, None);
        let config = CrossAccountConfig::from_lookup(|name| match name {
            "ACCOUNT_ID" => Some("111122223333".into()),
            "MEMBER_ROLE_NAME" => Some(" audit-read ".into()),
            _ => None,
        });
        assert_eq!(config.home_account.as_deref(), Some("111122223333"));
        assert_eq!(config.member_role_name, "audit-read");
    }

    #[test]
    fn the_role_arn_names_the_regions_partition() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert!(is_account_id("111122223333"));
        assert!(!is_account_id("1111-2222-3333"));
    }
}
