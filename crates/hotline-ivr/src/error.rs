//! The crate's one error type and the problems a script check reports.

use std::fmt;
use std::path::PathBuf;

/// How bad a problem in a script is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The script works, but a caller may get a poor experience.
    Warning,
    /// The script is refused: loading it would give callers a broken menu.
    Error,
}

/// One thing wrong in a script, with where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    /// The file the problem is in (a script or a calendar).
    pub file: PathBuf,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: u32,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{}:{}: {level}: {} (fix: {})",
            self.file.display(),
            self.line,
            self.message,
            self.fix
        )
    }
}

/// Everything `check` found, errors and warnings, in file and line order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub problems: Vec<Problem>,
}

impl Report {
    /// True when at least one problem would make loading refuse the scripts.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    /// Only the problems that refuse a load.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }

    pub(crate) fn sort(&mut self) {
        self.problems
            .sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
        self.problems.dedup();
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        let errors = self.errors().count();
        write!(
            f,
            "{errors} error(s), {} warning(s)",
            self.problems.len() - errors
        )
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IvrError {
    /// A script directory or file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The scripts were refused; every error found is listed (warnings too).
    #[error("IVR scripts refused with {} error(s):\n{report}", report.errors().count())]
    Rejected { report: Report },
    /// A script name that is not loaded.
    #[error("no IVR script named {name:?} is loaded (loaded: {loaded:?})")]
    UnknownScript { name: String, loaded: Vec<String> },
    /// A scenario transcript did not replay: its line, and what was
    /// observed instead of what it expected.
    #[error("transcript line {line}: {message}")]
    TranscriptFailed { line: usize, message: String },
    /// Writing the simulator's transcript failed.
    #[error("simulator output failed: {0}")]
    Output(#[from] std::io::Error),
}
