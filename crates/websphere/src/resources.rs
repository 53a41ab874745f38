//! `resources.xml` JDBC providers and datasources, read with a streaming parser.
//!
//! Real `resources.xml` files carry multi-megabyte payloads (embedded XML documents, zip
//! files) in `resourceProperties` values. The reader therefore never builds a tree: it
//! walks quick-xml events over the borrowed input, looks at attributes only on the few
//! elements it cares about, and unescapes a property value only when it keeps it.

use std::collections::BTreeMap;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{decode_text, describe_xml_error, local_part, resolve_reference, LineCounter};

/// Property values longer than this are not kept in [`DataSource::properties`] (they are
/// payloads, not connection settings).
pub const MAX_KEPT_PROPERTY_LEN: usize = 1024;

/// Database vendor, guessed from the provider type, implementation class, helper class
/// or URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbVendor {
    /// IBM DB2.
    Db2,
    /// Oracle.
    Oracle,
    /// Microsoft SQL Server.
    SqlServer,
    /// Apache Derby (WAS's embedded default datasources).
    Derby,
    /// Anything else.
    Unknown,
}

impl DbVendor {
    /// Guesses the vendor from any descriptive string (provider type, class name, URL).
    pub fn guess(hint: &str) -> DbVendor {
        let h = hint.to_ascii_lowercase();
        if h.contains("db2") {
            DbVendor::Db2
        } else if h.contains("oracle") {
            DbVendor::Oracle
        } else if h.contains("sqlserver") || h.contains("sql server") || h.contains("microsoft") {
            DbVendor::SqlServer
        } else if h.contains("derby") || h.contains("cloudscape") {
            DbVendor::Derby
        } else {
            DbVendor::Unknown
        }
    }
}

/// A `resources.jdbc:JDBCProvider`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JdbcProvider {
    /// `name`.
    pub name: String,
    /// `xmi:id`.
    pub id: Option<String>,
    /// `providerType` (`DB2 Universal JDBC Driver Provider`).
    pub provider_type: Option<String>,
    /// `implementationClassName`.
    pub implementation_class: Option<String>,
    /// `xa="true"`.
    pub xa: bool,
    /// `classpath` entries as written (may hold `${VARS}`).
    pub classpath: Vec<String>,
    /// Line of the element.
    pub line: u64,
}

/// A datasource (`factories xmi:type="resources.jdbc:DataSource"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    /// `name`.
    pub name: String,
    /// `jndiName` (`jdbc/profiles`).
    pub jndi_name: Option<String>,
    /// Name of the enclosing JDBC provider.
    pub provider: Option<String>,
    /// Vendor guessed from provider, helper class and URL.
    pub vendor: DbVendor,
    /// `authDataAlias` (component-managed alias).
    pub auth_data_alias: Option<String>,
    /// `mapping/@authDataAlias` (container-managed alias).
    pub container_auth_alias: Option<String>,
    /// `xaRecoveryAuthAlias`.
    pub xa_recovery_alias: Option<String>,
    /// `datasourceHelperClassname`.
    pub helper_class: Option<String>,
    /// `databaseName` property.
    pub database_name: Option<String>,
    /// `serverName` property.
    pub server_name: Option<String>,
    /// `portNumber` property, when it is a valid port (the raw value stays in `properties`).
    pub port_number: Option<u16>,
    /// `URL` property (Oracle).
    pub url: Option<String>,
    /// Every short, non-secret property (values up to [`MAX_KEPT_PROPERTY_LEN`] bytes;
    /// names containing "password" are never kept).
    pub properties: BTreeMap<String, String>,
    /// Line of the element.
    pub line: u64,
}

/// Host, port and database of a datasource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbEndpoint {
    /// Database host.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Database name, Oracle SID or service name.
    pub database: Option<String>,
}

impl DataSource {
    /// Where the database is: from `serverName`/`portNumber`/`databaseName`, completed
    /// from the `URL` property when those are missing.
    pub fn endpoint(&self) -> DbEndpoint {
        let from_url = self.url.as_deref().and_then(parse_jdbc_url);
        let url = from_url.as_ref();
        DbEndpoint {
            host: self
                .server_name
                .clone()
                .or_else(|| url.and_then(|u| u.host.clone())),
            port: self.port_number.or_else(|| url.and_then(|u| u.port)),
            database: self
                .database_name
                .clone()
                .or_else(|| url.and_then(|u| u.database.clone())),
        }
    }
}

/// Parses the JDBC URL forms WebSphere datasources use: Oracle thin
/// (`jdbc:oracle:thin:@host:port:SID`, `@//host:port/service`, `@host:port/service`),
/// DB2 (`jdbc:db2://host:port/DB`) and SQL Server
/// (`jdbc:sqlserver://host:port;databaseName=DB`). Oracle `(DESCRIPTION=...)` URLs yield
/// whatever `HOST`, `PORT` and `SERVICE_NAME`/`SID` they contain.
pub fn parse_jdbc_url(url: &str) -> Option<DbEndpoint> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if let Some(pos) = lower
        .find('@')
        .filter(|_| lower.starts_with("jdbc:oracle:"))
    {
        let rest = &url[pos + 1..];
        if rest.trim_start().starts_with('(') {
            return Some(DbEndpoint {
                host: descriptor_value(rest, "HOST"),
                port: descriptor_value(rest, "PORT").and_then(|p| p.parse().ok()),
                database: descriptor_value(rest, "SERVICE_NAME")
                    .or_else(|| descriptor_value(rest, "SID")),
            });
        }
        let rest = rest.trim_start_matches("//");
        let (hostport, db) = match rest.split_once('/') {
            Some((hp, db)) => (hp, Some(db)),
            None => match rest.rsplitn(2, ':').collect::<Vec<_>>().as_slice() {
                [sid, hp] if hp.contains(':') => (*hp, Some(*sid)),
                _ => (rest, None),
            },
        };
        let (host, port) = split_host_port(hostport);
        return Some(DbEndpoint {
            host,
            port,
            database: db.map(str::to_string).filter(|d| !d.is_empty()),
        });
    }
    for prefix in ["jdbc:db2://", "jdbc:sqlserver://", "jdbc:derby://"] {
        if lower.starts_with(prefix) {
            let rest = &url[prefix.len()..];
            let (main, params) = rest.split_once(';').unwrap_or((rest, ""));
            let (hostport, db) = main.split_once('/').unwrap_or((main, ""));
            let (host, port) = split_host_port(hostport);
            let db = if db.is_empty() {
                params
                    .split(';')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("databaseName"))
                    .map(|(_, v)| v.trim().to_string())
            } else {
                Some(db.trim_end_matches(':').to_string())
            };
            return Some(DbEndpoint {
                host,
                port,
                database: db.filter(|d| !d.is_empty()),
            });
        }
    }
    None
}

fn split_host_port(hp: &str) -> (Option<String>, Option<u16>) {
    let hp = hp.trim();
    match hp.rsplit_once(':') {
        Some((h, p)) => (
            Some(h.to_string()).filter(|h| !h.is_empty()),
            p.trim().parse().ok(),
        ),
        None => (Some(hp.to_string()).filter(|h| !h.is_empty()), None),
    }
}

fn descriptor_value(desc: &str, key: &str) -> Option<String> {
    let upper = desc.to_ascii_uppercase();
    let needle = format!("({key}");
    let mut from = 0;
    while let Some(found) = upper[from..].find(&needle) {
        let start = from + found + needle.len();
        let after = upper[start..].trim_start();
        if let Some(value_part) = after.strip_prefix('=') {
            let offset = desc.len() - value_part.len();
            let end = desc[offset..].find(')').map_or(desc.len(), |e| offset + e);
            return Some(desc[offset..end].trim().to_string());
        }
        from = start;
    }
    None
}

/// The JDBC resources of one `resources.xml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// JDBC providers in file order.
    pub providers: Vec<JdbcProvider>,
    /// Datasources in file order.
    pub datasources: Vec<DataSource>,
}

struct Attrs<'a> {
    pairs: Vec<(&'a str, std::borrow::Cow<'a, str>)>,
}

impl Attrs<'_> {
    fn raw(&self, local: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| local_part(k) == local)
            .map(|(_, v)| v.as_ref())
    }
}

/// Collects raw (still escaped) attribute values of a start tag.
fn raw_attrs<'a>(
    start: &'a BytesStart<'_>,
    file: &Path,
    line: u64,
) -> Result<Attrs<'a>, ReadError> {
    let mut pairs = Vec::new();
    for a in start.attributes() {
        let a =
            a.map_err(|_| ReadError::parse(file, Some(line), "malformed or duplicate attribute"))?;
        pairs.push((a.key.0, a.value));
    }
    Ok(Attrs { pairs })
}

/// Unescapes one attribute value.
fn unescape(raw: &str, file: &Path, line: u64, what: &str) -> Result<String, ReadError> {
    quick_xml::escape::unescape(raw)
        .map(|c| c.into_owned())
        .map_err(|_| {
            ReadError::parse(
                file,
                Some(line),
                format!("{what}: invalid entity or character reference"),
            )
        })
}

fn opt(raw: Option<&str>, file: &Path, line: u64, what: &str) -> Result<Option<String>, ReadError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => unescape(v, file, line, what).map(Some),
        None => Ok(None),
    }
}

#[derive(PartialEq)]
enum Inside {
    Nothing,
    Classpath,
}

/// Parses a `resources.xml`, keeping JDBC providers and datasources. Malformed or
/// truncated XML is an error naming the file and line.
pub fn parse_resources(input: &[u8], file: &Path) -> Result<Resources, ReadError> {
    let text = decode_text(input, file, false)?;
    let mut reader = Reader::from_str(&text);
    let mut lines = LineCounter::new(&text);
    let mut out = Resources::default();
    let mut depth = 0usize;
    let mut open_names: Vec<(usize, u64)> = Vec::new(); // (start offset of name, line) for truncation reports
    let mut provider_depth: Option<usize> = None;
    let mut ds_depth: Option<usize> = None;
    let mut current_ds: Option<DataSource> = None;
    let mut inside = Inside::Nothing;
    let mut saw_root = false;
    loop {
        let before = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            ReadError::parse(
                file,
                Some(lines.line_at(reader.error_position())),
                describe_xml_error(&e),
            )
        })?;
        match event {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let is_start = matches!(event, Event::Start(_));
                if depth == 0 && saw_root {
                    return Err(ReadError::parse(
                        file,
                        Some(lines.line_at(before)),
                        "content after the root element",
                    ));
                }
                saw_root = true;
                let qname = s.name();
                let local = local_part(qname.as_ref());
                match local {
                    "JDBCProvider" => {
                        let line = lines.line_at(before);
                        let a = raw_attrs(s, file, line)?;
                        let name = opt(a.raw("name"), file, line, "name")?.ok_or_else(|| {
                            ReadError::parse(file, Some(line), "JDBCProvider without a name")
                        })?;
                        out.providers.push(JdbcProvider {
                            name,
                            id: opt(a.raw("id"), file, line, "xmi:id")?,
                            provider_type: opt(a.raw("providerType"), file, line, "providerType")?,
                            implementation_class: opt(
                                a.raw("implementationClassName"),
                                file,
                                line,
                                "implementationClassName",
                            )?,
                            xa: a
                                .raw("xa")
                                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
                            classpath: Vec::new(),
                            line,
                        });
                        if is_start {
                            provider_depth = Some(depth);
                        }
                    }
                    "factories" if current_ds.is_none() => {
                        let line = lines.line_at(before);
                        let a = raw_attrs(s, file, line)?;
                        let is_ds = a
                            .raw("type")
                            .map(local_part)
                            .is_some_and(|t| t == "DataSource" || t == "WAS40DataSource");
                        if is_ds {
                            let name =
                                opt(a.raw("name"), file, line, "name")?.ok_or_else(|| {
                                    ReadError::parse(file, Some(line), "DataSource without a name")
                                })?;
                            let provider = provider_depth.and_then(|_| out.providers.last());
                            let ds = DataSource {
                                name,
                                jndi_name: opt(a.raw("jndiName"), file, line, "jndiName")?,
                                provider: provider.map(|p| p.name.clone()),
                                vendor: DbVendor::Unknown,
                                auth_data_alias: opt(
                                    a.raw("authDataAlias"),
                                    file,
                                    line,
                                    "authDataAlias",
                                )?,
                                container_auth_alias: None,
                                xa_recovery_alias: opt(
                                    a.raw("xaRecoveryAuthAlias"),
                                    file,
                                    line,
                                    "xaRecoveryAuthAlias",
                                )?,
                                helper_class: opt(
                                    a.raw("datasourceHelperClassname"),
                                    file,
                                    line,
                                    "datasourceHelperClassname",
                                )?,
                                database_name: None,
                                server_name: None,
                                port_number: None,
                                url: None,
                                properties: BTreeMap::new(),
                                line,
                            };
                            if is_start {
                                current_ds = Some(ds);
                                ds_depth = Some(depth);
                            } else {
                                out.datasources.push(finish(ds, &out.providers));
                            }
                        }
                    }
                    "resourceProperties" if current_ds.is_some() => {
                        let a = raw_attrs(s, file, lines.line_at(before))?;
                        if let (Some(ds), Some(name)) = (current_ds.as_mut(), a.raw("name")) {
                            let name = name.trim();
                            let keep = !name.to_ascii_lowercase().contains("password");
                            let value = a.raw("value").unwrap_or_default();
                            if keep && value.len() <= MAX_KEPT_PROPERTY_LEN {
                                let line = lines.line_at(before);
                                let name = unescape(name, file, line, "resourceProperties name")?;
                                let value =
                                    unescape(value, file, line, &format!("property {name}"))?;
                                ds.properties.insert(name, value);
                            }
                        }
                    }
                    "mapping" if current_ds.is_some() => {
                        let line = lines.line_at(before);
                        let a = raw_attrs(s, file, line)?;
                        let alias = opt(a.raw("authDataAlias"), file, line, "authDataAlias")?;
                        if let Some(ds) = current_ds.as_mut() {
                            ds.container_auth_alias = alias;
                        }
                    }
                    "classpath" if provider_depth.is_some() && current_ds.is_none() && is_start => {
                        inside = Inside::Classpath;
                        if let Some(p) = out.providers.last_mut() {
                            p.classpath.push(String::new());
                        }
                    }
                    _ => {}
                }
                if is_start {
                    open_names.push((
                        usize::try_from(before).unwrap_or(usize::MAX),
                        lines.line_at(before),
                    ));
                    depth += 1;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                open_names.pop();
                inside = Inside::Nothing;
                if ds_depth == Some(depth) {
                    ds_depth = None;
                    if let Some(ds) = current_ds.take() {
                        out.datasources.push(finish(ds, &out.providers));
                    }
                }
                if provider_depth == Some(depth) {
                    provider_depth = None;
                }
            }
            Event::Text(t) if inside == Inside::Classpath => {
                if let Some(entry) = out
                    .providers
                    .last_mut()
                    .and_then(|p| p.classpath.last_mut())
                {
                    entry.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if inside == Inside::Classpath => {
                let line = lines.line_at(before);
                let ch = resolve_reference(&r.into_inner()).ok_or_else(|| {
                    ReadError::parse(file, Some(line), "unknown entity or character reference")
                })?;
                if let Some(entry) = out
                    .providers
                    .last_mut()
                    .and_then(|p| p.classpath.last_mut())
                {
                    entry.push(ch);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(&(offset, line)) = open_names.last() {
        let name: String = text
            .get(offset + 1..)
            .unwrap_or_default()
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .take(80)
            .collect();
        let end_line = lines.line_at(text.len() as u64);
        return Err(ReadError::parse(
            file,
            Some(end_line),
            format!("file ends inside <{name}> opened at line {line} (truncated?)"),
        ));
    }
    if !saw_root {
        return Err(ReadError::parse(
            file,
            None,
            "no root element (empty file?)",
        ));
    }
    for p in &mut out.providers {
        for c in &mut p.classpath {
            *c = c.trim().to_string();
        }
        p.classpath.retain(|c| !c.is_empty());
    }
    Ok(out)
}

/// Fills the typed fields of a datasource from its properties and provider.
fn finish(mut ds: DataSource, providers: &[JdbcProvider]) -> DataSource {
    let prop = |k: &str| {
        ds.properties
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    ds.database_name = prop("databaseName");
    ds.server_name = prop("serverName");
    ds.port_number = prop("portNumber").and_then(|p| p.parse().ok());
    ds.url = prop("URL").or_else(|| prop("url"));
    let provider = ds
        .provider
        .as_ref()
        .and_then(|name| providers.iter().find(|p| &p.name == name));
    let hints = [
        provider.and_then(|p| p.provider_type.clone()),
        provider.and_then(|p| p.implementation_class.clone()),
        ds.helper_class.clone(),
        ds.url.clone(),
        provider.map(|p| p.name.clone()),
    ];
    ds.vendor = hints
        .iter()
        .flatten()
        .map(|h| DbVendor::guess(h))
        .find(|v| *v != DbVendor::Unknown)
        .unwrap_or(DbVendor::Unknown);
    ds
}

/// Reads a `resources.xml` at a product path through the sysroot.
pub fn read_resources(sys: &Sysroot, file: &Path) -> Result<Resources, ReadError> {
    let bytes = sys.read(file)?;
    parse_resources(&bytes, file)
}
