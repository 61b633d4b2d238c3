//! Integration tests: the real binary against a real control plane (tests/cluster/), directly
//! and through real kubectl. One control plane serves the whole run.

mod approval;
mod chart;
mod clusterroles;
mod common;
mod connection;
mod conventions;
mod distribution;
mod enforced;
mod faults;
mod fleet;
mod guards;
mod harness;
mod helm;
mod hostile;
mod hostile2;
mod identity;
mod owner;
mod ownership;
mod records;
mod requester;
mod state;
mod support;
mod teams;
mod trail;
