//! The binary run from a directory that is not the project's: `serve`
//! without scripts names the absolute path it looked for and how to set it
//! (instead of failing later on a relative name), `--config` finds every
//! path through the configuration, and a subcommand whose reader goes away
//! (`hotline config | head -1`) ends quietly instead of panicking.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

fn hotline_in(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hotline"));
    command
        .current_dir(dir)
        .env_remove("HOTLINE_CONFIG")
        .stdin(Stdio::null());
    command
}

#[test]
fn a_missing_scripts_folder_is_named_with_its_absolute_path() {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = hotline_in(elsewhere.path())
        .env("HOTLINE_HTTP_METRICS_LISTEN", "127.0.0.1:0")
        .env("HOTLINE_HTTP_LISTEN", "127.0.0.1:0")
        .env("HOTLINE_SIP_LISTEN", "127.0.0.1:0")
        .arg("serve")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let looked_for = elsewhere.path().join("ivr_scripts");
    assert!(
        stderr.contains(&format!("looked for {}", looked_for.display()))
            && stderr.contains("ivr.scripts_dir"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_configuration_file_with_absolute_paths_works_from_anywhere() {
    let elsewhere = tempfile::tempdir().unwrap();
    let scripts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ivr_scripts");
    let config = elsewhere.path().join("site.toml");
    std::fs::write(
        &config,
        format!(
            "[ivr]\nscripts_dir = {:?}\n[database]\ndata_dir = {:?}\n",
            scripts.canonicalize().unwrap(),
            elsewhere.path().join("data")
        ),
    )
    .unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let out = hotline_in(cwd.path())
        .args(["--config", config.to_str().unwrap(), "ivr", "check"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("no errors"),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn output_to_a_reader_that_went_away_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = hotline_in(dir.path())
        .arg("config")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader hangs up before the first line: every write the command
    // makes meets a pipe with no reader (EPIPE), as after `head -1` exits.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
