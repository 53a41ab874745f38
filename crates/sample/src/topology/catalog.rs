//! The Connections applications: EAR names, installer keys, databases and Oracle schemas
//! (the reference's default database table), and which go to the infrastructure cluster.

/// A Connections application and what it needs.
#[derive(Debug, Clone)]
pub(crate) struct AppDef {
    /// EAR base name (`Files`).
    pub ear: &'static str,
    /// Installer feature key (`files`).
    pub key: &'static str,
    /// DB2/SQL Server database and Oracle schema, if it has a datasource.
    pub db: Option<(&'static str, &'static str)>,
    /// Datasource name.
    pub ds: &'static str,
}

pub(crate) const APPS: &[AppDef] = &[
    AppDef {
        ear: "Activities",
        key: "activities",
        db: Some(("OPNACT", "OAUSER")),
        ds: "activities",
    },
    AppDef {
        ear: "Blogs",
        key: "blogs",
        db: Some(("BLOGS", "BLOGSUSER")),
        ds: "blogs",
    },
    AppDef {
        ear: "Common",
        key: "common",
        db: None,
        ds: "",
    },
    AppDef {
        ear: "Communities",
        key: "communities",
        db: Some(("SNCOMM", "SNCOMMUSER")),
        ds: "communities",
    },
    AppDef {
        ear: "Dogear",
        key: "dogear",
        db: Some(("DOGEAR", "DOGEARUSER")),
        ds: "dogear",
    },
    AppDef {
        ear: "Files",
        key: "files",
        db: Some(("FILES", "FILESUSER")),
        ds: "files",
    },
    AppDef {
        ear: "Forums",
        key: "forums",
        db: Some(("FORUM", "DFUSER")),
        ds: "forum",
    },
    AppDef {
        ear: "Homepage",
        key: "homepage",
        db: Some(("HOMEPAGE", "HOMEPAGEUSER")),
        ds: "homepage",
    },
    AppDef {
        ear: "Metrics",
        key: "metrics",
        db: Some(("METRICS", "METRICSUSER")),
        ds: "metrics",
    },
    AppDef {
        ear: "Mobile",
        key: "mobile",
        db: Some(("MOBILE", "MOBILEUSER")),
        ds: "mobile",
    },
    AppDef {
        ear: "Moderation",
        key: "moderation",
        db: None,
        ds: "",
    },
    AppDef {
        ear: "News",
        key: "news",
        db: Some(("HOMEPAGE", "HOMEPAGEUSER")),
        ds: "news",
    },
    AppDef {
        ear: "Profiles",
        key: "profiles",
        db: Some(("PEOPLEDB", "PROFUSER")),
        ds: "profiles",
    },
    AppDef {
        ear: "PushNotification",
        key: "pushNotification",
        db: Some(("PNS", "PNSUSER")),
        ds: "pushnotification",
    },
    AppDef {
        ear: "Search",
        key: "search",
        db: Some(("HOMEPAGE", "HOMEPAGEUSER")),
        ds: "search",
    },
    AppDef {
        ear: "WidgetContainer",
        key: "widgetContainer",
        db: None,
        ds: "",
    },
    AppDef {
        ear: "Wikis",
        key: "wikis",
        db: Some(("WIKIS", "WIKISUSER")),
        ds: "wikis",
    },
];

pub(crate) const ICEC: AppDef = AppDef {
    ear: "ICEC",
    key: "icec",
    db: Some(("XCC", "XCC")),
    ds: "icec",
};
pub(crate) const FILENET_ENGINE: &str = "FileNetEngine";
pub(crate) const NAVIGATOR: &str = "navigator";

/// Apps that go to the "infrastructure" cluster in medium topologies.
pub(crate) const INFRA_APPS: &[&str] = &[
    "Common",
    "Homepage",
    "News",
    "Profiles",
    "Search",
    "WidgetContainer",
    "Moderation",
];
