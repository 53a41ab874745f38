//! The everyday commands on the real binary: `tag --add/--remove`, `forget ID...`, `dump
//! SNAPSHOT PATH`, `stats`, and `--status` on `snapshots` and `forget`; each `--json`
//! against its schema.

use crate::cli_common;
use crate::vault_common;

use std::fs;

use cli_common::{assert_success, json_result};
use vault_common::{noise, Env};

fn json(env: &Env, args: &[&str], schema: &str) -> serde_json::Value {
    json_result(env.cmd().arg("--json").args(args), schema, &args.join(" "))
}

fn listed_ids(env: &Env, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["snapshots"];
    args.extend_from_slice(extra);
    json(env, &args, "snapshots")["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn tag_forget_by_id_dump_stats_and_status() {
    let env = Env::new();
    let data = noise(200_000, 3);
    fs::write(env.src().join("data.bin"), &data).unwrap();
    fs::write(env.src().join("notes.txt"), "first\n").unwrap();
    env.init();
    let first = env.backup()["snapshot"].as_str().unwrap().to_string();
    fs::write(env.src().join("notes.txt"), "second\n").unwrap();
    let second = env.backup()["snapshot"].as_str().unwrap().to_string();

    // tag: a new id with the tag; the old id is gone; unchanged tags keep the id
    let r = json(&env, &["tag", "--add", "keep-me", &first[..12]], "tag");
    let tagged = r["snapshots"][0]["new"].as_str().unwrap().to_string();
    assert_ne!(tagged, first);
    assert_eq!(r["snapshots"][0]["tags"], serde_json::json!(["keep-me"]));
    let ids = listed_ids(&env, &[]);
    assert!(ids.contains(&tagged) && !ids.contains(&first), "{ids:?}");
    assert_eq!(
        listed_ids(&env, &["--tag", "keep-me"]),
        std::slice::from_ref(&tagged)
    );
    let r = json(&env, &["tag", "--add", "keep-me", &tagged], "tag");
    assert_eq!(r["snapshots"][0]["new"], r["snapshots"][0]["old"], "{r}");
    env.cmd().args(["tag", &tagged]).assert().code(2);

    // --status: both are path backups, none complete
    assert_eq!(listed_ids(&env, &["--status", "path"]).len(), 2);
    assert!(listed_ids(&env, &["--status", "complete"]).is_empty());

    // dump: the file's bytes on stdout; a directory is refused
    let out = env
        .cmd()
        .args(["dump", &second, "/data.bin"])
        .output()
        .unwrap();
    assert_success(&out);
    assert!(out.stdout == data, "dump differs from the file");
    let out = env
        .cmd()
        .args(["dump", &tagged, "notes.txt"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"first\n");
    env.cmd().args(["dump", &second, "/"]).assert().code(2);
    env.cmd().args(["dump", &second, "/nope"]).assert().code(1);

    // stats: sizes, ratios and one row per snapshot with what it added
    let s = json(&env, &["stats"], "stats");
    assert_eq!(s["snapshots"].as_array().unwrap().len(), 2, "{s}");
    assert!(s["packs_bytes"].as_u64().unwrap() > 0, "{s}");
    assert!(
        s["dedup_ratio"].as_f64().unwrap() > 1.5,
        "two snapshots share data.bin: {s}"
    );
    let added: Vec<u64> = s["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bytes_added"].as_u64().unwrap())
        .collect();
    assert!(added[0] >= 200_000 && added[1] < 10_000, "{added:?}");

    // forget by id: only that one goes; a policy with ids is a usage error
    env.cmd()
        .args(["forget", "--keep-last", "1", &second])
        .assert()
        .code(2);
    let r = json(&env, &["forget", &second[..10]], "forget");
    assert_eq!(r["forget"]["removed"], 1, "{r}");
    assert_eq!(listed_ids(&env, &[]), std::slice::from_ref(&tagged));
    // forget --status: a policy over the path backups only
    let r = json(
        &env,
        &[
            "forget",
            "--keep-last",
            "1",
            "--status",
            "path",
            "--dry-run",
        ],
        "forget",
    );
    assert_eq!(r["forget"]["not_matching"], 0, "{r}");
}
