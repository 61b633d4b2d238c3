//! `get`: is support access enabled, which roles, and the active requests — the `text` form is
//! the reference document's output, line for line, with a `Request ID:` line added.
//! `--all-contexts`/`--contexts` ask many contexts at once (`fleet`): one row per context.

use chrono::{DateTime, Utc};

use crate::base::error::Error;
use crate::base::error::Result;
use crate::cli::{GetArgs, GlobalArgs, OutputFormat};
use crate::cluster::{Connection, Target};
use crate::output::{self, print_listing, relative, rfc3339, terminal};
use crate::services::census::warn_untrusted;
use crate::services::fleet::{Outcome, Plan};
use crate::services::status::{ActiveRequest, Status, read_status};
use crate::state::record::HelmRelease;

pub async fn run(global: &GlobalArgs, args: &GetArgs) -> Result<()> {
    if args.watch {
        return super::watch::run(global, args).await;
    }
    let Named { cluster, ids, maybe_context } = split_names(global, &args.names)?;
    crate::services::fleet::single_target(&args.fleet, cluster.as_ref())?;
    if args.fleet.selected() && !ids.is_empty() {
        return Err(Error::usage("request ids name one cluster's requests: leave out --all-contexts/--contexts"));
    }
    if args.fleet.selected() {
        let plan = Plan { command: "get", destructive: None };
        return crate::services::fleet::run(global, &args.fleet, plan, |conn| async move {
            let (status, grants) = read_status(&conn).await?;
            crate::services::sweep::of_listing(&conn, &grants).await?;
            Ok(status)
        })
        .await;
    }
    let conn = Connection::open(global, &Target { cluster }).await?;
    let (mut status, grants) = read_status(&conn).await?;
    // Disabled, as Crusoe's on a new cluster; and where nothing was ever installed off the default
    // namespace, a note on what -n names.
    if status.policy_problem.is_none()
        && let Some(why) = crate::cluster::policy::not_installed_here(&conn, status.policy.as_ref()).await?
    {
        let hint = why.hint.unwrap_or_default();
        eprintln!(
            "note: {}; {}",
            terminal(why.message.trim_start_matches("refused: support access is disabled on ")),
            hint
        );
    }
    // `get ID…`: only those requests, in every format; an id that is not live is an error after
    // the ones found are shown, as `kubectl get NAME` (nothing is shown when none is).
    let missing: Vec<&String> =
        ids.iter().filter(|id| !grants.valid.iter().any(|g| &&g.id == id && g.is_live(Utc::now()))).collect();
    if !ids.is_empty() {
        status.active_requests.retain(|r| ids.contains(&r.grant.id));
        status.pending_requests.retain(|r| ids.contains(&r.grant.id));
    }
    let shown = ids.is_empty() || missing.len() < ids.len();
    // Everything found is reported (with why), then what the sweep removed of it.
    warn_about(&status);
    crate::services::sweep::of_listing(&conn, &grants).await?;
    match global.output.clone().unwrap_or(OutputFormat::Text) {
        _ if !shown => {}
        OutputFormat::Text => {
            note_details(&status, Utc::now());
            crate::out!("{}", render_text(&status))
        }
        OutputFormat::Table => crate::outln!("{}", render_table(&status, Utc::now(), false)),
        OutputFormat::Wide => crate::outln!("{}", render_table(&status, Utc::now(), true)),
        format => print_listing(&status, Some(status.items()), &format)?,
    }
    let Some(id) = missing.first() else {
        return Ok(());
    };
    // The first name may have been meant as a context.
    if let Some(contexts) = maybe_context.filter(|_| ids.first() == Some(*id)) {
        return Err(Error::failed(format!(
            "no context or cluster named {id:?} in the kubeconfig; available contexts: {}; and no live request {id} on \
             context {:?}",
            terminal(&contexts.join(", ")),
            conn.context
        )));
    }
    Err(crate::services::live::find_live(&conn, id).await.err().unwrap_or_else(|| {
        Error::failed(format!("request {id} was not live when get listed the requests; run get again"))
    }))
}

/// `get`'s names: the CLUSTER, the request ids, and the kubeconfig's contexts when the first id
/// could have been meant as a context.
struct Named {
    cluster: Option<String>,
    ids: Vec<String>,
    maybe_context: Option<Vec<String>>,
}

/// `get [CLUSTER] [ID…]`: the first name is CLUSTER when the kubeconfig has a context or cluster
/// of that name; every other name is a request id.
fn split_names(global: &GlobalArgs, names: &[String]) -> Result<Named> {
    let Some(first) = names.first() else {
        return Ok(Named { cluster: None, ids: Vec::new(), maybe_context: None });
    };
    let files = crate::cluster::KubeconfigFiles::load(global.kubeconfig.as_deref())?;
    let cluster = files.as_ref().is_some_and(|f| f.names_a_cluster(first)).then(|| first.clone());
    let ids = names[usize::from(cluster.is_some())..].to_vec();
    for (i, id) in ids.iter().enumerate() {
        match (crate::services::live::check_id(id), &files) {
            // Not an id: a context name that the kubeconfig does not have.
            (Err(_), Some(files)) if i == 0 && cluster.is_none() => {
                files.resolve_context(id)?;
            }
            (checked, _) => checked?,
        }
    }
    let maybe_context = files.filter(|_| cluster.is_none()).map(|f| f.context_names());
    Ok(Named { cluster, ids, maybe_context })
}

/// Notes on stderr for what the reference layout of stdout has no line for.
fn note_details(status: &Status, now: DateTime<Utc>) {
    for request in &status.active_requests {
        if let Some(scope) = &request.scope {
            eprintln!("note: request {} is scoped to namespace {}", terminal(&request.id), terminal(scope));
        }
        if request.voids_guarantees() {
            eprintln!(
                "note: request {} holds ClusterRole {}, which {}: the admission guards do not bind it",
                terminal(&request.id),
                request.role,
                describe_powers(request)
            );
        }
        if request.draining {
            eprintln!(
                "note: request {} is draining (support access is disabled for its role): it ends at {} ({}) \
                 and cannot be renewed",
                terminal(&request.id),
                rfc3339(request.expires_at),
                relative(request.expires_at, now)
            );
        }
    }
    if let Some(helm) = &status.helm {
        eprintln!("note: {}", terminal(&describe_helm(helm)));
    }
}

/// "writes RBAC, deletes admission policies".
fn describe_powers(request: &ActiveRequest) -> String {
    let held = request.capabilities.iter().flat_map(|c| c.held.iter()).filter(|p| p.voids_guarantees());
    held.map(|p| p.label()).collect::<Vec<_>>().join(", ")
}

fn describe_helm(helm: &HelmRelease) -> String {
    format!(
        "Helm release {} ({}) installs the roles; its static bindings grant groups {}",
        helm.release,
        helm.chart,
        helm.groups.join(", ")
    )
}

fn warn_about(status: &Status) {
    if let Some(warning) = status.history.as_ref().and_then(|t| t.warning.as_ref()) {
        eprintln!("warning: {warning}");
    }
    if !status.requests_being_made.is_empty() {
        eprintln!(
            "note: request(s) {} have no credential yet: being made now, or abandoned (then swept 15 minutes after they were made)",
            terminal(&status.requests_being_made.join(", "))
        );
    }
    if let Some(problem) = &status.policy_problem {
        output::warn(&format!(
            "{problem}; support access is treated as disabled until `kubectl supportaccess enable` rewrites it"
        ));
    }
    for role in &status.missing_roles {
        let role = terminal(role);
        output::warn(&match crate::services::roles::names().contains(&role.as_ref()) {
            true => format!(
                "ClusterRole {role} is missing: requests cannot be made until `kubectl supportaccess enable` \
                 installs it (or the crusoe-support-roles chart is reinstalled)"
            ),
            false => format!(
                "ClusterRole {role}, which support may request, is missing: its requests cannot be made until it \
                 is created again or `kubectl supportaccess enable --clusterroles` leaves it out"
            ),
        });
    }
    if let Some(guards) = &status.guards {
        if !guards.available {
            output::warn(
                "admission guards are unavailable on this server (ValidatingAdmissionPolicy v1 needs Kubernetes 1.30): \
                 the policy is kept by this plugin's own checks only",
            );
        }
        for name in &guards.missing {
            output::warn(&format!(
                "admission guard {name} is missing: the API server no longer enforces it; `kubectl supportaccess enable` restores it"
            ));
        }
        for difference in &guards.differences {
            output::warn(&format!(
                "admission guard {} differs from the policy: it {}; `kubectl supportaccess enable` repairs it",
                difference.guard,
                output::terminal(&difference.detail)
            ));
        }
    }
    warn_untrusted(&status.invalid_requests, &status.foreign_grants);
}

fn role_names(status: &Status) -> String {
    let roles = status.policy.as_ref().filter(|p| p.enabled).map(|p| p.enabled_roles.clone()).unwrap_or_default();
    roles.iter().map(|r| r.api_name()).collect::<Vec<_>>().join(",")
}

/// The ClusterRoles support may request besides Crusoe's roles, while enabled (not in Crusoe's
/// output: only where the owner allows some).
fn allowed_cluster_roles(status: &Status) -> Option<String> {
    let policy = status.policy.as_ref().filter(|p| p.enabled && !p.cluster_roles.is_empty())?;
    Some(policy.cluster_roles_spelled().join(","))
}

pub fn render_text(status: &Status) -> String {
    let mut lines = vec![
        format!("Support Access Status: {}", if status.enabled { "Enabled" } else { "Disabled" }),
        format!("Enabled Roles: {}", role_names(status)).trim_end().to_string(),
    ];
    if let Some(allowed) = allowed_cluster_roles(status) {
        lines.push(format!("Allowed ClusterRoles: {allowed}"));
    }
    lines.push(format!("Active Requests: {}", status.active_requests.len()));
    for (number, grant) in status.active_requests.iter().enumerate() {
        lines.push(format!("Request {}:", number + 1));
        lines.push(format!("Request ID: {}", grant.id));
        lines.push(format!("Role: {}", grant.role.api_name()));
        lines.push(format!("Requestor ID: {}", grant.requestor));
        lines.push(format!("Reason: {}", grant.reason));
        lines.push(format!("Requested At: {}", rfc3339(grant.requested_at)));
        lines.push(format!("Request Expires At: {}", rfc3339(grant.expires_at)));
        if let Some(at) = grant.credential_expires_at {
            lines.push(format!("Credential Expires At: {}", rfc3339(at)));
        }
        if let Some(at) = grant.extension_requested {
            let tally = approved(status, &grant.extension_approvals).map(|t| format!(", {t}")).unwrap_or_default();
            lines.push(format!("Extension Requested To: {} (awaiting approval{tally})", rfc3339(at)));
        }
    }
    // Not in Crusoe's output, which has no approval: only where approval is asked for.
    if status.policy.as_ref().is_some_and(|p| p.approval_required) || !status.pending_requests.is_empty() {
        lines.push(format!("Pending Requests: {}", status.pending_requests.len()));
        for (number, pending) in status.pending_requests.iter().enumerate() {
            lines.push(format!("Pending Request {}:", number + 1));
            let pending_grant = &pending.grant;
            lines.push(format!("Request ID: {}", pending_grant.id));
            lines.push(format!("Role: {}", pending_grant.role.api_name()));
            if let Some(scope) = &pending_grant.scope {
                lines.push(format!("Scope: namespace {scope}"));
            }
            lines.push(format!("Requestor ID: {}", pending_grant.requestor));
            lines.push(format!("Requested By: {}", pending_grant.requested_by));
            lines.push(format!("Reason: {}", pending_grant.reason));
            lines.push(format!("Requested At: {}", rfc3339(pending_grant.requested_at)));
            lines.push(format!("Waiting: {}", output::span(pending.waited_seconds.unsigned_abs())));
            lines.push(format!("Request Expires At: {}", rfc3339(pending_grant.expires_at)));
            lines.push(format!("Answer By: {} (then it expires unanswered)", rfc3339(pending.answer_by)));
            if let Some(tally) = approved(status, &pending_grant.approvals) {
                lines.push(format!("Approvals: {tally}"));
            }
        }
    }
    // Every line quotes the cluster (ids, requestor, reason): escaped whole.
    lines.iter().map(|line| format!("{}\n", terminal(line))).collect()
}

/// "approved 1 of 2 (alice)" where the policy asks for more than one approver (or some approved).
fn approved(status: &Status, approvals: &[crate::state::record::Approval]) -> Option<String> {
    let needed = status.policy.as_ref().map(|p| p.approvals).unwrap_or(1);
    (needed > 1 || !approvals.is_empty())
        .then(|| format!("approved {}", crate::services::approval::tally(approvals, needed)))
}

/// `-o table`, and with `wide` (`-o wide`) who asked and who approved each active request too.
fn render_table(status: &Status, now: DateTime<Utc>, wide: bool) -> String {
    let roles = status
        .policy
        .as_ref()
        .filter(|p| p.enabled)
        .map(|p| p.requestable().join(","))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "none".into());
    let summary = format!(
        "Support access: {} · roles: {roles} · active requests: {}",
        if status.enabled { "enabled" } else { "disabled" },
        status.active_requests.len()
    );
    let summary = match &status.helm {
        Some(helm) => format!("{summary}\n{}", terminal(&describe_helm(helm))),
        None => summary,
    };
    let summary = format!("{summary}\n{}", terminal(&status.holders.describe()));
    let summary = match &status.history {
        Some(trail) => {
            format!("{summary}\nHistory: {} lines, head {}", trail.lines, &trail.head[..12.min(trail.head.len())])
        }
        None => summary,
    };
    let mut header =
        vec!["ID", "ROLE", "SCOPE", "DRAINING", "REQUESTOR", "REASON", "REQUESTED", "EXPIRES", "CREDENTIAL"];
    if wide {
        header.extend(["REQUESTED BY", "APPROVED BY", "SUBJECT"]);
    }
    let mut table = output::table(&header);
    for grant in &status.active_requests {
        let mut row = vec![
            grant.id.clone(),
            match grant.voids_guarantees() {
                true => format!("{} (unbound: {})", grant.role.name(), describe_powers(grant)),
                false => grant.role.name().to_string(),
            },
            grant.scope.clone().unwrap_or_else(|| "cluster-wide".into()),
            if grant.draining { "yes" } else { "no" }.to_string(),
            grant.requestor.clone(),
            grant.reason.clone(),
            relative(grant.requested_at, now),
            relative(grant.expires_at, now),
            match (&grant.user, grant.credential_expires_at) {
                (Some(_), _) => "own user".to_string(),
                (None, Some(at)) => relative(at, now),
                (None, None) => "-".into(),
            },
        ];
        if wide {
            let approvers: Vec<&str> = grant.approvals.iter().map(|a| a.by.as_str()).collect();
            let approvers = match approvers.is_empty() {
                true => grant.approved_by.clone().unwrap_or_else(|| "-".into()),
                false => approvers.join(","),
            };
            // Whom the record binds: the requester's own user (identity own), else its ServiceAccount.
            let subject = match (&grant.user, &grant.account) {
                (Some(user), _) => format!("User {user}"),
                (None, Some(account)) => format!("ServiceAccount {account}"),
                (None, None) => "-".into(),
            };
            row.extend([grant.requested_by.clone(), approvers, subject]);
        }
        table.add_row(output::row(row));
    }
    if status.pending_requests.is_empty() {
        return format!("{summary}\n{table}");
    }
    let mut pending = output::table(&[
        "PENDING ID",
        "ROLE",
        "SCOPE",
        "REQUESTOR",
        "REQUESTED BY",
        "REASON",
        "WAITING",
        "ANSWER BY",
        "APPROVALS",
    ]);
    for request in &status.pending_requests {
        let grant = &request.grant;
        pending.add_row(output::row([
            grant.id.clone(),
            grant.role.name().to_string(),
            grant.scope.clone().unwrap_or_else(|| "cluster-wide".into()),
            grant.requestor.clone(),
            grant.requested_by.clone(),
            grant.reason.clone(),
            output::span(request.waited_seconds.unsigned_abs()),
            relative(request.answer_by, now),
            approved(status, &grant.approvals).unwrap_or_else(|| "-".into()),
        ]));
    }
    format!("{summary}\n{table}\nWaiting for the owner's approval:\n{pending}")
}

impl Status {
    /// What `-o name` and `-o custom-columns` list: the active requests, then the pending ones, as
    /// `-o json` prints them.
    fn items(&self) -> output::Items {
        let active = self.active_requests.iter().map(serde_json::to_value);
        let pending = self.pending_requests.iter().map(serde_json::to_value);
        let items = active.chain(pending).filter_map(std::result::Result::ok).collect();
        output::Items { kind: "request", key: "id", items }
    }
}

impl Outcome for Status {
    fn detail(&self) -> String {
        let Some(policy) = self.policy.as_ref().filter(|p| p.enabled) else {
            return format!("Disabled; {} active request(s)", self.active_requests.len());
        };
        let roles = policy.requestable();
        let mut detail = format!("Enabled ({}); {} active request(s)", roles.join(","), self.active_requests.len());
        // Who has access, for the incident's first question: the first three requests.
        let shown: Vec<String> = self
            .active_requests
            .iter()
            .take(3)
            .map(|r| format!("{} {} for {} until {}", r.id, r.role.name(), r.requestor, rfc3339(r.expires_at)))
            .collect();
        if !shown.is_empty() {
            let more = self.active_requests.len().saturating_sub(shown.len());
            detail += &format!(
                ": {}{}",
                shown.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            );
        }
        if !self.pending_requests.is_empty() {
            detail += &format!(", {} pending", self.pending_requests.len());
        }
        if self.guards.as_ref().is_some_and(|g| !g.is_intact()) {
            detail += "; admission guards missing or changed";
        }
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::requesters::Holders;
    use crate::services::status::PendingRequest;
    use crate::state::policy::Policy;
    use crate::state::record::Grant;
    use crate::state::roles::Role;

    fn reference_request() -> Grant {
        Grant {
            id: "k3x9q2".into(),
            role: Role::Readonly.into(),
            scope: None,
            requestor: "00uix9g0n77KrcdMq5d7".into(),
            reason: "This is a test!".into(),
            requested_at: "2026-03-30T23:12:53Z".parse().unwrap(),
            expires_at: "2026-04-01T03:12:53Z".parse().unwrap(),
            credential_expires_at: Some("2026-04-01T01:46:18Z".parse().unwrap()),
            requested_by: "admin".into(),
            ..Grant::default()
        }
    }

    fn status(policy: Option<Policy>, active_requests: Vec<Grant>) -> Status {
        Status {
            context: "c".into(),
            enabled: policy.as_ref().is_some_and(|p| p.enabled),
            policy,
            active_requests: active_requests
                .into_iter()
                .map(|grant| ActiveRequest { grant, draining: false, capabilities: None })
                .collect(),
            pending_requests: vec![],
            requests_being_made: vec![],
            invalid_requests: vec![],
            foreign_grants: vec![],
            missing_roles: vec![],
            helm: None,
            policy_problem: None,
            history: None,
            guards: None,
            holders: Holders::default(),
        }
    }

    #[test]
    fn a_cluster_never_enabled_is_disabled() {
        assert_eq!(
            render_text(&status(None, vec![])),
            "Support Access Status: Disabled\nEnabled Roles:\nActive Requests: 0\n"
        );
    }

    #[test]
    fn text_reproduces_the_reference_output_with_a_request_id() {
        let policy = Policy { enabled: true, enabled_roles: vec![Role::Readonly], ..Policy::default() };
        // The example output of Crusoe's support-access document, line for line (the fixture is
        // those lines alone; tests/fixtures/README.md says where they come from).
        let reference =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference-get-output.txt"))
                .expect("tests/fixtures/reference-get-output.txt is part of the repository");
        let expected: Vec<&str> = reference.lines().collect();
        assert_eq!(expected.len(), 10, "the fixture holds the document's ten lines");
        // A scope, a draining request and a Helm release add nothing to stdout (they go to stderr).
        let scoped = Grant { scope: Some("team-a".into()), ..reference_request() };
        let mut status = status(Some(policy), vec![scoped]);
        status.active_requests[0].draining = true;
        status.helm = Some(HelmRelease { release: "r".into(), chart: "c".into(), groups: vec!["g".into()] });
        let rendered = render_text(&status);
        let mut got: Vec<&str> = rendered.lines().collect();
        assert_eq!(got.remove(4), "Request ID: k3x9q2");
        assert_eq!(got, expected);
    }

    #[test]
    fn text_and_table_show_planted_control_characters_escaped() {
        let policy = Policy { enabled: true, enabled_roles: vec![Role::Readonly], ..Policy::default() };
        let hostile = Grant {
            requestor: "mallory\x1b]0;pwned\x07".into(),
            reason: "fix\x1b[1A\x1b[2K\nReason: \u{202e}forged".into(),
            scope: Some("ns\u{85}".into()),
            ..reference_request()
        };
        let mut status = status(Some(policy), vec![hostile]);
        status.helm =
            Some(HelmRelease { release: "r\r".into(), chart: "c\t".into(), groups: vec!["g\u{2028}".into()] });
        let text = render_text(&status);
        assert!(text.contains("Requestor ID: mallory\\u{1b}]0;pwned\\u{7}\n"), "{text}");
        assert!(text.contains("Reason: fix\\u{1b}[1A\\u{1b}[2K\\u{a}Reason: \\u{202e}forged\n"), "{text}");
        let table = render_table(&status, reference_request().requested_at, false);
        for rendered in [text, table] {
            assert!(!rendered.chars().any(|c| c != '\n' && output::disturbs_terminal(c)), "{rendered}");
        }
    }

    #[test]
    fn pending_requests_get_a_block_each_only_where_approval_is_asked_for() {
        let crusoe =
            status(Some(Policy { enabled: true, enabled_roles: vec![Role::Readonly], ..Policy::default() }), vec![]);
        assert!(!render_text(&crusoe).contains("Pending"), "Crusoe's layout is unchanged");
        let mut required = status(
            Some(Policy { enabled: true, approval_required: true, ..Policy::default() }),
            vec![reference_request()],
        );
        assert!(render_text(&required).ends_with("Pending Requests: 0\n"));
        let asked = Grant { pending: true, credential_expires_at: None, ..reference_request() };
        let now = asked.requested_at + chrono::TimeDelta::minutes(5);
        required.pending_requests.push(PendingRequest::of(&asked, now));
        let text = render_text(&required);
        let block = text.split("Pending Requests: 1\n").nth(1).unwrap();
        assert!(
            block.starts_with("Pending Request 1:\nRequest ID: k3x9q2\nRole: SUPPORT_ACCESS_ROLE_READONLY\n"),
            "{block}"
        );
        assert!(block.contains("Waiting: 5m\n"), "{block}");
        let table = render_table(&required, now, false);
        assert!(table.contains("PENDING ID") && table.contains("5m"), "{table}");
        assert!(
            block.contains(&format!("Answer By: {} ", rfc3339(asked.requested_at + chrono::TimeDelta::hours(1)))),
            "{block}"
        );
    }
}
