//! Feels like kubectl, tells the truth (issue 41): each finding of the review, tried as a new
//! owner and a new support engineer would, on the real control plane.

use std::process::Command;

use crate::common::{CLUSTER, Ran, TestCluster, eventually, run};
use crate::requester::as_user;

const NS: &str = "crusoe-system";

/// `kubectl supportaccess ARGS` with stdout a pipe whose reader is already gone: every write
/// meets EPIPE at once, as after `| head -n 1` has read its line.
fn into_closed_pipe(cluster: &TestCluster, args: &[&str]) -> Ran {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = cluster
        .kubectl()
        .env("RUST_BACKTRACE", "1")
        .arg("supportaccess")
        .args(args)
        .args(["-n", NS])
        .stdout(writer)
        .output()
        .unwrap();
    Ran {
        code: output.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into(),
    }
}

/// `kubectl supportaccess ARGS | head -n 1` in bash with pipefail: how the pipeline ended.
fn into_head(cluster: &TestCluster, args: &[&str]) -> Ran {
    let line = format!("set -o pipefail; kubectl supportaccess {} -n {NS} | head -n 1", args.join(" "));
    let mut bash = Command::new("bash");
    cluster.environment(&mut bash);
    run(bash.env("RUST_BACKTRACE", "1").args(["-c", &line]))
}

#[test]
fn a_reader_that_stops_reading_ends_each_listing_command_quietly_with_status_0() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    for _ in 0..2 {
        crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    }
    for args in [
        &["roles"][..],
        &["roles", "--verify"],
        &["history"],
        &["history", "-o", "json"],
        &["get"],
        &["get", "-o", "table"],
        &["get", "-o", "yaml"],
        &["sweep"],
        &["version"],
        &["completion", "bash"],
    ] {
        for ran in [into_closed_pipe(cluster, args), into_head(cluster, args)] {
            assert_eq!(ran.code, 0, "{args:?}: {ran:?}");
            assert!(!ran.stderr.contains("panicked") && !ran.stderr.contains("Broken pipe"), "{args:?}: {ran:?}");
            assert_eq!(ran.stderr, "", "{args:?}: nothing on stderr");
        }
    }
}

#[test]
fn disable_now_revokes_the_requests_but_keeps_who_may_ask_and_who_may_answer() {
    let cluster = &*CLUSTER;
    let prov = cluster.user("prov", &[]);
    let enable = ["enable", "--enabled-roles", "readonly", "--requesters", "user:prov", "--approvers", "user:appr"];
    cluster.supportaccess_ok(NS, &enable);
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    cluster.supportaccess_ok(NS, &["disable", "--now", "--yes"]);
    assert!(cluster.managed_bindings().iter().all(|b| !b.contains(&id)), "the request is revoked");
    for party in ["crusoe-support-requester", "crusoe-support-approver"] {
        cluster.kubectl_ok(&["get", "clusterrolebinding", party, "-o", "name"]);
    }
    let out = cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    assert!(out.contains("Who may request: user:prov · who may approve: user:appr"), "{out}");
    eventually("prov may still ask", || {
        as_user(cluster, &prov, &["auth", "can-i", "create", "serviceaccounts/token", "-n", NS]).stdout.trim() == "yes"
    });
}

#[test]
fn version_prints_the_client_version_before_it_fails_to_reach_the_server() {
    let cluster = &*CLUSTER;
    let down = cluster.dir.join("down.kubeconfig");
    std::fs::write(
        &down,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:9\"}}]\nusers: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    )
    .unwrap();
    let ran = run(cluster.kubectl().env("KUBECONFIG", &down).args(["supportaccess", "version"]));
    assert_ne!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.starts_with(&format!("Client Version: v{}\n", env!("CARGO_PKG_VERSION"))), "{ran:?}");
}

#[test]
fn get_says_in_its_first_paragraph_that_it_sweeps_and_readme_opens_with_make_try_and_make_test() {
    let cluster = &*CLUSTER;
    let help = cluster.supportaccess_ok(NS, &["get", "--help"]);
    let first = help.split("\n\n").take(2).collect::<Vec<_>>().join("\n\n");
    assert!(first.contains("sweeps") && first.contains("expired"), "{help}");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let screen: String = readme.lines().take(24).collect::<Vec<_>>().join("\n");
    assert!(screen.contains("make try") && screen.contains("make test"), "{screen}");
}

#[test]
fn roles_verify_marks_a_check_it_could_not_try_skipped_not_ok() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    let out = cluster.supportaccess_ok(NS, &["roles", "--verify"]);
    let row = out.lines().find(|l| l.contains("node changes")).expect("the node row (the harness has no Node)");
    assert!(row.contains("skipped: the cluster has no Node"), "{row}");
    let verdict = row.trim_end_matches(['│', ' ']).rsplit(['┆', '│']).next().unwrap().trim();
    assert_eq!(verdict, "skipped", "{row}");
    assert!(!out.lines().any(|l| l.contains("skipped:") && l.trim_end_matches(['│', ' ']).ends_with("ok")), "{out}");
}

#[test]
fn get_o_table_says_cluster_wide_and_the_enabled_line_leaves_out_empty_settings() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    let table = cluster.supportaccess_ok(NS, &["get", "-o", "table"]);
    let row = table.lines().find(|l| l.contains(&id)).expect("the request's row");
    assert!(row.contains("cluster-wide"), "{table}");
    let history: serde_json::Value =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap();
    let enabled = history
        .as_array()
        .or_else(|| history["events"].as_array())
        .unwrap()
        .iter()
        .find(|e| e["event"] == "enabled")
        .expect("the enabled line")
        .clone();
    let detail = enabled["detail"].as_str().unwrap();
    assert!(detail.starts_with("roles readonly; defaultScope *; maxDuration 72h"), "{detail}");
    assert!(!detail.contains("clusterRoles") && !detail.contains("reasonPattern"), "{detail}");
}

#[test]
fn a_request_by_someone_who_is_no_requester_exits_4_and_says_what_the_owner_runs() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let stranger = cluster.user("stranger", &[]);
    let ran = crate::requester::plugin_as(
        cluster,
        &stranger,
        &["request", "--role", "readonly", "--reason", "r", "--duration", "1h"],
    );
    assert_eq!(ran.code, 4, "{ran:?}");
    assert!(ran.stderr.contains("you (stranger) are not a requester on context"), "{ran:?}");
    assert!(ran.stderr.contains("kubectl supportaccess enable --requesters user:stranger"), "{ran:?}");
}

#[test]
fn an_ended_id_says_how_it_ended_a_mistyped_one_gets_did_you_mean_and_exec_without_dashes_hints_them() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let (gone, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    cluster.supportaccess_ok(NS, &["revoke", &gone]);
    let ran = cluster.supportaccess(NS, &["renew", &gone]);
    assert_ne!(ran.code, 0, "{ran:?}");
    assert!(ran.stderr.contains(&format!("request {gone} was revoked by kubernetes-admin at")), "{ran:?}");
    let (live, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    // One letter off: the last one changed.
    let last = if live.ends_with('a') { "b" } else { "a" };
    let typo = format!("{}{last}", &live[..live.len() - 1]);
    let ran = cluster.supportaccess(NS, &["renew", &typo]);
    assert!(ran.stderr.contains(&format!("did you mean {live}?")), "{ran:?}");
    let ran = cluster.supportaccess(NS, &["exec", &live, "kubectl", "get", "pods"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("hint: put `--` before the command"), "{ran:?}");
}

#[test]
fn what_revokes_live_access_asks_naming_it_and_without_a_terminal_needs_yes() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    for args in [&["disable", "--now"][..], &["revoke", "--all"]] {
        let ran =
            run(cluster.kubectl().arg("supportaccess").args(args).args(["-n", NS]).stdin(std::process::Stdio::null()));
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(
            ran.stderr.contains(&id) && ran.stderr.contains("--yes"),
            "{args:?} names what it would revoke: {ran:?}"
        );
        assert!(
            cluster.managed_bindings().iter().any(|b| b.ends_with(&format!("crusoe-support-{id}"))),
            "nothing revoked"
        );
    }
    cluster.supportaccess_ok(NS, &["revoke", "--all", "--yes"]);
    assert!(!cluster.managed_bindings().iter().any(|b| b.contains(&id)));
}

#[test]
fn a_waiting_request_names_its_scope_and_the_same_answer_by_instant_get_shows() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--approval", "required"]);
    let mut asking = cluster
        .kubectl()
        .args(["supportaccess", "-n", NS, "request", "--role", "readonly", "--reason", "r", "--duration", "15m"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut answer_by = String::new();
    eventually("the request waits", || {
        let json: serde_json::Value =
            serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
        answer_by = json["pendingRequests"][0]["answerBy"].as_str().unwrap_or("").to_string();
        !answer_by.is_empty()
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    asking.kill().unwrap();
    let out = asking.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("approval until {answer_by}.")), "{answer_by}: {stderr}");
    assert!(stderr.contains("(role readonly, cluster-wide)"), "{stderr}");
}

#[test]
fn end_is_ended_in_the_history_in_get_watch_once_and_in_sweep_and_deny_says_how_long() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let out = cluster.dir.join("ended-watch.out");
    let mut watch = cluster
        .kubectl()
        .args(["supportaccess", "-n", NS, "get", "--watch", "-o", "json"])
        .stdout(std::fs::File::create(&out).unwrap())
        .spawn()
        .unwrap();
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    // The watch may start after the request is made: then its first list tells it as active.
    eventually("the watch tells the request", || crate::teams::watched(&out).iter().any(|l| l["id"] == id.as_str()));
    // `end` as the owner: its own lazy sweep deletes the ended record at once, and says so.
    let ended = cluster.supportaccess(NS, &["end", &id]);
    assert_eq!(ended.code, 0, "{ended:?}");
    assert!(ended.stderr.contains(&format!("removed 1 request(s) their requesters ended: {id}")), "{ended:?}");
    let told = crate::teams::wait_for_line(&out, "ended", &id);
    assert_eq!(told["by"], "kubernetes-admin");
    // A change carries the trail's head as the watch saw it (issue 43).
    assert_eq!(told["historyHead"].as_str().map(str::len), Some(64), "{told}");
    // A later event, so that the watch has seen the sweep's deletion before it is read.
    let (later, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    cluster.supportaccess_ok(NS, &["revoke", &later]);
    crate::teams::wait_for_line(&out, "revoked", &later);
    watch.kill().unwrap();
    watch.wait().unwrap();
    let told: Vec<String> = crate::teams::watched(&out)
        .iter()
        .filter(|l| l["id"] == id.as_str())
        .map(|l| l["event"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(told[1..], ["ended"], "an end is told once, as ended: {told:?}");
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap();
    let recorded: Vec<&str> =
        history.iter().filter(|l| l["id"] == id.as_str()).map(|l| l["event"].as_str().unwrap_or("")).collect();
    assert_eq!(recorded, ["requested", "ended", "ended"], "{history:?}");

    // deny names how long the request would last, not "24h from now" (asked by another: nobody
    // answers their own request).
    let asker = cluster.user("asker41", &[]);
    cluster.supportaccess_ok(NS, &["enable", "--approval", "required", "--requesters", "user:asker41"]);
    let mut asking = cluster
        .kubectl()
        .env("KUBECONFIG", &asker)
        .args(["supportaccess", "-n", NS, "request", "--role", "readonly", "--reason", "r", "--duration", "24h"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pending = crate::approval::pending_id(cluster, NS);
    let denied = cluster.supportaccess_ok(NS, &["deny", &pending, "--reason", "no"]);
    assert!(denied.contains("lasting 24h") && !denied.contains("from now"), "{denied}");
    asking.wait().unwrap();
}

#[test]
fn n_names_the_system_namespace_and_each_error_it_causes_says_so_and_suggests_scope() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--requesters", "user:prov"]);
    cluster.kubectl_ok(&["create", "namespace", "staging41"]);
    let request = ["request", "--role", "readonly", "--reason", "r", "--duration", "1h"];
    // The owner, who may read any namespace: nothing is installed there. `request` is refused
    // saying so; `get` says Disabled, as on a new cluster, and notes it.
    for (args, code) in [(&request[..], 3), (&["get"], 0)] {
        let ran = cluster.supportaccess("staging41", args);
        assert_eq!(ran.code, code, "{args:?}: {ran:?}");
        assert!(ran.stderr.contains("nothing is installed in namespace staging41"), "{args:?}: {ran:?}");
        assert!(ran.stderr.contains("-n names the system namespace"), "{args:?}: {ran:?}");
        assert!(ran.stderr.contains("use `request --scope staging41`"), "{args:?}: {ran:?}");
    }
    // A requester, who may not read there: the refusal says what -n is.
    let prov = cluster.user("prov", &[]);
    let ran =
        run(cluster.kubectl().env("KUBECONFIG", &prov).arg("supportaccess").args(request).args(["-n", "staging41"]));
    assert_eq!(ran.code, 4, "{ran:?}");
    assert!(ran.stderr.contains("-n names the system namespace"), "{ran:?}");
    assert!(ran.stderr.contains("use `request --scope staging41`"), "{ran:?}");
    // Where it is installed, -n is what it always was.
    assert_eq!(cluster.supportaccess(NS, &["get"]).code, 0);
}

#[test]
fn enable_calls_its_own_update_of_a_partys_bind_list_updated_and_only_a_foreign_change_drift() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(
        NS,
        &["enable", "--enabled-roles", "readonly", "--requesters", "user:prov", "--clusterroles", ""],
    );
    let out = cluster.supportaccess_ok(NS, &["enable", "--clusterroles", "view", "--yes"]);
    assert!(out.contains("ClusterRole crusoe-support-requester: updated to enforce this policy"), "{out}");
    assert!(!out.contains("drifted"), "{out}");
    // A change enable did not make is drift, and is repaired.
    cluster.kubectl_ok(&[
        "patch",
        "clusterrole",
        "crusoe-support-requester",
        "--type",
        "json",
        "-p",
        r#"[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}}]"#,
    ]);
    let out = cluster.supportaccess_ok(NS, &["enable", "--clusterroles", "view", "--yes"]);
    assert!(out.contains("ClusterRole crusoe-support-requester: repaired (its rules had drifted"), "{out}");
    cluster.supportaccess_ok(NS, &["enable", "--clusterroles", ""]);
}

#[test]
fn shell_marks_its_prompt_past_a_bashrc_that_sets_ps1_in_a_real_bash_under_tmux() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    // A home whose .bashrc sets PS1, as a distribution's does (Debian's /etc/bash.bashrc too).
    let home = cluster.dir.join("shell-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join(".bashrc"), "PS1='distro> '\n").unwrap();
    let bash =
        String::from_utf8(Command::new("bash").args(["-c", "command -v bash"]).output().unwrap().stdout).unwrap();
    let command = format!("env HOME={} SHELL={} kubectl supportaccess shell {id} -n {NS}", home.display(), bash.trim());
    // tmux drops the trailing space of a line it shows.
    let mark = format!("[support {id}] distro>");
    let screen = crate::owner::in_terminal(
        cluster,
        &command,
        &[(&mark, &["echo in-the-shell", "Enter"]), ("in-the-shell", &["exit", "Enter"])],
    );
    assert!(screen.contains("EXIT=0"), "{screen}");
    let rc = cluster.credential_path(&id).with_extension("bashrc");
    assert!(!rc.exists(), "the rc file is removed when the shell ends");
}

/// What kubectl itself prints for `template` over `json` (a local object: kubectl needs an
/// apiVersion and a kind, and removing a label that is not there changes nothing a template here
/// reads).
fn kubectl_jsonpath(cluster: &TestCluster, json: &serde_json::Value, template: &str) -> String {
    let mut object = json.clone();
    object["apiVersion"] = "x/v1".into();
    object["kind"] = "X".into();
    let file = cluster.dir.join("jsonpath-object.json");
    std::fs::write(&file, object.to_string()).unwrap();
    let jsonpath = format!("jsonpath={template}");
    let ran = run(cluster.kubectl().args(["label", "--local", "-f"]).arg(&file).args(["x-", "-o", &jsonpath]));
    assert_eq!(ran.code, 0, "kubectl's own jsonpath {template}: {ran:?}");
    ran.stdout
}

#[test]
fn every_listing_command_speaks_kubectls_output_formats() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly,operator"]);
    let (a, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "first", "--duration", "1h"]);
    let (b, _) = crate::common::request(cluster, NS, &["--role", "operator", "--reason", "second", "--duration", "2h"]);
    let mut ids = [a.clone(), b.clone()];
    ids.sort();

    // -o name: KIND/NAME a line.
    let names = cluster.supportaccess_ok(NS, &["get", "-o", "name"]);
    let mut listed: Vec<&str> = names.lines().collect();
    listed.sort();
    assert_eq!(listed, ids.iter().map(|id| format!("request/{id}")).collect::<Vec<_>>(), "{names}");
    let roles = cluster.supportaccess_ok(NS, &["roles", "-o", "name"]);
    assert!(roles.lines().all(|l| l.starts_with("clusterrole/crusoe-support-")), "{roles}");
    let history = cluster.supportaccess_ok(NS, &["history", "-o", "name"]);
    assert!(history.contains(&format!("request/{a}\n")) && history.contains(&format!("request/{b}\n")), "{history}");

    // -o jsonpath and -o custom-columns, against kubectl's own over the same JSON.
    let json: serde_json::Value = serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", "-o", "json"])).unwrap();
    for template in [
        "{.activeRequests[*].id}",
        "{range .activeRequests[*]}{.id}{\"\\t\"}{.role}{\"\\n\"}{end}",
        "{.activeRequests[?(@.role==\"operator\")].reason}",
        "enabled={.enabled} context={.context}",
        "{.policy.enabledRoles}",
    ] {
        let ours = cluster.supportaccess_ok(NS, &["get", "-o", &format!("jsonpath={template}")]);
        assert_eq!(ours, kubectl_jsonpath(cluster, &json, template), "{template}");
    }
    // history and roles print a JSON list (no object kubectl could read as its own): their
    // JSONPath and columns are checked against their -o json.
    let lines: Vec<serde_json::Value> =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["history", "-o", "json"])).unwrap();
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(cluster.supportaccess_ok(NS, &["history", "-o", "jsonpath={[*].event}"]), events.join(" "));
    let table = cluster.supportaccess_ok(NS, &["history", "-o", "custom-columns=EVENT:.event,BY:.by"]);
    assert_eq!(table.lines().count(), lines.len() + 1, "{table}");
    assert!(table.lines().skip(1).zip(&events).all(|(row, event)| row.starts_with(event)), "{table}");
    let roles: Vec<serde_json::Value> =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["roles", "-o", "json"])).unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(cluster.supportaccess_ok(NS, &["roles", "-o", "jsonpath={[*].name}"]), names.join(" "));
    let yaml = cluster.supportaccess_ok(NS, &["get", "-o", "yaml"]);
    assert!(yaml.contains(&format!("id: {a}")), "{yaml}");
    let columns = cluster.supportaccess_ok(NS, &["get", "-o", "custom-columns=ID:.id,ROLE:.role,NONE:.missing"]);
    let lines: Vec<&str> = columns.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["ID", "ROLE", "NONE"], "{columns}");
    assert_eq!(lines.len(), 3, "{columns}");
    assert!(lines[1..].iter().all(|l| l.ends_with("<none>")), "{columns}");

    // -o wide: the table with more columns.
    let wide = cluster.supportaccess_ok(NS, &["get", "-o", "wide"]);
    assert!(wide.contains("REQUESTED BY") && wide.contains("APPROVED BY"), "{wide}");
    let wide = cluster.supportaccess_ok(NS, &["history", "-o", "wide"]);
    assert!(wide.contains("REQUESTED BY") && wide.contains("REASON"), "{wide}");

    // Completion offers the live ids after `get` (and the contexts).
    let offered = run(cluster.plugin().args(["__complete", "get", ""]));
    assert!(offered.stdout.contains(&a) && offered.stdout.contains("local"), "{offered:?}");

    // get ID: only that request; an unknown one fails after the known ones are shown.
    let one: serde_json::Value =
        serde_json::from_str(&cluster.supportaccess_ok(NS, &["get", &a, "-o", "json"])).unwrap();
    let shown: Vec<&str> =
        one["activeRequests"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(shown, [a.as_str()]);
    let ran = cluster.supportaccess(NS, &["get", &a, "zzzzzzzz", "-o", "name"]);
    assert_eq!((ran.code, ran.stdout.as_str()), (1, format!("request/{a}\n").as_str()), "{ran:?}");
    assert!(ran.stderr.contains("zzzzzzzz"), "{ran:?}");

    // A bad template is a usage error, said before anything is asked.
    let ran = cluster.supportaccess(NS, &["get", "-o", "jsonpath={.id"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    let ran = cluster.supportaccess(NS, &["get", "-o", "yml"]);
    assert!(ran.code == 2 && ran.stderr.contains("jsonpath="), "{ran:?}");
    cluster.supportaccess_ok(NS, &["revoke", "--all", "--yes"]);
}

#[test]
fn dry_runs_write_nothing_and_the_server_one_is_answered_by_the_guards() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly", "--reason-pattern", ""]);
    let (id, _) = crate::common::request(cluster, NS, &["--role", "readonly", "--reason", "r", "--duration", "1h"]);
    let before = cluster.managed_bindings();
    let policy = || cluster.kubectl_ok(&["get", "configmap", "support-access", "-n", NS, "-o", "jsonpath={.data}"]);
    let stored = policy();
    let history = || cluster.trail_lines(NS);
    let trail = history();
    for dry in ["--dry-run", "--dry-run=client", "--dry-run=server"] {
        for args in [
            &["revoke", &id][..],
            &["revoke", "--all"],
            &["disable", "--now"],
            &["disable"],
            &["uninstall"],
            &["enable", "--enabled-roles", "operator", "--max-duration", "12h"],
            &["request", "--role", "readonly", "--reason", "r", "--duration", "1h"],
        ] {
            let ran = run(cluster
                .kubectl()
                .arg("supportaccess")
                .args(args)
                .arg(dry)
                .args(["-n", NS])
                .stdin(std::process::Stdio::null()));
            assert_eq!(ran.code, 0, "{args:?} {dry}: {ran:?}");
            assert!(ran.stdout.contains("dry run"), "{args:?} {dry} says it: {ran:?}");
            assert_eq!(cluster.managed_bindings(), before, "{args:?} {dry} changed no binding");
            assert_eq!(policy(), stored, "{args:?} {dry} changed no policy");
            assert_eq!(history(), trail, "{args:?} {dry} wrote no history line");
        }
    }
    // The server's dry run is answered by the admission guards: a reason the pattern refuses.
    cluster.supportaccess_ok(NS, &["enable", "--reason-pattern", "^CASE-[0-9]+: "]);
    let stored = policy();
    let ran = cluster.supportaccess(NS, &["enable", "--reason-pattern", "", "--dry-run=server"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(policy(), stored);
    let prov = cluster.user("dryprov", &[]);
    cluster.supportaccess_ok(NS, &["enable", "--requesters", "user:dryprov"]);
    eventually("dryprov may request", || {
        crate::requester::plugin_as(
            cluster,
            &prov,
            &["request", "--role", "readonly", "--reason", "CASE-1: x", "--duration", "1h", "--dry-run=server"],
        )
        .code
            == 0
    });
    cluster.supportaccess_ok(NS, &["enable", "--reason-pattern", "", "--requesters", ""]);
    assert_eq!(cluster.supportaccess(NS, &["revoke", "--dry-run=sometimes", &id]).code, 2);
}

#[test]
fn v6_logs_each_api_call_and_help_cmd_is_the_commands_help() {
    let cluster = &*CLUSTER;
    cluster.supportaccess_ok(NS, &["enable", "--enabled-roles", "readonly"]);
    for spelling in [&["-v=6"][..], &["-v", "6"], &["--v=6"]] {
        let ran = run(cluster.kubectl().arg("supportaccess").arg("get").args(spelling).args(["-n", NS]));
        assert_eq!(ran.code, 0, "{spelling:?}: {ran:?}");
        let call =
            ran.stderr.lines().find(|l| l.contains("/api/v1/namespaces/crusoe-system/configmaps/support-access "));
        let call = call.unwrap_or_else(|| panic!("{spelling:?} logs the policy's GET: {ran:?}"));
        assert!(
            call.contains("GET https://") && call.contains("200 OK in ") && call.ends_with(" milliseconds"),
            "{call}"
        );
    }
    let quiet = cluster.supportaccess(NS, &["get", "-v=5"]);
    assert!(!quiet.stderr.contains(" milliseconds"), "below 6 no call is logged: {quiet:?}");
    let help = run(cluster.kubectl().args(["supportaccess", "help", "request"]));
    let flag = run(cluster.kubectl().args(["supportaccess", "request", "--help"]));
    assert_eq!((help.code, &help.stdout), (0, &flag.stdout), "{help:?}");
    assert!(help.stdout.contains("--duration"), "{help:?}");
}

#[test]
fn approve_on_a_terminal_counts_what_a_request_can_do_only_in_namespaces_that_exist_and_says_so() {
    let cluster = &*CLUSTER;
    let asker = cluster.user("execs41", &[]);
    cluster.supportaccess_ok(
        NS,
        &["enable", "--enabled-roles", "readonly,operator", "--approval", "required", "--requesters", "user:execs41"],
    );
    let mut asking = cluster
        .kubectl()
        .env("KUBECONFIG", &asker)
        .args(["supportaccess", "-n", NS, "request", "--role", "operator", "--reason", "r", "--duration", "1h"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pending = crate::approval::pending_id(cluster, NS);
    // The default system namespaces: kube-system exists here, nvidia-gpu-operator does not.
    let screen = crate::owner::in_terminal(
        cluster,
        &format!("kubectl supportaccess approve {pending} -n {NS}"),
        &[("Approve ", &["n", "Enter"])],
    );
    // The terminal wraps long lines: read it as one.
    let joined = screen.replace('\n', "");
    assert!(joined.contains("execs: in crusoe-system, kube-system, deletes admission policies: no"), "{screen}");
    assert!(joined.contains("(counting only the namespaces that exist; not yet: nvidia-gpu-operator,"), "{screen}");
    cluster.supportaccess_ok(NS, &["deny", &pending, "--reason", "no"]);
    asking.wait().unwrap();
    cluster.supportaccess_ok(NS, &["enable", "--approval", "none", "--requesters", ""]);
}
