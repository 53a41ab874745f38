//! Installation Manager state: which IIM installed Connections ([`locate`]), and what its
//! `installed.xml` and `installRegistry.xml` say about installed packages and locations.

mod locate;

use std::collections::BTreeMap;
use std::path::Path;

use websphere::error::ReadError;

pub use locate::{
    choose, default_dirs, find_all, parse_properties, IimFound, LocateProblem,
    CONNECTIONS_OFFERING, ROOT_DATA_DIR, ROOT_REGISTRY,
};

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IimPackage {
    /// Package id (`com.ibm.connections`).
    pub id: String,
    /// Its version (`8.0.0.0_CR14`).
    pub version: String,
    /// 1-based line in `installed.xml`.
    pub line: u64,
}

/// One `location` (an installation directory) and the packages in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IimLocation {
    /// Location id (`HCL Connections`, `IBM Installation Manager`).
    pub id: String,
    /// Its `kind` attribute, if any (`im` for IIM itself).
    pub kind: Option<String>,
    /// Installation directory.
    pub path: String,
    /// Packages installed there.
    pub packages: Vec<IimPackage>,
}

/// What `installed.xml` records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IimInstalled {
    /// Installation locations.
    pub locations: Vec<IimLocation>,
    /// The shared resources directory (`cacheLocation` property), if recorded.
    pub cache_location: Option<String>,
}

impl IimInstalled {
    /// The location holding a package whose id satisfies `pred`, with that package.
    pub fn find_package(&self, pred: impl Fn(&str) -> bool) -> Option<(&IimLocation, &IimPackage)> {
        self.locations
            .iter()
            .find_map(|l| l.packages.iter().find(|p| pred(&p.id)).map(|p| (l, p)))
    }

    /// The Installation Manager's own install directory (a `/eclipse` suffix removed).
    pub fn im_install_dir(&self) -> Option<String> {
        let loc = self
            .locations
            .iter()
            .find(|l| l.kind.as_deref() == Some("im") || l.id.contains("Installation Manager"))?;
        let path = loc.path.trim_end_matches('/');
        Some(path.strip_suffix("/eclipse").unwrap_or(path).to_string())
    }
}

fn parse_error(file: &Path, e: &roxmltree::Error) -> ReadError {
    ReadError::parse(
        file,
        Some(u64::from(e.pos().row)),
        format!("malformed XML: {e}"),
    )
}

fn line_of(doc: &roxmltree::Document<'_>, node: roxmltree::Node<'_, '_>) -> u64 {
    u64::from(doc.text_pos_at(node.range().start).row)
}

/// Parses `installed.xml` (IIM writes it with single-quoted attributes; both quotes work).
/// A `location` without `path`, or a `package` without `id` or `version`, is an error
/// naming its line.
pub fn parse_installed_xml(text: &str, file: &Path) -> Result<IimInstalled, ReadError> {
    let doc = super::ibm_xml::parse(text).map_err(|e| parse_error(file, &e))?;
    let mut out = IimInstalled::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "location" => {
                let line = line_of(&doc, node);
                let path = node.attribute("path").ok_or_else(|| {
                    ReadError::parse(file, Some(line), "<location> without a path attribute")
                })?;
                let mut packages = Vec::new();
                for p in node
                    .descendants()
                    .filter(|n| n.is_element() && n.tag_name().name() == "package")
                {
                    let pline = line_of(&doc, p);
                    let missing = |attr: &str| {
                        ReadError::parse(file, Some(pline), format!("<package> without {attr}"))
                    };
                    packages.push(IimPackage {
                        id: p.attribute("id").ok_or_else(|| missing("id"))?.to_string(),
                        version: p
                            .attribute("version")
                            .ok_or_else(|| missing("version"))?
                            .to_string(),
                        line: pline,
                    });
                }
                out.locations.push(IimLocation {
                    id: node.attribute("id").unwrap_or_default().to_string(),
                    kind: node.attribute("kind").map(str::to_string),
                    path: path.to_string(),
                    packages,
                });
            }
            "property"
                if node.attribute("name") == Some("cacheLocation")
                    && out.cache_location.is_none() =>
            {
                out.cache_location = node.attribute("value").map(str::to_string);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// One `profile` (an installed product) of `installRegistry.xml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IimRegistryProfile {
    /// Profile id (`HCL Connections`).
    pub id: String,
    /// Its `property` name/value pairs (`installLocation`, `user.contentStore.shared.path`).
    pub properties: BTreeMap<String, String>,
    /// Offering ids installed in it.
    pub offerings: Vec<String>,
}

/// What `installRegistry.xml` records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IimRegistry {
    /// Installed product profiles.
    pub profiles: Vec<IimRegistryProfile>,
    /// The shared resources directory (`cacheLocation`), if recorded anywhere.
    pub cache_location: Option<String>,
}

impl IimRegistry {
    /// IIM's own install directory: the `installLocation` of its `IBM Installation
    /// Manager` profile, `/eclipse` removed.
    pub fn im_install_dir(&self) -> Option<String> {
        let p = self
            .profiles
            .iter()
            .find(|p| p.id.contains("Installation Manager"))?;
        let path = p.properties.get("installLocation")?.trim_end_matches('/');
        Some(path.strip_suffix("/eclipse").unwrap_or(path).to_string())
    }

    /// The profile holding an offering.
    pub fn profile_with_offering(&self, offering: &str) -> Option<&IimRegistryProfile> {
        self.profiles
            .iter()
            .find(|p| p.offerings.iter().any(|o| o == offering))
    }
}

/// Parses `installRegistry.xml`: `profile[@id]/property[@name,@value]` and
/// `profile/offering[@id]`.
pub fn parse_install_registry(text: &str, file: &Path) -> Result<IimRegistry, ReadError> {
    let doc = super::ibm_xml::parse(text).map_err(|e| parse_error(file, &e))?;
    let mut out = IimRegistry::default();
    for node in doc.descendants().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            "profile" => {
                let mut p = IimRegistryProfile {
                    id: node.attribute("id").unwrap_or_default().to_string(),
                    ..IimRegistryProfile::default()
                };
                for child in node.children().filter(|n| n.is_element()) {
                    match child.tag_name().name() {
                        "property" => {
                            if let (Some(k), Some(v)) =
                                (child.attribute("name"), child.attribute("value"))
                            {
                                p.properties.insert(k.to_string(), v.to_string());
                            }
                        }
                        "offering" => {
                            if let Some(id) = child.attribute("id") {
                                p.offerings.push(id.to_string());
                            }
                        }
                        _ => {}
                    }
                }
                out.profiles.push(p);
            }
            "property"
                if node.attribute("name") == Some("cacheLocation")
                    && out.cache_location.is_none() =>
            {
                out.cache_location = node.attribute("value").map(str::to_string);
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "<?xml version='1.0' encoding='UTF-8'?>
<installInfo>
  <location id='HCL Connections' kind='product' path='/opt/HCL/Connections'>
    <package id='com.ibm.connections' version='8.0.0.0_CR14'/>
  </location>
  <location id='IBM WebSphere Application Server V8.5' path='/opt/IBM/WebSphere/AppServer'>
    <package id='com.ibm.websphere.ND.v85' version='8.5.5024.20230628_1659'/>
  </location>
  <location id='IBM Installation Manager' kind='im' path='/opt/IBM/InstallationManager/eclipse'/>
  <property name='cacheLocation' value='/opt/IBM/IMShared'/>
</installInfo>";

    #[test]
    fn reads_locations_packages_and_cache() {
        let i = parse_installed_xml(
            SAMPLE,
            Path::new("/var/ibm/InstallationManager/installed.xml"),
        )
        .unwrap();
        let (loc, pkg) = i.find_package(|id| id == "com.ibm.connections").unwrap();
        assert_eq!(loc.path, "/opt/HCL/Connections");
        assert_eq!(pkg.version, "8.0.0.0_CR14");
        assert_eq!(pkg.line, 4);
        let (was, _) = i
            .find_package(|id| id.starts_with("com.ibm.websphere.ND"))
            .unwrap();
        assert_eq!(was.path, "/opt/IBM/WebSphere/AppServer");
        assert_eq!(
            i.im_install_dir().as_deref(),
            Some("/opt/IBM/InstallationManager")
        );
        assert_eq!(i.cache_location.as_deref(), Some("/opt/IBM/IMShared"));
    }

    #[test]
    fn malformed_and_incomplete_files_name_file_and_line() {
        let f = Path::new("/var/ibm/InstallationManager/installed.xml");
        let e = parse_installed_xml("<installInfo>\n<location id='x'", f).unwrap_err();
        assert!(e.to_string().contains("installed.xml"), "{e}");
        assert!(e.line().is_some());
        let e = parse_installed_xml("<installInfo>\n<location id='x'/>\n</installInfo>", f)
            .unwrap_err();
        assert_eq!(e.line(), Some(2));
        let e = parse_installed_xml(
            "<installInfo>\n<location path='/p'>\n<package id='a'/>\n</location></installInfo>",
            f,
        )
        .unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert!(e.to_string().contains("version"));
    }

    #[test]
    fn reads_install_registry_profiles() {
        let text = "<installRegistry>\n<profile id='HCL Connections' kind='product'>\n<property name='installLocation' value='/opt/HCL/Connections'/>\n<property name='user.contentStore.shared.path' value='/nfs/data/shared'/>\n<property name='cacheLocation' value='/opt/IBM/IMShared'/>\n<offering id='com.ibm.connections' features='main'><version value='8.0.0.0_CR3'/></offering>\n</profile>\n</installRegistry>";
        let r = parse_install_registry(
            text,
            Path::new("/var/ibm/InstallationManager/installRegistry.xml"),
        )
        .unwrap();
        let p = r.profile_with_offering("com.ibm.connections").unwrap();
        assert_eq!(
            p.properties["user.contentStore.shared.path"],
            "/nfs/data/shared"
        );
        assert_eq!(r.cache_location.as_deref(), Some("/opt/IBM/IMShared"));
        assert!(parse_install_registry("<installRegistry>", Path::new("/x")).is_err());
    }
}
