//! WebSphere server control: stop every JVM of the cell on this host in the documented order
//! (application servers, node agents, deployment manager), start them in reverse, and check
//! that they really are stopped.
//!
//! Everything goes through each profile's own `bin/` scripts (`stopServer.sh <server>`,
//! `stopNode.sh`, `stopManager.sh` and the `start*` twins) with the configured credentials,
//! and every result is verified through the server's PID file and the process table: the
//! scripts' word is never taken alone. A process is killed only when the administrator
//! allowed it (`force_kill`), and the report says so.
//!
//! The input is a small [`ControlTopology`] (profiles with their real paths and the servers each
//! one hosts), built from a discovered `Deployment` by [`ControlTopology::from_deployment`] or by
//! hand.

mod admu;
pub mod client_props;
mod control;
mod state;
mod status;
mod sync;
mod topology;
pub(crate) use topology::add_implied_server;

pub use admu::{admu_codes, classify, Verdict};
pub use control::{
    start_all, stop_all, ControlOptions, ControlReport, Operation, Outcome, RunAs, ServerError,
    ServerOutcome, StartReport, StopReport, WasCredentials,
};
pub use state::{server_state, verify_all_stopped, RunningServer, ServerState, StoppedHow};
pub use status::{check_credentials, CredentialCheck};
pub use sync::{
    dmgr_address, sync_nodes, DmgrAddress, DmgrAddressError, SyncError, SyncOutcome, SyncReport,
};
pub use topology::{ControlProfile, ControlServer, ControlTopology, ProfileKind, ServerKind};
