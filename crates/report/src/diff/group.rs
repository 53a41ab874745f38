//! Which deployment component a changed path belongs to, from the components and stored
//! paths of the snapshots' manifests.

use runbook::manifest::Manifest;
use runbook::plan::Component;

/// Which component a stored path belongs to: the component with the longest stored path
/// holding it (so `provision` wins over `shared_data`, `file_registry` over `dmgr_profile`),
/// unless that path is in the component's excludes.
#[derive(Debug, Default)]
pub struct Grouper {
    rules: Vec<(Component, String, Vec<String>)>,
}

fn under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Grouper {
    /// The rules of the components of `manifests` (the newer snapshot's first).
    pub fn new(manifests: &[&Manifest]) -> Grouper {
        let mut rules = Vec::new();
        for m in manifests {
            for c in &m.components {
                for p in &c.paths {
                    let rule = (c.component, p.clone(), c.excludes.clone());
                    if !rules.contains(&rule) {
                        rules.push(rule);
                    }
                }
            }
        }
        Grouper { rules }
    }

    /// The component whose stored paths hold `path`, if any.
    pub fn group_of(&self, path: &str) -> Option<Component> {
        self.rules
            .iter()
            .filter(|(_, p, ex)| under(path, p) && !ex.iter().any(|x| under(path, x)))
            .max_by_key(|(_, p, _)| p.trim_end_matches('/').len())
            .map(|(c, _, _)| *c)
    }

    /// The stored paths of component `c`, each once, in the manifests' order.
    pub fn paths_of(&self, c: Component) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (rc, p, _) in &self.rules {
            if *rc == c && !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_go_to_the_most_specific_component_and_excludes_are_respected() {
        let g = Grouper {
            rules: vec![
                (
                    Component::SharedData,
                    "/data/shared".into(),
                    vec!["/data/shared/provision".into(), "/data/shared/tmp".into()],
                ),
                (
                    Component::Provision,
                    "/data/shared/provision".into(),
                    vec![],
                ),
                (
                    Component::DmgrProfile,
                    "/was/profiles/Dmgr01".into(),
                    vec![],
                ),
                (
                    Component::FileRegistry,
                    "/was/profiles/Dmgr01/config/cells/c/fileRegistry.xml".into(),
                    vec![],
                ),
            ],
        };
        assert_eq!(g.group_of("/data/shared/x"), Some(Component::SharedData));
        assert_eq!(g.group_of("/data/shared"), Some(Component::SharedData));
        assert_eq!(
            g.group_of("/data/shared/provision/webresources/a.jar"),
            Some(Component::Provision)
        );
        assert_eq!(g.group_of("/data/shared/tmp/x"), None);
        assert_eq!(g.group_of("/data/sharedX/y"), None);
        assert_eq!(
            g.group_of("/was/profiles/Dmgr01/config/cells/c/fileRegistry.xml"),
            Some(Component::FileRegistry)
        );
        assert_eq!(
            g.group_of("/was/profiles/Dmgr01/config/cells/c/security.xml"),
            Some(Component::DmgrProfile)
        );
        assert_eq!(g.group_of("/.cnxbackup/manifest.json"), None);
    }
}
