//! Shared data (content stores, `provision`, CCM storage, customization) and local data
//! (search and catalog indexes).

use crate::rng::Rng;
use crate::topology::Spec;
use crate::tree::Tree;
use crate::{SampleError, Scale};

/// Web-resource bundles in `provision/webresources` (one or more per app, plus utilities).
pub(crate) const WEBRESOURCE_BUNDLES: &[&str] = &[
    "com.ibm.lconn.core.web.resources",
    "com.ibm.lconn.activities.web.resources",
    "com.ibm.lconn.blogs.web.resources",
    "com.ibm.lconn.communities.web.resources",
    "com.ibm.lconn.files.web.resources",
    "com.ibm.lconn.homepage.web.resources",
    "com.ibm.lconn.profiles.web.resources",
    "com.ibm.lconn.wikis.web.resources",
    "com.ibm.social.sharebox.web.resources",
];

/// The version stamp in bundle names, e.g. `8.0.20230614-1200`.
pub(crate) fn bundle_stamp(release_level: &str, date: &str, time: &str) -> String {
    format!("{release_level}.{date}-{time}")
}

fn release_level(spec: &Spec) -> String {
    spec.expected
        .connections
        .offering_version
        .split('.')
        .take(2)
        .collect::<Vec<_>>()
        .join(".")
}

pub(crate) fn write_provision(
    tree: &Tree,
    spec: &Spec,
    scale: &Scale,
    stamp: &str,
) -> Result<(), SampleError> {
    let prov = &spec.expected.data.provision_path;
    let mut rng = Rng::derive(spec.seed, &format!("provision-{stamp}"));
    for b in WEBRESOURCE_BUNDLES {
        tree.write(
            format!("{prov}/webresources/{b}_{stamp}.jar").as_str(),
            rng.bytes(scale.jar_bytes),
        )?;
    }
    Ok(())
}

pub(crate) fn write_data(tree: &Tree, spec: &Spec, scale: &Scale) -> Result<(), SampleError> {
    let e = &spec.expected;
    let shared = &e.data.shared_root;
    let local = &e.data.local_root;
    let v = &e.data.variables;
    let var = |k: &str| v.get(k).cloned().unwrap_or_default();
    let mut rng = Rng::derive(spec.seed, "data");

    write_provision(
        tree,
        spec,
        scale,
        &bundle_stamp(&release_level(spec), &spec.build_date, &spec.build_time),
    )?;

    // Files: two-level hashed directories of uuid-named blobs.
    let files = var("FILES_CONTENT_DIR");
    for i in 0..scale.upload_files {
        let id = rng.hex(32);
        let size = scale.upload_bytes / 2 + rng.below(scale.upload_bytes as u64) as usize;
        tree.write(
            format!("{files}/{}/{}/{id}", i % 128, (i * 7) % 128).as_str(),
            rng.text(size),
        )?;
    }
    tree.mkdir_mode(format!("{files}/temp").as_str(), 0o700)?;
    // A file name that is not valid UTF-8 (Latin-1 "café-résumé.odt"), as old imports leave.
    tree.write_raw_name(
        format!("{files}/imports").as_str(),
        b"caf\xe9-r\xe9sum\xe9.odt",
        &rng.text(300),
    )?;

    let wikis = var("WIKIS_CONTENT_DIR");
    for i in 0..scale.upload_files.div_ceil(2) {
        tree.write(
            format!("{wikis}/{}/{}", i % 16, rng.hex(32)).as_str(),
            rng.text(scale.upload_bytes),
        )?;
    }
    let act = var("ACTIVITIES_CONTENT_DIR");
    tree.write(
        format!("{act}/{}/attachment.bin", rng.hex(16)).as_str(),
        rng.bytes(scale.upload_bytes),
    )?;
    tree.mkdir(var("ACTIVITIES_STATS_DIR").as_str())?;
    tree.write(
        format!("{}/summary.csv", var("ACTIVITIES_STATS_DIR")).as_str(),
        rng.text(200),
    )?;
    let blogs = var("BLOGS_CONTENT_DIR");
    tree.write(
        format!("{blogs}/{}/images/photo.jpg", rng.hex(16)).as_str(),
        rng.bytes(scale.upload_bytes),
    )?;
    tree.write(
        format!("{}/favicon-{}.ico", var("DOGEAR_FAVICON_DIR"), rng.hex(8)).as_str(),
        rng.bytes(318),
    )?;
    tree.write(
        format!(
            "{}/{}/attachment.txt",
            var("FORUM_CONTENT_DIR"),
            rng.hex(16)
        )
        .as_str(),
        rng.text(scale.upload_bytes),
    )?;
    tree.write(
        format!("{}/stats.csv", var("COMMUNITIES_STATS_DIR")).as_str(),
        rng.text(200),
    )?;
    tree.write(
        format!("{}/stats.csv", var("PROFILES_STATS_DIR")).as_str(),
        rng.text(200),
    )?;
    tree.write(
        format!("{}/PushStore/store.dat", var("MESSAGE_STORE_PATH")).as_str(),
        rng.bytes(scale.upload_bytes),
    )?;
    tree.write(format!("{shared}/search/staging/.keep").as_str(), "")?;

    // CCM storage area.
    if let Some(storage) = &e.connections.ccm.storage_dir {
        for i in 0..scale.upload_files.div_ceil(2) {
            tree.write(
                format!(
                    "{storage}/objectstore/content/FN{}/FN{}/{{{}}}-0.dat",
                    i % 23,
                    (i * 3) % 23,
                    rng.hex(32).to_ascii_uppercase()
                )
                .as_str(),
                rng.bytes(scale.upload_bytes),
            )?;
        }
        tree.mkdir_mode(format!("{storage}/objectstore/inbound").as_str(), 0o700)?;
        tree.write(format!("{storage}/fn_gcd.lock").as_str(), "")?;
    }

    // Customization directory.
    let cust = &e.data.customization_path;
    tree.write(
        format!("{cust}/common/nav/templates/header.jsp").as_str(),
        "<%-- customized header --%>\n<div class=\"lotusBanner\">Example Corp</div>\n",
    )?;
    tree.write(
        format!("{cust}/strings/activities.properties").as_str(),
        "label.activities.title=Team Activities\n",
    )?;
    tree.write(
        format!("{cust}/javascript/com/example/custom.js").as_str(),
        "define([], function () { return {}; });\n",
    )?;
    tree.write(
        format!("{cust}/themes/custom/theme.css").as_str(),
        ".lotusui { color: #123456; }\n",
    )?;
    tree.mkdir(format!("{cust}/themes/empty").as_str())?;
    tree.write_mode(
        format!("{cust}/profiles/profiles-policy.xml").as_str(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<config id=\"profiles-policy\"/>\n",
        0o600,
    )?;

    // Local data: search and catalog indexes.
    let search = var("SEARCH_INDEX_DIR");
    for app in [
        "activities",
        "blogs",
        "files",
        "forums",
        "profiles",
        "wikis",
    ] {
        for seg in 0..scale.index_files {
            tree.write(
                format!("{search}/{app}/_{seg}.cfs").as_str(),
                rng.bytes(scale.index_bytes),
            )?;
        }
        tree.write(format!("{search}/{app}/segments_1").as_str(), rng.bytes(64))?;
    }
    tree.write(format!("{search}/INDEX.READY").as_str(), "")?;
    tree.mkdir(format!("{search}/tmp").as_str())?;
    tree.write(
        format!("{}/dictionary.dic", var("SEARCH_DICTIONARY_DIR")).as_str(),
        rng.text(500),
    )?;
    tree.write(
        format!("{}/_0.cfs", var("CATALOG_INDEX_DIR")).as_str(),
        rng.bytes(scale.index_bytes),
    )?;
    tree.mkdir(format!("{local}/tmp").as_str())?;

    // HCL layouts keep a convenience link from the install to the relocated share.
    let default_shared = format!("{}/data/shared", e.connections.root);
    if shared != &default_shared && !tree.exists(&default_shared) {
        tree.symlink(shared, &default_shared)?;
    }
    Ok(())
}
