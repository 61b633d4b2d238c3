//! What an auditor does with the trail: verify its chain (and an export against it), export it to
//! a file kept off the cluster, and, as the owner, prune its oldest parts once they are exported.

use std::io::Write;

use chrono::{NaiveDate, Utc};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams};
use serde::Serialize;

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::cluster::history::{read_parts, record};
use crate::state::history::{EventKind, HistoryEvent};
use crate::state::trail::{self, Head, Part, Verified};

/// What `history --verify` reports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub lines: u64,
    pub parts: usize,
    /// Lines of an earlier release, counted but not chained.
    pub unchained: u64,
    /// The last line's place and hash.
    pub head_seq: u64,
    pub head: String,
    /// The last line a recorded prune removed, if the trail starts after one.
    pub pruned_through: Option<u64>,
    /// The lines of an export (`--against`) that were checked.
    pub exported_lines: Option<usize>,
    pub problems: Vec<String>,
    /// What holds but a reader should know (a chunk made days after its day).
    pub notes: Vec<String>,
}

impl Report {
    fn of(parts: &[Part], verified: Verified) -> Report {
        let head = verified.head.unwrap_or_else(Head::genesis);
        Report {
            lines: verified.lines,
            parts: parts.len(),
            unchained: verified.unchained,
            head_seq: head.seq,
            head: head.hash,
            pruned_through: verified.pruned.map(|p| p.seq),
            exported_lines: None,
            problems: verified.problems.iter().map(|p| crate::base::text::terminal(p).into_owned()).collect(),
            notes: verified.notes.iter().map(|p| crate::base::text::terminal(p).into_owned()).collect(),
        }
    }

    /// For a person: what was checked, then each problem on its own line.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "The trail holds {} line(s) in {} part(s); its head is line {}, {}.",
            self.lines,
            self.parts,
            self.head_seq,
            &self.head[..12]
        );
        if self.unchained > 0 {
            text.push_str(&format!(
                "\n{} line(s) from before the chain (an earlier release) are counted, not checked.",
                self.unchained
            ));
        }
        if let Some(through) = self.pruned_through {
            text.push_str(&format!("\nLines 1 to {through} were pruned, as a pruned line of the trail records."));
        }
        if let Some(exported) = self.exported_lines {
            text.push_str(&format!("\nChecked {exported} exported line(s) against the cluster."));
        }
        self.notes.iter().for_each(|n| text.push_str(&format!("\nNOTE: {n}")));
        match self.problems.is_empty() {
            true => text.push_str("\nEvery line chains to the one before it."),
            false => self.problems.iter().for_each(|p| text.push_str(&format!("\nBROKEN: {p}"))),
        }
        text
    }

    /// Exit 1 when something does not hold.
    pub fn result(&self) -> Result<()> {
        match self.problems.first() {
            None => Ok(()),
            Some(first) => Err(Error::failed(format!(
                "the trail does not verify: {} problem(s), the first: {first}",
                self.problems.len()
            ))),
        }
    }
}

/// Walks the whole trail's chain; with `against`, the lines of an export too.
pub async fn verify(conn: &Connection, against: Option<&std::path::Path>) -> Result<Report> {
    let exported = against.map(read_export).transpose()?;
    let (parts, _) = read_parts(conn, None).await?;
    let verified = trail::verify(&parts);
    let pruned = verified.pruned.clone();
    let mut report = Report::of(&parts, verified);
    if let Some(exported) = exported {
        let found = trail::against(&parts, &exported, pruned.as_ref());
        report.problems.extend(found.iter().map(|p| crate::base::text::terminal(p).into_owned()));
        report.exported_lines = Some(exported.iter().filter(|l| !l.trim().is_empty()).count());
    }
    Ok(report)
}

/// The lines of an export file.
fn read_export(path: &std::path::Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::usage(format!("--against: cannot read {}: {e}", path.display())))?;
    Ok(text.lines().map(str::to_string).collect())
}

/// `exported lines 1 to N (head H)`: the detail of an `exported` line.
fn export_detail(head: &Head) -> String {
    format!("exported lines 1 to {} (head {}) to a file kept off the cluster", head.seq, head.hash)
}

/// The last line an `exported` line says was exported.
fn exported_through(event: &HistoryEvent) -> Option<u64> {
    let rest = event.detail.strip_prefix("exported lines 1 to ")?;
    rest.split(' ').next()?.parse().ok()
}

/// What `history --export` wrote.
#[derive(Debug, Serialize)]
pub struct Exported {
    pub lines: u64,
    pub head: String,
    pub file: String,
    /// Whether the trail records the export (a requester may not write that line).
    pub recorded: bool,
}

/// Writes every line of the trail, as it is in the cluster, to `path` (JSON lines, 0600, never over
/// an existing file), then records the export in the trail.
pub async fn export(conn: &Connection, path: &std::path::Path, by: &str) -> Result<Exported> {
    let (parts, _) = read_parts(conn, None).await?;
    let head = Head::after(&Head::genesis(), parts.iter().flat_map(|p| p.lines.iter().map(String::as_str)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let cannot = |e: std::io::Error| {
        Error::usage(format!("--export: cannot write {}: {e} (give a path to a new file)", path.display()))
    };
    let mut file = options.open(path).map_err(cannot)?;
    for line in parts.iter().flat_map(|p| &p.lines).filter(|l| !l.trim().is_empty()) {
        writeln!(file, "{line}").map_err(cannot)?;
    }
    file.sync_all().map_err(cannot)?;
    let event = HistoryEvent::policy(EventKind::Exported, by, export_detail(&head));
    let recorded = match record(conn, &[event]).await {
        Ok(()) => true,
        Err(e) => {
            crate::output::warn(&format!(
                "the export was written, but the trail does not record it ({}); only an approver's or the owner's \
                 export lets the owner prune what it holds",
                e.message
            ));
            false
        }
    };
    Ok(Exported { lines: head.seq, head: head.hash, file: path.display().to_string(), recorded })
}

/// What `history --prune` removed.
#[derive(Debug, Serialize)]
pub struct Pruned {
    pub parts: Vec<String>,
    pub through: u64,
    pub exported: bool,
}

/// Deletes the trail's parts from before `before` (whole parts; never the newest), once an
/// `exported` line covers every line in them (or `force`), recording the prune first.
pub async fn prune(conn: &Connection, before: NaiveDate, force: bool, by: &str) -> Result<Pruned> {
    if before > Utc::now().date_naive() {
        return Err(Error::usage(format!("--before {before} is in the future; give a day up to today")));
    }
    let (parts, _) = read_parts(conn, None).await?;
    let old: Vec<&Part> = parts[..parts.len().saturating_sub(1)]
        .iter()
        .take_while(|p| match trail::Chunk::parse(&p.name) {
            Some(chunk) => chunk.day < before,
            None => last_at(p).is_none_or(|at| at.date_naive() < before),
        })
        .collect();
    if old.is_empty() {
        return Err(Error::failed(format!(
            "nothing to prune: no part of the trail (but the newest) holds only lines from before {before}"
        )));
    }
    let through = Head::after(&Head::genesis(), old.iter().flat_map(|p| p.lines.iter().map(String::as_str)));
    let exports: Vec<u64> = parts
        .iter()
        .flat_map(|p| &p.lines)
        .filter_map(|l| serde_json::from_str::<HistoryEvent>(l).ok())
        .filter(|e| e.event == EventKind::Exported)
        .filter_map(|e| exported_through(&e))
        .collect();
    let exported = exports.iter().any(|n| *n >= through.seq);
    if !exported && !force {
        return Err(Error::refused(format!(
            "refused: lines 1 to {} were never exported, and pruning removes them from the cluster for good",
            through.seq
        ))
        .with_hint(
            "run `kubectl supportaccess history --export FILE` first and keep FILE, or add --force".to_string(),
        ));
    }
    let how = match exported {
        true => "they were exported first".to_string(),
        false => "forced: they were not exported".to_string(),
    };
    let detail = trail::prune_detail(&through, &before.to_string(), &how);
    record(conn, &[HistoryEvent::policy(EventKind::Pruned, by, detail)]).await?;
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let mut deleted = Vec::new();
    for part in &old {
        match conn.call(api.delete(&part.name, &DeleteParams::default())).await {
            Ok(_) => deleted.push(part.name.clone()),
            Err(e) if e.is_not_found() => deleted.push(part.name.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok(Pruned { parts: deleted, through: through.seq, exported })
}

/// When a part's last readable line was written.
fn last_at(part: &Part) -> Option<chrono::DateTime<Utc>> {
    part.lines.iter().rev().find_map(|l| serde_json::from_str::<HistoryEvent>(l).ok()).map(|e| e.at)
}
