//! `request`: check the policy, create the request's bindings, mint a short-lived credential and
//! write its kubeconfig. Anything that fails after the bindings exist rolls them back.

use crate::base::duration::parse_duration;
use crate::base::error::{Error, Result};
use crate::base::text::{MAX_REASON, MAX_REQUESTOR, check_text};
use crate::cli::{GlobalArgs, RequestArgs};
use crate::cluster::credential::MIN_LIFETIME;
use crate::cluster::{Connection, Target};
use crate::output::{print_structured, rfc3339, terminal};
use crate::services::requesting::{Outcome, Requested, Wanted, asked_scope, request};
use crate::state::is_dns_label;
use crate::state::roles::{GrantRole, Role, unallowable_cluster_role};

/// `--role`: one of Crusoe's roles, or the name of a ClusterRole (whether the owner allows it is
/// the policy's to say).
fn requested_role(text: &str) -> Result<GrantRole> {
    let text = text.trim();
    if let Ok(role) = text.parse::<Role>() {
        return Ok(GrantRole::Support(role));
    }
    match unallowable_cluster_role(text) {
        None => Ok(GrantRole::Cluster(text.to_string())),
        Some(problem) => Err(Error::usage(format!("--role: {problem}"))),
    }
}

fn validate(args: &RequestArgs) -> Result<Wanted> {
    let role = requested_role(&args.role)?;
    let duration = parse_duration(&args.duration).map_err(|e| Error::usage(format!("--duration: {e}")))?;
    if duration < MIN_LIFETIME {
        return Err(Error::usage(format!(
            "--duration {} is too short: a request lasts at least 10m, the shortest credential the TokenRequest API issues",
            args.duration
        )));
    }
    if args.reason.trim().is_empty() {
        return Err(Error::refused(
            "refused: a reason is required (--reason), and it is recorded for the cluster owner",
        ));
    }
    check_text("--reason", &args.reason, MAX_REASON)?;
    if let Some(requestor) = &args.requestor {
        if requestor.trim().is_empty() {
            return Err(Error::usage("--requestor must not be empty"));
        }
        check_text("--requestor", requestor, MAX_REQUESTOR)?;
    }
    if let Some(Some(scope)) = asked_scope(args)
        && !is_dns_label(scope)
    {
        return Err(Error::usage(format!("--scope {scope:?} is not a namespace name")));
    }
    Ok(Wanted { role, duration })
}

pub async fn run(global: &GlobalArgs, args: &RequestArgs) -> Result<()> {
    let wanted = validate(args)?;
    let conn = Connection::open(global, &Target::default()).await?;
    let Requested { id, grant, path, credential_expires_at } = match request(&conn, args, &wanted).await? {
        Outcome::Made(made) => *made,
        Outcome::DryRun(said) => {
            crate::outln!("{said}");
            return Ok(());
        }
    };
    match &global.output {
        Some(format) if format.is_structured() => print_structured(
            &serde_json::json!({
                "id": id,
                "role": grant.role,
                "scope": grant.scope,
                "requestor": grant.requestor,
                "expiresAt": rfc3339(grant.expires_at),
                "credentialExpiresAt": rfc3339(credential_expires_at),
                "kubeconfig": path,
                "user": grant.user,
            }),
            format,
        ),
        _ => {
            crate::outln!("Request ID: {id}");
            crate::outln!("Role: {}", grant.role.api_name());
            if let Some(scope) = &grant.scope {
                crate::outln!("Scope: namespace {scope}");
            }
            crate::outln!("Request Expires At: {}", rfc3339(grant.expires_at));
            let pods = match &grant.scope {
                Some(scope) => format!("-n {scope}"),
                None => "-A".to_string(),
            };
            let Some(path) = path else {
                // Identity `own`: no credential; the requester's own context holds the role.
                crate::outln!(
                    "Identity: your own user {} (context {:?}) holds the role until {}; no credential was made",
                    terminal(grant.user.as_deref().unwrap_or_default()),
                    conn.context,
                    rfc3339(grant.expires_at)
                );
                crate::outln!("Use it with: kubectl get pods {pods}   (or: kubectl supportaccess exec {id} -- …)");
                return Ok(());
            };
            crate::outln!("Credential Expires At: {}", rfc3339(credential_expires_at));
            crate::outln!("Kubeconfig: {}", terminal(&path.display().to_string()));
            crate::outln!("Use it with: kubectl supportaccess exec {id} -- kubectl get pods {pods}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_and_requestor_refuse_what_would_disturb_a_terminal() {
        for bad in
            ["two\nlines", "tab\there", "esc\x1b[2K", "del\x7f", "c1\u{9b}", "rlo\u{202e}", "iso\u{2066}", "ls\u{2028}"]
        {
            let error = check_text("--reason", bad, MAX_REASON).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{bad:?}");
            assert!(error.message.starts_with("--reason must be one line"), "{bad:?}: {}", error.message);
        }
        check_text("--requestor", "Zoë 日本 \"quoted\" 'n1' 🚀", 256).unwrap();
    }
}
