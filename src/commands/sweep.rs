//! `sweep`: delete expired and untrusted requests, record bindings removed by someone else, and
//! report foreign grants (never deleted).

use chrono::Utc;

use serde::Serialize;

use crate::base::error::Result;
use crate::cli::{GlobalArgs, SweepArgs};
use crate::cluster::{Connection, Target};
use crate::output::print_structured;
use crate::services::census::{Grants, Scan};
use crate::services::fleet::{Outcome, Plan};
use crate::services::sweep::{HistoryFirst, SweepReport, describe, sweep};
use crate::state::record::ForeignGrant;

/// What `sweep` did on one cluster.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Swept {
    sweep: SweepReport,
    foreign_grants: Vec<ForeignGrant>,
}

impl Outcome for Swept {
    fn detail(&self) -> String {
        let foreign = match self.foreign_grants.len() {
            0 => String::new(),
            n => format!("; {n} foreign grant(s) left alone"),
        };
        format!("{}{foreign}", describe(&self.sweep))
    }
}

pub async fn run(global: &GlobalArgs, args: &SweepArgs) -> Result<()> {
    if args.fleet.selected() {
        return crate::services::fleet::run(
            global,
            &args.fleet,
            Plan { command: "sweep", destructive: None },
            sweep_one,
        )
        .await;
    }
    let conn = Connection::open(global, &Target::default()).await?;
    let swept = sweep_one(conn).await?;
    match &global.output {
        Some(format) if format.is_structured() => print_structured(&swept, format),
        _ => {
            crate::outln!("{}", describe(&swept.sweep));
            Ok(())
        }
    }
}

async fn sweep_one(conn: Connection) -> Result<Swept> {
    let history = HistoryFirst::read(&conn).await?;
    let grants = Grants::read(&conn, Scan::All).await?;
    let mut report = sweep(&conn, &grants, Some(&history), Utc::now()).await?;
    report.sealed = crate::services::sweep::seal_trail(&conn).await?;
    let unreported: Vec<_> = grants.invalid.iter().filter(|g| !g.managed).cloned().collect();
    crate::services::census::warn_untrusted(&unreported, &grants.foreign);
    Ok(Swept { sweep: report, foreign_grants: grants.foreign })
}
