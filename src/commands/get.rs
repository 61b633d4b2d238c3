//! `get`: is support access enabled, which roles, and the active requests — the `text` form is
//! the reference document's output, line for line, with a `Request ID:` line added.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::{GetArgs, GlobalArgs, OutputFormat};
use crate::cluster::{Connection, Target};
use crate::error::Result;
use crate::grant::{Grant, Grants, InvalidGrant};
use crate::output::{self, print_structured, relative, rfc3339};
use crate::policy::{Policy, read_policy};

/// What `get -o json|yaml` prints: a stable shape, documented in the README.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub context: String,
    pub enabled: bool,
    /// `None` when the policy ConfigMap does not exist (never enabled).
    pub policy: Option<Policy>,
    pub active_requests: Vec<Grant>,
    pub invalid_requests: Vec<InvalidGrant>,
}

pub async fn run(global: &GlobalArgs, args: &GetArgs) -> Result<()> {
    let conn = Connection::open(
        global,
        &Target {
            cluster: args.target.cluster.clone(),
        },
    )
    .await?;
    let status = read_status(&conn).await?;
    let now = Utc::now();
    for invalid in &status.invalid_requests {
        output::warn(&format!(
            "binding {} does not parse ({}); it is treated as expired and `sweep` will remove it",
            invalid.name, invalid.problem
        ));
    }
    match global.output.unwrap_or(OutputFormat::Text) {
        OutputFormat::Text => print!("{}", render_text(&status)),
        OutputFormat::Table => println!("{}", render_table(&status, now)),
        format => print_structured(&status, format)?,
    }
    Ok(())
}

/// Reads the policy and the requests concurrently.
pub async fn read_status(conn: &Connection) -> Result<Status> {
    let (policy, grants) = tokio::try_join!(read_policy(conn), Grants::list(conn))?;
    let now = Utc::now();
    Ok(Status {
        context: conn.context.clone(),
        enabled: policy.as_ref().is_some_and(|p| p.enabled),
        active_requests: grants.live(now).into_iter().cloned().collect(),
        invalid_requests: grants.invalid,
        policy,
    })
}

fn role_names(status: &Status) -> String {
    let roles = status
        .policy
        .as_ref()
        .filter(|p| p.enabled)
        .map(|p| p.enabled_roles.clone())
        .unwrap_or_default();
    roles
        .iter()
        .map(|r| r.api_name())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn render_text(status: &Status) -> String {
    let mut lines = vec![
        format!(
            "Support Access Status: {}",
            if status.enabled {
                "Enabled"
            } else {
                "Disabled"
            }
        ),
        format!("Enabled Roles: {}", role_names(status))
            .trim_end()
            .to_string(),
        format!("Active Requests: {}", status.active_requests.len()),
    ];
    for (number, grant) in status.active_requests.iter().enumerate() {
        lines.push(format!("Request {}:", number + 1));
        lines.push(format!("Request ID: {}", grant.id));
        lines.push(format!("Role: {}", grant.role.api_name()));
        if let Some(scope) = &grant.scope {
            lines.push(format!("Scope: namespace {scope}"));
        }
        lines.push(format!("Requestor ID: {}", grant.requestor));
        lines.push(format!("Reason: {}", grant.reason));
        lines.push(format!("Requested At: {}", rfc3339(grant.requested_at)));
        lines.push(format!("Request Expires At: {}", rfc3339(grant.expires_at)));
        if let Some(at) = grant.credential_expires_at {
            lines.push(format!("Credential Expires At: {}", rfc3339(at)));
        }
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}

fn render_table(status: &Status, now: DateTime<Utc>) -> String {
    let summary = format!(
        "Support access: {} · roles: {} · active requests: {}",
        if status.enabled {
            "enabled"
        } else {
            "disabled"
        },
        status
            .policy
            .as_ref()
            .filter(|p| p.enabled)
            .map(|p| p
                .enabled_roles
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(","))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "none".into()),
        status.active_requests.len()
    );
    let mut table = output::table(&[
        "ID",
        "ROLE",
        "SCOPE",
        "REQUESTOR",
        "REASON",
        "REQUESTED",
        "EXPIRES",
        "CREDENTIAL",
    ]);
    for grant in &status.active_requests {
        table.add_row(vec![
            grant.id.clone(),
            grant.role.name().to_string(),
            grant.scope.clone().unwrap_or_else(|| "cluster".into()),
            grant.requestor.clone(),
            grant.reason.clone(),
            relative(grant.requested_at, now),
            relative(grant.expires_at, now),
            grant
                .credential_expires_at
                .map(|at| relative(at, now))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    format!("{summary}\n{table}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Role;
    use std::collections::BTreeMap;

    fn reference_request() -> Grant {
        Grant {
            id: "k3x9q2".into(),
            role: Role::Readonly,
            scope: None,
            requestor: "00uix9g0n77KrcdMq5d7".into(),
            reason: "This is a test!".into(),
            requested_at: "2026-03-30T23:12:53Z".parse().unwrap(),
            expires_at: "2026-04-01T03:12:53Z".parse().unwrap(),
            credential_expires_at: Some("2026-04-01T01:46:18Z".parse().unwrap()),
            requested_by: "admin".into(),
            annotations: BTreeMap::new(),
        }
    }

    #[test]
    fn a_cluster_never_enabled_is_disabled() {
        let status = Status {
            context: "c".into(),
            enabled: false,
            policy: None,
            active_requests: vec![],
            invalid_requests: vec![],
        };
        assert_eq!(
            render_text(&status),
            "Support Access Status: Disabled\nEnabled Roles:\nActive Requests: 0\n"
        );
    }

    #[test]
    fn text_reproduces_the_reference_output_with_a_request_id() {
        let policy = Policy {
            enabled: true,
            enabled_roles: vec![Role::Readonly],
            ..Policy::default()
        };
        let status = Status {
            context: "c".into(),
            enabled: true,
            policy: Some(policy),
            active_requests: vec![reference_request()],
            invalid_requests: vec![],
        };
        let reference = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/reference/crusoe-support-access.txt"
        ))
        .expect("../shared/reference/crusoe-support-access.txt is beside the clone");
        let start = reference.find("Support Access Status: Enabled").unwrap();
        let end = reference
            .find("Credential Expires At: 2026-04-01T01:46:18Z")
            .unwrap();
        let mut expected: Vec<&str> = reference[start..].lines().take_while(|_| true).collect();
        let count = reference[start..end].lines().count() + 1;
        expected.truncate(count);
        let rendered = render_text(&status);
        let mut got: Vec<&str> = rendered.lines().collect();
        assert_eq!(got.remove(4), "Request ID: k3x9q2");
        assert_eq!(got, expected);
    }
}
