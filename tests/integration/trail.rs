//! The trail keeps a year and loses nothing, and shows any edit (issues 43 and 45): chunks of a
//! bounded size chained by SHA-256, read from an earlier release's single ConfigMap on, verified
//! in the cluster and against an export, pruned only by the owner after an export.

use std::path::Path;

use kubectl_supportaccess::state::history::{EventKind, HistoryEvent};
use kubectl_supportaccess::state::trail::{Head, chain};

use crate::common::{CLUSTER, Ran, TestCluster, eventually, fed};
use crate::requester::{as_user, refused_by};

const NS: &str = "crusoe-system";

/// An old release's line, as it wrote them: no seq, no prev.
fn old_line(at: &str, event: &str, id: &str, detail: &str) -> String {
    format!(
        r#"{{"by":"kubernetes-admin","at":"{at}","event":"{event}","id":"{id}","role":"readonly","requestor":"kubernetes-admin","requestedBy":"kubernetes-admin","reason":"r","detail":"{detail}"}}"#
    )
}

/// Creates a ConfigMap from JSON as admin.
fn create(cluster: &TestCluster, object: &serde_json::Value) {
    let ran = fed(cluster.kubectl().args(["create", "-f", "-"]), &object.to_string());
    assert_eq!(ran.code, 0, "{ran:?}");
}

fn verify(cluster: &TestCluster, args: &[&str]) -> Ran {
    cluster.supportaccess(NS, &[&["history", "--verify"][..], args].concat())
}

fn export(cluster: &TestCluster, name: &str) -> std::path::PathBuf {
    let file = cluster.dir.join(name);
    let _ = std::fs::remove_file(&file);
    let out = cluster.supportaccess_ok(NS, &["history", "--export", file.to_str().unwrap()]);
    assert!(out.starts_with("Exported "), "{out}");
    file
}

#[test]
fn an_old_full_history_is_continued_in_chunks_and_a_trail_past_900_kib_keeps_every_line() {
    let cluster = &*CLUSTER;
    cluster.kubectl_ok(&["create", "namespace", NS]);
    // The current release's history, full: three months of ~300 KB (its 900 KiB bound).
    let mut data = serde_json::Map::new();
    let mut old = 0;
    for month in ["2026-09", "2026-10", "2026-11"] {
        let lines: String = (0..1000)
            .map(|i| {
                let at = format!("{month}-{:02}T00:00:{:02}Z", 1 + i % 28, i % 60);
                format!("{}\n", old_line(&at, "requested", &format!("old{i}"), &"d".repeat(65)))
            })
            .collect();
        old += 1000;
        data.insert(month.into(), serde_json::json!(lines));
    }
    create(
        cluster,
        &serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": "support-access-history", "namespace": NS,
                "labels": { "app.kubernetes.io/managed-by": "kubectl-supportaccess", "support-access.crusoe.ai/managed": "true" } },
            "data": data,
        }),
    );
    let size = cluster.kubectl_ok(&["get", "configmap", "support-access-history", "-n", NS, "-o", "json"]).len();
    assert!(size > 880_000, "{size}");

    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--trail-warn-lines", "1000"]);
    for _ in 0..10 {
        crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    }
    // Nothing dropped: the old history is untouched, and every new line is in a chunk.
    let after = cluster.kubectl_ok(&["get", "configmap", "support-access-history", "-n", NS, "-o", "json"]);
    assert_eq!(after.len(), size, "the old history is never written again");
    let new = cluster.trail_lines(NS);
    assert_eq!(new.len(), 11, "enabled and ten requested: {new:?}");
    let first: serde_json::Value = serde_json::from_str(&new[0]).unwrap();
    assert_eq!(first["seq"].as_u64(), Some(old + 1), "the chain counts the old lines: {first}");
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap();
    assert_eq!(history.len() as u64, old + 11);
    assert_eq!(history[0]["id"], "old0", "the oldest line is still there");
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains(&format!("{} line(s)", old + 11)), "{ran:?}");
    assert!(ran.stdout.contains(&format!("{old} line(s) from before the chain")), "{ran:?}");
    // Past the owner's trailWarnLines, get says what to do, and -o json carries it.
    let ran = cluster.supportaccess(NS, &["get", "-o", "json"]);
    let status: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(status["history"]["lines"].as_u64(), Some(old + 11), "{status}");
    let warning = status["history"]["warning"].as_str().unwrap();
    assert!(
        warning.contains("more than trailWarnLines (1000)") && warning.contains("history --export FILE"),
        "{warning}"
    );
    assert!(ran.stderr.contains(warning), "{ran:?}");
    let table = cluster.supportaccess_ok(NS, &["get", "-o", "table"]);
    assert!(table.contains(&format!("History: {} lines, head ", old + 11)), "{table}");
    // `--since` reads only the chunks it needs, and still finds today's lines.
    let recent = cluster.supportaccess_ok(NS, &["history", "--since", "1h", "-o", "json"]);
    let recent: Vec<serde_json::Value> = serde_json::from_str(&recent).unwrap();
    assert_eq!(recent.len(), 11, "{recent:?}");
}

/// `enable` with requester alice, once her role is in force; her kubeconfig.
fn with_requester_alice(cluster: &TestCluster) -> std::path::PathBuf {
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--requesters", "user:alice"]);
    let alice = cluster.user("alice", &[]);
    eventually("alice may ask", || {
        as_user(cluster, &alice, &["auth", "can-i", "create", "serviceaccounts/token", "-n", NS]).stdout.trim() == "yes"
    });
    alice
}

/// The first chunk's data as admin reads it, changed by `change` and written back as admin.
fn edit_chunk(cluster: &TestCluster, name: &str, change: impl FnOnce(&mut Vec<String>)) {
    let mut map: serde_json::Value =
        serde_json::from_str(&cluster.kubectl_ok(&["get", "configmap", name, "-n", NS, "-o", "json"])).unwrap();
    let mut lines: Vec<String> = map["data"]["lines"].as_str().unwrap().lines().map(str::to_string).collect();
    change(&mut lines);
    map["data"]["lines"] = serde_json::json!(lines.iter().map(|l| format!("{l}\n")).collect::<String>());
    let ran = fed(cluster.kubectl().args(["replace", "-f", "-"]), &map.to_string());
    assert_eq!(ran.code, 0, "{ran:?}");
}

#[test]
fn cluster_admins_edits_are_named_by_verify_and_by_an_export_and_parties_cannot_make_them() {
    let cluster = &*CLUSTER;
    let alice = with_requester_alice(cluster);
    for _ in 0..3 {
        crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    }
    let exported = export(cluster, "trail.jsonl");
    let exported_text = std::fs::read_to_string(&exported).unwrap();
    assert_eq!(exported_text.lines().count(), 4, "{exported_text}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&exported).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(verify(cluster, &["--against", exported.to_str().unwrap()]).code, 0);
    let chunk = cluster.chunks(NS).pop().unwrap();
    let saved = cluster.kubectl_ok(&["get", "configmap", &chunk, "-n", NS, "-o", "json"]);
    let restore = || {
        let mut map: serde_json::Value = serde_json::from_str(&saved).unwrap();
        map["metadata"].as_object_mut().unwrap().remove("resourceVersion");
        assert_eq!(fed(cluster.kubectl().args(["replace", "-f", "-"]), &map.to_string()).code, 0);
        assert_eq!(verify(cluster, &[]).code, 0, "restored");
    };

    // The parties cannot: alice's rewrite, reorder and removal of a line are refused.
    let as_alice = |change: &dyn Fn(&mut Vec<String>)| {
        let mut map: serde_json::Value = serde_json::from_str(&saved).unwrap();
        let mut lines: Vec<String> = map["data"]["lines"].as_str().unwrap().lines().map(str::to_string).collect();
        change(&mut lines);
        map["data"]["lines"] = serde_json::json!(lines.iter().map(|l| format!("{l}\n")).collect::<String>());
        fed(cluster.kubectl().env("KUBECONFIG", &alice).args(["replace", "-f", "-"]), &map.to_string())
    };
    for (what, change) in [
        ("change", &(|l: &mut Vec<String>| l[1] = l[1].replace("\"r\"", "\"x\"")) as &dyn Fn(&mut Vec<String>)),
        ("reorder", &|l: &mut Vec<String>| l.swap(1, 2)),
        ("remove", &|l: &mut Vec<String>| drop(l.remove(1))),
    ] {
        let ran = as_alice(change);
        assert!(refused_by(&ran, "crusoe-support-requesters"), "{what}: {ran:?}");
    }
    let deleted = as_user(cluster, &alice, &["delete", "configmap", &chunk, "-n", NS]);
    assert_ne!(deleted.code, 0, "{deleted:?}");

    // cluster-admin can, and each edit is named: in the chain, and against the export.
    let line_of = |n: usize| format!("line {n} of {chunk}");
    edit_chunk(cluster, &chunk, |l| l[1] = l[1].replace("\"r\"", "\"x\""));
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains(&format!("BROKEN: {} (line 3, requested", line_of(3))), "{ran:?}");
    let ran = verify(cluster, &["--against", exported.to_str().unwrap()]);
    assert!(ran.stdout.contains("line 2 of the export (line 2 of the trail) was changed in the cluster"), "{ran:?}");
    restore();
    edit_chunk(cluster, &chunk, |l| l.swap(1, 2));
    let ran = verify(cluster, &[]);
    assert!(ran.code == 1 && ran.stdout.contains(&line_of(2)), "{ran:?}");
    restore();
    edit_chunk(cluster, &chunk, |l| drop(l.remove(1)));
    let ran = verify(cluster, &[]);
    assert!(
        ran.code == 1 && ran.stdout.contains(&format!("lines 2 to 2 are missing before {}", line_of(2))),
        "{ran:?}"
    );
    restore();
    // The newest lines cut off: no line after them tells, the export does.
    edit_chunk(cluster, &chunk, |l| l.truncate(3));
    assert_eq!(verify(cluster, &[]).code, 0, "what is left chains");
    let ran = verify(cluster, &["--against", exported.to_str().unwrap()]);
    assert!(ran.code == 1 && ran.stdout.contains("(line 4 of the trail) is missing from the cluster"), "{ran:?}");
    restore();
    // The whole chunk rewritten consistently (every hash recomputed): only the export tells.
    let forged: Vec<HistoryEvent> = exported_text
        .lines()
        .map(|l| {
            let mut event: HistoryEvent = serde_json::from_str(l).unwrap();
            event.reason = event.reason.map(|_| "a better reason".to_string());
            event
        })
        .collect();
    let (text, _) = chain(&Head::genesis(), &forged);
    edit_chunk(cluster, &chunk, |l| *l = text.lines().map(str::to_string).collect());
    assert_eq!(verify(cluster, &[]).code, 0, "a consistent rewrite keeps the chain");
    let ran = verify(cluster, &["--against", exported.to_str().unwrap()]);
    assert!(ran.code == 1 && ran.stdout.contains("line 2 of the export (line 2 of the trail) was changed"), "{ran:?}");
    // The chunk deleted (with a line written since): the export names every line it holds.
    crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    cluster.kubectl_ok(&["delete", "configmap", &chunk, "-n", NS]);
    let ran = verify(cluster, &["--against", exported.to_str().unwrap()]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains("is missing from the cluster"), "{ran:?}");
}

#[test]
fn prune_refuses_without_an_export_records_itself_and_verify_still_holds() {
    let cluster = &*CLUSTER;
    cluster.kubectl_ok(&["create", "namespace", NS]);
    // Two past days of the trail, chained, as the plugin writes them.
    let mut head = Head::genesis();
    for day in ["2026-01-01", "2026-01-02"] {
        head = plant_part(cluster, day.parse().unwrap(), "00", &head, 3);
    }
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--approvers", "user:owner"]);
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    // Planted today for days long past: the chain holds, and verify says what it sees.
    assert!(ran.stdout.contains("NOTE: chunk support-access-history-2026-01-02-00 was made at "), "{ran:?}");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();

    let ran = cluster.supportaccess(NS, &["history", "--prune", "--before", &today]);
    assert_eq!(ran.code, 3, "{ran:?}");
    assert!(ran.stderr.contains("never exported") && ran.stderr.contains("history --export"), "{ran:?}");
    assert_eq!(cluster.chunks(NS).len(), 3, "nothing pruned");
    for bad in ["yesterday", "2026-13-01", "2999-01-01"] {
        let ran = cluster.supportaccess(NS, &["history", "--prune", "--before", bad]);
        assert_eq!(ran.code, 2, "{bad}: {ran:?}");
    }
    // An approver may export, and the trail says so; it may not prune.
    let owner = cluster.user("owner", &[]);
    eventually("owner may approve", || {
        as_user(cluster, &owner, &["auth", "can-i", "get", "configmaps", "-n", NS]).stdout.trim() == "yes"
    });
    let file = cluster.dir.join("owner-export.jsonl");
    let _ = std::fs::remove_file(&file);
    let ran = plugin_as_user(cluster, &owner, &["history", "--export", file.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let ran = plugin_as_user(cluster, &owner, &["history", "--prune", "--before", &today]);
    assert_ne!(ran.code, 0, "only the owner prunes: {ran:?}");
    assert_eq!(cluster.chunks(NS).len(), 3, "nothing pruned");

    let out = cluster.supportaccess_ok(NS, &["history", "--prune", "--before", &today]);
    assert!(out.starts_with("Pruned lines 1 to 6 of the trail (2 part(s)"), "{out}");
    assert_eq!(cluster.chunks(NS).len(), 1);
    let ran = verify(cluster, &["--against", file.to_str().unwrap()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("Lines 1 to 6 were pruned"), "{ran:?}");
    let history = cluster.supportaccess_ok(NS, &["history"]);
    assert!(history.contains("pruned") && history.contains("they were exported first"), "{history}");
    // Deleting more than the prune said is named.
    cluster.supportaccess_ok(NS, &["disable"]);
    let newest = cluster.chunks(NS).pop().unwrap();
    edit_chunk(cluster, &newest, |l| drop(l.remove(0)));
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 1, "{ran:?}");
}

/// Part `part` of `day` holding `events` lines, chained after `head`, created as admin; the head
/// after it.
fn plant_part(cluster: &TestCluster, day: chrono::NaiveDate, part: &str, head: &Head, events: usize) -> Head {
    let events: Vec<HistoryEvent> = (0..events)
        .map(|i| HistoryEvent::policy(EventKind::Enabled, "kubernetes-admin", format!("{day} {i}")))
        .collect();
    let (text, after) = chain(head, &events);
    create(
        cluster,
        &serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": format!("support-access-history-{day}-{part}"), "namespace": NS,
                "labels": { "app.kubernetes.io/managed-by": "kubectl-supportaccess",
                    "support-access.crusoe.ai/managed": "true", "support-access.crusoe.ai/trail": "chunk" } },
            "data": { "lines": text },
        }),
    );
    after
}

#[test]
fn a_trail_idle_for_days_is_continued_from_its_newest_day_and_swept_over_its_window_asked_for_by_name() {
    let cluster = &*CLUSTER;
    cluster.kubectl_ok(&["create", "namespace", NS]);
    let today = chrono::Utc::now().date_naive();
    let mut head = Head::genesis();
    for back in [40, 9, 3] {
        head = plant_part(cluster, today - chrono::Days::new(back), "00", &head, 2);
    }
    // The newest part three days ago is found by name: no command lists the trail for it.
    let ran = cluster.supportaccess(NS, &["get", "-o", "json", "-v=6"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains(&format!("\"head\": \"{}\"", head.hash)), "get's head is the newest day's: {ran:?}");
    let listed = |ran: &Ran| ran.stderr.lines().any(|l| l.contains("/configmaps?") && l.contains("trail"));
    assert!(!listed(&ran), "get listed the trail: {}", ran.stderr);
    // The lazy sweeps read their window (eight days) day by day, by name: no list of the trail.
    for args in [&["enable", "--enabled-roles", "readonly", "-v=6"][..], &["sweep", "-v=6"], &["disable", "-v=6"]] {
        let ran = cluster.supportaccess(NS, args);
        assert_eq!(ran.code, 0, "{ran:?}");
        assert!(!listed(&ran), "{args:?} listed the trail: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!("configmaps/support-access-history-{}-00 ", today - chrono::Days::new(3)))
        );
    }
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 0, "today's first line chains to the newest day's last: {ran:?}");
    assert_eq!(cluster.chunks(NS).len(), 4, "today's part beside the three planted");
}

#[test]
fn the_owners_sweep_makes_the_closed_parts_immutable_so_that_not_even_cluster_admin_rewrites_them() {
    let cluster = &*CLUSTER;
    cluster.kubectl_ok(&["create", "namespace", NS]);
    let today = chrono::Utc::now().date_naive();
    let (before, yesterday) = (today - chrono::Days::new(3), today - chrono::Days::new(1));
    let mut head = Head::genesis();
    for (day, part) in [(before, "00"), (before, "01"), (yesterday, "00"), (yesterday, "01")] {
        head = plant_part(cluster, day, part, &head, 2);
    }
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--approvers", "user:owner"]);
    let name = |day: chrono::NaiveDate, part: &str| format!("support-access-history-{day}-{part}");
    let immutable =
        |name: &str| cluster.kubectl_ok(&["get", "configmap", name, "-n", NS, "-o", "jsonpath={.immutable}"]);

    // An approver's sweep leaves the parts as they are (its guard would refuse it), and works.
    let owner = cluster.user("owner", &[]);
    eventually("owner may approve", || {
        as_user(cluster, &owner, &["auth", "can-i", "get", "configmaps", "-n", NS]).stdout.trim() == "yes"
    });
    let ran = plugin_as_user(cluster, &owner, &["sweep"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!ran.stdout.contains("immutable"), "{ran:?}");
    assert_eq!(immutable(&name(before, "00")), "");

    let out = cluster.supportaccess_ok(NS, &["sweep"]);
    assert!(out.contains("made 3 closed part(s) of the trail immutable"), "{out}");
    for sealed in [name(before, "00"), name(before, "01"), name(yesterday, "00")] {
        assert_eq!(immutable(&sealed), "true", "{sealed}");
    }
    // Each day's last part of yesterday and today stays open: a writer's clock a day behind.
    for open in [name(yesterday, "01"), name(today, "00")] {
        assert_eq!(immutable(&open), "", "{open}");
    }
    // The API server itself refuses cluster-admin's rewrite of a sealed line.
    let forged = cluster
        .kubectl()
        .args(["patch", "configmap", &name(before, "00"), "-n", NS, "--type", "merge"])
        .args(["-p", r#"{"data":{"lines":"forged\n"}}"#])
        .output()
        .unwrap();
    assert!(!forged.status.success(), "{forged:?}");
    assert!(String::from_utf8_lossy(&forged.stderr).contains("immutable"), "{forged:?}");
    // Nothing more to seal; the trail still takes lines, and its chain holds.
    assert_eq!(cluster.supportaccess_ok(NS, &["sweep"]).trim(), "sweep: nothing to do");
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
}

/// The plugin as a user of the cluster.
fn plugin_as_user(cluster: &TestCluster, who: &Path, args: &[&str]) -> Ran {
    crate::common::run(cluster.kubectl().env("KUBECONFIG", who).arg("supportaccess").args(args).args(["-n", NS]))
}

#[test]
fn fifty_requests_at_once_leave_fifty_lines_on_one_chain() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let before = cluster.trail_lines(NS).len();
    let children: Vec<_> = (0..50)
        .map(|_| {
            cluster
                .kubectl()
                .args(["supportaccess", "-n", NS, "request", "--role", "readonly", "--reason", "r", "--duration", "1h"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let ran = crate::common::finish(child);
        assert_eq!(ran.code, 0, "{ran:?}");
    }
    let lines = cluster.trail_lines(NS);
    assert_eq!(lines.len(), before + 50, "every line kept");
    assert_eq!(lines.iter().filter(|l| l.contains(r#""event":"requested""#)).count(), 50);
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 0, "one chain, no fork: {ran:?}");
}

#[test]
fn a_party_opens_only_todays_chunk_in_the_plugins_shape() {
    let cluster = &*CLUSTER;
    let alice = with_requester_alice(cluster);
    let now = chrono::Utc::now();
    let line = format!(
        r#"{{"by":"alice","at":"{}","event":"requested","id":"x1","requestedBy":"alice","detail":"d"}}"#,
        now.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let chunk = |day: chrono::DateTime<chrono::Utc>, part: &str, extra: serde_json::Value| {
        let mut object = serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": format!("support-access-history-{}-{part}", day.format("%Y-%m-%d")), "namespace": NS,
                "labels": { "app.kubernetes.io/managed-by": "kubectl-supportaccess",
                    "support-access.crusoe.ai/managed": "true", "support-access.crusoe.ai/trail": "chunk" } },
            "data": { "lines": format!("{line}\n") },
        });
        merge(&mut object, extra);
        fed(
            cluster.kubectl().env("KUBECONFIG", &alice).args(["create", "--dry-run=server", "-f", "-"]),
            &object.to_string(),
        )
    };
    let ok = chunk(now, "07", serde_json::json!({}));
    assert_eq!(ok.code, 0, "today's part in the plugin's shape: {ok:?}");
    let future = chunk(now + chrono::Duration::days(3), "00", serde_json::json!({}));
    assert!(refused_by(&future, "crusoe-support-requesters") && future.stderr.contains("day"), "{future:?}");
    for (what, extra) in [
        ("an annotation", serde_json::json!({ "metadata": { "annotations": { "a": "b" } } })),
        ("another label", serde_json::json!({ "metadata": { "labels": { "x": "y" } } })),
        ("no trail label", serde_json::json!({ "metadata": { "labels": { "support-access.crusoe.ai/trail": null } } })),
        (
            "an owner",
            serde_json::json!({ "metadata": { "ownerReferences": [{ "apiVersion": "v1", "kind": "ConfigMap",
            "name": "gone", "uid": "0b4f2a9e-5a2d-4f0e-9d1b-000000000000" }] } }),
        ),
        ("a finalizer", serde_json::json!({ "metadata": { "finalizers": ["example.com/keep"] } })),
        ("immutable", serde_json::json!({ "immutable": true })),
        ("another key", serde_json::json!({ "data": { "notes": "x" } })),
        ("binaryData", serde_json::json!({ "binaryData": { "b": "AAAA" } })),
        (
            "another's line",
            serde_json::json!({ "data": { "lines": line.replace("\"by\":\"alice\"", "\"by\":\"owner\"") + "\n" } }),
        ),
    ] {
        let ran = chunk(now, "08", extra);
        assert!(refused_by(&ran, "crusoe-support-requesters"), "{what}: {ran:?}");
    }
    // The old single history and other names are not hers to write.
    let legacy = fed(
        cluster.kubectl().env("KUBECONFIG", &alice).args(["create", "--dry-run=server", "-f", "-"]),
        &serde_json::json!({ "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": { "name": "support-access-history", "namespace": NS }, "data": { "2026-12": format!("{line}\n") } })
        .to_string(),
    );
    assert!(refused_by(&legacy, "crusoe-support-requesters"), "{legacy:?}");
}

/// JSON merge patch semantics (RFC 7386), enough for a test's object.
fn merge(target: &mut serde_json::Value, patch: serde_json::Value) {
    match patch {
        serde_json::Value::Object(fields) => {
            if !target.is_object() {
                *target = serde_json::json!({});
            }
            for (key, value) in fields {
                if value.is_null() {
                    target.as_object_mut().unwrap().remove(&key);
                } else {
                    merge(target.as_object_mut().unwrap().entry(key).or_insert(serde_json::Value::Null), value);
                }
            }
        }
        other => *target = other,
    }
}

#[test]
fn a_plain_kubectl_extension_by_cluster_admin_appears_in_the_history_after_the_next_get() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    let ran = cluster.supportaccess(NS, &["get"]);
    assert!(!ran.stderr.contains("someone else"), "the plugin's own writes are its own: {ran:?}");
    let later = (chrono::Utc::now() + chrono::Duration::hours(58)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    cluster.kubectl_ok(&[
        "annotate",
        "clusterrolebinding",
        &format!("crusoe-support-{id}"),
        "--overwrite",
        &format!("support-access.crusoe.ai/expires-at={later}"),
    ]);
    let ran = cluster.supportaccess(NS, &["get"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.contains(&format!("recorded 1 request(s) whose record someone else changed: {id}")), "{ran:?}");
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap();
    let changed: Vec<&serde_json::Value> = history.iter().filter(|e| e["event"] == "changed-out-of-band").collect();
    assert_eq!(changed.len(), 1, "{history:?}");
    let detail = changed[0]["detail"].as_str().unwrap();
    assert!(detail.starts_with("expires-at written by kubectl-annotate at "), "{detail}");
    assert!(detail.contains(&format!("the record now ends at {later}")), "{detail}");
    assert_eq!(changed[0]["id"], id.as_str());
    // Told once: the next get and sweep add nothing.
    cluster.supportaccess_ok(NS, &["get"]);
    cluster.supportaccess_ok(NS, &["sweep"]);
    let again = cluster.supportaccess_ok(NS, &["history", "-o", "json"]);
    assert_eq!(again.matches("changed-out-of-band").count(), 1, "{again}");
    assert_eq!(verify(cluster, &[]).code, 0);
}

#[test]
fn the_history_the_previous_release_wrote_is_read_first_and_continued_with_no_line_lost() {
    let cluster = &*CLUSTER;
    cluster.kubectl_ok(&["create", "namespace", NS]);
    // Written by the release before issue 45 (commit 3f1f80e): enable, three requests, a revoke,
    // an end and its sweep, one key per month.
    let fixture = include_str!("../fixtures/history-before-issue-45.json");
    let ran = fed(cluster.kubectl().args(["create", "-f", "-"]), fixture);
    assert_eq!(ran.code, 0, "{ran:?}");
    let old: serde_json::Value = serde_json::from_str(fixture).unwrap();
    let old_lines: Vec<String> = old["data"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|v| v.as_str().unwrap().lines())
        .map(str::to_string)
        .collect();
    assert_eq!(old_lines.len(), 7);

    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap();
    let first: Vec<serde_json::Value> = old_lines.iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(history[..7], first[..], "the old lines come first, unchanged");
    assert!(history.iter().any(|e| e["id"] == id.as_str() && e["event"] == "requested"), "{history:?}");
    let chained = cluster.trail_lines(NS);
    let continued: serde_json::Value = serde_json::from_str(&chained[0]).unwrap();
    assert_eq!(continued["seq"].as_u64(), Some(8), "the chain counts the old lines: {continued}");
    assert_eq!(
        continued["prev"].as_str(),
        Some(kubectl_supportaccess::state::trail::hash(old_lines.last().unwrap()).as_str()),
        "and continues from the last of them"
    );
    let ran = verify(cluster, &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("7 line(s) from before the chain"), "{ran:?}");
    // An export holds them all; the old ConfigMap is never written again.
    let file = export(cluster, "migrated.jsonl");
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().take(7).collect::<Vec<_>>(), old_lines);
    let kept: serde_json::Value = serde_json::from_str(&cluster.kubectl_ok(&[
        "get",
        "configmap",
        "support-access-history",
        "-n",
        NS,
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(kept["data"], old["data"]);
}
