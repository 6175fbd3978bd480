//! Prompt names: the recordings found on disk ([`PromptCatalog`]) and how a
//! name in a script resolves to one file per language (a missing recording
//! is an error that says which file to add).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use crate::script::PromptFile;

use super::Compiler;

/// The recorded prompts found on disk: `<dir>/<language>/<name>.wav`.
#[derive(Debug, Clone, Default)]
pub struct PromptCatalog {
    pub(crate) dir: PathBuf,
    pub(crate) names: HashMap<String, HashSet<String>>,
    /// False when built without a directory: prompt files are not checked.
    pub(crate) scanned: bool,
}

impl PromptCatalog {
    /// Lists `<dir>/<language>/*.wav` for every language subdirectory.
    pub fn scan(dir: &Path) -> std::io::Result<Self> {
        let mut names: HashMap<String, HashSet<String>> = HashMap::new();
        if dir.is_dir() {
            for lang in std::fs::read_dir(dir)? {
                let lang = lang?;
                if !lang.file_type()?.is_dir() {
                    continue;
                }
                let lang_name = lang.file_name().to_string_lossy().into_owned();
                let set = names.entry(lang_name).or_default();
                for file in std::fs::read_dir(lang.path())? {
                    let path = file?.path();
                    if path.extension().is_some_and(|e| e == "wav") {
                        if let Some(stem) = path.file_stem() {
                            set.insert(stem.to_string_lossy().into_owned());
                        }
                    }
                }
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            names,
            scanned: true,
        })
    }

    /// A catalog that resolves paths under `dir` but checks no files
    /// (for scripts compiled from a string in tests and tools).
    pub fn unchecked(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            names: HashMap::new(),
            scanned: false,
        }
    }

    fn has(&self, language: &str, name: &str) -> bool {
        self.names
            .get(language)
            .is_some_and(|set| set.contains(name))
    }

    pub(super) fn file(&self, language: &Arc<str>, name: &str) -> PromptFile {
        PromptFile {
            name: Arc::from(name),
            language: language.clone(),
            path: Arc::from(self.dir.join(&**language).join(format!("{name}.wav"))),
        }
    }
}

impl Compiler<'_> {
    pub(super) fn prompt(&mut self, p: &Spanned<String>) -> Vec<PromptFile> {
        let name = p.get_ref();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            self.error(
                p.span(),
                format!("prompt name {name:?} is not a plain file name"),
                "use lower-case letters, digits and underscores; the file is prompts/<language>/<name>.wav",
            );
            return Vec::new();
        }
        let languages = self.languages.clone();
        let mut out = Vec::with_capacity(languages.len());
        for lang in &languages {
            if self.ctx.prompts.scanned && !self.ctx.prompts.has(lang, name) {
                self.error(
                    p.span(),
                    format!("prompt {name:?} has no recording in language {lang:?}"),
                    format!(
                        "add {}/{lang}/{name}.wav (add its text to ivr_scripts/prompts/generate.sh and run it)",
                        self.ctx.prompts.dir.display()
                    ),
                );
            }
            out.push(self.ctx.prompts.file(lang, name));
        }
        out
    }

    pub(super) fn prompts(&mut self, list: &[Spanned<String>]) -> Vec<Vec<PromptFile>> {
        list.iter().map(|p| self.prompt(p)).collect()
    }

    pub(super) fn opt_prompt(&mut self, p: &Option<Spanned<String>>) -> Option<Vec<PromptFile>> {
        p.as_ref().map(|p| self.prompt(p))
    }
}
