//! `sweep`: delete expired and untrusted requests, record bindings removed by someone else, and
//! report foreign grants (never deleted).

use chrono::Utc;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::cluster::{Connection, Target};
use crate::error::Result;
use crate::output::print_structured;
use crate::record::{Grants, Scan};
use crate::sweep::{HistoryFirst, describe, sweep};

pub async fn run(global: &GlobalArgs) -> Result<()> {
    let conn = Connection::open(global, &Target::default()).await?;
    let history = HistoryFirst::read(&conn).await?;
    let grants = Grants::read(&conn, Scan::All).await?;
    let report = sweep(&conn, &grants, Some(&history), Utc::now()).await?;
    let unreported: Vec<_> = grants.invalid.iter().filter(|g| !g.managed).cloned().collect();
    crate::census::warn_untrusted(&unreported, &grants.foreign);
    match global.output {
        Some(format @ (OutputFormat::Json | OutputFormat::Yaml)) => {
            print_structured(&serde_json::json!({ "sweep": report, "foreignGrants": grants.foreign }), format)
        }
        _ => {
            println!("{}", describe(&report));
            Ok(())
        }
    }
}
