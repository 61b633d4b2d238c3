//! `history`: the audit trail, oldest first.

use chrono::Utc;

use crate::base::duration::{before, parse_duration};
use crate::base::error::{Error, Result};
use crate::cli::{GlobalArgs, HistoryArgs, OutputFormat};
use crate::cluster::history::read;
use crate::cluster::{Connection, Target};
use crate::output::{self, relative, rfc3339};
use crate::services::fleet::{Outcome, Plan};
use crate::state::history::{HistoryEvent, describe};
use serde::Serialize;

pub async fn run(global: &GlobalArgs, args: &HistoryArgs) -> Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_duration(text).map_err(|e| Error::usage(format!("--since: {e}"))))
        .transpose()?;
    if args.verify || args.export.is_some() || args.prune {
        if args.fleet.selected() {
            return Err(Error::usage(
                "--verify, --export and --prune act on one cluster: leave out --contexts/--all-contexts",
            ));
        }
        return audit(&Connection::open(global, &Target::default()).await?, global, args).await;
    }
    if args.fleet.selected() {
        return crate::services::fleet::run(
            global,
            &args.fleet,
            Plan { command: "history", destructive: None },
            |conn| async move { Ok(Trail { events: events(&conn, since).await? }) },
        )
        .await;
    }
    let events = events(&Connection::open(global, &Target::default()).await?, since).await?;
    let now = Utc::now();
    match global.output.clone().unwrap_or(OutputFormat::Text) {
        OutputFormat::Text => {
            if events.is_empty() {
                crate::outln!("No history events.");
            }
            for event in &events {
                crate::outln!("{}", describe(event));
            }
        }
        format @ (OutputFormat::Table | OutputFormat::Wide) => {
            let wide = format == OutputFormat::Wide;
            let mut header = vec!["AT", "WHEN", "EVENT", "ID", "ROLE", "REQUESTOR", "BY", "DETAIL"];
            if wide {
                header.extend(["REQUESTED BY", "REASON"]);
            }
            let mut table = output::table(&header);
            for e in &events {
                let mut row = vec![
                    rfc3339(e.at),
                    relative(e.at, now),
                    e.event.name(),
                    e.id.clone().unwrap_or_default(),
                    e.role.clone().unwrap_or_default(),
                    e.requestor.clone().unwrap_or_default(),
                    e.by.clone(),
                    e.detail.clone(),
                ];
                if wide {
                    row.extend([e.requested_by.clone().unwrap_or_default(), e.reason.clone().unwrap_or_default()]);
                }
                table.add_row(output::row(row));
            }
            crate::outln!("{table}");
        }
        format => {
            let items = events.iter().filter_map(|e| serde_json::to_value(e).ok()).collect();
            output::print_listing(&events, Some(output::Items { kind: "request", key: "id", items }), &format)?
        }
    }
    Ok(())
}

/// `--verify`, `--export`, `--prune`.
async fn audit(conn: &Connection, global: &GlobalArgs, args: &HistoryArgs) -> Result<()> {
    let structured = global.output.as_ref().filter(|f| f.is_structured());
    if args.verify {
        let report = crate::services::audit::verify(conn, args.against.as_deref()).await?;
        match structured {
            Some(format) => output::print_structured(&report, format)?,
            None => crate::outln!("{}", report.describe()),
        }
        return report.result();
    }
    let by = conn.whoami().await?;
    if let Some(path) = &args.export {
        let exported = crate::services::audit::export(conn, path, &by).await?;
        return match structured {
            Some(format) => output::print_structured(&exported, format),
            None => {
                crate::outln!(
                    "Exported {} line(s) of the trail (head {}) to {}.",
                    exported.lines,
                    &exported.head[..12],
                    output::terminal(&exported.file)
                );
                Ok(())
            }
        };
    }
    let before = args.before.as_deref().unwrap_or_default();
    let day = chrono::NaiveDate::parse_from_str(before, "%Y-%m-%d")
        .map_err(|_| Error::usage(format!("--before {}: give a day as YYYY-MM-DD", output::terminal(before))))?;
    let pruned = crate::services::audit::prune(conn, day, args.force, &by).await?;
    match structured {
        Some(format) => output::print_structured(&pruned, format),
        None => {
            crate::outln!(
                "Pruned lines 1 to {} of the trail ({} part(s) from before {day}); the trail records it.",
                pruned.through,
                pruned.parts.len()
            );
            Ok(())
        }
    }
}

/// One cluster's trail, for a fleet's summary.
#[derive(Serialize)]
struct Trail {
    events: Vec<HistoryEvent>,
}

impl Outcome for Trail {
    fn detail(&self) -> String {
        match self.events.last() {
            Some(last) => format!("{} event(s); last: {}", self.events.len(), describe(last)),
            None => "no history events".into(),
        }
    }
}

/// The trail of one cluster, oldest first, only what is newer than `since`.
async fn events(conn: &Connection, since: Option<std::time::Duration>) -> Result<Vec<HistoryEvent>> {
    // An audit reads and changes nothing; its cost follows the parts it reads (`get` and `sweep`
    // sweep).
    // Bounded at a year, so never before the calendar's start; if it were, nothing is cut.
    let (events, unreadable) = read(conn, since.and_then(|since| before(Utc::now(), since))).await?;
    for problem in &unreadable {
        output::warn(&format!("a history line does not parse and is skipped: {problem}"));
    }
    Ok(events)
}
