//! `cnxbackup config`: the effective configuration, where each value came from, and a check
//! that the password files it names can be read (their contents are never shown).

use crate::config::KEYS;
use crate::context::Context;
use crate::ui::{Grid, Style};
use clap::Args;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Args)]
pub struct ConfigArgs {}

#[derive(Serialize)]
struct Report {
    file: Option<String>,
    sysroot: String,
    values: BTreeMap<String, Value>,
    secrets: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct Value {
    value: Option<toml::Value>,
    origin: String,
}

pub fn run(ctx: &Context, _args: &ConfigArgs) -> anyhow::Result<()> {
    let config = toml::Value::try_from(&ctx.loaded.config)?;
    let mut values = BTreeMap::new();
    for key in KEYS {
        let value = config
            .get(key.section)
            .and_then(|section| section.get(key.name))
            .map(|value| match value {
                // a ping URL is a secret: its scheme and host say enough to find a mistake
                toml::Value::String(url) if key.secret => {
                    toml::Value::String(runbook::monitor::ping::mask_url(url))
                }
                other => other.clone(),
            });
        values.insert(
            key.path(),
            Value {
                value,
                origin: ctx.loaded.origin(&key.path()).to_string(),
            },
        );
    }

    // Reading the passwords proves the files are there; the values are dropped at once.
    let mut secrets = BTreeMap::new();
    secrets.insert("repository_password", repository_password_source(ctx)?);
    let was = match ctx.websphere_password()? {
        Some(_) if ctx.env.var("CNXBACKUP_WAS_PASSWORD").is_some() => {
            "environment variable CNXBACKUP_WAS_PASSWORD".to_string()
        }
        Some(_) => format!("{}", ctx.loaded.origin("websphere.password_file")),
        None => "not given".to_string(),
    };
    secrets.insert("websphere_password", was);
    secrets.insert(
        "database_password",
        crate::config::database_password_source(&ctx.loaded)?,
    );

    let report = Report {
        file: ctx.loaded.file.as_ref().map(|p| p.display().to_string()),
        sysroot: ctx.sysroot.display().to_string(),
        values,
        secrets,
    };
    ctx.out.result(&human(ctx.ui().stdout, &report), &report)
}

fn repository_password_source(ctx: &Context) -> anyhow::Result<String> {
    let source = crate::secrets::repository_password_source(
        &ctx.loaded,
        ctx.env.as_ref(),
        crate::secrets::REPOSITORY_PASSWORD_NAMES,
    )?;
    // Reading it proves the file, the command or the credential works; never the prompt.
    if !matches!(source, crate::secrets::PasswordSource::Prompt) {
        source.read("repository password")?;
    }
    Ok(source.describe())
}

/// Values longer than this are shown cut in the table (`--json` has them whole).
const SHOWN_CHARS: usize = 200;

/// A value as the table shows it: whole when short, else its start and its length. The
/// table lays out every line of a cell at most 65,535 columns wide, splitting longer ones
/// word by word — quadratic in the value's length (issue 21: a 4 MB value took 57 s, 8 MB
/// 190 s); a long string is cut before anything formats it whole.
fn shorten(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) if s.chars().count() > SHOWN_CHARS => {
            let head: String = s.chars().take(SHOWN_CHARS - 40).collect();
            format!("\"{head}…\" ({} bytes; --json shows it whole)", s.len())
        }
        other => {
            let text = other.to_string();
            if text.chars().count() <= SHOWN_CHARS {
                return text;
            }
            let head: String = text.chars().take(SHOWN_CHARS - 40).collect();
            format!("{head}… ({} bytes; --json shows it whole)", text.len())
        }
    }
}

/// The file and sysroot, a table of every key with its value and origin, then where the
/// passwords come from (never their values).
fn human(style: Style, report: &Report) -> String {
    let mut text = String::new();
    let file = report.file.as_deref().unwrap_or("none found");
    let _ = writeln!(text, "config file: {file}");
    let _ = writeln!(text, "sysroot:     {}", report.sysroot);
    let _ = writeln!(text);
    let mut t = Grid::new(style, &["key", "value", "from"]);
    for (key, value) in &report.values {
        let shown = match &value.value {
            Some(v) => shorten(v),
            None => "(not set)".to_string(),
        };
        t.row([key.clone(), shown, value.origin.clone()]);
    }
    text.push_str(&t.render(0));
    let _ = writeln!(text);
    for (what, source) in &report.secrets {
        let _ = writeln!(text, "{what}: {source}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 21 case 13: a 50 MB string value made `config` take over a minute.
    #[test]
    fn long_values_are_shown_cut_with_their_length() {
        let short = toml::Value::String("/etc/x".into());
        assert_eq!(shorten(&short), "\"/etc/x\"");
        let mut values = BTreeMap::new();
        values.insert(
            "repository.url".to_string(),
            Value {
                value: Some(toml::Value::String("a".repeat(300_000))),
                origin: "config file".into(),
            },
        );
        let report = Report {
            file: None,
            sysroot: "/".into(),
            values,
            secrets: BTreeMap::new(),
        };
        let text = human(Style::PLAIN, &report);
        assert!(text.len() < 1_000, "{} bytes shown", text.len());
        assert!(
            text.contains("(300000 bytes; --json shows it whole)"),
            "{text}"
        );
    }
}
