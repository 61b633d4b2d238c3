//! Making a request: the policy's checks, the request's bindings and ServiceAccount, the wait for
//! an approval, the first credential and its kubeconfig, the history line — or, in a dry run,
//! what would be made. Anything that fails after the bindings exist rolls them back.

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;

use crate::base::duration::{after, format_duration};
use crate::base::error::{Error, ErrorKind, Result};
use crate::cli::{DryRun, RequestArgs};
use crate::cluster::Connection;
use crate::cluster::access::{Permission, caller_can, refuse_unless};
use crate::cluster::bindings::NewGrant;
use crate::cluster::credential::{self, MIN_LIFETIME};
use crate::cluster::history;
use crate::cluster::policy::read_policy;
use crate::output::{rfc3339, terminal};
use crate::services::live::await_approval;
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::new_id;
use crate::state::policy::Policy;
use crate::state::record::Grant;
use crate::state::roles::GrantRole;
use crate::{services::roles, state};

/// Room for minting the first credential after the record is made.
const FIRST_CREDENTIAL_MARGIN: Duration = Duration::from_secs(60);

/// How long a request of `--duration` lasts: the duration, but never so short that its first
/// credential (the TokenRequest API issues none shorter than 10m) would outlive it.
pub fn lifetime(duration: Duration) -> Duration {
    duration.max(MIN_LIFETIME + FIRST_CREDENTIAL_MARGIN)
}

/// What `request` asks for, its flags validated.
pub struct Wanted {
    pub role: GrantRole,
    pub duration: Duration,
}

/// The scope `--scope` asks for: `None` without it, `Some(None)` for `'*'` or `''` (cluster-wide,
/// as jitsudo spells it), `Some(Some(ns))` for a namespace.
pub fn asked_scope(args: &RequestArgs) -> Option<Option<&str>> {
    args.scope.as_deref().map(|scope| Some(scope).filter(|scope| !matches!(*scope, "" | "*")))
}

/// The namespace a request is scoped to: the one `--scope` names, else the policy's default scope;
/// `None` is cluster-wide.
fn requested_scope<'a>(args: &'a RequestArgs, policy: &'a Policy) -> Option<&'a str> {
    asked_scope(args).unwrap_or(policy.default_scope.as_deref())
}

/// Refuses (exit 4, as RBAC does) a caller who may not ask: RBAC's verb `request` on the support
/// requests resource, which `enable --requesters` binds (cluster administrators hold it too),
/// saying what the owner runs to make them one.
async fn ensure_requester(conn: &Connection) -> Result<()> {
    let may_request = Permission::new("request", state::REQUESTS_GROUP, state::REQUESTS_RESOURCE);
    if caller_can(conn, std::slice::from_ref(&may_request)).await?.first() == Some(&true) {
        return Ok(());
    }
    let by = conn.whoami().await?;
    Err(Error::new(
        ErrorKind::Forbidden,
        format!(
            "forbidden: you ({}) are not a requester on context {:?}; nothing was made",
            terminal(&by),
            conn.context
        ),
    )
    .with_status(403)
    .with_hint(format!(
        "ask the cluster owner to run `kubectl supportaccess enable --requesters user:{}`",
        terminal(&by)
    )))
}

/// A request made: its id, its record, where its kubeconfig is and when its credential expires
/// (with identity `own`, no kubeconfig: the requester's own user holds the role until the end).
pub struct Requested {
    pub id: String,
    pub grant: Grant,
    pub path: Option<std::path::PathBuf>,
    pub credential_expires_at: chrono::DateTime<Utc>,
}

/// What `request` came to.
pub enum Outcome {
    Made(Box<Requested>),
    /// A dry run: what would have been made, in one sentence.
    DryRun(String),
}

/// Makes the request `args` asks for (`wanted`, validated) on this connection.
pub async fn request(conn: &Connection, args: &RequestArgs, wanted: &Wanted) -> Result<Outcome> {
    // No sweep here: its cost follows the cluster (every record, every request ServiceAccount, the
    // trail), and a request's credential never outlives its end anyway; `get` and `sweep` sweep.
    ensure_requester(conn).await?;
    let policy = read_policy(conn).await.map_err(|e| match e.kind {
        ErrorKind::Forbidden => e,
        _ => Error::refused(format!("refused: {}", e.message)),
    })?;
    if let Some(refused) = crate::cluster::policy::not_installed_here(conn, policy.as_ref()).await? {
        return Err(refused);
    }
    let policy = match policy {
        Some(policy) if policy.enabled => policy,
        _ => {
            return Err(Error::refused(format!("refused: support access is disabled on context {:?}", conn.context))
                .with_hint("the cluster owner enables it with `kubectl supportaccess enable`"));
        }
    };
    let scope = requested_scope(args, &policy);
    if !policy.allows_in(&wanted.role, scope) {
        return Err(not_allowed(&policy, &wanted.role));
    }
    if let Some(scope) = scope.filter(|scope| policy.scope_reaches_state(&wanted.role, scope, &conn.namespace)) {
        return Err(Error::refused(format!(
            "refused: a request of role {} may not be scoped to namespace {scope}: {}",
            wanted.role.name(),
            if scope == conn.namespace {
                "it holds the support state (the history, the policy and the requests), which no support credential may reach"
            } else {
                "it is a system namespace (policy key systemNamespaces), where only the support roles' own bindings reach"
            }
        ))
        .with_hint("ask for another namespace, or cluster-wide (--scope '*')"));
    }
    if !policy.reason_matches(&args.reason) {
        let pattern = policy.reason_pattern.as_deref().unwrap_or_default();
        return Err(Error::refused(format!(
            "refused: --reason {} does not match the policy's reasonPattern {}; nothing was made",
            terminal(&format!("{:?}", args.reason)),
            terminal(&format!("{pattern:?}"))
        ))
        .with_hint("ask again with a reason the cluster owner's process accepts (e.g. a case number)"));
    }
    if wanted.duration > policy.max_duration {
        return Err(Error::refused(format!(
            "refused: --duration {} is longer than the policy's maximum of {}",
            args.duration,
            format_duration(policy.max_duration)
        )));
    }
    let lasts = lifetime(wanted.duration);
    if lasts > policy.max_duration {
        return Err(Error::refused(format!(
            "refused: a request lasts at least {} (its first credential, 10m, must fit), longer than the policy's maximum of {}",
            format_duration(lasts),
            format_duration(policy.max_duration)
        ))
        .with_hint("the cluster owner raises it with `kubectl supportaccess enable --max-duration 11m` or more"));
    }
    let mut needed = credential::minting_permissions(&conn.namespace);
    needed.push(match scope {
        Some(ns) => Permission::new("create", "rbac.authorization.k8s.io", "rolebindings").within(ns),
        None => Permission::new("create", "rbac.authorization.k8s.io", "clusterrolebindings"),
    });
    let bound: Vec<&str> = match scope {
        Some(_) => vec![wanted.role.cluster_role()],
        None => std::iter::once(wanted.role.cluster_role())
            .chain(wanted.role.companions().iter().map(|c| c.cluster_role()))
            .collect(),
    };
    // Who asks, what they may do and whether the roles exist: asked at once.
    let (by, allowed, missing) =
        tokio::try_join!(conn.whoami(), caller_can(conn, &needed), roles::missing(conn, &bound))?;
    refuse_unless(&by, &needed, &allowed)?;
    if let Some(scope) = scope
        && conn.call(Api::<Namespace>::all(conn.client.clone()).get_opt(scope)).await?.is_none()
    {
        return Err(Error::failed(format!("namespace {scope} does not exist, so no request can be scoped to it")));
    }

    if !missing.is_empty() {
        return Err(Error::failed(format!(
            "ClusterRole {} does not exist, so a request would grant nothing; nothing was created",
            terminal(&missing.join(", "))
        ))
        .with_hint(
            "the cluster owner installs it with `kubectl supportaccess enable`, or reinstalls the \
             crusoe-support-roles chart",
        ));
    }

    if policy.own_identity && args.kubeconfig_out.is_some() {
        return Err(Error::usage(format!(
            "--kubeconfig-out: requests on context {:?} bind your own user (policy key identity is own), so no \
             credential or kubeconfig is made; nothing was made",
            conn.context
        )));
    }
    let id = new_id()?;
    // Before anything is made: a credential directory others could write is refused here.
    let path = match &args.kubeconfig_out {
        Some(path) => {
            credential::check_destination(path)?;
            path.clone()
        }
        None => credential::default_path(&conn.context, &id)?,
    };
    let now = Utc::now().trunc_subsecs(0);
    let end = after(now, lasts)
        .ok_or_else(|| Error::usage(format!("--duration {} ends past the end of time", args.duration)))?;
    // Its ServiceAccount, made beside its bindings (a binding may name a ServiceAccount before it
    // exists); a pending request gets its own from the approver, for the end the approval sets.
    let account = crate::state::request_account(&id, end, &by)
        .ok_or_else(|| Error::refused(crate::state::uncarried_requester(&by)))?;
    let account = (!policy.approval_required).then_some(account);
    let new = NewGrant {
        grant: Grant {
            id: id.clone(),
            role: wanted.role.clone(),
            scope: scope.map(str::to_string),
            requestor: args.requestor.clone().unwrap_or_else(|| by.clone()),
            reason: args.reason.clone(),
            requested_at: now,
            expires_at: end,
            credential_expires_at: None,
            requested_by: by.clone(),
            pending: policy.approval_required,
            // With identity `own` the record binds the requester's own user too (a pending one gets
            // it from the approver).
            user: (policy.own_identity && account.is_some()).then(|| by.clone()),
            account,
            ..Grant::default()
        },
        policy: policy.clone(),
    };
    if let Some(note) = match args.dry_run.get() {
        DryRun::None => None,
        DryRun::Client => Some(DryRun::Client.note()),
        DryRun::Server => {
            // The record and its ServiceAccount, as the API server and its guards answer them.
            let dry = conn.dry_run()?;
            match &new.grant.account {
                // With identity `own` the grant waits for a stored holder binding: the record is
                // tried without it.
                Some(_) if policy.own_identity => {
                    let ungranted = NewGrant { grant: Grant { pending: true, ..new.grant.clone() }, ..new.clone() };
                    tokio::try_join!(credential::create_account(&dry, &id, end, &by), ungranted.create(&dry))
                        .map(|_| ())?
                }
                Some(_) => {
                    tokio::try_join!(credential::create_account(&dry, &id, end, &by), new.create(&dry)).map(|_| ())?
                }
                None => new.create(&dry).await?,
            }
            Some(DryRun::Server.note())
        }
    } {
        return Ok(Outcome::DryRun(format!(
            "Request{note}: role {}, {}, for {} until {}{}; nothing was made.",
            wanted.role.api_name(),
            scope.map(|ns| format!("namespace {}", terminal(ns))).unwrap_or_else(|| "cluster-wide".into()),
            terminal(&new.grant.requestor),
            rfc3339(end),
            if policy.approval_required { ", once the cluster owner approves it" } else { "" },
        )));
    }
    let made = async {
        match &new.grant.account {
            // The holder binding before the grant to the user.
            Some(_) if policy.own_identity => {
                let account = credential::create_account(conn, &id, end, &by).await?;
                new.create_holder(conn, &account).await?;
                new.create(conn).await
            }
            Some(_) => tokio::try_join!(credential::create_account(conn, &id, end, &by), new.create(conn)).map(|_| ()),
            None => new.create(conn).await,
        }
    };
    if let Err(e) = made.await {
        let e = Error { message: format!("creating the request's bindings failed: {}", e.message), ..e };
        return Err(roll_back(conn, &new.grant, e).await);
    }
    let mut grant = new.grant.clone();
    let detail = format!(
        "{} for {}{}{}",
        wanted.role,
        format_duration(wanted.duration),
        scope.map(|ns| format!(" in namespace {ns}")).unwrap_or_default(),
        if policy.own_identity { ", bound to its requester's own user" } else { "" }
    );
    if grant.pending {
        // The question is on the record for the owner and the auditor before anyone answers it.
        let asked = format!("{detail}; awaiting the owner's approval");
        if let Err(e) = history::record(conn, &[HistoryEvent::request(EventKind::Requested, &grant, &by, asked)]).await
        {
            return Err(roll_back(conn, &new.grant, e).await);
        }
        if args.kubeconfig_out.is_some()
            && let Err(e) = credential::remember_path(&conn.context, &id, &path)
        {
            crate::output::warn(&format!("{}; renew and exec will write the default path instead", e.message));
        }
        grant = await_approval(conn, &grant, &policy).await?;
    }
    // `issue` writes the kubeconfig last: when it fails, the file at `path` (the user's own,
    // perhaps) was never touched and is left alone. With identity `own` nothing is minted: the
    // record says that its requester's user holds the role until its end.
    let issued = match policy.own_identity {
        true => crate::services::live::own_identity_granted(conn, &grant).await,
        false => credential::issue(conn, &grant, policy.credential_ttl, &path).await,
    };
    let credential_expires_at = match issued {
        Ok(at) => at,
        Err(e) => return Err(roll_back(conn, &new.grant, e).await),
    };
    grant.credential_expires_at = Some(credential_expires_at);
    // A grant with no line in the history would be access nobody audits: recording it is part of
    // the request, and a failure rolls everything back, the kubeconfig this run wrote included.
    let recorded = match grant.approved_by.is_some() {
        true => Ok(()),
        false => history::record(conn, &[HistoryEvent::request(EventKind::Requested, &grant, &by, detail)]).await,
    };
    if let Err(e) = recorded {
        if !policy.own_identity {
            let _ = std::fs::remove_file(&path);
        }
        return Err(roll_back(conn, &new.grant, e).await);
    }
    if args.kubeconfig_out.is_some()
        && grant.approved_by.is_none()
        && let Err(e) = credential::remember_path(&conn.context, &id, &path)
    {
        crate::output::warn(&format!("{}; renew and exec will write the default path instead", e.message));
    }
    let path = (!policy.own_identity).then_some(path);
    Ok(Outcome::Made(Box::new(Requested { id, grant, path, credential_expires_at })))
}

/// Why the policy does not let anyone request this role (here, or cluster-wide).
fn not_allowed(policy: &Policy, role: &GrantRole) -> Error {
    let requestable = match policy.requestable() {
        roles if roles.is_empty() => "none".to_string(),
        roles => terminal(&roles.join(", ")).into_owned(),
    };
    match role {
        GrantRole::Cluster(name) if policy.allowed_cluster_role(name).is_some() => Error::refused(format!(
            "refused: ClusterRole {role} is allowed in one namespace only: add --scope NAMESPACE"
        )),
        GrantRole::Cluster(_) => Error::refused(format!(
            "refused: ClusterRole {role} is not one support may request (requestable: {requestable})"
        ))
        .with_hint("the cluster owner allows it with `kubectl supportaccess enable --clusterroles NAME,…`"),
        GrantRole::Support(_) => {
            Error::refused(format!("refused: role {role} is not enabled (requestable: {requestable})"))
        }
    }
}

/// Rolls a failed request back (a requester, who never deletes its record, ends it: the owner's
/// sweep deletes and records it); the error then says whether that worked.
async fn roll_back(conn: &Connection, grant: &Grant, error: Error) -> Error {
    let note = match crate::cluster::bindings::roll_back(conn, grant).await {
        Ok(_) => "the request was rolled back",
        Err(_) => "rolling the request back failed too; `kubectl supportaccess sweep` removes what is left",
    };
    Error { message: format!("{}; {note}", error.message), ..error }
}
