//! Readers for WebSphere Application Server ND configuration files.
//!
//! `websphere` owns the parsing of profile registries, cell/node/server configuration,
//! security and file-registry documents, variables, JDBC resources, application bindings and
//! PID files, and the [`Sysroot`] seam through which every product path is read. It is pure
//! reading: it must never depend on Connections knowledge (`connections`, `runbook`) or on the
//! repository engine (`vault`), and it never writes or runs anything.
//!
//! Every reader comes in two forms: a pure `parse_*` function over the file's bytes (which
//! takes the file's product path only to name it in errors), and a `read_*` convenience
//! that reads the file through a [`Sysroot`]. Errors are [`ReadError`]s naming the file by
//! its product path and, for parse errors, the line. Secrets (`{xor}` passwords) are
//! decoded only into [`Secret`]s, which never print their value.

pub mod app_bindings;
pub mod cluster;
pub mod config_tree;
pub mod error;
pub mod file_registry;
pub mod pid;
pub mod profile_key;
pub mod profile_registry;
pub mod properties;
pub mod resources;
pub mod secret;
pub mod security;
pub mod server;
pub mod serverindex;
pub mod sysroot;
pub mod variables;
pub mod wimconfig;
mod xml;

pub use crate::secret::{xor_decode, xor_encode, Password, Secret, XorDecodeError, MASK};
pub use app_bindings::{
    parse_application_bnd_xmi, parse_application_bnd_xml, parse_application_xml_roles,
    read_application_role_mappings, read_cell_role_mappings, resolve_role_refs,
    ApplicationRoleMappings, CellRoleMappings, RoleMapping, SecurityRoleDef, Subject, BINDING_XMI,
    BINDING_XML,
};
pub use cluster::{parse_cluster_xml, read_cluster_xml, ClusterConfig, ClusterMember};
pub use config_tree::{read_config_tree, CellLayout, ConfigScope, ConfigTree, NodeLayout};
pub use error::ReadError;
pub use file_registry::{
    is_local_file_registry_user, parse_file_registry, read_file_registry, FileRegistry,
    FileRegistryGroup, FileRegistryUser, FILE_REALM_BASE_ENTRY,
};
pub use pid::{
    parse_pid_file, pid_file_path, process_state, process_state_in, read_pid_file, ProcessState,
};
pub use profile_key::{
    parse_port_definitions, parse_profile_key, read_port_definitions, read_profile_key, ProfileKey,
    ProfileType, PORTDEF_RELATIVE, PROFILE_KEY_RELATIVE,
};
pub use profile_registry::{
    parse_profile_registry, profile_registry_path, read_profile_registry, ProfileEntry,
    PROFILE_REGISTRY_RELATIVE,
};
pub use properties::{parse_properties, read_properties, Properties};
pub use resources::{
    parse_jdbc_url, parse_resources, read_resources, DataSource, DbEndpoint, DbVendor,
    JdbcProvider, Resources, MAX_KEPT_PROPERTY_LEN,
};
pub use security::{parse_security_xml, read_security_xml, AuthData, SecurityConfig, UserRegistry};
pub use server::{parse_server_xml, read_server_xml, ServerConfig, WebServerInfo};
pub use serverindex::{
    application_name, parse_serverindex, read_serverindex, Endpoint, ServerEntry, ServerIndex,
    ServerType,
};
pub use sysroot::{DirEntryInfo, Sysroot, SysrootError};
pub use variables::{
    parse_variables, read_scoped_variables, read_variables, VariableDefinition, VariableEntry,
    VariableError, Variables,
};
pub use wimconfig::{
    parse_wimconfig, read_wimconfig, LdapServer, RepositoryKind, WimConfig, WimRealm, WimRepository,
};
