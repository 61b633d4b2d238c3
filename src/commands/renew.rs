//! `renew`: a fresh credential for a live request, never past its end; refused when access or
//! the role is disabled, or the request is over.

use crate::base::error::Result;
use crate::cli::{GlobalArgs, IdArg};
use crate::cluster::credential;
use crate::cluster::policy::read_policy;
use crate::output::{print_structured, rfc3339, terminal};
use crate::services::live::{await_approval, open_live, renew};

pub async fn run(global: &GlobalArgs, args: &IdArg) -> Result<()> {
    let (conn, mut grant) = open_live(global, &args.id).await?;
    // A `request` interrupted while it waited for approval is picked up here.
    if grant.pending {
        let policy = read_policy(&conn).await?.unwrap_or_default();
        grant = await_approval(&conn, &grant, &policy).await?;
    }
    let by = conn.whoami().await?;
    let at = renew(&conn, &grant, &by).await?;
    if let (Some(user), Some(format)) = (&grant.user, global.output.as_ref().filter(|f| f.is_structured())) {
        return print_structured(
            &serde_json::json!({ "id": grant.id, "expiresAt": rfc3339(at), "user": user }),
            format,
        );
    }
    if grant.user.is_some() {
        // Identity `own`, approved while its `request` was interrupted: nothing was minted.
        crate::outln!(
            "Request {} is granted: your own user {} holds its role until {}.",
            terminal(&grant.id),
            terminal(grant.user.as_deref().unwrap_or_default()),
            rfc3339(at)
        );
        return Ok(());
    }
    let path = credential::credential_path(&conn.context, &grant.id)?;
    match &global.output {
        Some(format) if format.is_structured() => print_structured(
            &serde_json::json!({ "id": grant.id, "credentialExpiresAt": rfc3339(at), "kubeconfig": path }),
            format,
        ),
        _ => {
            crate::outln!("Renewed request {}: credential expires at {}.", terminal(&grant.id), rfc3339(at));
            crate::outln!("Kubeconfig: {}", terminal(&path.display().to_string()));
            Ok(())
        }
    }
}
