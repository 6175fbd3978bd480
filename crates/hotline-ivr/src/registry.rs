//! Loading a scripts directory as one versioned bundle, and swapping bundles
//! atomically. Calls hold an `Arc<CompiledScript>` of the version they
//! started on; a reload replaces the bundle for new calls only, and a reload
//! that fails leaves the old bundle in force.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::compile::{compile_script, CompileContext, Environment, PromptCatalog};
use crate::error::{IvrError, Problem, Report, Severity};
use crate::script::CompiledScript;

/// Every script of a directory, compiled together at one version.
#[derive(Debug)]
pub struct ScriptBundle {
    version: u32,
    scripts: BTreeMap<String, Arc<CompiledScript>>,
    warnings: Report,
}

impl ScriptBundle {
    pub(crate) fn new(
        version: u32,
        scripts: BTreeMap<String, Arc<CompiledScript>>,
        warnings: Report,
    ) -> Self {
        Self {
            version,
            scripts,
            warnings,
        }
    }

    /// The load generation (1 for the first successful load).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// A script by its `[script] name`.
    pub fn script(&self, name: &str) -> Result<Arc<CompiledScript>, IvrError> {
        self.scripts
            .get(name)
            .cloned()
            .ok_or_else(|| IvrError::UnknownScript {
                name: name.to_owned(),
                loaded: self.scripts.keys().cloned().collect(),
            })
    }

    /// Script names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.scripts.keys().map(String::as_str)
    }

    /// Warnings found while loading (errors would have refused the load).
    pub fn warnings(&self) -> &Report {
        &self.warnings
    }
}

/// The script files of a directory: `*.toml` directly in it, sorted.
fn script_files(dir: &Path) -> Result<Vec<PathBuf>, IvrError> {
    let io = |source| IvrError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Compiles every script in `dir`; returns what compiled and every problem.
pub(crate) fn compile_dir(
    dir: &Path,
    environment: &Environment,
    version: u32,
) -> Result<(BTreeMap<String, Arc<CompiledScript>>, Report), IvrError> {
    let prompt_dir = dir.join("prompts");
    let prompts = PromptCatalog::scan(&prompt_dir).map_err(|source| IvrError::Io {
        path: prompt_dir.clone(),
        source,
    })?;
    let ctx = CompileContext {
        environment: environment.clone(),
        prompts,
        base_dir: Some(dir.to_path_buf()),
        version,
    };
    let mut report = Report::default();
    let mut scripts: BTreeMap<String, Arc<CompiledScript>> = BTreeMap::new();
    let files = script_files(dir)?;
    if files.is_empty() {
        report.problems.push(Problem {
            severity: Severity::Error,
            file: dir.to_path_buf(),
            line: 0,
            message: "the directory has no script (*.toml)".into(),
            fix: "point at the ivr_scripts directory, or add a script".into(),
        });
    }
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| IvrError::Io {
            path: file.clone(),
            source,
        })?;
        let (script, problems) = compile_script(&file, &text, &ctx);
        report.problems.extend(problems);
        if let Some(script) = script {
            if let Some(other) = scripts.get(script.name()) {
                report.problems.push(Problem {
                    severity: Severity::Error,
                    file: file.clone(),
                    line: 0,
                    message: format!(
                        "script name {:?} is also used by {}",
                        script.name(),
                        other.file().display()
                    ),
                    fix: "give each script its own [script] name".into(),
                });
            } else {
                scripts.insert(script.name().to_owned(), Arc::new(script));
            }
        }
    }
    report.sort();
    Ok((scripts, report))
}

/// Loads `dir` as a bundle; refused as a whole if any script has an error.
pub fn load_bundle(
    dir: &Path,
    environment: &Environment,
    version: u32,
) -> Result<ScriptBundle, IvrError> {
    let (scripts, report) = compile_dir(dir, environment, version)?;
    if report.has_errors() {
        return Err(IvrError::Rejected { report });
    }
    Ok(ScriptBundle {
        version,
        scripts,
        warnings: report,
    })
}

/// The scripts in force, reloadable. Shared by every call task; the lock is
/// held only to clone or replace an `Arc`, never while compiling.
#[derive(Debug)]
pub struct ScriptSet {
    dir: PathBuf,
    current: RwLock<Arc<ScriptBundle>>,
    /// The configuration scripts are checked against. Its lock also
    /// serialises reloads, so two SIGHUPs cannot interleave their versions.
    environment: std::sync::Mutex<Environment>,
}

impl ScriptSet {
    /// Loads `dir` (version 1). Fails with every problem if any script has an error.
    pub fn load(dir: impl Into<PathBuf>, environment: Environment) -> Result<Self, IvrError> {
        let dir = dir.into();
        let bundle = load_bundle(&dir, &environment, 1)?;
        Ok(Self {
            dir,
            current: RwLock::new(Arc::new(bundle)),
            environment: std::sync::Mutex::new(environment),
        })
    }

    /// The bundle in force now. A call keeps the `Arc` of its script for
    /// its whole life, whatever reloads happen meanwhile.
    pub fn current(&self) -> Arc<ScriptBundle> {
        // A poisoned lock only means another thread panicked while swapping
        // an Arc; the Arc inside is still whole.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Shortcut: a script of the current bundle.
    pub fn script(&self, name: &str) -> Result<Arc<CompiledScript>, IvrError> {
        self.current().script(name)
    }

    /// Recompiles the directory. On success the new bundle (next version) is
    /// in force for new calls and its version is returned; on failure the
    /// old bundle stays in force and every problem is returned.
    pub fn reload(&self) -> Result<u32, IvrError> {
        let environment = self
            .environment
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.swap_in(&environment)
    }

    /// Like [`reload`](Self::reload), against a new configuration (queues or
    /// destinations changed). The new configuration is kept only if the
    /// scripts compile against it.
    pub fn reload_with(&self, environment: Environment) -> Result<u32, IvrError> {
        let mut current = self
            .environment
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let version = self.swap_in(&environment)?;
        *current = environment;
        Ok(version)
    }

    /// Compiles at the next version and makes it current; the caller holds
    /// the environment lock.
    fn swap_in(&self, environment: &Environment) -> Result<u32, IvrError> {
        let version = self.current().version() + 1;
        let bundle = Arc::new(load_bundle(&self.dir, environment, version)?);
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = bundle;
        Ok(version)
    }

    /// The directory this set loads from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
