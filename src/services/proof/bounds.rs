//! The requester's bounds, proven live for `roles --verify`, changing nothing: a temporary
//! identity holding only the requester roles, asked with SubjectAccessReviews and impersonated for
//! server-side dry-run writes — refused what a requester must never do, admitted the support flow's
//! own writes. (A dry-run TokenRequest still signs a real token, so tokens are only ever tried
//! where they must be refused.)

use std::time::Duration;

use chrono::{SubsecRound, Utc};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Event, ObjectReference, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{Api, DeleteParams, PostParams};

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::cluster::access::{Permission, subject_can};
use crate::services::admission::{CREDENTIALS, REQUESTERS, REQUESTS};
use crate::services::proof::probe::{GuardProof, RBAC, outcome, proof};
use crate::services::requesters::Party;
use crate::state;
use crate::state::policy::Policy;
use crate::state::roles::Role;

/// The requester of the other request `roles --verify` tries as its temporary requester.
const OTHER_REQUESTER: &str = "supportaccess-verify-other";

/// A temporary requester or approver: a user no credential carries, bound to both roles of its
/// party.
struct TemporaryRequester {
    party: Party,
    user: String,
    name: String,
    namespace: String,
}

impl TemporaryRequester {
    async fn create(conn: &Connection, party: Party) -> Result<TemporaryRequester> {
        let id = crate::state::new_id()?;
        let who = match party {
            Party::Requester => "requester",
            Party::Approver => "approver",
        };
        let requester = TemporaryRequester {
            party,
            user: format!("supportaccess-verify:{who}-{id}"),
            name: format!("supportaccess-verify-{who}-{id}"),
            namespace: conn.namespace.clone(),
        };
        let created = requester.bind(conn).await;
        if let Err(e) = created {
            let _ = requester.delete(conn).await;
            return Err(e);
        }
        Ok(requester)
    }

    fn groups() -> Vec<String> {
        vec!["system:authenticated".to_string()]
    }

    async fn bind(&self, conn: &Connection) -> Result<()> {
        let meta = |namespace: Option<&str>| crate::services::verify::verification_meta(self.name.clone(), namespace);
        let subjects = Some(vec![Subject {
            kind: "User".into(),
            name: self.user.clone(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }]);
        let role_ref = |kind: &str| RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: kind.into(),
            name: self.party.name().into(),
        };
        let params = PostParams::default();
        let cluster =
            ClusterRoleBinding { metadata: meta(None), role_ref: role_ref("ClusterRole"), subjects: subjects.clone() };
        conn.call(Api::<ClusterRoleBinding>::all(conn.client.clone()).create(&params, &cluster)).await?;
        let namespaced = RoleBinding { metadata: meta(Some(&self.namespace)), role_ref: role_ref("Role"), subjects };
        conn.call(Api::<RoleBinding>::namespaced(conn.client.clone(), &self.namespace).create(&params, &namespaced))
            .await?;
        // RBAC reads bindings from the API server's watch cache.
        let verb = match self.party {
            Party::Requester => "request",
            Party::Approver => "approve",
        };
        let seen = [
            Permission::new(verb, state::REQUESTS_GROUP, state::REQUESTS_RESOURCE),
            Permission::new("create", "", "serviceaccounts").within(&self.namespace),
        ];
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while subject_can(conn, &self.user, &Self::groups(), &seen).await?.contains(&false) {
            if std::time::Instant::now() > deadline {
                return Err(Error::failed(
                    "the API server did not apply the temporary requester's bindings within 10s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    async fn delete(&self, conn: &Connection) -> Result<()> {
        let params = DeleteParams::default();
        let cluster = conn.call(Api::<ClusterRoleBinding>::all(conn.client.clone()).delete(&self.name, &params)).await;
        let namespaced = Api::<RoleBinding>::namespaced(conn.client.clone(), &self.namespace);
        let namespaced = conn.call(namespaced.delete(&self.name, &params)).await;
        for result in [cluster.map(|_| ()), namespaced.map(|_| ())] {
            match result {
                Err(e) if !e.is_not_found() => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

/// A Kubernetes Event as the plugin writes it for `event`, in `by`'s name, about the history of
/// `namespace`.
fn forged_event(namespace: &str, event: crate::state::history::EventKind, by: &str) -> Event {
    let mut labels = state::managed_labels();
    labels.insert(format!("{}event", state::PREFIX), event.name());
    Event {
        metadata: ObjectMeta {
            generate_name: Some("supportaccess-verify-".into()),
            labels: Some(labels),
            annotations: Some(BTreeMap::from([(format!("{}by", state::PREFIX), by.to_string())])),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
            name: Some(state::HISTORY_CONFIGMAP.into()),
            namespace: Some(namespace.into()),
            ..ObjectReference::default()
        },
        reason: Some(crate::state::history::event_reason(event)),
        action: Some(event.name()),
        message: Some(format!("{} by {by}", event.name())),
        type_: Some("Normal".into()),
        reporting_component: Some(state::MANAGED_BY_VALUE.into()),
        ..Event::default()
    }
}

/// Proves the requester's bounds; skipped when the requester roles are not installed.
pub async fn requester_bounds(conn: &Connection, policy: &Policy) -> Result<Vec<GuardProof>> {
    let installed = crate::services::roles::missing(conn, &[state::REQUESTER_ROLE]).await?.is_empty();
    if !installed {
        return Ok(vec![proof(REQUESTERS, "the requester's bounds", "refused", "skipped: run `enable` first".into())]);
    }
    let requester = TemporaryRequester::create(conn, Party::Requester).await?;
    let proved = prove(conn, policy, &requester).await;
    let deleted = requester.delete(conn).await;
    let mut proved = proved?;
    deleted?;
    if crate::services::roles::missing(conn, &[state::APPROVER_ROLE]).await?.is_empty() {
        let approver = TemporaryRequester::create(conn, Party::Approver).await?;
        let answered = prove_approver(conn, &approver).await;
        let deleted = approver.delete(conn).await;
        proved.extend(answered?);
        deleted?;
    }
    Ok(proved)
}

/// An approver only answers: no support role bound to anything but a request's ServiceAccount, and
/// no other binding deleted.
async fn prove_approver(conn: &Connection, approver: &TemporaryRequester) -> Result<Vec<GuardProof>> {
    let as_approver = conn.impersonating(&approver.user, &TemporaryRequester::groups())?;
    let bindings: Api<ClusterRoleBinding> = Api::all(as_approver.client.clone());
    let create = PostParams { dry_run: true, ..PostParams::default() };
    let rbac = "rbac.authorization.k8s.io";
    let mut proofs = Vec::new();
    for (check, name, role, subject) in [
        (
            "as an approver: a binding of crusoe-support-operator to itself",
            "supportaccess-verify-operator",
            crate::services::roles::OPERATOR,
            serde_json::json!({ "apiGroup": rbac, "kind": "User", "name": approver.user }),
        ),
        (
            "as an approver: a binding of crusoe-support-readonly to system:authenticated",
            "supportaccess-verify-everyone",
            crate::services::roles::READONLY,
            serde_json::json!({ "apiGroup": rbac, "kind": "Group", "name": "system:authenticated" }),
        ),
    ] {
        let binding: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
            "metadata": { "name": name },
            "roleRef": { "apiGroup": rbac, "kind": "ClusterRole", "name": role },
            "subjects": [subject],
        }))
        .expect("a ClusterRoleBinding");
        let made = as_approver.call(bindings.create(&create, &binding)).await;
        proofs.push(proof(REQUESTERS, check, "refused", outcome(REQUESTERS, made)));
    }
    let event = forged_event(&approver.namespace, crate::state::history::EventKind::Disabled, &approver.user);
    let events = Api::<Event>::namespaced(as_approver.client.clone(), &approver.namespace);
    let made = as_approver.call(events.create(&create, &event)).await;
    proofs.push(proof(
        REQUESTERS,
        "as an approver: the plugin's Event of the owner's (disabled)",
        "refused",
        outcome(REQUESTERS, made),
    ));
    // A binding that exists and is no support binding: the approver's own.
    let delete = DeleteParams { dry_run: true, ..DeleteParams::default() };
    let deleted = as_approver.call(bindings.delete(&approver.name, &delete)).await;
    proofs.push(proof(
        REQUESTERS,
        "as an approver: deleting a binding that is no support request's",
        "refused",
        outcome(REQUESTERS, deleted),
    ));
    Ok(proofs)
}

async fn prove(conn: &Connection, policy: &Policy, requester: &TemporaryRequester) -> Result<Vec<GuardProof>> {
    let ns = requester.namespace.as_str();
    let rbac = "rbac.authorization.k8s.io";
    let asked = [
        ("read a secret", Permission::new("get", "", "secrets").within("kube-system"), false),
        ("exec into a pod", Permission::new("create", "", "pods/exec").within("kube-system"), false),
        (
            "approve a CSR",
            Permission::new("update", "certificates.k8s.io", "certificatesigningrequests/approval"),
            false,
        ),
        ("approve a request", Permission::new("approve", state::REQUESTS_GROUP, state::REQUESTS_RESOURCE), false),
        ("delete a ConfigMap of the trail", Permission::new("delete", "", "configmaps").within(ns), false),
        ("impersonate a user", Permission::new("impersonate", "", "users"), false),
        ("escalate a ClusterRole", Permission::new("escalate", rbac, "clusterroles"), false),
        (
            "mint a token outside the system namespace",
            Permission::new("create", "", "serviceaccounts/token").within("kube-system"),
            false,
        ),
        ("ask for support access", Permission::new("request", state::REQUESTS_GROUP, state::REQUESTS_RESOURCE), true),
    ];
    let permissions: Vec<Permission> = asked.iter().map(|(_, p, _)| p.clone()).collect();
    let allowed = subject_can(conn, &requester.user, &TemporaryRequester::groups(), &permissions).await?;
    let mut proofs: Vec<GuardProof> = asked
        .iter()
        .zip(allowed)
        .map(|((what, _, expected), seen)| {
            let word = |allowed: bool| if allowed { "allowed" } else { "refused" };
            proof(RBAC, format!("as a requester: {what}"), word(*expected), word(seen).to_string())
        })
        .collect();

    let as_requester = conn.impersonating(&requester.user, &TemporaryRequester::groups())?;
    let create = PostParams { dry_run: true, ..PostParams::default() };
    let bindings: Api<ClusterRoleBinding> = Api::all(as_requester.client.clone());
    let accounts: Api<ServiceAccount> = Api::namespaced(as_requester.client.clone(), ns);
    let now = Utc::now().trunc_subsecs(0);

    let token = TokenRequest {
        spec: TokenRequestSpec { expiration_seconds: Some(600), ..TokenRequestSpec::default() },
        ..TokenRequest::default()
    };
    let minted = as_requester.call(accounts.create_token_request("default", &create, &token)).await;
    proofs.push(proof(
        CREDENTIALS,
        format!("as a requester: a token for ServiceAccount {ns}/default"),
        "refused",
        outcome(CREDENTIALS, minted),
    ));

    // Another requester's request: its ServiceAccount's name carries that requester. The API server
    // looks the ServiceAccount up before admission, so one exists for the length of the check.
    let theirs =
        crate::cluster::credential::account("verifyother", now + chrono::TimeDelta::hours(1), OTHER_REQUESTER)?;
    let others = theirs.metadata.name.clone().unwrap_or_default();
    let made = crate::cluster::credential::create_account(
        conn,
        "verifyother",
        now + chrono::TimeDelta::hours(1),
        OTHER_REQUESTER,
    )
    .await;
    let minted = match made {
        Ok(_) => as_requester.call(accounts.create_token_request(&others, &create, &token)).await,
        Err(e) => Err(e),
    };
    crate::cluster::credential::delete_account(conn, &others).await?;
    proofs.push(proof(
        CREDENTIALS,
        "as a requester: a token of another requester's request",
        "refused",
        outcome(CREDENTIALS, minted),
    ));
    let made = as_requester.call(accounts.create(&create, &theirs)).await;
    proofs.push(proof(
        REQUESTERS,
        "as a requester: a ServiceAccount that carries another requester",
        "refused",
        outcome(REQUESTERS, made),
    ));

    let to_admin: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "supportaccess-verify-admin" },
        "roleRef": { "apiGroup": rbac, "kind": "ClusterRole", "name": "admin" },
        "subjects": [{ "apiGroup": rbac, "kind": "User", "name": requester.user }],
    }))
    .expect("a ClusterRoleBinding");
    let made = as_requester.call(bindings.create(&create, &to_admin)).await;
    proofs.push(proof(RBAC, "as a requester: a binding to ClusterRole admin", "refused", outcome(RBAC, made)));
    let mut to_operator = to_admin.clone();
    to_operator.metadata.name = Some("supportaccess-verify-operator".into());
    to_operator.role_ref.name = crate::services::roles::OPERATOR.into();
    let made = as_requester.call(bindings.create(&create, &to_operator)).await;
    proofs.push(proof(
        REQUESTERS,
        "as a requester: a binding of crusoe-support-operator to itself",
        "refused",
        outcome(REQUESTERS, made),
    ));

    let delete = DeleteParams { dry_run: true, ..DeleteParams::default() };
    let deleted = as_requester.call(bindings.delete(Party::Approver.name(), &delete)).await;
    let deleted = match deleted {
        Err(e) if e.is_not_found() => "skipped: no approver binding to try it on".into(),
        other => outcome(REQUESTERS, other),
    };
    proofs.push(proof(REQUESTERS, "as a requester: deleting a binding it did not make", "refused", deleted));
    // A record of the caller's own for the length of the check: pending, so it grants nothing.
    let pending = Policy { approval_required: true, ..policy.clone() };
    let by = conn.whoami().await?;
    let held_role = policy.enabled_roles.first().copied().unwrap_or(Role::Readonly);
    let held = crate::services::proof::probe::as_written(
        &pending,
        crate::services::proof::probe::record_binding(
            "verifydel",
            held_role,
            now,
            chrono::TimeDelta::hours(1),
            &by,
            ns,
        ),
    );
    let admin: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
    let deleted = match conn.call(admin.create(&PostParams::default(), &held)).await {
        Ok(made) => {
            let name = made.metadata.name.unwrap_or_default();
            let tried = outcome(REQUESTERS, as_requester.call(bindings.delete(&name, &delete)).await);
            conn.call(admin.delete(&name, &DeleteParams::default())).await?;
            tried
        }
        Err(e) => format!("skipped: no record could be made to try it on ({})", e.message),
    };
    proofs.push(proof(REQUESTERS, "as a requester: deleting a request's record", "refused", deleted));

    // The trail's newest chunk, changed three ways and written back as the requester.
    let newest = crate::cluster::history::newest_chunk(conn).await?;
    let api = Api::<ConfigMap>::namespaced(as_requester.client.clone(), ns);
    let try_chunk = async |change: &dyn Fn(&mut ConfigMap)| match newest.clone() {
        Some(mut map) => {
            change(&mut map);
            let name = map.metadata.name.clone().unwrap_or_default();
            outcome(REQUESTERS, as_requester.call(api.replace(&name, &create, &map)).await)
        }
        None => "skipped: the trail has no chunk yet".to_string(),
    };
    let dropped = try_chunk(&|map: &mut ConfigMap| {
        for lines in map.data.iter_mut().flat_map(|d| d.values_mut()) {
            *lines = lines.lines().skip(1).map(|l| format!("{l}\n")).collect();
        }
    })
    .await;
    proofs.push(proof(REQUESTERS, "as a requester: dropping a history line", "refused", dropped));
    let forged = try_chunk(&|map: &mut ConfigMap| {
        let line = crate::state::history::HistoryEvent::policy(
            crate::state::history::EventKind::Revoked,
            "supportaccess-verify-other",
            "a line in another's name",
        );
        let lines = map.data.get_or_insert_default().entry(crate::state::trail::CHUNK_KEY.into()).or_default();
        let head = crate::state::trail::Head::after(&crate::state::trail::Head::genesis(), lines.lines());
        lines.push_str(&crate::state::trail::chain(&head, &[line]).0);
    })
    .await;
    proofs.push(proof(REQUESTERS, "as a requester: a history line in another's name", "refused", forged));
    // An owner that does not exist: the garbage collector would delete the chunk.
    let orphaned = try_chunk(&|map: &mut ConfigMap| {
        map.metadata.owner_references = Some(vec![OwnerReference {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            name: "supportaccess-verify-gone".into(),
            uid: "00000000-0000-4000-8000-000000000000".into(),
            ..OwnerReference::default()
        }]);
    })
    .await;
    proofs.push(proof(REQUESTERS, "as a requester: an owner reference on the history", "refused", orphaned));
    // RBAC lets a party write ConfigMaps in the system namespace (a chunk's name is a day's, which
    // RBAC cannot name): the guard keeps the policy the owner's.
    let policy_map = match conn
        .call(Api::<ConfigMap>::namespaced(conn.client.clone(), ns).get_opt(state::POLICY_CONFIGMAP))
        .await?
    {
        Some(mut map) => {
            map.data.get_or_insert_default().insert(state::policy_keys::MAX_DURATION.into(), "999h".into());
            outcome(REQUESTERS, as_requester.call(api.replace(state::POLICY_CONFIGMAP, &create, &map)).await)
        }
        None => "skipped: there is no policy".to_string(),
    };
    proofs.push(proof(REQUESTERS, "as a requester: write the policy ConfigMap", "refused", policy_map));
    let event = forged_event(ns, crate::state::history::EventKind::Revoked, OTHER_REQUESTER);
    let events = Api::<Event>::namespaced(as_requester.client.clone(), ns);
    let made = as_requester.call(events.create(&create, &event)).await;
    proofs.push(proof(
        REQUESTERS,
        "as a requester: the plugin's Event in another's name",
        "refused",
        outcome(REQUESTERS, made),
    ));

    let mut helper = crate::cluster::credential::account("verify", now, &requester.user)?;
    helper.metadata.name = Some("supportaccess-verify-helper".into());
    let made = as_requester.call(accounts.create(&create, &helper)).await;
    proofs.push(proof(
        REQUESTERS,
        "as a requester: a ServiceAccount that is not a request's",
        "refused",
        outcome(REQUESTERS, made),
    ));

    // The support flow's own writes.
    let end = now + chrono::TimeDelta::hours(1);
    let account = crate::cluster::credential::account("verifyrq", end, &requester.user)?;
    let made = as_requester.call(accounts.create(&create, &account)).await;
    proofs.push(proof(
        REQUESTERS,
        "as a requester: its request's ServiceAccount",
        "allowed",
        outcome(REQUESTERS, made),
    ));
    let role = policy.enabled_roles.first().copied().unwrap_or(Role::Readonly);
    // A record as the requester's `request` writes it: pending (no subject) when approval is required.
    let record_as_written = |id: &str, start: chrono::DateTime<Utc>, lasts: chrono::TimeDelta| {
        crate::services::proof::probe::as_written(
            policy,
            crate::services::proof::probe::record_binding(id, role, start, lasts, &requester.user, ns),
        )
    };
    let record = record_as_written("verifyrq", now, chrono::TimeDelta::hours(1));
    let made = as_requester.call(bindings.create(&create, &record)).await;
    let expected = if policy.allows(&role.into()) { "allowed" } else { "refused" };
    proofs.push(proof(REQUESTS, "as a requester: a well-formed record of its own", expected, outcome(REQUESTS, made)));
    let backdated = record_as_written("verifyold", now - chrono::TimeDelta::hours(1), chrono::TimeDelta::hours(2));
    let observed = match policy.allows(&role.into()) {
        true => outcome(REQUESTERS, as_requester.call(bindings.create(&create, &backdated)).await),
        // The requests guard refuses every record then, whichever guard would answer first.
        false => "skipped: access is disabled".into(),
    };
    let check = "as a requester: a record that starts an hour before the server's time";
    proofs.push(proof(REQUESTERS, check, "refused", observed));
    Ok(proofs)
}
