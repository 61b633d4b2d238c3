//! The floor: errors, durations, text checks, retries and kubectl's JSONPath. Plain code that
//! knows nothing of support access, the cluster or the terminal.

pub mod duration;
pub mod error;
pub mod jsonpath;
pub mod process;
pub mod retry;
pub mod text;
