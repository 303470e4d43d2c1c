use super::*;

pub(super) struct Provider {
    pub(super) prefix: &'static str,
    pub(super) kind: &'static str,
    pub(super) body: fn(u8) -> bool,
    /// The shortest whole body; a shorter one counts only at the end of the text (cut).
    pub(super) min: usize,
    /// The body has exactly `min` characters and ends there (`AKIA` + 16, Twilio `SK` + 32).
    pub(super) exact: bool,
    /// A prefix that could start an ordinary word: the body must look random (and, when cut,
    /// hold a digit or mixed case).
    pub(super) weak: bool,
}

pub(super) const fn p(
    prefix: &'static str,
    kind: &'static str,
    body: fn(u8) -> bool,
    min: usize,
) -> Provider {
    Provider {
        prefix,
        kind,
        body,
        min,
        exact: false,
        weak: false,
    }
}

pub(super) const fn exact(
    prefix: &'static str,
    kind: &'static str,
    body: fn(u8) -> bool,
    len: usize,
) -> Provider {
    Provider {
        prefix,
        kind,
        body,
        min: len,
        exact: true,
        weak: false,
    }
}

pub(super) const fn weak(
    prefix: &'static str,
    kind: &'static str,
    body: fn(u8) -> bool,
    min: usize,
) -> Provider {
    Provider {
        prefix,
        kind,
        body,
        min,
        exact: false,
        weak: true,
    }
}

pub(super) const PROVIDERS: &[Provider] = &[
    p("ghp_", "github-token", alnum, 30),
    p("gho_", "github-token", alnum, 30),
    p("ghu_", "github-token", alnum, 30),
    p("ghs_", "github-token", alnum, 30),
    p("ghr_", "github-token", alnum, 30),
    p("github_pat_", "github-token", alnum_under, 20),
    p("glpat-", "gitlab-token", is_word, 20),
    p("gldt-", "gitlab-token", is_word, 20),
    p("glrt-", "gitlab-token", is_word, 20),
    p("glptt-", "gitlab-token", is_word, 20),
    p("glcbt-", "gitlab-token", is_word, 20),
    p("glft-", "gitlab-token", is_word, 20),
    p("glsoat-", "gitlab-token", is_word, 20),
    p("GR1348941", "gitlab-token", is_word, 20),
    p("xoxb-", "slack-token", alnum_dash, 10),
    p("xoxp-", "slack-token", alnum_dash, 10),
    p("xoxa-", "slack-token", alnum_dash, 10),
    p("xoxo-", "slack-token", alnum_dash, 10),
    p("xoxs-", "slack-token", alnum_dash, 10),
    p("xoxr-", "slack-token", alnum_dash, 10),
    p("xoxe-", "slack-token", alnum_dash, 10),
    p("xoxe.xoxp-", "slack-token", alnum_dash, 10),
    p("xapp-", "slack-token", alnum_dash, 10),
    p("sk_live_", "stripe-key", alnum, 10),
    p("sk_test_", "stripe-key", alnum, 10),
    p("rk_live_", "stripe-key", alnum, 10),
    p("rk_test_", "stripe-key", alnum, 10),
    p("whsec_", "stripe-key", alnum, 20),
    p("sk-ant-", "anthropic-key", is_word, 20),
    p("sk-proj-", "openai-key", is_word, 20),
    p("sk-svcacct-", "openai-key", is_word, 20),
    p("sk-admin-", "openai-key", is_word, 20),
    weak("sk-", "openai-key", is_word, 20),
    exact("AKIA", "aws-access-key-id", upper_digit, 16),
    exact("ASIA", "aws-access-key-id", upper_digit, 16),
    exact("ABIA", "aws-access-key-id", upper_digit, 16),
    p("AIza", "google-api-key", is_word, 35),
    p("GOCSPX-", "google-oauth-secret", is_word, 24),
    weak("ya29.", "google-oauth-token", word_dot, 30),
    p("SG.", "sendgrid-key", word_dot, 30),
    exact("SK", "twilio-key", hex, 32),
    exact("AC", "twilio-key", hex, 32),
    exact("npm_", "npm-token", alnum, 36),
    p("pypi-", "pypi-token", is_word, 50),
    p("dckr_pat_", "docker-token", is_word, 20),
    p("dckr_oat_", "docker-token", is_word, 20),
    p("shpat_", "shopify-token", hex, 32),
    p("shpss_", "shopify-token", hex, 32),
    p("shpca_", "shopify-token", hex, 32),
    p("shppa_", "shopify-token", hex, 32),
    p("hvs.", "vault-token", is_word, 20),
    p("hvb.", "vault-token", is_word, 20),
    p("hvr.", "vault-token", is_word, 20),
    weak("hf_", "huggingface-token", alnum, 30),
    p("dop_v1_", "digitalocean-token", hex, 40),
    p("doo_v1_", "digitalocean-token", hex, 40),
    p("dor_v1_", "digitalocean-token", hex, 40),
    p("NRAK-", "newrelic-key", alnum, 20),
    p("NRII-", "newrelic-key", is_word, 20),
    p("NRJS-", "newrelic-key", alnum, 16),
    p("PMAK-", "postman-key", is_word, 30),
    p("dp.st.", "doppler-token", word_dot, 30),
    p("dp.pt.", "doppler-token", word_dot, 30),
    p("dp.ct.", "doppler-token", word_dot, 30),
    p("dp.sa.", "doppler-token", word_dot, 30),
    p("dp.scim.", "doppler-token", word_dot, 30),
    p("dp.audit.", "doppler-token", word_dot, 30),
    p("lin_api_", "linear-key", alnum, 30),
    p("lin_oauth_", "linear-key", alnum, 30),
    p("ATATT", "atlassian-token", b64url, 50),
    weak("ATBB", "atlassian-token", alnum, 24),
    exact("key-", "mailgun-key", alnum, 32),
    p("sntrys_", "sentry-token", b64url, 30),
    p("sntryu_", "sentry-token", b64url, 30),
    p("glsa_", "grafana-token", is_word, 30),
    weak("glc_", "grafana-token", b64url, 30),
    p("AGE-SECRET-KEY-1", "age-key", alnum, 50),
    p("tskey-", "tailscale-key", is_word, 20),
    weak("ops_", "onepassword-token", b64url, 40),
    weak("gsk_", "groq-key", alnum, 40),
    weak("r8_", "replicate-token", alnum, 30),
    weak("pplx-", "perplexity-key", alnum, 40),
    weak("xai-", "xai-key", alnum, 40),
    p("sq0atp-", "square-token", is_word, 20),
    p("sq0csp-", "square-token", is_word, 20),
    p("pscale_tkn_", "planetscale-token", is_word, 30),
    p("pscale_pw_", "planetscale-token", is_word, 30),
    p("pscale_oauth_", "planetscale-token", is_word, 30),
    p("rubygems_", "rubygems-key", hex, 40),
    weak("figd_", "figma-token", is_word, 30),
    p("sbp_", "supabase-token", hex, 40),
    weak("nfp_", "netlify-token", alnum, 30),
    weak("fo1_", "flyio-token", is_word, 30),
    p("bkua_", "buildkite-token", hex, 40),
    p("CCIPAT_", "circleci-token", is_word, 30),
    p("pat-na1-", "hubspot-token", is_word, 30),
    p("pat-eu1-", "hubspot-token", is_word, 30),
    weak("HRKU-", "heroku-key", is_word, 30),
    p("dt0c01.", "dynatrace-token", word_dot, 50),
    p("FLWSECK-", "flutterwave-key", is_word, 30),
    p("FLWSECK_TEST-", "flutterwave-key", is_word, 30),
    weak("sl.", "dropbox-token", is_word, 100),
    exact("dapi", "databricks-token", hex, 32),
    weak("EZAK", "easypost-key", alnum, 50),
    weak("phx_", "posthog-key", alnum, 40),
];

impl Provider {
    /// The bytes a body may hold, in order.
    fn charset(&self) -> Vec<u8> {
        (b'!'..=b'~').filter(|&c| (self.body)(c)).collect()
    }

    /// A made-up token of this shape: the prefix and a random-looking body of the right length
    /// from the body's own characters (deterministic, so the docs and the tests agree).
    pub(super) fn example(&self) -> String {
        let charset = self.charset();
        let len = if self.exact { self.min } else { self.min + 4 };
        let mut state: u32 = 0x9e37_79b9 ^ self.prefix.bytes().map(u32::from).sum::<u32>();
        let mut body = String::with_capacity(len);
        let alnum: Vec<u8> = charset
            .iter()
            .copied()
            .filter(u8::is_ascii_alphanumeric)
            .collect();
        let pool = if alnum.is_empty() { &charset } else { &alnum };
        for _ in 0..len {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            body.push(pool[(state >> 16) as usize % pool.len()] as char);
        }
        format!("{}{body}", self.prefix)
    }

    /// The prefix followed by an ordinary word: not a token, left alone (a prefix that is itself
    /// random-looking, `GR1348941`, in lower case and joined by a dash, as a name would be).
    pub(super) fn non_example(&self) -> String {
        let stem = self
            .prefix
            .trim_end_matches(['_', '-', '.'])
            .to_ascii_lowercase();
        let first_word = stem
            .split(['_', '-', '.'])
            .next()
            .unwrap_or("x")
            .to_string();
        [
            format!("{}docs", self.prefix),
            format!("{stem}-docs"),
            format!("{first_word}-docs"),
        ]
        .into_iter()
        .find(|plain| {
            let line = format!("{plain} here");
            crate::redact::scrub(&line) == line
        })
        .unwrap_or_else(|| "docs".to_string())
    }
}

/// The catalog of token shapes as Markdown: `docs/secrets.md`, with how the engine reads the
/// rest (a test keeps the file and the code in step).
pub fn catalog_markdown() -> String {
    let mut out = String::new();
    out.push_str(SECRETS_MD_HEAD);
    out.push_str("\n## Token shapes (the second net)\n\n");
    out.push_str("Generated from `PROVIDERS` in `src/redact/catalog.rs`; `cargo test --lib catalog` checks every row's example (masked) and non-example (left alone), and that this file matches (`ECS_DOCTOR_WRITE_DOCS=1` rewrites it).\n\n");
    out.push_str("| kind | prefix | body | length | example (made up) | non-example |\n|---|---|---|---|---|---|\n");
    for provider in PROVIDERS {
        let length = if provider.exact {
            format!("exactly {}", provider.min)
        } else {
            format!("{}+", provider.min)
        };
        let weak = if provider.weak {
            ", random-looking"
        } else {
            ""
        };
        let charset = provider.charset();
        let body = match (charset.len(), charset.iter().all(u8::is_ascii_hexdigit)) {
            (_, true) => "hex".to_string(),
            (62, _) => "letters, digits".to_string(),
            (n, _) if n > 62 => format!(
                "letters, digits, `{}`",
                charset
                    .iter()
                    .filter(|c| !c.is_ascii_alphanumeric())
                    .map(|&c| c as char)
                    .collect::<String>()
            ),
            _ => "restricted".to_string(),
        };
        out.push_str(&format!(
            "| {} | `{}` | {body}{weak} | {length} | `{}` | `{}` |\n",
            provider.kind,
            provider.prefix.replace('|', "\\|"),
            provider.example().replace('|', "\\|"),
            provider.non_example().replace('|', "\\|"),
        ));
    }
    out
}

const SECRETS_MD_HEAD: &str = "# What ecs-doctor scrubs, and how

Everything that leaves ecs-doctor (the alert in every format, the summary log line, the history
item, `ecs-doctor show`) goes through `src/redact/`. It is built in this order, each a net under
the one before:

1. **Structure first.** Text built from the task definition or the event is rendered from its
   structure (`src/redact/structure.rs`): a command, an entrypoint or a health check shows its
   program and flag names, and a value only when its shape is safe (a number, a port, a
   duration, a path, a file name, a URL without user-info, a plain lowercase word), never after
   a flag named like a secret (`--db-password`, `--requirepass`, `-setcookie`) and only numbers
   after a one-letter flag tools take passwords with (`-p`, `-a`, `-k`, `-w`). Image references
   lose their user-info where they are read. Environment values are never read; an event that
   cannot be read is logged as its outline (keys and types, and the values of fields known to be
   safe: ids, ARNs, statuses).
2. **Escapes out.** ANSI colour codes (and their spelled-out forms), and the URL and JSON
   encodings of `=`, `:`, `&` and `@`, are removed or decoded before anything is read; the text
   scrubbed is the text shown.
3. **Values by shape, wherever they stand** (`shapes.rs`). A token that looks machine-made is
   masked in any line, key or no key: long and random (mixed classes, frequent changes of class,
   many distinct characters), or short with the marks of a password (a digit inside letters more
   than once, lone letters between digits, symbols among letters and digits). Never masked: hex of
   any length (task, container and request ids, digests, commit SHAs), UUIDs, numbers, versions,
   timestamps, IPs, AWS's upper-case ids, ARNs, names made of words (`us-east-1`,
   `OrderServiceImpl`, `ecs-api-12-api-9ac0…`), emails, the values of id and digest keys
   (`x-amz-id-2`, `request_id`, `ETag`, `integrity`), public keys and certificates, and the
   names a report is about (cluster, service, container, task definition, log group).
4. **A secret word taints the rest of its line** (`taint.rs`). After a key that names a secret
   (`password`, `passwd`, `pass`, `pwd`, `secret`, `token`, `auth`, `credential`, `cookie`, `key`,
   `pin`, and compact forms such as `requirepass`, `rootpw`, `masterauth`, `DB_PASSWORD`,
   `--db-password`, `AUTH`, `IDENTIFIED BY`), whatever the punctuation, the value that follows is
   masked unless it reads as prose, code or a placeholder, and so is every later token of the
   line that is not plain (letters mixed with digits or symbols, anything random-looking).
5. **Known structures name what they find** (the second net): keyed values (`keyed.rs`),
   passwords in URLs and DSNs (`urls.rs`), armored blocks (`armored.rs`), command lines of known
   tools (`command.rs`), authorization headers and cookies (`headers.rs`), name/value pairs
   (`pairs.rs`), and the token shapes below (`catalog.rs`, `tokens.rs`), which give the marker
   its kind: `[REDACTED:github-token]`.

## What cannot be promised

- A secret that looks like an id: 32 or 40 hex characters with no key before it (a Datadog API
  key, a hex signing key) is indistinguishable from a task id or a commit SHA and is kept.
- A short, ordinary-looking value with no key and no secret word on its line (`hunter2` alone, a
  dictionary word passed as a positional argument).
- A secret split over lines other than an armored block or a `name:`/`value:` pair.
- Masking by shape has costs: random-looking ids with no key that says so (a Kubernetes pod's
  hash, a ULID in a DynamoDB key, a Stripe object id) are masked; `tests/engine/secrets.rs` lists
  the known ones. `LOG_QUOTE=decisive` or `none` quotes less of the log for teams that want it.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_masks_its_example_and_leaves_its_non_example() {
        for provider in PROVIDERS {
            let example = provider.example();
            let line = format!("calling the api with {example} now");
            let scrubbed = crate::redact::scrub(&line);
            assert!(
                !scrubbed.contains(&example[provider.prefix.len()..]),
                "{}: {line} -> {scrubbed}",
                provider.kind
            );
            // Not at the end of the text, where a prefix alone reads as a token cut short.
            let plain = format!("{} here", provider.non_example());
            assert_eq!(crate::redact::scrub(&plain), plain, "{}", provider.kind);
        }
    }

    #[test]
    fn docs_secrets_md_matches_the_catalog() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/secrets.md");
        let generated = catalog_markdown();
        if std::env::var_os("ECS_DOCTOR_WRITE_DOCS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let written = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            written == generated,
            "docs/secrets.md is not what the catalog says: run `ECS_DOCTOR_WRITE_DOCS=1 cargo test --lib catalog`"
        );
    }
}
