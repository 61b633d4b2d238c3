//! `history`: the audit trail, oldest first.

use chrono::Utc;

use crate::cli::{GlobalArgs, HistoryArgs, OutputFormat};
use crate::cluster::{Connection, Target};
use crate::duration::{before, parse_duration};
use crate::error::{Error, Result};
use crate::history::{describe, read};
use crate::output::{self, print_structured, relative, rfc3339};

pub async fn run(global: &GlobalArgs, args: &HistoryArgs) -> Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|text| parse_duration(text).map_err(|e| Error::usage(format!("--since: {e}"))))
        .transpose()?;
    let conn = Connection::open(global, &Target::default()).await?;
    crate::sweep::lazy(&conn).await?;
    let (mut events, unreadable) = read(&conn).await?;
    for problem in &unreadable {
        output::warn(&format!("a history line does not parse and is skipped: {problem}"));
    }
    let now = Utc::now();
    // Bounded at a year, so never before the calendar's start; if it were, nothing is cut.
    if let Some(cutoff) = since.and_then(|since| before(now, since)) {
        events.retain(|e| e.at >= cutoff);
    }
    match global.output.unwrap_or(OutputFormat::Text) {
        OutputFormat::Text => {
            if events.is_empty() {
                println!("No history events.");
            }
            for event in &events {
                println!("{}", describe(event));
            }
        }
        OutputFormat::Table => {
            let mut table = output::table(&["AT", "WHEN", "EVENT", "ID", "ROLE", "REQUESTOR", "BY", "DETAIL"]);
            for e in &events {
                table.add_row(output::row([
                    rfc3339(e.at),
                    relative(e.at, now),
                    e.event.name(),
                    e.id.clone().unwrap_or_default(),
                    e.role.clone().unwrap_or_default(),
                    e.requestor.clone().unwrap_or_default(),
                    e.by.clone(),
                    e.detail.clone(),
                ]));
            }
            println!("{table}");
        }
        format => print_structured(&events, format)?,
    }
    Ok(())
}
