//! A backup set of a cell over several hosts: the set document (which hosts the cell has,
//! what each holds, who backs up the shared data and the databases) and the proof that a
//! set is whole ([`check_set`]).
//!
//! The set document is planned once, from the cell's topology as the deployment manager's
//! host discovers it ([`SetDocument::plan`]): every node with its host name, the web
//! servers' hosts, the host named for the shared data and the one for the databases. Each
//! host then backs up what lives on it into its own snapshot tagged `set:<ID>` (a
//! *member*); [`SetMember::from_manifest`] reads what a member holds from its manifest.
//! [`check_set`] compares the two: every host has a COMPLETE member, the shared data and the
//! databases are held exactly once and where the document says, every member saw the same
//! Connections version, and every member's capture lies inside the cell-wide stop.

mod check;
mod document;
mod store;

pub use check::{check_set, SetProblem, SetVerdict};
pub use document::{
    same_host, CellStop, SetDatabase, SetDocument, SetHost, SetHostRole, SetMember,
    SET_DOCUMENT_VERSION,
};
pub use store::{
    load_members, load_role_mappings, load_set, prove_set, record_plan, record_role_mappings,
    record_servers, CellSetError, ServersOperation, ServersRecord, SetRoleMappings, PLAN_RECORD,
    ROLE_MAPPINGS_RECORD, SERVERS_RECORD,
};
