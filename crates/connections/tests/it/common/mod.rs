//! A small hand-written deployment for discovery tests that need to break one file at a
//! time (the `sample` crate builds the full variants).
#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

pub const ASR: &str = "/opt/IBM/WebSphere/AppServer";
pub const DMGR: &str = "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01";
pub const APPSRV: &str = "/opt/IBM/WebSphere/AppServer/profiles/AppSrv01";
pub const CELL_DIR: &str = "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01/config/cells/ICCell";
pub const CNX: &str = "/opt/IBM/Connections";

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn real(&self, product: &str) -> PathBuf {
        self.root().join(product.trim_start_matches('/'))
    }

    pub fn write(&self, product: &str, text: &str) {
        let p = self.real(product);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    pub fn sysroot(&self) -> websphere::Sysroot {
        websphere::Sysroot::new(self.root()).unwrap()
    }

    /// A dmgr and one managed node with a cluster, DB2 datasources, CCM at 8.0 CR14.
    pub fn new() -> Fixture {
        let f = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        f.write(
            &format!("{ASR}/properties/profileRegistry.xml"),
            &format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<profiles>\n  <profile isAReservationTicket=\"false\" isDefault=\"true\" name=\"Dmgr01\" path=\"{DMGR}\" template=\"{ASR}/profileTemplates/management\"/>\n  <profile isAReservationTicket=\"false\" isDefault=\"false\" name=\"AppSrv01\" path=\"{APPSRV}\" template=\"{ASR}/profileTemplates/default\"/>\n</profiles>\n"
            ),
        );
        f.write(
            &format!("{DMGR}/properties/profileKey.metadata"),
            "com.ibm.ws.profile.type=DEPLOYMENT_MANAGER\ncom.ibm.ws.profile.node=dmgrNode\n",
        );
        f.write(
            &format!("{APPSRV}/properties/profileKey.metadata"),
            "com.ibm.ws.profile.type=BASE\n",
        );
        for profile in [DMGR, APPSRV] {
            f.cell(profile);
        }
        f.write(
            &format!("{CELL_DIR}/security.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<security:Security xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:security=\"http://www.ibm.com/websphere/appserver/schemas/5.0/security.xmi\" enabled=\"true\">\n  <authDataEntries xmi:id=\"JAASAuthData_1\" alias=\"connectionsAdmin\" userId=\"wasadmin\" password=\"{xor}KD4sPjsyNjE=\"/>\n  <authDataEntries xmi:id=\"JAASAuthData_2\" alias=\"filenetAdmin\" userId=\"wasadmin\" password=\"{xor}KD4sPjsyNjE=\"/>\n  <authDataEntries xmi:id=\"JAASAuthData_3\" alias=\"filesJAASAuth\" userId=\"lcuser\" password=\"{xor}KD4sPjsyNjE=\"/>\n</security:Security>\n",
        );
        f.write(
            &format!("{CELL_DIR}/fileRegistry.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sdo:datagraph xmlns:sdo=\"commonj.sdo\" xmlns:wim=\"http://www.ibm.com/websphere/wim\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n  <wim:Root>\n    <wim:entities xsi:type=\"wim:PersonAccount\">\n      <wim:identifier externalId=\"a1\" externalName=\"uid=wasadmin,o=defaultWIMFileBasedRealm\" uniqueId=\"a1\" uniqueName=\"uid=wasadmin,o=defaultWIMFileBasedRealm\"/>\n      <wim:parent><wim:identifier uniqueName=\"o=defaultWIMFileBasedRealm\"/></wim:parent>\n      <wim:uid>wasadmin</wim:uid>\n      <wim:cn>wasadmin</wim:cn>\n      <wim:sn>wasadmin</wim:sn>\n    </wim:entities>\n  </wim:Root>\n</sdo:datagraph>\n",
        );
        f.write(
            &format!("{CELL_DIR}/LotusConnections-config/LotusConnections-config.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config buildlevel=\"IC8.0_CR14_20230601_1200\" id=\"LotusConnections\" xmlns=\"http://www.ibm.com/LotusConnections-config\">\n  <sloc:serviceReference xmlns:sloc=\"http://www.ibm.com/service-location\" serviceName=\"files\"/>\n</config>\n",
        );
        f.write(
            &format!("{CELL_DIR}/variables.xml"),
            &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<variables:VariableMap xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:variables=\"http://www.ibm.com/websphere/appserver/schemas/5.0/variables.xmi\">\n  <entries xmi:id=\"VariableSubstitutionEntry_1\" symbolicName=\"CNX_SHARED\" value=\"{CNX}/data/shared\"/>\n  <entries xmi:id=\"VariableSubstitutionEntry_2\" symbolicName=\"CONNECTIONS_PROVISION_PATH\" value=\"${{CNX_SHARED}}/provision\"/>\n  <entries xmi:id=\"VariableSubstitutionEntry_3\" symbolicName=\"CONNECTIONS_CUSTOMIZATION_PATH\" value=\"{CNX}/data/shared/customization\"/>\n  <entries xmi:id=\"VariableSubstitutionEntry_4\" symbolicName=\"FILES_CONTENT_DIR\" value=\"${{CNX_SHARED}}/files/upload\"/>\n  <entries xmi:id=\"VariableSubstitutionEntry_5\" symbolicName=\"SEARCH_INDEX_DIR\" value=\"/srv/local/search/index\"/>\n</variables:VariableMap>\n"),
        );
        f.write(
            &format!("{CELL_DIR}/resources.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xmi:XMI xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:resources.jdbc=\"http://www.ibm.com/websphere/appserver/schemas/5.0/resources.jdbc.xmi\">\n  <resources.jdbc:JDBCProvider xmi:id=\"JDBCProvider_1\" name=\"DB2 Universal JDBC Driver Provider\" providerType=\"DB2 Universal JDBC Driver Provider\" implementationClassName=\"com.ibm.db2.jcc.DB2ConnectionPoolDataSource\">\n    <factories xmi:type=\"resources.jdbc:DataSource\" xmi:id=\"DataSource_1\" name=\"files\" jndiName=\"jdbc/files\" authDataAlias=\"filesJAASAuth\">\n      <propertySet xmi:id=\"J2EEResourcePropertySet_1\">\n        <resourceProperties xmi:id=\"p1\" name=\"databaseName\" type=\"java.lang.String\" value=\"FILES\"/>\n        <resourceProperties xmi:id=\"p2\" name=\"serverName\" type=\"java.lang.String\" value=\"db.example.com\"/>\n        <resourceProperties xmi:id=\"p3\" name=\"portNumber\" type=\"java.lang.Integer\" value=\"50000\"/>\n      </propertySet>\n    </factories>\n    <factories xmi:type=\"resources.jdbc:DataSource\" xmi:id=\"DataSource_2\" name=\"files_xa\" jndiName=\"jdbc/filesxa\" authDataAlias=\"filesJAASAuth\">\n      <propertySet xmi:id=\"J2EEResourcePropertySet_2\">\n        <resourceProperties xmi:id=\"p4\" name=\"databaseName\" type=\"java.lang.String\" value=\"FILES\"/>\n        <resourceProperties xmi:id=\"p5\" name=\"serverName\" type=\"java.lang.String\" value=\"DB.example.com\"/>\n        <resourceProperties xmi:id=\"p6\" name=\"portNumber\" type=\"java.lang.Integer\" value=\"50000\"/>\n      </propertySet>\n    </factories>\n    <factories xmi:type=\"resources.jdbc:DataSource\" xmi:id=\"DataSource_3\" name=\"FNGCDDS\" jndiName=\"jdbc/FNGCDDS\" authDataAlias=\"filenetAdmin\">\n      <propertySet xmi:id=\"J2EEResourcePropertySet_3\">\n        <resourceProperties xmi:id=\"p7\" name=\"databaseName\" type=\"java.lang.String\" value=\"FNGCD\"/>\n        <resourceProperties xmi:id=\"p8\" name=\"serverName\" type=\"java.lang.String\" value=\"db.example.com\"/>\n        <resourceProperties xmi:id=\"p9\" name=\"portNumber\" type=\"java.lang.Integer\" value=\"50000\"/>\n      </propertySet>\n    </factories>\n  </resources.jdbc:JDBCProvider>\n</xmi:XMI>\n",
        );
        let dep = format!("{CELL_DIR}/applications/Files.ear/deployments/Files/META-INF");
        f.write(
            &format!("{dep}/ibm-application-bnd.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<application-bnd xmlns=\"http://websphere.ibm.com/xml/ns/javaee\" version=\"1.0\">\n  <security-role name=\"reader\">\n    <special-subject type=\"EVERYONE\"/>\n  </security-role>\n  <security-role name=\"admin\">\n    <user name=\"wasadmin\"/>\n    <group name=\"cnxadmins\"/>\n  </security-role>\n</application-bnd>\n",
        );
        f.write(
            "/var/ibm/InstallationManager/installed.xml",
            &format!("<?xml version='1.0' encoding='UTF-8'?>\n<installInfo>\n  <location id='IBM Installation Manager' path='/opt/IBM/InstallationManager/eclipse' kind='im'>\n    <package id='com.ibm.cic.agent' version='1.9.2003.20220917_1018'/>\n  </location>\n  <location id='IBM WebSphere Application Server V8.5' path='{ASR}' kind='product'>\n    <package id='com.ibm.websphere.ND.v85' version='8.5.5024.20230628_1659'/>\n  </location>\n  <location id='HCL Connections' path='{CNX}' kind='product'>\n    <package id='com.ibm.connections' version='8.0.0.0_CR14'/>\n  </location>\n</installInfo>\n"),
        );
        f.write(
            &format!("{CNX}/version/KB0101234.efix"),
            "<?xml version=\"1.0\"?>\n<efix id=\"KB0101234\" short-description=\"fix\" build-version=\"20230101.0000\" build-date=\"01/01/2023\"/>\n",
        );
        f.write(
            &format!("{CNX}/version/KB0100001.efix"),
            "<?xml version=\"1.0\"?>\n<efix id=\"KB0100001\" short-description=\"fix\" build-version=\"20230101.0000\" build-date=\"01/01/2023\"/>\n",
        );
        f.write(
            &format!("{CNX}/bin/uninstall-launcher.sh"),
            "#!/bin/sh\n# Build: 8.0.0.0_CR14 20230601-1200\nexit 0\n",
        );
        f.write(
            &format!("{CNX}/FileNet/ContentEngine/tools/configure/profiles/CCM/ear/Engine-ws.ear"),
            "ear",
        );
        f.write(&format!("{CNX}/data/shared/ccm/content/fn.dat"), "x");
        f.write(
            &format!("{CNX}/data/shared/provision/webresources/com.ibm.lconn.files.web.resources_4.0.20230601-1200.jar"),
            "jar",
        );
        f
    }

    /// The cell tree under one profile (node copies are the same as the dmgr's).
    fn cell(&self, profile: &str) {
        let cell = format!("{profile}/config/cells/ICCell");
        self.write(
            &format!("{cell}/nodes/dmgrNode/serverindex.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<serverindex:ServerIndex xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:serverindex=\"http://www.ibm.com/websphere/appserver/schemas/5.0/serverindex.xmi\" hostName=\"cnx-dmgr.example.com\">\n  <serverEntries xmi:id=\"ServerEntry_1\" serverName=\"dmgr\" serverType=\"DEPLOYMENT_MANAGER\"/>\n</serverindex:ServerIndex>\n",
        );
        self.write(
            &format!("{cell}/nodes/dmgrNode/servers/dmgr/server.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<process:Server xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:process=\"http://www.ibm.com/websphere/appserver/schemas/5.0/process.xmi\" name=\"dmgr\"/>\n",
        );
        self.write(
            &format!("{cell}/nodes/node1/serverindex.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<serverindex:ServerIndex xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:serverindex=\"http://www.ibm.com/websphere/appserver/schemas/5.0/serverindex.xmi\" hostName=\"cnx1.example.com\">\n  <serverEntries xmi:id=\"ServerEntry_2\" serverName=\"nodeagent\" serverType=\"NODE_AGENT\"/>\n  <serverEntries xmi:id=\"ServerEntry_3\" serverName=\"Apps_server1\" serverType=\"APPLICATION_SERVER\">\n    <deployedApplications>Files.ear/deployments/Files</deployedApplications>\n  </serverEntries>\n  <serverEntries xmi:id=\"ServerEntry_4\" serverName=\"webserver1\" serverType=\"WEB_SERVER\"/>\n</serverindex:ServerIndex>\n",
        );
        for s in ["nodeagent", "Apps_server1"] {
            let cluster = if s == "Apps_server1" {
                " clusterName=\"Apps\""
            } else {
                ""
            };
            self.write(
                &format!("{cell}/nodes/node1/servers/{s}/server.xml"),
                &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<process:Server xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:process=\"http://www.ibm.com/websphere/appserver/schemas/5.0/process.xmi\" name=\"{s}\"{cluster}/>\n"),
            );
        }
        self.write(
            &format!("{cell}/clusters/Apps/cluster.xml"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<topology.cluster:ServerCluster xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:topology.cluster=\"http://www.ibm.com/websphere/appserver/schemas/5.0/topology.cluster.xmi\" name=\"Apps\">\n  <members xmi:id=\"ClusterMember_1\" memberName=\"Apps_server1\" nodeName=\"node1\"/>\n</topology.cluster:ServerCluster>\n",
        );
    }
}
