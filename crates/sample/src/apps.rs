//! Deployed applications: the cell copy under `config/cells/<cell>/applications/` (with
//! the security role bindings) and the expanded copies under `installedApps/`.

use crate::expected::RoleMapping;
use crate::rng::Rng;
use crate::topology::Spec;
use crate::tree::Tree;
use crate::xml::esc;
use crate::{SampleError, Scale};

/// Writes `applications/<App>.ear/` for every application into a cell directory.
pub(crate) fn write_cell_applications(
    tree: &Tree,
    spec: &Spec,
    scale: &Scale,
    cell_dir: &str,
) -> Result<(), SampleError> {
    let e = &spec.expected;
    for app in &e.applications {
        let base = format!("{cell_dir}/applications/{0}.ear", app.name);
        let mut rng = Rng::derive(spec.seed, &format!("ear-{}", app.name));
        tree.write(
            format!("{base}/{}.ear", app.name).as_str(),
            rng.bytes(scale.ear_bytes),
        )?;
        let dep = format!("{base}/deployments/{}", app.name);
        tree.write(
            format!("{dep}/deployment.xml").as_str(),
            deployment_xml(spec, &app.name, &app.cluster),
        )?;
        let roles = e.role_mappings.get(&app.name).cloned().unwrap_or_default();
        tree.write(
            format!("{dep}/META-INF/application.xml").as_str(),
            application_xml(&app.name, &roles),
        )?;
        let bnd = if app.bindings_file.ends_with(".xml") {
            bnd_xml(&roles)
        } else {
            bnd_xmi(&roles)
        };
        tree.write(
            format!("{dep}/META-INF/{}", app.bindings_file).as_str(),
            bnd,
        )?;
        tree.write(
            format!("{dep}/META-INF/MANIFEST.MF").as_str(),
            format!(
                "Manifest-Version: 1.0\nImplementation-Title: {}\nImplementation-Version: [IC{}_Integration] {}-{}\nImplementation-Vendor: {}\n",
                app.name,
                implementation_level(spec),
                spec.build_date,
                spec.build_time,
                if spec.hcl { "HCL" } else { "IBM" }
            ),
        )?;
    }
    Ok(())
}

fn implementation_level(spec: &Spec) -> String {
    let c = &spec.expected.connections;
    let level: String = c
        .offering_version
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".");
    match c.cr {
        Some(n) => format!("{level}_CR{n}"),
        None => level,
    }
}

/// Writes the expanded applications deployed on a node into `<profile>/installedApps`.
pub(crate) fn write_installed_apps(
    tree: &Tree,
    spec: &Spec,
    scale: &Scale,
    profile_path: &str,
    node: &str,
) -> Result<(), SampleError> {
    let e = &spec.expected;
    let clusters: Vec<&str> = e
        .was
        .servers
        .iter()
        .filter(|s| s.node == node)
        .filter_map(|s| s.cluster.as_deref())
        .collect();
    for app in e
        .applications
        .iter()
        .filter(|a| clusters.contains(&a.cluster.as_str()))
    {
        let mut rng = Rng::derive(spec.seed, &format!("installed-{}", app.name));
        let ear = format!(
            "{profile_path}/installedApps/{}/{}.ear",
            e.was.cell, app.name
        );
        let war = format!("{ear}/{}.war", app.name.to_ascii_lowercase());
        tree.write(
            format!("{war}/WEB-INF/web.xml").as_str(),
            web_xml(&app.name),
        )?;
        tree.write(
            format!(
                "{war}/WEB-INF/lib/lc.{}.web.jar",
                app.name.to_ascii_lowercase()
            )
            .as_str(),
            rng.bytes(scale.jar_bytes),
        )?;
        tree.write(
            format!("{war}/nav/templates/header.jsp").as_str(),
            rng.text(600),
        )?;
        tree.write(
            format!("{war}/nav/templates/footer.jsp").as_str(),
            rng.text(400),
        )?;
        tree.write(
            format!("{ear}/META-INF/application.xml").as_str(),
            application_xml(&app.name, &[]),
        )?;
        tree.write(
            format!("{ear}/META-INF/MANIFEST.MF").as_str(),
            "Manifest-Version: 1.0\n",
        )?;
    }
    Ok(())
}

fn deployment_xml(spec: &Spec, app: &str, cluster: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<appdeployment:Deployment xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:appdeployment=\"http://www.ibm.com/websphere/appserver/schemas/5.0/appdeployment.xmi\" xmi:id=\"Deployment_1\">\n  <deployedObject xmi:type=\"appdeployment:ApplicationDeployment\" xmi:id=\"ApplicationDeployment_1\" deploymentId=\"0\" startingWeight=\"1\" binariesURL=\"$(APP_INSTALL_ROOT)/{cell}/{app}.ear\" useMetadataFromBinaries=\"false\" enableDistribution=\"true\" warClassLoaderPolicy=\"MULTIPLE\" createMBeansForResources=\"true\" reloadEnabled=\"false\" appContextIDForSecurity=\"href:{cell}/{app}\" filePermission=\".*\\.dll=755#.*\\.so=755#.*\\.a=755#.*\\.sl=755\" allowDispatchRemoteInclude=\"false\" allowServiceRemoteInclude=\"false\">\n    <targetMappings xmi:id=\"DeploymentTargetMapping_1\" enable=\"true\" target=\"ClusteredTarget_1\"/>\n    <modules xmi:type=\"appdeployment:WebModuleDeployment\" xmi:id=\"WebModuleDeployment_1\" startingWeight=\"10000\" uri=\"{lower}.war\"/>\n  </deployedObject>\n  <deploymentTargets xmi:type=\"appdeployment:ClusteredTarget\" xmi:id=\"ClusteredTarget_1\" name=\"{cl}\"/>\n</appdeployment:Deployment>\n",
        cell = esc(&spec.expected.was.cell),
        app = esc(app),
        lower = esc(&app.to_ascii_lowercase()),
        cl = esc(cluster)
    )
}

fn application_xml(app: &str, roles: &[RoleMapping]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<application id=\"Application_ID\" version=\"5\" xmlns=\"http://java.sun.com/xml/ns/javaee\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://java.sun.com/xml/ns/javaee http://java.sun.com/xml/ns/javaee/application_5.xsd\">\n  <display-name>{0}</display-name>\n  <module id=\"WebModule_1\">\n    <web>\n      <web-uri>{1}.war</web-uri>\n      <context-root>/{1}</context-root>\n    </web>\n  </module>\n",
        esc(app),
        esc(&app.to_ascii_lowercase())
    );
    for (i, r) in roles.iter().enumerate() {
        s.push_str(&format!(
            "  <security-role id=\"SecurityRole_{}\">\n    <role-name>{}</role-name>\n  </security-role>\n",
            i + 1,
            esc(&r.role)
        ));
    }
    s.push_str("</application>\n");
    s
}

/// J2EE 1.4 style bindings: roles are referenced by id into `application.xml`.
fn bnd_xmi(roles: &[RoleMapping]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<applicationbnd:ApplicationBinding xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:applicationbnd=\"applicationbnd.xmi\" xmi:id=\"Application_ID_Bnd\">\n  <authorizationTable xmi:id=\"AuthorizationTable_1\">\n");
    let mut n = 0;
    for (i, r) in roles.iter().enumerate() {
        s.push_str(&format!(
            "    <authorizations xmi:id=\"RoleAssignment_{0}\">\n      <role href=\"META-INF/application.xml#SecurityRole_{0}\"/>\n",
            i + 1
        ));
        for u in &r.users {
            n += 1;
            s.push_str(&format!(
                "      <users xmi:id=\"User_{n}\" name=\"{0}\" accessId=\"user:defaultWIMFileBasedRealm/uid={0},o=defaultWIMFileBasedRealm\"/>\n",
                esc(u)
            ));
        }
        for g in &r.groups {
            n += 1;
            s.push_str(&format!(
                "      <groups xmi:id=\"Group_{n}\" name=\"{0}\" accessId=\"group:defaultWIMFileBasedRealm/cn={0},o=defaultWIMFileBasedRealm\"/>\n",
                esc(g)
            ));
        }
        if r.everyone {
            n += 1;
            s.push_str(&format!("      <specialSubjects xmi:type=\"applicationbnd:Everyone\" xmi:id=\"Everyone_{n}\" name=\"Everyone\"/>\n"));
        }
        if r.all_authenticated {
            n += 1;
            s.push_str(&format!("      <specialSubjects xmi:type=\"applicationbnd:AllAuthenticatedUsers\" xmi:id=\"AllAuthenticatedUsers_{n}\" name=\"AllAuthenticatedUsers\"/>\n"));
        }
        s.push_str("    </authorizations>\n");
    }
    s.push_str("  </authorizationTable>\n  <application href=\"META-INF/application.xml#Application_ID\"/>\n</applicationbnd:ApplicationBinding>\n");
    s
}

/// Java EE 5+ style bindings: roles by name.
fn bnd_xml(roles: &[RoleMapping]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<application-bnd xmlns=\"http://websphere.ibm.com/xml/ns/javaee\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://websphere.ibm.com/xml/ns/javaee http://websphere.ibm.com/xml/ns/javaee/ibm-application-bnd_1_0.xsd\" version=\"1.0\">\n");
    for r in roles {
        s.push_str(&format!("  <security-role name=\"{}\">\n", esc(&r.role)));
        for u in &r.users {
            s.push_str(&format!(
                "    <user name=\"{0}\" access-id=\"user:defaultWIMFileBasedRealm/uid={0},o=defaultWIMFileBasedRealm\"/>\n",
                esc(u)
            ));
        }
        for g in &r.groups {
            s.push_str(&format!(
                "    <group name=\"{0}\" access-id=\"group:defaultWIMFileBasedRealm/cn={0},o=defaultWIMFileBasedRealm\"/>\n",
                esc(g)
            ));
        }
        if r.everyone {
            s.push_str("    <special-subject type=\"EVERYONE\"/>\n");
        }
        if r.all_authenticated {
            s.push_str("    <special-subject type=\"ALL_AUTHENTICATED_USERS\"/>\n");
        }
        s.push_str("  </security-role>\n");
    }
    s.push_str("</application-bnd>\n");
    s
}

fn web_xml(app: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<web-app id=\"WebApp_ID\" version=\"2.5\" xmlns=\"http://java.sun.com/xml/ns/javaee\">\n  <display-name>{}</display-name>\n</web-app>\n",
        esc(app)
    )
}

/// The text `AdminApp.view(app, ['-MapRolesToUsers'])` prints for these roles.
pub(crate) fn wsadmin_role_view(roles: &[RoleMapping]) -> String {
    let mut s = String::from("MapRolesToUsers: Map roles to users or groups\n\n");
    let yn = |b: bool| if b { "Yes" } else { "No" };
    for r in roles {
        let access = |kind: &str, names: &[String], base: &str| {
            names
                .iter()
                .map(|n| {
                    format!("{kind}:defaultWIMFileBasedRealm/{base}={n},o=defaultWIMFileBasedRealm")
                })
                .collect::<Vec<_>>()
                .join("|")
        };
        s.push_str(&format!(
            "Role:  {}\nEveryone?:  {}\nAll authenticated?:  {}\nMapped users:  {}\nMapped groups:  {}\nMapped users access ids:  {}\nMapped groups access ids:  {}\n\n",
            r.role,
            yn(r.everyone),
            yn(r.all_authenticated),
            r.users.join("|"),
            r.groups.join("|"),
            access("user", &r.users, "uid"),
            access("group", &r.groups, "cn"),
        ));
    }
    s
}
