//! Many clusters at once: `--all-contexts` and `--contexts PATTERNS` run one command on each
//! selected context of the kubeconfig, at most `--parallel` at once, every call of each bounded by
//! `--request-timeout`, so that a cluster that is down, refuses, never answers or forbids never
//! stalls or hides the others. The kubeconfig is read once; each context gets a client built from
//! its own three entries. A progress bar on a terminal, then one summary: a table, or a list of the
//! single-cluster output of each context plus `context`, `cluster` and `error`.

use std::collections::HashMap;
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::base::error::{Error, Result};
use crate::cli::{FleetArgs, GlobalArgs, OutputFormat};
use crate::cluster::{Connection, KubeconfigFiles};
use crate::output;

/// What one context's run gives the summary: the single-cluster output, and one line of it.
pub trait Outcome: Serialize {
    /// The summary table's DETAIL.
    fn detail(&self) -> String;

    /// A run that completed but found something wrong (e.g. `roles --verify` mismatches).
    fn verdict(&self) -> Result<()> {
        Ok(())
    }
}

/// A fleet command: its name, and for a destructive one what it does (asked once).
pub struct Plan<'a> {
    pub command: &'a str,
    pub destructive: Option<String>,
}

/// Shell-style glob: `*` any run, `?` one character, `[abc]`, `[a-z]`, `[!a]` one of (or none of)
/// a set. Anything else matches itself.
pub fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point for the last `*`: linear for typical patterns,
    // never exponential.
    let (mut pi, mut ni, mut star, mut resume) = (0, 0, None, 0);
    while ni < n.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                resume = ni;
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => class(&p, pi, n[ni]),
            Some(c) if *c == n[ni] => Some(pi + 1),
            _ => None,
        };
        match (step, star) {
            (Some(next), _) => {
                pi = next;
                ni += 1;
            }
            (None, Some(at)) => {
                pi = at + 1;
                resume += 1;
                ni = resume;
            }
            (None, None) => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Matches `c` against the class starting at `p[at] == '['`: the index after it, or `None`. A
/// `[` without its `]` matches itself.
fn class(p: &[char], at: usize, c: char) -> Option<usize> {
    let mut i = at + 1;
    let negated = matches!(p.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let start = i;
    let mut found = false;
    while i < p.len() && (p[i] != ']' || i == start) {
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|end| *end != ']') {
            found |= p[i] <= c && c <= p[i + 2];
            i += 3;
        } else {
            found |= p[i] == c;
            i += 1;
        }
    }
    if i >= p.len() {
        return (c == '[').then_some(at + 1);
    }
    (found != negated).then_some(i + 1)
}

/// One selected context, and the one it is asked through when another has the same cluster and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub context: String,
    pub cluster: String,
    pub same_as: Option<String>,
}

/// The contexts the flags select, in the kubeconfig's order.
pub fn select(files: &KubeconfigFiles, fleet: &FleetArgs) -> Result<Vec<Member>> {
    let patterns = fleet.contexts.clone().unwrap_or_default();
    let patterns: Vec<&str> = patterns.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
    if fleet.contexts.is_some() && patterns.is_empty() {
        return Err(Error::usage("--contexts needs at least one pattern (e.g. 'prod-*')"));
    }
    let mut first_of: HashMap<(&str, &str), &str> = HashMap::new();
    let mut members = Vec::new();
    for named in &files.config.contexts {
        if !fleet.all_contexts && !patterns.iter().any(|p| glob(p, &named.name)) {
            continue;
        }
        let (cluster, user) =
            named.context.as_ref().map(|c| (c.cluster.as_str(), c.user.as_deref().unwrap_or(""))).unwrap_or_default();
        let same_as = match first_of.get(&(cluster, user)) {
            Some(first) if !cluster.is_empty() => Some(first.to_string()),
            _ => {
                first_of.insert((cluster, user), &named.name);
                None
            }
        };
        members.push(Member { context: named.name.clone(), cluster: cluster.to_string(), same_as });
    }
    if members.is_empty() {
        let names = files.context_names();
        let available = match names.len() {
            0 => "none".to_string(),
            n if n > 20 => format!("{} and {} more", names[..20].join(", "), n - 20),
            _ => names.join(", "),
        };
        let what = if fleet.all_contexts {
            "the kubeconfig has no context".to_string()
        } else {
            format!("no context matches {}", patterns.join(","))
        };
        return Err(Error::failed(format!("{what}; contexts: {}", output::terminal(&available))));
    }
    Ok(members)
}

/// How one context ended.
struct Row {
    context: String,
    cluster: String,
    same_as: Option<String>,
    outcome: std::result::Result<(Value, String), String>,
    /// The output of a run whose verdict failed (e.g. `roles --verify`'s report), kept for JSON.
    report: Option<Value>,
    warnings: Vec<String>,
}

/// Runs `work` on every selected context and prints the summary. Exit 0 only when every context
/// succeeded.
pub async fn run<O, F, Fut>(global: &GlobalArgs, fleet: &FleetArgs, plan: Plan<'_>, work: F) -> Result<()>
where
    O: Outcome,
    F: Fn(Connection) -> Fut,
    Fut: Future<Output = Result<O>>,
{
    if global.context.is_some() || global.cluster.is_some() || global.user.is_some() {
        return Err(Error::usage(
            "--context, --cluster and --user name one cluster; --all-contexts and --contexts use each context's own",
        ));
    }
    let files = KubeconfigFiles::load(global.kubeconfig.as_deref())?
        .ok_or_else(|| Error::failed("no kubeconfig found").with_hint("set KUBECONFIG or pass --kubeconfig"))?;
    let members = select(&files, fleet)?;
    let asked: Vec<&Member> = members.iter().filter(|m| m.same_as.is_none()).collect();
    if let Some(what) = &plan.destructive {
        let servers: std::collections::HashSet<Option<&str>> =
            asked.iter().map(|m| files.server_of(&m.cluster)).collect();
        let question = format!("{what} on {} context(s) ({} cluster(s))?", members.len(), servers.len());
        crate::services::prompt::confirm(global, &question)?;
    }
    let structured = global.output.as_ref().is_some_and(OutputFormat::is_structured);
    let bar = progress(asked.len() as u64, plan.command, !structured && std::io::stderr().is_terminal());
    let mut failed = 0;
    let global = GlobalArgs { yes: true, ..global.clone() };
    let files = &files;
    let runs = futures::stream::iter(asked.iter().map(|member| {
        let (global, work) = (&global, &work);
        async move {
            let context = member.context.clone();
            // Each context's warnings are kept for the summary, not printed among the bar.
            let ran = output::capturing(async {
                let conn = Connection::for_context(&files.only(&context), Some(context.clone()), global).await?;
                work(conn).await
            })
            .await;
            (member, ran)
        }
    }))
    .buffer_unordered(usize::from(fleet.parallel));
    futures::pin_mut!(runs);
    let mut done: HashMap<String, Row> = HashMap::new();
    while let Some((member, (ran, warnings))) = runs.next().await {
        let (outcome, report) = match ran {
            Ok(outcome) => {
                let value = serde_json::to_value(&outcome).unwrap_or(Value::Null);
                match outcome.verdict() {
                    Ok(()) => (Ok((value, outcome.detail())), None),
                    Err(e) => (Err(e.message), Some(value)),
                }
            }
            Err(e) => (Err(e.message), None),
        };
        if outcome.is_err() {
            failed += 1;
            bar.set_message(format!("{failed} failed"));
        }
        bar.inc(1);
        let row = Row {
            context: member.context.clone(),
            cluster: member.cluster.clone(),
            same_as: None,
            outcome,
            report,
            warnings,
        };
        done.insert(member.context.clone(), row);
    }
    bar.finish_and_clear();
    // A context asked through another one shows that one's result.
    let copies: Vec<Option<Row>> = members
        .iter()
        .map(|member| {
            let first = done.get(member.same_as.as_ref()?)?;
            Some(Row {
                context: member.context.clone(),
                cluster: member.cluster.clone(),
                same_as: member.same_as.clone(),
                outcome: first.outcome.clone(),
                report: first.report.clone(),
                warnings: Vec::new(),
            })
        })
        .collect();
    let rows: Vec<Row> =
        members.iter().zip(copies).filter_map(|(member, copy)| copy.or_else(|| done.remove(&member.context))).collect();
    summarize(&rows, global.output.as_ref())
}

fn progress(contexts: u64, command: &str, shown: bool) -> indicatif::ProgressBar {
    if !shown {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(contexts);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {prefix} [{bar:30}] {pos}/{len} contexts done, {msg}, about {eta} left",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(command.to_string());
    bar.set_message("0 failed");
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn summarize(rows: &[Row], format: Option<&OutputFormat>) -> Result<()> {
    match format {
        Some(format) if format.is_structured() => {
            let list: Vec<Value> = rows.iter().map(structured).collect();
            let items = output::Items { kind: "context", key: "context", items: list.clone() };
            output::print_listing(&list, Some(items), format)?;
        }
        _ => {
            let mut table = output::wrapped_table(&["CONTEXT", "CLUSTER", "RESULT", "DETAIL"]);
            for row in rows {
                let result = if row.outcome.is_ok() { "ok" } else { "failed" };
                let detail = match (&row.outcome, &row.same_as) {
                    (_, Some(first)) => format!("same cluster and user as {first}"),
                    (Ok((_, detail)), None) => detail.clone(),
                    (Err(why), None) => why.clone(),
                };
                table.add_row(output::row([row.context.clone(), row.cluster.clone(), result.into(), detail]));
            }
            crate::outln!("{table}");
            for row in rows {
                for warning in &row.warnings {
                    output::warn(&format!("context {:?}: {warning}", row.context));
                }
            }
        }
    }
    let failed: Vec<String> = rows
        .iter()
        .filter(|row| row.same_as.is_none())
        .filter_map(|row| row.outcome.as_ref().err().map(|why| format!("{:?}: {why}", row.context)))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(Error::failed(format!(
        "{} of {} context(s) failed — {}",
        failed.len(),
        rows.iter().filter(|row| row.same_as.is_none()).count(),
        failed.join("; ")
    ))
    .with_hint("each failed context is named with why; the others completed"))
}

/// One context as `-o json|yaml` shows it: the single-cluster output's fields, plus `context`,
/// `cluster`, `error` (null on success) and `sameAs`.
fn structured(row: &Row) -> Value {
    let value = match &row.outcome {
        Ok((value, _)) => Some(value.clone()),
        Err(_) => row.report.clone(),
    };
    let mut object = match value {
        Some(Value::Object(object)) => object,
        Some(other) => Map::from_iter([("result".to_string(), other)]),
        None => Map::new(),
    };
    object.insert("context".into(), Value::String(row.context.clone()));
    object.insert("cluster".into(), Value::String(row.cluster.clone()));
    object.insert("error".into(), row.outcome.as_ref().err().map(|e| Value::String(e.clone())).unwrap_or(Value::Null));
    if let Some(first) = &row.same_as {
        object.insert("sameAs".into(), Value::String(first.clone()));
    }
    if !row.warnings.is_empty() {
        object.insert("warnings".into(), Value::from(row.warnings.clone()));
    }
    Value::Object(object)
}

/// Refuses the flags that name one cluster beside a fleet selection.
/// A dry run asks one cluster.
pub fn no_dry_run(dry_run: &crate::cli::DryRunArg) -> Result<()> {
    match dry_run.get() {
        crate::cli::DryRun::None => Ok(()),
        _ => Err(Error::usage("--dry-run asks one cluster: leave out --all-contexts/--contexts")),
    }
}

pub fn single_target(fleet: &FleetArgs, target: Option<&String>) -> Result<()> {
    if fleet.selected() && target.is_some() {
        return Err(Error::usage("name one CLUSTER or select contexts with --all-contexts/--contexts, not both"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_a_shell_does() {
        for (pattern, name) in [
            ("prod-*", "prod-eu"),
            ("prod-*", "prod-"),
            ("*", ""),
            ("*-eu", "staging-eu"),
            ("p?od", "prod"),
            ("[ps]rod", "srod"),
            ("c[0-9]", "c7"),
            ("c[!0-9]", "cx"),
            ("a*b*c", "aXbYbZc"),
            ("[", "["),
            ("x[]]y", "x]y"),
            ("exact", "exact"),
        ] {
            assert!(glob(pattern, name), "{pattern} should match {name}");
        }
        for (pattern, name) in [
            ("prod-*", "staging-prod-1"),
            ("p?od", "pod"),
            ("c[0-9]", "cx"),
            ("c[!0-9]", "c1"),
            ("a*b*c", "aXbYbZ"),
            ("exact", "exactly"),
            ("", "x"),
        ] {
            assert!(!glob(pattern, name), "{pattern} should not match {name}");
        }
    }

    #[test]
    fn a_long_pattern_of_stars_is_not_exponential() {
        let name = "a".repeat(200);
        assert!(!glob(&format!("{}b", "*a".repeat(50)), &name));
    }

    #[test]
    fn each_context_is_the_single_cluster_output_plus_context_cluster_and_error() {
        let row = |outcome, report, same_as: Option<&str>| Row {
            context: "prod".into(),
            cluster: "c1".into(),
            same_as: same_as.map(str::to_string),
            outcome,
            report,
            warnings: vec![],
        };
        let ok = structured(&row(Ok((serde_json::json!({"enabled": true}), "d".into())), None, None));
        assert_eq!(ok, serde_json::json!({"enabled": true, "context": "prod", "cluster": "c1", "error": null}));
        let failed = structured(&row(Err("cannot reach".into()), None, None));
        assert_eq!(failed, serde_json::json!({"context": "prod", "cluster": "c1", "error": "cannot reach"}));
        // A run whose verdict failed keeps its report; a list is kept under `result`.
        let verdict = structured(&row(Err("2 checks".into()), Some(serde_json::json!([1])), Some("first")));
        assert_eq!(
            verdict,
            serde_json::json!({"result": [1], "context": "prod", "cluster": "c1", "error": "2 checks", "sameAs": "first"})
        );
    }

    fn files(contexts: &[(&str, &str, &str)]) -> KubeconfigFiles {
        let mut yaml = String::from("apiVersion: v1\nkind: Config\ncontexts:\n");
        for (name, cluster, user) in contexts {
            yaml += &format!("- name: {name}\n  context: {{cluster: {cluster}, user: {user}}}\n");
        }
        KubeconfigFiles { config: kube::config::Kubeconfig::from_yaml(&yaml).unwrap(), paths: vec![] }
    }

    fn fleet(all: bool, patterns: Option<&str>) -> FleetArgs {
        FleetArgs {
            all_contexts: all,
            contexts: patterns.map(|p| p.split(',').map(str::to_string).collect()),
            parallel: 16,
        }
    }

    #[test]
    fn contexts_are_selected_by_glob_and_the_same_cluster_and_user_is_asked_once() {
        let files = files(&[
            ("prod-a", "a", "admin"),
            ("prod-b", "b", "admin"),
            ("staging", "a", "admin"),
            ("prod-a2", "a", "other"),
        ]);
        let picked = select(&files, &fleet(false, Some("prod-*"))).unwrap();
        assert_eq!(picked.iter().map(|m| m.context.as_str()).collect::<Vec<_>>(), ["prod-a", "prod-b", "prod-a2"]);
        assert!(picked.iter().all(|m| m.same_as.is_none()));
        let all = select(&files, &fleet(true, None)).unwrap();
        assert_eq!(all[2].same_as.as_deref(), Some("prod-a"));
        assert_eq!(all.iter().filter(|m| m.same_as.is_none()).count(), 3);
        let none = select(&files, &fleet(false, Some("dev-*"))).unwrap_err();
        assert!(none.message.contains("no context matches dev-*; contexts: prod-a, prod-b, staging, prod-a2"));
        assert_eq!(select(&files, &fleet(false, Some(" ,"))).unwrap_err().exit_code(), 2);
    }
}
