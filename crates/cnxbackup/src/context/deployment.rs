//! The deployment as the procedures see it: the sysroot, discovery with the configured
//! overrides, and how servers are stopped and started (`[websphere]`: credentials, timeouts).

use std::time::Duration;

use anyhow::Context as _;
use connections::deployment::Deployment;
use connections::discover::{discover, DiscoverOptions};
use runbook::servers::{ControlOptions, WasCredentials};
use websphere::Sysroot;

use super::Context;

/// Test hook: the pause between stop attempts in milliseconds (default 10 s). Tests set it
/// low so a server that refuses to stop does not take half a minute.
const RETRY_PAUSE_ENV: &str = "CNXBACKUP_TEST_RETRY_PAUSE_MS";

impl Context {
    /// The sysroot of the context as the readers want it.
    pub fn sysroot(&self) -> anyhow::Result<Sysroot> {
        Sysroot::new(&self.sysroot).with_context(|| format!("sysroot {}", self.sysroot.display()))
    }

    /// What the configuration tells discovery: the `[deployment]` overrides (product roots
    /// that are not where the profile registry says), `[ccm] storage_area` and `[tdi]`.
    pub fn discover_options(&self) -> DiscoverOptions {
        let c = &self.loaded.config;
        let product = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
        DiscoverOptions {
            app_server_root: product(&c.deployment.app_server_root),
            connections_root: product(&c.deployment.connections_root),
            ccm_storage_area: product(&c.ccm.storage_area),
            tdi_solution_dir: product(&c.tdi.solution_dir),
            tdi_install_dir: product(&c.tdi.install_dir),
        }
    }

    /// Runs discovery with the configured overrides. A required input that cannot be read
    /// is an error (exit 1) naming the file and line.
    pub fn discover_deployment(&self) -> anyhow::Result<Deployment> {
        Ok(discover(&self.sysroot()?, &self.discover_options())?)
    }

    /// The WebSphere administrator for the control scripts (`[websphere] username` and its
    /// password), or none when security needs no login. A password that is configured but
    /// cannot be read is an error (exit 2) even without a user name: the configuration is
    /// wrong either way, and finding out before servers stop is the point.
    pub fn was_credentials(&self) -> anyhow::Result<WasCredentials> {
        let password = self.websphere_password()?;
        Ok(match &self.loaded.config.websphere.username {
            Some(user) => WasCredentials {
                username: Some(user.clone()),
                password,
            },
            None => WasCredentials::none(),
        })
    }

    /// How servers are stopped and started: `[websphere]` timeouts and force-kill, with the
    /// tests' shorter pauses when `CNXBACKUP_TEST_RETRY_PAUSE_MS` is set.
    pub fn control_options(&self) -> ControlOptions {
        let cfg = &self.loaded.config.websphere;
        let mut control = ControlOptions::new(cfg.stop_timeout_secs, cfg.force_kill);
        if let Some(ms) = std::env::var(RETRY_PAUSE_ENV)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            control.retry_pause = Duration::from_millis(ms);
            control.verify_wait = Duration::from_millis(ms.max(1000));
            control.kill_grace = Duration::from_millis(ms.max(1000));
        }
        control
    }
}
