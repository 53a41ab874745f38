//! Reads the version evidence files of a Connections install (all optional: a missing or
//! unreadable one is a warning and that source is simply absent).

use std::collections::BTreeSet;
use std::path::Path;

use quick_xml::events::Event;
use websphere::error::ReadError;
use websphere::Sysroot;

use super::Warnings;
use crate::version::{
    parse_buildlevel, parse_launcher_build, BuildLevel, Evidence, EvidenceSource, IFixId,
    OfferingVersion,
};

/// The iFix id an `.efix` document declares: the `id` of its `efix` element (or of its
/// root element).
pub fn parse_efix(text: &str, file: &Path) -> Result<IFixId, ReadError> {
    let doc = super::ibm_xml::parse(text).map_err(|e| {
        ReadError::parse(
            file,
            Some(u64::from(e.pos().row)),
            format!("malformed XML: {e}"),
        )
    })?;
    let node = doc
        .descendants()
        .find(|n| n.has_tag_name("efix") && n.attribute("id").is_some())
        .unwrap_or_else(|| doc.root_element());
    let line = u64::from(doc.text_pos_at(node.range().start).row);
    let id = node
        .attribute("id")
        .ok_or_else(|| ReadError::parse(file, Some(line), "no efix id attribute"))?;
    id.parse().map_err(|e: crate::version::VersionParseError| {
        ReadError::parse(file, Some(line), e.to_string())
    })
}

/// The iFix set from `connections_root/version/*.efix`. `None` when the directory cannot
/// be listed (then the set is unknown). A file whose content cannot be read falls back to
/// its name, with a warning; a name that is no iFix id is skipped with a warning.
pub(crate) fn read_ifixes(
    sys: &Sysroot,
    connections_root: &str,
    warnings: &mut Warnings,
) -> Option<Evidence<BTreeSet<IFixId>>> {
    let dir = Path::new(connections_root).join("version");
    let names = match sys.read_dir(&dir) {
        Ok(n) => n,
        Err(e) => {
            warnings.push_at(
                &dir,
                None,
                format!(
                    "cannot list the iFix records ({}); the installed iFixes are unknown",
                    e.detail()
                ),
            );
            return None;
        }
    };
    let mut ids = BTreeSet::new();
    let mut names: Vec<String> = names
        .into_iter()
        .filter_map(|n| n.into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let Some(stem) = name.strip_suffix(".efix") else {
            continue;
        };
        let file = dir.join(&name);
        let from_content = sys
            .read_to_string(&file)
            .map_err(ReadError::from)
            .and_then(|t| parse_efix(&t, &file));
        match (from_content, stem.parse::<IFixId>()) {
            (Ok(id), Ok(named)) if id != named => {
                warnings.push_at(
                    &file,
                    None,
                    format!("declares iFix {id} but is named {named}; using the declared id"),
                );
                ids.insert(id);
            }
            (Ok(id), _) => {
                ids.insert(id);
            }
            (Err(e), Ok(named)) => {
                warnings.push_err(&e, format!("using the file name {named} as the iFix id"));
                ids.insert(named);
            }
            (Err(e), Err(_)) => warnings.push_err(&e, "not counted as an iFix".to_string()),
        }
    }
    Some(Evidence::new(
        EvidenceSource::EfixFiles,
        dir.display().to_string(),
        ids,
    ))
}

/// The `Build:` line of `connections_root/bin/uninstall-launcher.sh`.
pub(crate) fn read_launcher(
    sys: &Sysroot,
    connections_root: &str,
    warnings: &mut Warnings,
) -> Option<Evidence<OfferingVersion>> {
    let file = Path::new(connections_root).join("bin/uninstall-launcher.sh");
    let bytes = match sys.read(&file) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return None,
        Err(e) => {
            warnings.push_at(
                &file,
                None,
                format!("{}; this version source is ignored", e.detail()),
            );
            return None;
        }
    };
    match parse_launcher_build(&String::from_utf8_lossy(&bytes)) {
        Ok(Some((v, _))) => Some(Evidence::new(
            EvidenceSource::UninstallLauncher,
            file.display().to_string(),
            v,
        )),
        Ok(None) => {
            warnings.push_at(
                &file,
                None,
                "has no Build: line; this version source is ignored".into(),
            );
            None
        }
        Err((line, e)) => {
            warnings.push_at(
                &file,
                Some(line as u64),
                format!("{e}; this version source is ignored"),
            );
            None
        }
    }
}

/// The `buildlevel` attribute of the root element of `LotusConnections-config.xml`,
/// read without parsing the rest of the (large) document.
pub fn parse_lcc_buildlevel(bytes: &[u8], file: &Path) -> Result<Option<BuildLevel>, ReadError> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let line = || {
            Some(
                1 + bytes[..(pos as usize).min(bytes.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64,
            )
        };
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                for attr in e.attributes() {
                    let attr = attr.map_err(|err| {
                        ReadError::parse(file, line(), format!("malformed attribute: {err}"))
                    })?;
                    if attr.key.local_name().as_ref() == "buildlevel" {
                        let value = attr.value.to_string();
                        return parse_buildlevel(&value)
                            .map(Some)
                            .map_err(|err| ReadError::parse(file, line(), err.to_string()));
                    }
                }
                return Ok(None);
            }
            Ok(Event::Eof) => return Err(ReadError::parse(file, line(), "no root element")),
            Ok(_) => {}
            Err(err) => {
                return Err(ReadError::parse(
                    file,
                    line(),
                    format!("malformed XML: {err}"),
                ))
            }
        }
        buf.clear();
    }
}

/// The LotusConnections-config.xml build level of a cell.
pub(crate) fn read_buildlevel(
    sys: &Sysroot,
    cell_dir: &Path,
    warnings: &mut Warnings,
) -> Option<Evidence<BuildLevel>> {
    let file = cell_dir.join("LotusConnections-config/LotusConnections-config.xml");
    let bytes = match sys.read(&file) {
        Ok(b) => b,
        Err(e) => {
            warnings.push_at(
                &file,
                None,
                format!("{}; this version source is ignored", e.detail()),
            );
            return None;
        }
    };
    match parse_lcc_buildlevel(&bytes, &file) {
        Ok(Some(b)) => Some(Evidence::new(
            EvidenceSource::LccBuildlevel,
            file.display().to_string(),
            b,
        )),
        Ok(None) => None,
        Err(e) => {
            warnings.push_err(&e, "this version source is ignored".into());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn efix_id_from_content() {
        let f = Path::new("/opt/IBM/Connections/version/LO93624.efix");
        let id = parse_efix(
            "<?xml version=\"1.0\"?>\n<efix id=\"LO93624\" short-description=\"Common: Add missing nls files\" build-version=\"20180207.1553\" build-date=\"02/07/2018\"/>",
            f,
        )
        .unwrap();
        assert_eq!(id.as_str(), "LO93624");
        let e = parse_efix("<efix/>", f).unwrap_err();
        assert!(e.to_string().contains("LO93624.efix"));
        let e = parse_efix("<efix id='bogus'/>", f).unwrap_err();
        assert!(e.to_string().contains("bogus"));
    }

    #[test]
    fn buildlevel_from_the_root_element_only() {
        let f = Path::new("/x/LotusConnections-config.xml");
        let xml = b"<?xml version=\"1.0\"?>\n<!-- c -->\n<config buildlevel=\"IC8.0_CR14_20230601_1200\" id=\"LotusConnections\"><sloc/></config>";
        let b = parse_lcc_buildlevel(xml, f).unwrap().unwrap();
        assert_eq!(b.cr, Some(14));
        assert!(parse_lcc_buildlevel(b"<config id='x'/>", f)
            .unwrap()
            .is_none());
        let e = parse_lcc_buildlevel(b"\n\n<config buildlevel='nonsense'/>", f).unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert!(parse_lcc_buildlevel(b"", f).is_err());
        assert!(parse_lcc_buildlevel(b"<config buildlevel=\"IC8", f).is_err());
    }
}
