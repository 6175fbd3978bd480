//! The IVR tools as `ivr_scripts/README.md` shows them, run as written
//! from the project's root: `hotline ivr check ivr_scripts`, `graph` and
//! `simulate` (its keyboard closed at once) all succeed on the shipped
//! scripts. And inside `ivr_scripts/`, `hotline ivr check .` reads the
//! scripts, not a script as the configuration file (the shipped menu is
//! not called `hotline.toml`, the name the configuration is looked up by).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `hotline` with `args` in `dir`, no configuration in the
/// environment; its output, or a panic that shows it.
fn hotline(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_hotline"))
        .args(args)
        .current_dir(dir)
        .env_remove("HOTLINE_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run hotline");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "`hotline {}` in {} failed: {text}",
        args.join(" "),
        dir.display()
    );
    text
}

#[test]
fn the_readmes_ivr_commands_run_as_written() {
    let readme = std::fs::read_to_string(root().join("ivr_scripts/README.md")).expect("README");
    let commands: Vec<Vec<&str>> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("hotline ivr "))
        .map(|rest| {
            let command = rest.split('#').next().unwrap_or("").trim();
            std::iter::once("ivr")
                .chain(command.split_whitespace())
                .collect()
        })
        .collect();
    let names: Vec<&str> = commands.iter().map(|c| c[1]).collect();
    assert_eq!(names, ["check", "graph", "simulate"], "{readme}");
    for args in &commands {
        let out = hotline(&root(), args);
        match args[1] {
            "check" => assert!(out.contains("no errors"), "{out}"),
            "graph" => assert!(out.contains("digraph"), "{out}"),
            _ => {}
        }
    }
}

#[test]
fn checking_the_scripts_folder_from_inside_it_reads_no_script_as_configuration() {
    let out = hotline(&root().join("ivr_scripts"), &["ivr", "check", "."]);
    assert!(out.contains("no errors"), "{out}");
}
