//! Databases from JDBC datasources: one entry per (vendor, host, port, database). Oracle
//! deployments use one database with one schema (the datasource's user) per application,
//! so their datasources fold into one entry listing the schemas.

use std::collections::BTreeMap;

use websphere::resources::{self, DataSource};
use websphere::security::SecurityConfig;

use crate::deployment::{Database, DbVendor};

/// The FileNet databases CCM adds.
const FILENET: &[&str] = &["FNGCD", "FNOS"];

fn vendor(v: resources::DbVendor) -> Option<DbVendor> {
    match v {
        resources::DbVendor::Db2 => Some(DbVendor::Db2),
        resources::DbVendor::Oracle => Some(DbVendor::Oracle),
        resources::DbVendor::SqlServer => Some(DbVendor::Sqlserver),
        // Derby is WebSphere's own embedded store; unknown vendors cannot be backed up.
        _ => None,
    }
}

/// The deduplicated databases, sorted by vendor, host, port and name.
pub(crate) fn from_datasources(sources: &[DataSource], security: &SecurityConfig) -> Vec<Database> {
    let mut dbs: BTreeMap<(DbVendor, String, Option<u16>, String), Database> = BTreeMap::new();
    for ds in sources {
        let Some(vendor) = vendor(ds.vendor) else {
            continue;
        };
        let end = ds.endpoint();
        let Some(name) = end.database.clone() else {
            continue;
        };
        let host_key = end.host.clone().unwrap_or_default().to_ascii_lowercase();
        let key = (vendor, host_key, end.port, name.to_ascii_uppercase());
        let db = dbs.entry(key).or_insert_with(|| Database {
            name: name.clone(),
            vendor,
            host: end.host.clone(),
            port: end.port,
            schemas: Vec::new(),
            datasources: Vec::new(),
        });
        if !db.datasources.contains(&ds.name) {
            db.datasources.push(ds.name.clone());
        }
        if vendor == DbVendor::Oracle {
            let user = ds
                .auth_data_alias
                .as_deref()
                .or(ds.container_auth_alias.as_deref())
                .and_then(|a| security.auth_data(a))
                .map(|a| a.user_id.to_ascii_uppercase());
            if let Some(user) = user {
                if !db.schemas.contains(&user) {
                    db.schemas.push(user);
                }
            }
        }
    }
    dbs.into_values()
        .map(|mut d| {
            d.schemas.sort();
            d.datasources.sort();
            d
        })
        .collect()
}

/// The FileNet databases (or, on Oracle, schemas) present: `FNGCD`, `FNOS`.
pub(crate) fn filenet_databases(dbs: &[Database]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for db in dbs {
        let mut names = vec![db.name.to_ascii_uppercase()];
        names.extend(db.schemas.iter().cloned());
        names.extend(db.datasources.iter().map(|d| d.to_ascii_uppercase()));
        for fnet in FILENET {
            if names.iter().any(|n| n.starts_with(fnet)) && !out.iter().any(|o| o == fnet) {
                out.push((*fnet).to_string());
            }
        }
    }
    out.sort();
    out
}
