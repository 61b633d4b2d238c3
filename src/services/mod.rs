//! What the product does, over the cluster layer: the census of the records, approval, the
//! lifecycle of a request, the parties, the roles, the admission guards, the proofs, the sweep,
//! the supervision of `exec`, and the fleet that runs a command on many clusters.

pub mod admission;
pub mod approval;
pub mod audit;
pub mod capabilities;
pub mod census;
pub mod complete;
pub mod enablement;
pub mod enforce;
pub mod fleet;
pub mod lifecycle;
pub mod live;
pub mod prompt;
pub mod proof;
pub mod requesters;
pub mod requesting;
pub mod roles;
pub mod status;
pub mod supervise;
pub mod support_shell;
pub mod sweep;
pub mod verify;
pub mod watch;
