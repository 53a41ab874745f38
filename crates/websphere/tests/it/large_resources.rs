//! A generated 50 MB `resources.xml` with multi-MB embedded payloads.
//!
//! Ignored by default (it allocates ~100 MB and is slow in debug builds). Run with
//! `cargo test -p websphere --release --test it large_resources:: -- --ignored --nocapture`;
//! the elapsed time it prints is recorded in docs/WEBSPHERE.md. It asserts correctness,
//! not a time, so it cannot flake on a loaded machine.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use websphere::parse_resources;

/// Builds a resources.xml of at least `target` bytes: `datasources` DB2 datasources and
/// resource-environment entries carrying escaped XML payloads of `payload` bytes each.
fn generate(target: usize, datasources: usize, payload: usize) -> String {
    let mut s = String::with_capacity(target + payload * 2);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xmi:XMI xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:resources.jdbc=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.jdbc.xmi\" xmlns:resources.env=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.env.xmi\">\n");
    s.push_str("  <resources.jdbc:JDBCProvider xmi:id=\"JDBCProvider_1\" name=\"db2JDBC\" providerType=\"DB2 Universal JDBC Driver Provider\" implementationClassName=\"com.ibm.db2.jcc.DB2ConnectionPoolDataSource\">\n    <classpath>${DB2_JCC_DRIVER_PATH}/db2jcc4.jar</classpath>\n");
    for i in 0..datasources {
        write!(
            s,
            "    <factories xmi:type=\"resources.jdbc:DataSource\" xmi:id=\"DataSource_{i}\" name=\"ds{i}\" jndiName=\"jdbc/ds{i}\" authDataAlias=\"ds{i}JAASAuth\">\n      <propertySet xmi:id=\"Set_{i}\">\n        <resourceProperties xmi:id=\"P_{i}_1\" name=\"databaseName\" type=\"java.lang.String\" value=\"DB{i}\"/>\n        <resourceProperties xmi:id=\"P_{i}_2\" name=\"serverName\" value=\"db{i}.example.com\"/>\n        <resourceProperties xmi:id=\"P_{i}_3\" name=\"portNumber\" value=\"50000\"/>\n      </propertySet>\n    </factories>\n"
        )
        .unwrap();
    }
    s.push_str("  </resources.jdbc:JDBCProvider>\n");
    let unit = "&lt;entry key=&quot;widget&quot; url=&quot;https://cnx.example.com/a?b=1&amp;c=2&quot;/&gt;\n";
    let mut n = 0;
    while s.len() < target {
        write!(s, "  <resources.env:ResourceEnvironmentProvider xmi:id=\"REP_{n}\" name=\"Payload{n}\">\n    <factories xmi:type=\"resources.env:ResourceEnvEntry\" xmi:id=\"REE_{n}\" name=\"e{n}\" jndiName=\"env/{n}\">\n      <propertySet xmi:id=\"PS_{n}\">\n        <resourceProperties xmi:id=\"RP_{n}\" name=\"widgetFeedUrlMap.xml\" value=\"").unwrap();
        let start = s.len();
        while s.len() - start < payload {
            s.push_str(unit);
        }
        s.push_str("\"/>\n      </propertySet>\n    </factories>\n  </resources.env:ResourceEnvironmentProvider>\n");
        n += 1;
    }
    s.push_str("</xmi:XMI>\n");
    s
}

#[test]
#[ignore = "50 MB input; run in release to measure (see docs/WEBSPHERE.md)"]
fn parses_a_50_mb_resources_xml() {
    let doc = generate(50 * 1024 * 1024, 2000, 4 * 1024 * 1024);
    assert!(doc.len() >= 50 * 1024 * 1024);
    let t = Instant::now();
    let res = parse_resources(doc.as_bytes(), Path::new("/cfg/resources.xml")).unwrap();
    let elapsed = t.elapsed();
    println!("parsed {} MB in {:?}", doc.len() / (1024 * 1024), elapsed);
    assert_eq!(res.datasources.len(), 2000);
    assert_eq!(
        res.datasources[1999].database_name.as_deref(),
        Some("DB1999")
    );
    assert_eq!(res.datasources[1999].port_number, Some(50000));
}

#[test]
fn parses_a_small_generated_file_with_payloads() {
    // Same generator, small enough for every run: payloads must not disturb the datasources.
    let doc = generate(300_000, 50, 100_000);
    let res = parse_resources(doc.as_bytes(), Path::new("/cfg/resources.xml")).unwrap();
    assert_eq!(res.datasources.len(), 50);
    assert_eq!(
        res.datasources[49].server_name.as_deref(),
        Some("db49.example.com")
    );
    assert_eq!(
        res.providers[0].classpath,
        vec!["${DB2_JCC_DRIVER_PATH}/db2jcc4.jar"]
    );
}
