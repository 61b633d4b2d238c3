//! Rendering shared by the commands: times (RFC3339 UTC, relative), JSON/YAML, tables.

use std::io::IsTerminal;

use chrono::{DateTime, SecondsFormat, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::error::{Error, Result};

/// RFC3339, UTC, seconds precision, `Z` suffix — the state format's time spelling.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// "in 3h12m", "5m ago", "now".
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    let span = compact_span(seconds.unsigned_abs());
    match seconds {
        0 => "now".to_string(),
        s if s > 0 => format!("in {span}"),
        _ => format!("{span} ago"),
    }
}

fn compact_span(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m}m"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

/// Prints a value as JSON or YAML.
pub fn print_structured<T: Serialize>(value: &T, format: OutputFormat) -> Result<()> {
    let text = match format {
        OutputFormat::Json => serde_json::to_string_pretty(value).map(|s| s + "\n").map_err(|e| e.to_string()),
        OutputFormat::Yaml => serde_yaml::to_string(value).map_err(|e| e.to_string()),
        OutputFormat::Text | OutputFormat::Table => {
            unreachable!("only structured formats are printed here")
        }
    }
    .map_err(|e| Error::failed(format!("cannot render the output: {e}")))?;
    print!("{text}");
    Ok(())
}

/// A table in the house style.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(header.to_vec());
    if !stdout_is_tty() {
        table.force_no_tty();
    }
    table
}

pub fn stdout_is_tty() -> bool {
    std::io::stdout().is_terminal()
}

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

/// Colour only on a terminal and never with `NO_COLOR`.
pub fn stderr_wants_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints a warning to stderr.
pub fn warn(message: &str) {
    if stderr_wants_color() {
        eprintln!("\x1b[33mwarning:\x1b[0m {message}");
    } else {
        eprintln!("warning: {message}");
    }
}

/// A spinner on stderr while waiting, only on a terminal.
pub struct Spinner {
    stop: Option<(std::sync::Arc<std::sync::atomic::AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Spinner {
    pub fn start(message: &str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner { stop: None };
        }
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let running = flag.clone();
        let message = message.to_string();
        let thread = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut frame = 0;
            while !running.load(std::sync::atomic::Ordering::Relaxed) {
                eprint!("\r{} {message}", frames[frame % frames.len()]);
                frame += 1;
                std::thread::sleep(std::time::Duration::from_millis(80));
            }
            eprint!("\r\x1b[2K");
        });
        Spinner { stop: Some((flag, thread)) }
    }

    pub fn stop(self) {
        if let Some((flag, thread)) = self.stop {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn times_are_rfc3339_utc_seconds_with_z() {
        assert_eq!(rfc3339(at("2026-03-30T23:12:53.734Z")), "2026-03-30T23:12:53Z");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(relative(at("2026-01-01T03:12:00Z"), now), "in 3h12m");
        assert_eq!(relative(at("2025-12-31T23:55:00Z"), now), "5m ago");
        assert_eq!(relative(at("2026-01-01T00:00:40Z"), now), "in 40s");
        assert_eq!(relative(at("2026-01-03T05:00:00Z"), now), "in 2d5h");
        assert_eq!(relative(now, now), "now");
    }
}
