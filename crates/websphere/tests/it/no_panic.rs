//! No reader panics, whatever the input: arbitrary bytes, and realistic fixtures cut,
//! spliced and corrupted at random positions.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use proptest::prelude::*;
use websphere::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

const FIXTURES: &[&str] = &[
    "profileRegistry.xml",
    "profileKey.metadata",
    "portdef.props",
    "serverindex.xml",
    "server_app.xml",
    "server_web.xml",
    "cluster.xml",
    "security.xml",
    "fileRegistry.xml",
    "wimconfig.xml",
    "variables_cell.xml",
    "resources.xml",
    "ibm-application-bnd.xmi",
    "ibm-application-bnd.xml",
    "application.xml",
];

/// Runs every pure reader on the input; results are ignored, panics fail the test.
fn run_all(input: &[u8]) {
    let f = Path::new("/fuzz/input");
    let _ = parse_profile_registry(input, f);
    let _ = parse_profile_key(input, f);
    let _ = parse_port_definitions(input, f);
    let _ = parse_properties(input, f);
    let _ = parse_serverindex(input, f);
    let _ = parse_server_xml(input, f);
    let _ = parse_cluster_xml(input, f);
    let _ = parse_security_xml(input, f).map(|s| format!("{s:?}"));
    let _ = parse_file_registry(input, f);
    let _ = parse_wimconfig(input, f);
    if let Ok(entries) = parse_variables(input, f) {
        let mut v = Variables::new();
        v.add_scope(
            ConfigScope::Cell { cell: "c".into() },
            f.to_path_buf(),
            entries.clone(),
        );
        for e in &entries {
            let _ = v.resolve(&e.name);
            let _ = v.expand_lenient(&e.value);
        }
    }
    if let Ok(res) = parse_resources(input, f) {
        for ds in &res.datasources {
            let _ = ds.endpoint();
        }
    }
    let _ = parse_application_bnd_xmi(input, f);
    let _ = parse_application_bnd_xml(input, f);
    let _ = parse_application_xml_roles(input, f);
    let _ = parse_pid_file(input, f);
    if let Ok(s) = std::str::from_utf8(input) {
        let _ = parse_jdbc_url(s);
        let _ = Password::from_attribute(s);
        let _ = is_local_file_registry_user(s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(input in proptest::collection::vec(any::<u8>(), 0..2048)) {
        run_all(&input);
    }

    #[test]
    fn xml_like_text(input in "[<>/=\"'a-z:&;#x0-9 \n!?\\[\\]{}$-]{0,400}") {
        run_all(input.as_bytes());
    }

    #[test]
    fn corrupted_fixtures(
        which in 0..FIXTURES.len(),
        cut in any::<proptest::sample::Index>(),
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), any::<u8>()), 0..8),
        splice in any::<proptest::sample::Index>(),
    ) {
        let mut bytes = fixture(FIXTURES[which]);
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let len = bytes.len();
        run_all(&bytes[..cut.index(len + 1)]);
        // Splice: the tail moved to the front.
        let s = splice.index(len + 1);
        let mut spliced = bytes[s..].to_vec();
        spliced.extend_from_slice(&bytes[..s]);
        run_all(&spliced);
    }
}

#[test]
fn every_fixture_parses_with_its_own_reader() {
    // Guards the proptest above: the fixtures it corrupts are valid to begin with.
    let f = Path::new("/f");
    parse_profile_registry(&fixture("profileRegistry.xml"), f).unwrap();
    parse_serverindex(&fixture("serverindex.xml"), f).unwrap();
    parse_security_xml(&fixture("security.xml"), f).unwrap();
    parse_resources(&fixture("resources.xml"), f).unwrap();
    parse_application_bnd_xmi(&fixture("ibm-application-bnd.xmi"), f).unwrap();
}
