//! `hotline backup DIR` and `hotline restore DIR`: the whole of a
//! single-node hotline's data, taken while it answers calls, and put back
//! into an empty data directory.
//!
//! A backup holds a consistent copy of the SQLite store (`VACUUM INTO`, one
//! instant of it, taken first), then the files of the data directory as
//! they are after that instant: recordings and voice messages (so every
//! file the copied store names is there), the event spool (calls not yet
//! in the store when the copy was taken), saved phone registrations, the
//! SIP TLS certificate and the national-ID key. `manifest.json` lists every
//! file with its size and SHA-256; a restore checks them all before it
//! writes anything. The key and the TLS private key let whoever holds them
//! read or impersonate: the backup says so, and they belong apart from the
//! rest. PostgreSQL stores are backed up with `pg_dump` (README).

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;

/// The store's copy inside a backup.
const DATABASE_FILE: &str = "hotline.db";
/// The data directory's files inside a backup.
const FILES_DIR: &str = "data";
const MANIFEST: &str = "manifest.json";
/// What of the data directory a backup takes (the SQLite files are copied
/// by the store itself).
const TAKEN: &[&str] = &[
    "recordings",
    "spool",
    "tls",
    "registrations.json",
    "national_id.key",
];
/// Files whose holder can read hashed national IDs or pose as the hotline.
const SECRET_FILES: &[&str] = &["national_id.key", "tls/sip.key"];

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// The hotline version that wrote it.
    hotline: String,
    created_at: String,
    /// The data directory as the configuration named it: the calls' file
    /// paths start with it.
    data_dir: String,
    database: FileEntry,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    /// Relative to the backup's `data/` (the database: to the backup).
    path: String,
    bytes: u64,
    sha256: String,
}

fn sqlite_path(config: &Config) -> anyhow::Result<PathBuf> {
    let url = &config.database.url;
    if url.starts_with("postgres") {
        bail!(
            "the store is PostgreSQL: back it up with pg_dump and restore it with pg_restore \
             (README, \"Back it up\"); `hotline backup` copies an SQLite store"
        );
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .filter(|p| !p.is_empty() && !p.contains(":memory:"))
        .with_context(|| format!("database.url {url:?} names no SQLite file"))?;
    Ok(PathBuf::from(path))
}

fn digest(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .with_context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok((bytes, hex::encode(hasher.finalize())))
}

/// Every file under `root/relative`, as paths relative to `root`.
fn files_under(root: &Path, relative: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let path = root.join(relative);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Ok(()); // not there on this hotline (no TLS, nothing spooled)
    };
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(&path)
            .with_context(|| format!("listing {}", path.display()))?
            .collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            files_under(root, &relative.join(entry.file_name()), out)?;
        }
    } else if meta.is_file() {
        out.push(relative.to_path_buf());
    }
    Ok(())
}

fn empty_or_absent(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

/// `hotline backup DIR`.
pub async fn backup(config: &Config, target: &Path) -> anyhow::Result<()> {
    let database = sqlite_path(config)?;
    if !empty_or_absent(target)? {
        bail!(
            "{} is not empty: back up into a new folder",
            target.display()
        );
    }
    std::fs::create_dir_all(target.join(FILES_DIR))
        .with_context(|| format!("creating {}", target.display()))?;
    let data_dir = &config.database.data_dir;
    let started = std::time::Instant::now();
    // The store first: every file it names is on disk by then, and is
    // copied below.
    let store = crate::open_store(config).await?;
    let copy = target.join(DATABASE_FILE);
    store.backup_into(&copy).await.with_context(|| {
        format!(
            "copying the store {} into {}",
            database.display(),
            copy.display()
        )
    })?;
    store.close().await;
    let (bytes, sha256) = digest(&copy)?;
    let database_entry = FileEntry {
        path: DATABASE_FILE.into(),
        bytes,
        sha256,
    };
    let mut relative = Vec::new();
    for name in TAKEN {
        files_under(data_dir, Path::new(name), &mut relative)?;
    }
    let mut files = Vec::with_capacity(relative.len());
    for path in relative {
        let from = data_dir.join(&path);
        let to = target.join(FILES_DIR).join(&path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        match std::fs::copy(&from, &to) {
            Ok(_) => {}
            // A spool file written to the store meanwhile: it is in the
            // store's copy or will be after the restore's replay.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("copying {}", from.display())),
        }
        let (bytes, sha256) = digest(&to)?;
        files.push(FileEntry {
            path: path.to_string_lossy().into_owned(),
            bytes,
            sha256,
        });
    }
    let manifest = Manifest {
        hotline: env!("CARGO_PKG_VERSION").into(),
        created_at: jiff::Timestamp::now().to_string(),
        data_dir: data_dir.to_string_lossy().into_owned(),
        database: database_entry,
        files,
    };
    std::fs::write(
        target.join(MANIFEST),
        serde_json::to_vec_pretty(&manifest).context("writing the manifest")?,
    )
    .context("writing the manifest")?;
    let total: u64 = manifest.files.iter().map(|f| f.bytes).sum::<u64>() + manifest.database.bytes;
    outln!(
        "backed up the store and {} files ({:.1} MB) into {} in {:.1} s",
        manifest.files.len(),
        total as f64 / 1e6,
        target.display(),
        started.elapsed().as_secs_f64()
    );
    let secrets: Vec<&str> = SECRET_FILES
        .iter()
        .copied()
        .filter(|s| manifest.files.iter().any(|f| f.path == *s))
        .collect();
    if !secrets.is_empty() {
        outln!(
            "WARNING: the backup holds {} (under {}/): whoever has them and the data can read \
             hashed national IDs or pose as this hotline. Keep them apart from the rest of the \
             backup, e.g. move them to another medium and put them back before a restore.",
            secrets.join(" and "),
            FILES_DIR
        );
    }
    Ok(())
}

/// `hotline restore DIR`: into an empty data directory and a database file
/// that does not exist yet.
pub async fn restore(config: &Config, source: &Path) -> anyhow::Result<()> {
    let database = sqlite_path(config)?;
    let manifest: Manifest = serde_json::from_slice(
        &std::fs::read(source.join(MANIFEST))
            .with_context(|| format!("{} has no {MANIFEST}: not a backup", source.display()))?,
    )
    .with_context(|| format!("reading {}", source.join(MANIFEST).display()))?;
    let data_dir = &config.database.data_dir;
    if !empty_or_absent(data_dir)? {
        bail!(
            "the data directory {} is not empty: restore into an empty one (database.data_dir)",
            data_dir.display()
        );
    }
    if database.exists() {
        bail!(
            "{} exists: a restore does not overwrite a store",
            database.display()
        );
    }
    // Everything checked before anything is written.
    let check = |path: &Path, entry: &FileEntry| -> anyhow::Result<()> {
        let (bytes, sha256) = digest(path)?;
        if bytes != entry.bytes || sha256 != entry.sha256 {
            bail!(
                "{} is not the file that was backed up ({bytes} bytes, SHA-256 {sha256}; the manifest says {} bytes, {}): the backup is damaged",
                path.display(),
                entry.bytes,
                entry.sha256
            );
        }
        Ok(())
    };
    check(&source.join(&manifest.database.path), &manifest.database)?;
    for entry in &manifest.files {
        let path = source.join(FILES_DIR).join(&entry.path);
        if !path.exists() && SECRET_FILES.contains(&entry.path.as_str()) {
            bail!(
                "{} is missing: put back the {} kept apart from this backup before restoring",
                path.display(),
                entry.path
            );
        }
        check(&path, entry)?;
    }
    for entry in &manifest.files {
        let to = data_dir.join(&entry.path);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(source.join(FILES_DIR).join(&entry.path), &to)
            .with_context(|| format!("writing {}", to.display()))?;
    }
    if let Some(parent) = database.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::copy(source.join(&manifest.database.path), &database)
        .with_context(|| format!("writing {}", database.display()))?;
    // The store migrates itself to this version; the calls' files are
    // pointed at where they now are.
    let store = crate::open_store(config).await?;
    let moved = store
        .relocate_files(&manifest.data_dir, &data_dir.to_string_lossy())
        .await
        .context("pointing the calls' recordings at the restored files")?;
    store.close().await;
    outln!(
        "restored the store ({}) and {} files from the backup of {} (hotline {}) into {}; {moved} recording paths now point there",
        database.display(),
        manifest.files.len(),
        manifest.created_at,
        manifest.hotline,
        data_dir.display()
    );
    Ok(())
}
