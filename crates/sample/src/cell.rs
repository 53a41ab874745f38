//! The cell configuration repository (`config/cells/<cell>/...`): security, users, WIM,
//! variables, JDBC resources, Connections configuration, clusters, nodes and servers.
//! The dmgr holds the master copy; every node profile gets the same synchronized copy.

use crate::expected::{DbVendor, ServerType};
use crate::rng::Rng;
use crate::topology::Spec;
use crate::tree::Tree;
use crate::xml::{esc, xmi_id};
use crate::xor::xor_encode;
use crate::{SampleError, Scale};

const XMI_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Writes the whole cell repository under `<profile>/config/cells/<cell>`.
pub(crate) fn write_cell(
    tree: &Tree,
    spec: &Spec,
    scale: &Scale,
    profile_path: &str,
) -> Result<(), SampleError> {
    let e = &spec.expected;
    let cell_dir = format!("{profile_path}/config/cells/{}", e.was.cell);
    tree.write(format!("{cell_dir}/cell.xml").as_str(), cell_xml(spec))?;
    tree.write_mode(
        format!("{cell_dir}/security.xml").as_str(),
        security_xml(spec),
        0o640,
    )?;
    tree.write_mode(
        format!("{cell_dir}/fileRegistry.xml").as_str(),
        file_registry_xml(spec),
        0o600,
    )?;
    tree.write(
        format!("{cell_dir}/wim/config/wimconfig.xml").as_str(),
        wimconfig_xml(spec),
    )?;
    tree.write(
        format!("{cell_dir}/variables.xml").as_str(),
        cell_variables_xml(spec),
    )?;
    tree.write(
        format!("{cell_dir}/resources.xml").as_str(),
        resources_xml(spec, scale),
    )?;
    tree.write(
        format!("{cell_dir}/virtualhosts.xml").as_str(),
        virtualhosts_xml(spec),
    )?;
    let mut rng = Rng::derive(spec.seed, "keystores");
    tree.write_mode(
        format!("{cell_dir}/key.p12").as_str(),
        rng.bytes(2_534),
        0o600,
    )?;
    tree.write_mode(
        format!("{cell_dir}/trust.p12").as_str(),
        rng.bytes(1_876),
        0o600,
    )?;
    tree.write_mode(
        format!("{cell_dir}/ltpa.jceks").as_str(),
        rng.bytes(412),
        0o600,
    )?;
    let lcc = format!("{cell_dir}/LotusConnections-config");
    tree.write(
        format!("{lcc}/LotusConnections-config.xml").as_str(),
        lcc_xml(spec),
    )?;
    tree.write(
        format!("{lcc}/files-config.xml").as_str(),
        files_config_xml(),
    )?;
    tree.write(
        format!("{lcc}/profiles-config.xml").as_str(),
        profiles_config_xml(),
    )?;
    tree.write(
        format!("{lcc}/notifications/notifyTemplates/newsletter.ftl").as_str(),
        NOTIFY_FTL,
    )?;
    tree.write(
        format!("{lcc}/opensocial-proxy-rules/proxy-policy.dynamic").as_str(),
        "{\n  \"policies\": []\n}\n",
    )?;
    tree.mkdir(format!("{lcc}/extern").as_str())?;

    for c in &e.was.clusters {
        let dir = format!("{cell_dir}/clusters/{}", c.name);
        tree.write(
            format!("{dir}/cluster.xml").as_str(),
            cluster_xml(spec, &c.name),
        )?;
        tree.write(format!("{dir}/resources.xml").as_str(), empty_resources())?;
        tree.mkdir(format!("{dir}/autodeploy").as_str())?;
    }
    for n in &e.was.nodes {
        let dir = format!("{cell_dir}/nodes/{}", n.name);
        tree.write(
            format!("{dir}/node.xml").as_str(),
            node_xml(&n.name, &n.host),
        )?;
        tree.write(
            format!("{dir}/serverindex.xml").as_str(),
            serverindex_xml(spec, &n.name),
        )?;
        tree.write(
            format!("{dir}/variables.xml").as_str(),
            node_variables_xml(spec, &n.profile),
        )?;
        tree.write(format!("{dir}/resources.xml").as_str(), empty_resources())?;
        for s in spec.cell_servers().iter().filter(|s| s.node == n.name) {
            let sdir = format!("{dir}/servers/{}", s.name);
            tree.write(
                format!("{sdir}/server.xml").as_str(),
                server_xml(spec, &s.name, s.server_type, s.cluster.as_deref()),
            )?;
            tree.write(format!("{sdir}/variables.xml").as_str(), empty_variables())?;
            tree.write(format!("{sdir}/resources.xml").as_str(), empty_resources())?;
        }
    }
    crate::apps::write_cell_applications(tree, spec, scale, &cell_dir)?;
    Ok(())
}

fn cell_xml(spec: &Spec) -> String {
    format!(
        "{XMI_HEAD}<topology.cell:Cell xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:topology.cell=\"http://www.ibm.com/websphere/appserver/schemas/5.0/topology.cell.xmi\" xmi:id=\"Cell_1\" name=\"{}\" cellType=\"DISTRIBUTED\" cellDiscoveryProtocol=\"TCP\" multicastDiscoveryAddressEndpointName=\"multicastDiscoveryAddress\">\n  <properties xmi:id=\"Property_1\" name=\"cnx.sample.variant\" value=\"{}\" required=\"false\"/>\n</topology.cell:Cell>\n",
        esc(&spec.expected.was.cell),
        esc(spec.variant.name())
    )
}

fn security_xml(spec: &Spec) -> String {
    let mut s = String::from(XMI_HEAD);
    s.push_str(
        "<security:Security xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:orb.securityprotocol=\"http://www.ibm.com/websphere/appserver/schemas/5.0/orb.securityprotocol.xmi\" xmlns:security=\"http://www.ibm.com/websphere/appserver/schemas/5.0/security.xmi\" xmi:id=\"Security_1\" useLocalSecurityServer=\"true\" useDomainQualifiedUserNames=\"false\" enabled=\"true\" cacheTimeout=\"600\" issuePermission=\"false\" activeProtocol=\"BOTH\" enforceJava2Security=\"false\" enforceFineGrainedJCASecurity=\"false\" appEnabled=\"true\" dynamicallyUpdateSSLConfig=\"true\" allowBasicAuth=\"true\" activeAuthMechanism=\"LTPA_1\" activeUserRegistry=\"WIMUserRegistry_1\" defaultSSLSettings=\"SSLConfig_1\">\n",
    );
    s.push_str("  <authMechanisms xmi:type=\"security:LTPA\" xmi:id=\"LTPA_1\" OID=\"oid:1.3.18.0.2.30.2\" authContextImplClass=\"com.ibm.ISecurityLocalObjectTokenBaseImpl.WSSecurityContextLTPAImpl\" authConfig=\"system.LTPA\" simpleAuthConfig=\"system.LTPA\" authValidationConfig=\"system.LTPA\" timeout=\"120\" keySetGroup=\"KeySetGroup_1\">\n    <trustAssociation xmi:id=\"TrustAssociation_1\" enabled=\"false\"/>\n    <singleSignon xmi:id=\"SingleSignon_1\" requiresSSL=\"false\" domainName=\"example.com\" enabled=\"true\"/>\n  </authMechanisms>\n");
    s.push_str(&format!(
        "  <userRegistries xmi:type=\"security:WIMUserRegistry\" xmi:id=\"WIMUserRegistry_1\" serverId=\"\" serverPassword=\"{{xor}}\" realm=\"defaultWIMFileBasedRealm\" ignoreCase=\"true\" useRegistryServerId=\"false\" primaryAdminId=\"{}\" registryClassName=\"com.ibm.ws.wim.registry.WIMUserRegistry\"/>\n",
        esc(&spec.expected.was.admin.username)
    ));
    for (i, a) in spec.aliases.iter().enumerate() {
        s.push_str(&format!(
            "  <authDataEntries xmi:id=\"{}\" alias=\"{}\" userId=\"{}\" password=\"{}\" description=\"{}\"/>\n",
            xmi_id("JAASAuthData", i + 1),
            esc(&a.alias),
            esc(&a.user_id),
            esc(&xor_encode(a.password.expose())),
            esc(&a.description)
        ));
    }
    s.push_str("  <applicationLoginConfig xmi:id=\"JAASConfiguration_1\">\n    <entries xmi:id=\"JAASConfigurationEntry_1\" alias=\"ClientContainer\">\n      <loginModules xmi:id=\"JAASLoginModule_1\" moduleClassName=\"com.ibm.ws.security.common.auth.module.proxy.WSLoginModuleProxy\" authenticationStrategy=\"REQUIRED\"/>\n    </entries>\n  </applicationLoginConfig>\n");
    s.push_str("  <repertoire xmi:id=\"SSLConfig_1\" alias=\"CellDefaultSSLSettings\" managementScope=\"ManagementScope_1\">\n    <setting xmi:id=\"SecureSocketLayer_1\" clientAuthentication=\"false\" securityLevel=\"HIGH\" enabledCiphers=\"\" jsseProvider=\"IBMJSSE2\" sslProtocol=\"TLSv1.2\" keyStore=\"KeyStore_1\" trustStore=\"KeyStore_2\"/>\n  </repertoire>\n");
    s.push_str("  <keyStores xmi:id=\"KeyStore_1\" name=\"CellDefaultKeyStore\" password=\"{xor}CDo9Hgw=\" provider=\"IBMJCE\" location=\"${CONFIG_ROOT}/cells/");
    s.push_str(&esc(&spec.expected.was.cell));
    s.push_str("/key.p12\" type=\"PKCS12\" fileBased=\"true\" hostList=\"\" initializeAtStartup=\"false\" managementScope=\"ManagementScope_1\"/>\n");
    s.push_str("</security:Security>\n");
    s
}

fn file_registry_xml(spec: &Spec) -> String {
    let mut rng = Rng::derive(spec.seed, "fileRegistry");
    let mut s = String::from(XMI_HEAD);
    s.push_str("<sdo:datagraph xmlns:sdo=\"commonj.sdo\" xmlns:wim=\"http://www.ibm.com/websphere/wim\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <wim:Root>\n");
    for u in &spec.file_users {
        let id = format!(
            "{}-{}-{}-{}-{}",
            rng.hex(8),
            rng.hex(4),
            rng.hex(4),
            rng.hex(4),
            rng.hex(12)
        );
        let unique = format!("uid={},o=defaultWIMFileBasedRealm", u.uid);
        s.push_str(&format!(
            "    <wim:entities xsi:type=\"wim:PersonAccount\">\n      <wim:identifier externalId=\"{id}\" externalName=\"{un}\" uniqueId=\"{id}\" uniqueName=\"{un}\"/>\n      <wim:parent>\n        <wim:identifier uniqueName=\"o=defaultWIMFileBasedRealm\"/>\n      </wim:parent>\n      <wim:createTimestamp>2023-06-14T10:11:12.345+00:00</wim:createTimestamp>\n      <wim:password>U0hBLTE6{}</wim:password>\n      <wim:uid>{uid}</wim:uid>\n      <wim:cn>{cn}</wim:cn>\n      <wim:sn>{uid}</wim:sn>\n    </wim:entities>\n",
            rng.hex(40),
            un = esc(&unique),
            uid = esc(&u.uid),
            cn = esc(&u.cn),
        ));
    }
    let gid = rng.hex(32);
    s.push_str(&format!(
        "    <wim:entities xsi:type=\"wim:Group\">\n      <wim:identifier externalId=\"{gid}\" externalName=\"cn=CNXAdmins,o=defaultWIMFileBasedRealm\" uniqueId=\"{gid}\" uniqueName=\"cn=CNXAdmins,o=defaultWIMFileBasedRealm\"/>\n      <wim:parent>\n        <wim:identifier uniqueName=\"o=defaultWIMFileBasedRealm\"/>\n      </wim:parent>\n      <wim:cn>CNXAdmins</wim:cn>\n      <wim:members>\n        <wim:identifier uniqueName=\"uid=wasadmin,o=defaultWIMFileBasedRealm\"/>\n      </wim:members>\n    </wim:entities>\n"
    ));
    s.push_str("  </wim:Root>\n</sdo:datagraph>\n");
    s
}

fn wimconfig_xml(spec: &Spec) -> String {
    let mut s = String::from(XMI_HEAD);
    s.push_str("<sdo:datagraph xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:config=\"http://www.ibm.com/websphere/wim/config\" xmlns:sdo=\"commonj.sdo\">\n");
    s.push_str("  <config:configurationProvider maxPagingResults=\"500\" maxSearchResults=\"4500\" maxTotalPagingResults=\"1000\" pagedCacheTimeOut=\"900\" pagingEntityObject=\"true\" searchTimeOut=\"600000\">\n");
    s.push_str("    <config:dynamicModel xsdFileName=\"wimdatagraph.xsd\"/>\n");
    s.push_str("    <config:supportedEntityTypes defaultParent=\"o=defaultWIMFileBasedRealm\" name=\"Group\">\n      <config:rdnProperties>cn</config:rdnProperties>\n    </config:supportedEntityTypes>\n");
    s.push_str("    <config:supportedEntityTypes defaultParent=\"o=defaultWIMFileBasedRealm\" name=\"OrgContainer\">\n      <config:rdnProperties>o</config:rdnProperties>\n      <config:rdnProperties>ou</config:rdnProperties>\n    </config:supportedEntityTypes>\n");
    s.push_str("    <config:supportedEntityTypes defaultParent=\"o=defaultWIMFileBasedRealm\" name=\"PersonAccount\">\n      <config:rdnProperties>uid</config:rdnProperties>\n    </config:supportedEntityTypes>\n");
    s.push_str("    <config:repositories xsi:type=\"config:FileRepositoryType\" adapterClassName=\"com.ibm.ws.wim.adapter.file.was.FileAdapter\" id=\"InternalFileRepository\" supportPaging=\"false\" messageDigestAlgorithm=\"SHA-1\">\n      <config:baseEntries name=\"o=defaultWIMFileBasedRealm\"/>\n    </config:repositories>\n");
    if let Some(l) = &spec.ldap {
        s.push_str(&format!(
            "    <config:repositories xsi:type=\"config:LdapRepositoryType\" adapterClassName=\"com.ibm.ws.wim.adapter.ldap.LdapAdapter\" id=\"ldaprepo1\" isExtIdUnique=\"true\" supportAsyncMode=\"false\" supportExternalName=\"false\" supportPaging=\"false\" supportSorting=\"false\" supportTransactions=\"false\" certificateFilter=\"\" certificateMapMode=\"exactdn\" ldapServerType=\"IDS\" translateRDN=\"false\">\n      <config:baseEntries name=\"{base}\" nameInRepository=\"{base}\"/>\n      <config:loginProperties>uid</config:loginProperties>\n      <config:loginProperties>mail</config:loginProperties>\n      <config:ldapServerConfiguration primaryServerQueryTimeInterval=\"15\" returnToPrimaryServer=\"true\" sslConfiguration=\"\">\n        <config:ldapServers authentication=\"simple\" bindDN=\"{dn}\" bindPassword=\"{pw}\" connectionPool=\"false\" connectTimeout=\"20\" derefAliases=\"always\" referal=\"ignore\" sslEnabled=\"false\">\n          <config:connections host=\"{host}\" port=\"389\"/>\n        </config:ldapServers>\n      </config:ldapServerConfiguration>\n      <config:ldapEntityTypes name=\"PersonAccount\">\n        <config:objectClasses>inetOrgPerson</config:objectClasses>\n        <config:searchBases>ou=users,{base}</config:searchBases>\n      </config:ldapEntityTypes>\n      <config:ldapEntityTypes name=\"Group\">\n        <config:objectClasses>groupOfNames</config:objectClasses>\n        <config:searchBases>ou=groups,{base}</config:searchBases>\n      </config:ldapEntityTypes>\n    </config:repositories>\n",
            base = esc(&l.base),
            dn = esc(&l.bind_dn),
            pw = esc(&xor_encode(l.bind_password.expose())),
            host = esc(&l.host),
        ));
    }
    s.push_str("    <config:realmConfiguration defaultRealmName=\"defaultWIMFileBasedRealm\">\n      <config:realms delimiter=\"/\" name=\"defaultWIMFileBasedRealm\" securityUse=\"active\" allowOperationIfReposDown=\"true\">\n        <config:participatingBaseEntries name=\"o=defaultWIMFileBasedRealm\"/>\n");
    if let Some(l) = &spec.ldap {
        s.push_str(&format!(
            "        <config:participatingBaseEntries name=\"{}\"/>\n",
            esc(&l.base)
        ));
    }
    s.push_str("        <config:uniqueUserIdMapping propertyForInput=\"uniqueName\" propertyForOutput=\"uniqueName\"/>\n        <config:userSecurityNameMapping propertyForInput=\"principalName\" propertyForOutput=\"principalName\"/>\n      </config:realms>\n    </config:realmConfiguration>\n  </config:configurationProvider>\n</sdo:datagraph>\n");
    s
}

fn variables_doc(entries: &[(String, String)], id_base: usize) -> String {
    let mut s = String::from(XMI_HEAD);
    s.push_str("<variables:VariableMap xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:variables=\"http://www.ibm.com/websphere/appserver/schemas/5.0/variables.xmi\" xmi:id=\"VariableMap_1\">\n");
    for (i, (k, v)) in entries.iter().enumerate() {
        s.push_str(&format!(
            "  <entries xmi:id=\"{}\" symbolicName=\"{}\" value=\"{}\" description=\"\"/>\n",
            xmi_id("VariableSubstitutionEntry", id_base + i),
            esc(k),
            esc(v)
        ));
    }
    s.push_str("</variables:VariableMap>\n");
    s
}

fn cell_variables_xml(spec: &Spec) -> String {
    variables_doc(&spec.cell_variables, 100)
}

fn empty_variables() -> String {
    variables_doc(&[], 1)
}

fn node_variables_xml(spec: &Spec, profile: &str) -> String {
    let e = &spec.expected;
    let asr = &e.was.app_server_root;
    let db2_jcc = match e.db_tools.vendor {
        DbVendor::Db2 => format!("/opt/ibm/db2/{}/java", spec.db2_version_dir),
        DbVendor::Sqlserver => "/opt/mssql-jdbc".to_string(),
        DbVendor::Oracle => "/home/oracle/oracle/product/19.0.0/db_1/jdbc/lib".to_string(),
    };
    let entries: Vec<(String, String)> = vec![
        ("WAS_INSTALL_ROOT".into(), asr.clone()),
        (
            "USER_INSTALL_ROOT".into(),
            format!("{asr}/profiles/{profile}"),
        ),
        ("WAS_LIBS_DIR".into(), "${WAS_INSTALL_ROOT}/lib".into()),
        ("LOG_ROOT".into(), "${USER_INSTALL_ROOT}/logs".into()),
        (
            "APP_INSTALL_ROOT".into(),
            "${USER_INSTALL_ROOT}/installedApps".into(),
        ),
        ("WAS_TEMP_DIR".into(), "${USER_INSTALL_ROOT}/temp".into()),
        ("JAVA_HOME".into(), "${WAS_INSTALL_ROOT}/java/8.0".into()),
        (
            "CONNECTOR_INSTALL_ROOT".into(),
            "${USER_INSTALL_ROOT}/installedConnectors".into(),
        ),
        ("DB2_JCC_DRIVER_PATH".into(), db2_jcc.clone()),
        ("DB2UNIVERSAL_JDBC_DRIVER_PATH".into(), db2_jcc.clone()),
        (
            "MSSQLSERVER_JDBC_DRIVER_PATH".into(),
            "/opt/mssql-jdbc".into(),
        ),
        (
            "ORACLE_JDBC_DRIVER_PATH".into(),
            "/home/oracle/oracle/product/19.0.0/db_1/jdbc/lib".into(),
        ),
    ];
    variables_doc(&entries, 10)
}

fn resources_xml(spec: &Spec, scale: &Scale) -> String {
    let vendor = spec.expected.db_tools.vendor;
    let mut s = String::from(XMI_HEAD);
    s.push_str("<xmi:XMI xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:resources=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.xmi\" xmlns:resources.env=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.env.xmi\" xmlns:resources.j2c=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.j2c.xmi\" xmlns:resources.jdbc=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.jdbc.xmi\">\n");
    let (ptype, implcls, helper, classpath) = match vendor {
        DbVendor::Db2 => (
            "DB2 Universal JDBC Driver Provider (XA)",
            "com.ibm.db2.jcc.DB2XADataSource",
            "com.ibm.websphere.rsadapter.DB2UniversalDataStoreHelper",
            vec![
                "${DB2_JCC_DRIVER_PATH}/db2jcc4.jar",
                "${DB2_JCC_DRIVER_PATH}/db2jcc_license_cu.jar",
            ],
        ),
        DbVendor::Sqlserver => (
            "Microsoft SQL Server JDBC Driver (XA)",
            "com.microsoft.sqlserver.jdbc.SQLServerXADataSource",
            "com.ibm.websphere.rsadapter.MicrosoftSQLServerDataStoreHelper",
            vec!["${MSSQLSERVER_JDBC_DRIVER_PATH}/mssql-jdbc-11.2.0.jre8.jar"],
        ),
        DbVendor::Oracle => (
            "Oracle JDBC Driver (XA)",
            "oracle.jdbc.xa.client.OracleXADataSource",
            "com.ibm.websphere.rsadapter.Oracle11gDataStoreHelper",
            vec!["${ORACLE_JDBC_DRIVER_PATH}/ojdbc8.jar"],
        ),
    };
    let mut n = 0usize;
    let mut next = |p: &str| {
        n += 1;
        xmi_id(p, n)
    };
    for ds in &spec.datasources {
        s.push_str(&format!(
            "  <resources.jdbc:JDBCProvider xmi:id=\"{}\" name=\"{}JDBC\" description=\"{} for {}\" providerType=\"{}\" isolatedClassLoader=\"false\" implementationClassName=\"{}\" xa=\"{}\">\n",
            next("JDBCProvider"), esc(&ds.name), esc(ptype), esc(&ds.name), esc(ptype), implcls, ds.xa
        ));
        for c in &classpath {
            s.push_str(&format!("    <classpath>{}</classpath>\n", esc(c)));
        }
        s.push_str(&format!(
            "    <factories xmi:type=\"resources.jdbc:DataSource\" xmi:id=\"{}\" name=\"{}\" jndiName=\"{}\" description=\"{} datasource\" category=\"\" authDataAlias=\"{}\" xaRecoveryAuthAlias=\"{}\" relationalResourceAdapter=\"builtin_rra\" statementCacheSize=\"100\" datasourceHelperClassname=\"{}\">\n",
            next("DataSource"), esc(&ds.name), esc(&ds.jndi), esc(&ds.app), esc(&ds.auth_alias), esc(&ds.auth_alias), helper
        ));
        s.push_str(&format!(
            "      <propertySet xmi:id=\"{}\">\n",
            next("J2EEResourcePropertySet")
        ));
        let mut props: Vec<(&str, &str, String)> = vec![];
        match vendor {
            DbVendor::Oracle => {
                props.push((
                    "URL",
                    "java.lang.String",
                    format!("jdbc:oracle:thin:@{}:{}:{}", ds.host, ds.port, ds.database),
                ));
                if let Some(schema) = &ds.schema {
                    props.push(("currentSchema", "java.lang.String", schema.clone()));
                }
            }
            _ => {
                props.push(("databaseName", "java.lang.String", ds.database.clone()));
                if vendor == DbVendor::Db2 {
                    props.push(("driverType", "java.lang.Integer", "4".into()));
                }
                props.push(("serverName", "java.lang.String", ds.host.clone()));
                props.push(("portNumber", "java.lang.Integer", ds.port.to_string()));
            }
        }
        props.push((
            "enableMultithreadedAccessDetection",
            "java.lang.Boolean",
            "false".into(),
        ));
        for (name, ty, value) in props {
            s.push_str(&format!(
                "        <resourceProperties xmi:id=\"{}\" name=\"{}\" type=\"{}\" value=\"{}\" description=\"\" required=\"false\"/>\n",
                next("J2EEResourceProperty"), name, ty, esc(&value)
            ));
        }
        s.push_str("      </propertySet>\n");
        s.push_str(&format!(
            "      <connectionPool xmi:id=\"{}\" connectionTimeout=\"180\" maxConnections=\"100\" minConnections=\"1\" reapTime=\"180\" unusedTimeout=\"1800\" agedTimeout=\"0\" purgePolicy=\"EntirePool\"/>\n      <mapping xmi:id=\"{}\" mappingConfigAlias=\"\" authDataAlias=\"{}\"/>\n    </factories>\n  </resources.jdbc:JDBCProvider>\n",
            next("ConnectionPool"), next("MappingModule"), esc(&ds.auth_alias)
        ));
    }
    // The embedded payloads real cells carry (widget catalog XML, a zipped solution).
    let mut rng = Rng::derive(spec.seed, "resources-payload");
    let mut feed_map = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><widgetFeedUrlMap>");
    // About half the payload budget as escaped XML (escaping grows it ~1.3x), a third as a
    // base64 "zip", so the two together come to about `payload_bytes`.
    while feed_map.len() < scale.payload_bytes / 2 {
        feed_map.push_str(&format!(
            "<entry widgetId=\"{}\" url=\"https://{}/connections/opensocial/feeds/{}\"/>",
            rng.hex(16),
            spec.virtual_host,
            rng.hex(24)
        ));
    }
    feed_map.push_str("</widgetFeedUrlMap>");
    let zip_b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(rng.bytes(scale.payload_bytes / 4))
    };
    s.push_str(&format!(
        "  <resources.env:ResourceEnvironmentProvider xmi:id=\"{}\" name=\"WidgetContainerResources\" description=\"Widget container configuration\">\n    <propertySet xmi:id=\"{}\">\n      <resourceProperties xmi:id=\"{}\" name=\"widgetFeedUrlMap.xml\" type=\"java.lang.String\" value=\"{}\" required=\"false\"/>\n      <resourceProperties xmi:id=\"{}\" name=\"SolutionAdministration.zip\" type=\"java.lang.String\" value=\"{}\" required=\"false\"/>\n    </propertySet>\n  </resources.env:ResourceEnvironmentProvider>\n",
        next("ResourceEnvironmentProvider"), next("J2EEResourcePropertySet"), next("J2EEResourceProperty"), esc(&feed_map), next("J2EEResourceProperty"), zip_b64
    ));
    s.push_str(&format!(
        "  <resources.j2c:J2CResourceAdapter xmi:id=\"builtin_rra\" name=\"WebSphere Relational Resource Adapter\" description=\"Built-in Relational Resource Adapter for WebSphere Persistence\" archivePath=\"${{WAS_LIBS_DIR}}/rsadapter.rar\" threadPoolAlias=\"Default\" singleton=\"false\" hACapability=\"RA_NO_HA\">\n    <propertySet xmi:id=\"{}\"/>\n  </resources.j2c:J2CResourceAdapter>\n",
        next("J2EEResourcePropertySet")
    ));
    s.push_str("</xmi:XMI>\n");
    s
}

fn empty_resources() -> String {
    format!("{XMI_HEAD}<xmi:XMI xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:resources.jdbc=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.jdbc.xmi\"/>\n")
}

fn virtualhosts_xml(spec: &Spec) -> String {
    format!(
        "{XMI_HEAD}<xmi:XMI xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:host=\"http://www.ibm.com/websphere/appserver/schemas/5.0/host.xmi\">\n  <host:VirtualHost xmi:id=\"VirtualHost_1\" name=\"default_host\">\n    <aliases xmi:id=\"HostAlias_1\" hostname=\"*\" port=\"80\"/>\n    <aliases xmi:id=\"HostAlias_2\" hostname=\"*\" port=\"443\"/>\n    <aliases xmi:id=\"HostAlias_3\" hostname=\"{}\" port=\"443\"/>\n  </host:VirtualHost>\n</xmi:XMI>\n",
        esc(&spec.virtual_host)
    )
}

pub(crate) fn lcc_xml(spec: &Spec) -> String {
    let e = &spec.expected;
    let mut s = String::from(XMI_HEAD);
    s.push_str(&format!(
        "<config buildlevel=\"{}\" id=\"LotusConnections\" xmlns=\"http://www.ibm.com/LotusConnections-config\" xmlns:sloc=\"http://www.ibm.com/service-location\" xmlns:tns=\"http://www.ibm.com/LotusConnections-config\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.ibm.com/LotusConnections-config LotusConnections-config.xsd\">\n",
        esc(&e.connections.buildlevel)
    ));
    for app in &e.applications {
        let svc = app.name.to_ascii_lowercase();
        let host = spec
            .cell_servers()
            .iter()
            .find(|s| s.cluster.as_deref() == Some(app.cluster.as_str()))
            .map(|s| s.host.clone())
            .unwrap_or_default();
        s.push_str(&format!(
            "  <sloc:serviceReference bootstrapHost=\"{host}\" bootstrapPort=\"2809\" clusterName=\"{cl}\" enabled=\"true\" serviceName=\"{svc}\" ssl_enabled=\"true\">\n    <sloc:href>\n      <sloc:hrefPathPrefix>/{svc}</sloc:hrefPathPrefix>\n      <sloc:static href=\"http://{vh}\" ssl_href=\"https://{vh}\"/>\n      <sloc:interService href=\"https://{vh}\"/>\n    </sloc:href>\n  </sloc:serviceReference>\n",
            host = esc(&host),
            cl = esc(&app.cluster),
            svc = esc(&svc),
            vh = esc(&spec.virtual_host)
        ));
    }
    s.push_str("  <dynamicHosts enabled=\"true\">\n");
    s.push_str(&format!(
        "    <host href=\"http://{vh}\" ssl_href=\"https://{vh}\"/>\n  </dynamicHosts>\n",
        vh = esc(&spec.virtual_host)
    ));
    s.push_str("  <properties>\n    <genericProperty name=\"ignore.lang.param\">true</genericProperty>\n    <genericProperty name=\"com.ibm.lconn.core.web.styles.theme.default\">hikariTheme</genericProperty>\n  </properties>\n");
    s.push_str(&format!(
        "  <versionStamp value=\"{}{}\"/>\n",
        spec.build_date, spec.build_time
    ));
    s.push_str("</config>\n");
    s
}

fn files_config_xml() -> &'static str {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config buildlevel=\"\" id=\"files\" xmlns=\"http://www.ibm.com/files-config\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <file>\n    <storage rootDirectory=\"${FILES_CONTENT_DIR}\"/>\n    <maximumSizeInKb>512000</maximumSizeInKb>\n  </file>\n  <api>\n    <indent enabled=\"false\"/>\n  </api>\n</config>\n"
}

fn profiles_config_xml() -> &'static str {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config buildlevel=\"\" id=\"profiles\" xmlns=\"http://www.ibm.com/profiles-config\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <layoutConfiguration>\n    <businessCardLayout profileType=\"default\">\n      <actions>\n        <action urlPattern=\"mailto:{email}\" email=\"true\" liClass=\"lotusFirst\" labelKey=\"personCardSendMail\"/>\n      </actions>\n    </businessCardLayout>\n  </layoutConfiguration>\n</config>\n"
}

const NOTIFY_FTL: &str = "<#-- Newsletter notification template (customized) -->\n<#import \"../resources/commonStructure.ftl\" as com>\n<@com.notification>${u.resource(__Context)}</@com.notification>\n";

fn cluster_xml(spec: &Spec, name: &str) -> String {
    let mut s = String::from(XMI_HEAD);
    s.push_str(&format!(
        "<topology.cluster:ServerCluster xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:topology.cluster=\"http://www.ibm.com/websphere/appserver/schemas/5.0/topology.cluster.xmi\" xmi:id=\"ServerCluster_1\" name=\"{}\" description=\"\" preferLocal=\"true\" serverType=\"APPLICATION_SERVER\">\n",
        esc(name)
    ));
    if let Some(c) = spec.expected.was.clusters.iter().find(|c| c.name == name) {
        for (i, m) in c.members.iter().enumerate() {
            s.push_str(&format!(
                "  <members xmi:id=\"{}\" memberName=\"{}\" nodeName=\"{}\" weight=\"2\" uniqueId=\"{}\"/>\n",
                xmi_id("ClusterMember", i + 1),
                esc(&m.server),
                esc(&m.node),
                1_686_740_123_456u64 + i as u64
            ));
        }
    }
    s.push_str("</topology.cluster:ServerCluster>\n");
    s
}

fn node_xml(name: &str, host: &str) -> String {
    format!(
        "{XMI_HEAD}<topology.node:Node xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:topology.node=\"http://www.ibm.com/websphere/appserver/schemas/5.0/topology.node.xmi\" xmi:id=\"Node_1\" name=\"{}\" hostName=\"{}\" maxFileDescriptorSize=\"0\"/>\n",
        esc(name),
        esc(host)
    )
}

fn serverindex_xml(spec: &Spec, node: &str) -> String {
    let e = &spec.expected;
    let host = e
        .was
        .nodes
        .iter()
        .find(|n| n.name == node)
        .map(|n| n.host.as_str())
        .unwrap_or("localhost");
    let mut s = String::from(XMI_HEAD);
    s.push_str(&format!(
        "<serverindex:ServerIndex xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:serverindex=\"http://www.ibm.com/websphere/appserver/schemas/5.0/serverindex.xmi\" xmi:id=\"ServerIndex_1\" hostName=\"{}\">\n",
        esc(host)
    ));
    let mut port_base = 9060u32;
    for (i, srv) in spec
        .cell_servers()
        .iter()
        .filter(|s| s.node == node)
        .enumerate()
    {
        s.push_str(&format!(
            "  <serverEntries xmi:id=\"{}\" serverName=\"{}\" serverType=\"{}\" serverUniqueId=\"{}\" serverDisplayName=\"{}\">\n",
            xmi_id("ServerEntry", i + 1),
            esc(&srv.name),
            srv.server_type.as_was(),
            1_686_740_200_000u64 + i as u64,
            esc(&srv.name)
        ));
        if srv.server_type == ServerType::ApplicationServer {
            if let Some(cl) = &srv.cluster {
                for app in e.applications.iter().filter(|a| &a.cluster == cl) {
                    s.push_str(&format!(
                        "    <deployedApplications>{0}.ear/deployments/{0}</deployedApplications>\n",
                        esc(&app.name)
                    ));
                }
            }
        }
        let endpoints: &[(&str, u32)] = match srv.server_type {
            ServerType::DeploymentManager => &[
                ("BOOTSTRAP_ADDRESS", 9809),
                ("SOAP_CONNECTOR_ADDRESS", 8879),
                ("WC_adminhost_secure", 9043),
            ],
            ServerType::NodeAgent => &[
                ("BOOTSTRAP_ADDRESS", 2809),
                ("SOAP_CONNECTOR_ADDRESS", 8878),
            ],
            ServerType::ApplicationServer => &[
                ("BOOTSTRAP_ADDRESS", 2810),
                ("SOAP_CONNECTOR_ADDRESS", 8880),
                ("WC_defaulthost", 9080),
                ("WC_defaulthost_secure", 9443),
            ],
            ServerType::WebServer => {
                &[("WEBSERVER_ADDRESS", 80), ("WEBSERVER_ADMIN_ADDRESS", 8008)]
            }
        };
        for (j, (name, port)) in endpoints.iter().enumerate() {
            let port = if srv.server_type == ServerType::ApplicationServer && *port > 1000 {
                port + (i as u32) * 10
            } else {
                *port
            };
            s.push_str(&format!(
                "    <specialEndpoints xmi:id=\"{}\" endPointName=\"{}\">\n      <endPoint xmi:id=\"{}\" host=\"{}\" port=\"{}\"/>\n    </specialEndpoints>\n",
                xmi_id("NamedEndPoint", i * 10 + j),
                name,
                xmi_id("EndPoint", i * 10 + j),
                if *name == "SOAP_CONNECTOR_ADDRESS" || *name == "BOOTSTRAP_ADDRESS" { esc(host) } else { "*".into() },
                port
            ));
        }
        port_base += 1;
        s.push_str("  </serverEntries>\n");
    }
    let _ = port_base;
    s.push_str("</serverindex:ServerIndex>\n");
    s
}

fn server_xml(spec: &Spec, name: &str, ty: ServerType, cluster: Option<&str>) -> String {
    let mut s = String::from(XMI_HEAD);
    let cl = cluster
        .map(|c| format!(" clusterName=\"{}\"", esc(c)))
        .unwrap_or_default();
    s.push_str(&format!(
        "<process:Server xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:process=\"http://www.ibm.com/websphere/appserver/schemas/5.0/process.xmi\" xmlns:processexec=\"http://www.ibm.com/websphere/appserver/schemas/5.0/processexec.xmi\" xmlns:webserver=\"http://www.ibm.com/websphere/appserver/schemas/6.0/webserver.xmi\" xmi:id=\"Server_1\" name=\"{}\"{cl}>\n",
        esc(name)
    ));
    if ty == ServerType::WebServer {
        s.push_str("  <components xmi:type=\"webserver:WebServer\" xmi:id=\"WebServer_1\" webserverType=\"IHS\" webserverInstallRoot=\"/opt/IBM/HTTPServer\" pluginInstallRoot=\"/opt/IBM/WebSphere/Plugins\" configurationFilename=\"${WEB_INSTALL_ROOT}/conf/httpd.conf\" logFilenameAccess=\"${WEB_INSTALL_ROOT}/logs/access_log\" logFilenameError=\"${WEB_INSTALL_ROOT}/logs/error_log\" webAppMapping=\"ALL\">\n    <plugin xmi:id=\"PluginProperties_1\" PluginGeneration=\"AUTOMATIC\" PluginPropagation=\"AUTOMATIC\" ConfigFilename=\"plugin-cfg.xml\" KeyRingFilename=\"plugin-key.kdb\" StashfileLocation=\"plugin-key.sth\" RemoteConfigFilename=\"/opt/IBM/WebSphere/Plugins/config/webserver1/plugin-cfg.xml\" RemoteKeyRingFileName=\"/opt/IBM/WebSphere/Plugins/config/webserver1/plugin-key.kdb\" LogFilename=\"/opt/IBM/WebSphere/Plugins/logs/webserver1/http_plugin.log\"/>\n  </components>\n");
    } else {
        let heap = match ty {
            ServerType::ApplicationServer => (2048, 4096),
            _ => (256, 1024),
        };
        s.push_str(&format!(
            "  <stateManagement xmi:id=\"StateManageable_1\" initialState=\"START\"/>\n  <processDefinitions xmi:type=\"processexec:JavaProcessDef\" xmi:id=\"JavaProcessDef_1\" workingDirectory=\"${{USER_INSTALL_ROOT}}\" executableTargetKind=\"JAVA_CLASS\" executableTarget=\"com.ibm.ws.runtime.WsServer\">\n    <execution xmi:id=\"ProcessExecution_1\" processPriority=\"20\" runAsUser=\"\" runAsGroup=\"\"/>\n    <jvmEntries xmi:id=\"JavaVirtualMachine_1\" verboseModeClass=\"false\" verboseModeGarbageCollection=\"false\" verboseModeJNI=\"false\" initialHeapSize=\"{}\" maximumHeapSize=\"{}\" runHProf=\"false\" debugMode=\"false\" genericJvmArguments=\"-Xgcpolicy:gencon -Xmn512m -Dcnx.sample.seed={}\"/>\n  </processDefinitions>\n",
            heap.0, heap.1, spec.seed
        ));
    }
    s.push_str("</process:Server>\n");
    s
}
