//! The environment variables the configuration reads, behind a trait so that tests need not
//! touch the process environment.

/// Reads environment variables; injected so tests need not touch the process environment.
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;

    /// The names of the `CNXBACKUP_*` variables that are set (none by default).
    fn cnxbackup_names(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The real process environment. Empty values count as unset.
pub struct ProcessEnv;

impl Environment for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn cnxbackup_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| k.starts_with("CNXBACKUP_"))
            .collect();
        names.sort();
        names
    }
}

/// An environment with no variables set (for tests).
#[cfg(test)]
pub struct NoEnv;

#[cfg(test)]
impl Environment for NoEnv {
    fn var(&self, _name: &str) -> Option<String> {
        None
    }
}
