//! The script file as written by hotline staff: strict serde structs, no
//! meaning yet. Every struct refuses unknown keys so a typo is an error with
//! a line number instead of a silently ignored setting. `compile` turns these
//! into the checked graph the engine runs.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A reference to another node, with its place in the file for errors.
pub(crate) type Target = Spanned<String>;

/// One script file: a header and the nodes, grouped by kind (`[[menu]]`,
/// `[[play]]`...). Grouping by kind keeps each kind's keys strictly checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScript {
    pub script: RawHeader,
    #[serde(default)]
    pub play: Vec<RawPlay>,
    #[serde(default)]
    pub menu: Vec<RawMenu>,
    #[serde(default)]
    pub collect: Vec<RawCollect>,
    #[serde(default)]
    pub say: Vec<RawSay>,
    #[serde(default)]
    pub branch: Vec<RawBranch>,
    #[serde(default)]
    pub schedule: Vec<RawSchedule>,
    #[serde(default)]
    pub lookup: Vec<RawLookup>,
    #[serde(default)]
    pub set: Vec<RawSet>,
    #[serde(default)]
    pub set_language: Vec<RawSetLanguage>,
    #[serde(default)]
    pub queue: Vec<RawQueue>,
    #[serde(default)]
    pub voicemail: Vec<RawVoicemail>,
    #[serde(default)]
    pub callback: Vec<RawCallback>,
    #[serde(default)]
    pub transfer: Vec<RawTransfer>,
    #[serde(default)]
    pub survey: Vec<RawSurvey>,
    #[serde(default)]
    pub consent: Vec<RawConsent>,
    #[serde(default)]
    pub hangup: Vec<RawHangup>,
    #[serde(default)]
    pub goto: Vec<RawGoto>,
    #[serde(default)]
    pub submenu: Vec<RawSubmenu>,
    #[serde(default)]
    pub back: Vec<RawBack>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeader {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub start: Target,
    pub languages: Spanned<Vec<String>>,
    pub default_language: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPlay {
    pub id: Spanned<String>,
    pub prompts: Vec<Spanned<String>>,
    /// A prompt played instead of a `{variable}` prompt whose file does not exist.
    #[serde(default)]
    pub fallback_prompt: Option<Spanned<String>>,
    #[serde(default)]
    pub barge_in: bool,
    pub next: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMenu {
    pub id: Spanned<String>,
    pub prompts: Vec<Spanned<String>>,
    pub keys: Spanned<BTreeMap<String, Target>>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub inter_digit_timeout_ms: Option<u64>,
    #[serde(default)]
    pub retries: Option<u32>,
    #[serde(default)]
    pub invalid_prompt: Option<Spanned<String>>,
    #[serde(default)]
    pub timeout_prompt: Option<Spanned<String>>,
    #[serde(default)]
    pub after_retries: Option<Target>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawValidation {
    ResidentId,
    CaseRef,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCollect {
    pub id: Spanned<String>,
    pub prompts: Vec<Spanned<String>>,
    pub var: Spanned<String>,
    #[serde(default)]
    pub min_len: Option<usize>,
    pub max_len: Spanned<usize>,
    #[serde(default)]
    pub terminator: Option<Spanned<String>>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub inter_digit_timeout_ms: Option<u64>,
    #[serde(default)]
    pub retries: Option<u32>,
    #[serde(default)]
    pub validate: Option<RawValidation>,
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub mask: bool,
    #[serde(default)]
    pub invalid_prompt: Option<Spanned<String>>,
    #[serde(default)]
    pub timeout_prompt: Option<Spanned<String>>,
    pub next: Target,
    #[serde(default)]
    pub after_retries: Option<Target>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawSayFormat {
    Digits,
    Number,
    Date,
    CaseRef,
    Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSay {
    pub id: Spanned<String>,
    pub format: RawSayFormat,
    #[serde(default)]
    pub var: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    pub next: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBranch {
    pub id: Spanned<String>,
    #[serde(default)]
    pub when: Vec<RawWhen>,
    pub otherwise: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWhen {
    pub var: String,
    #[serde(default)]
    pub equals: Option<String>,
    #[serde(default)]
    pub not_equals: Option<String>,
    #[serde(default)]
    pub one_of: Option<Vec<String>>,
    #[serde(default)]
    pub is_set: Option<bool>,
    pub next: Target,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHours {
    #[serde(default)]
    pub mon: Vec<Spanned<String>>,
    #[serde(default)]
    pub tue: Vec<Spanned<String>>,
    #[serde(default)]
    pub wed: Vec<Spanned<String>>,
    #[serde(default)]
    pub thu: Vec<Spanned<String>>,
    #[serde(default)]
    pub fri: Vec<Spanned<String>>,
    #[serde(default)]
    pub sat: Vec<Spanned<String>>,
    #[serde(default)]
    pub sun: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSchedule {
    pub id: Spanned<String>,
    pub timezone: Spanned<String>,
    #[serde(default)]
    pub holidays: Option<Spanned<String>>,
    pub hours: RawHours,
    pub open: Target,
    pub closed: Target,
    #[serde(default)]
    pub holiday: Option<Target>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawLookupKind {
    CitizenByCaller,
    CitizenById,
    CaseStatus,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLookup {
    pub id: Spanned<String>,
    pub what: RawLookupKind,
    #[serde(default)]
    pub key_var: Option<Spanned<String>>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    pub found: Target,
    pub not_found: Target,
    #[serde(default)]
    pub failed: Option<Target>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSet {
    pub id: Spanned<String>,
    pub var: Spanned<String>,
    pub value: String,
    pub next: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSetLanguage {
    pub id: Spanned<String>,
    pub language: Spanned<String>,
    pub next: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueue {
    pub id: Spanned<String>,
    pub queue: Spanned<String>,
    #[serde(default)]
    pub priority: u8,
    #[serde(default)]
    pub skills: Vec<String>,
    pub overflow: Target,
    #[serde(default)]
    pub after_agent: Option<Target>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVoicemail {
    pub id: Spanned<String>,
    #[serde(default)]
    pub prompts: Vec<Spanned<String>>,
    #[serde(default)]
    pub max_ms: Option<u64>,
    #[serde(default)]
    pub min_ms: Option<u64>,
    pub next: Target,
    #[serde(default)]
    pub empty: Option<Target>,
    /// The work-order category the message is about (from the catalogue).
    #[serde(default)]
    pub category: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCallback {
    pub id: Spanned<String>,
    #[serde(default)]
    pub number_var: Option<String>,
    #[serde(default)]
    pub queue: Option<Spanned<String>>,
    pub next: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTransfer {
    pub id: Spanned<String>,
    pub destination: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSurvey {
    pub id: Spanned<String>,
    pub prompts: Vec<Spanned<String>>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default)]
    pub retries: Option<u32>,
    #[serde(default)]
    pub invalid_prompt: Option<Spanned<String>>,
    #[serde(default)]
    pub timeout_prompt: Option<Spanned<String>>,
    pub next: Target,
}

/// A notice the caller may object to with one key (`[[consent]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConsent {
    pub id: Spanned<String>,
    /// One of `hotline_types::ConsentPurpose`'s names, checked by the compiler.
    pub purpose: Spanned<String>,
    pub prompts: Vec<Spanned<String>>,
    pub decline_key: Spanned<String>,
    /// How long after the notice the caller may still press the key.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    pub next: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHangup {
    pub id: Spanned<String>,
    #[serde(default)]
    pub prompts: Vec<Spanned<String>>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGoto {
    pub id: Spanned<String>,
    pub target: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSubmenu {
    pub id: Spanned<String>,
    pub target: Target,
    pub return_to: Target,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBack {
    pub id: Spanned<String>,
    pub fallback: Target,
}

/// A holiday calendar file (`ivr_scripts/calendars/*.toml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCalendar {
    #[serde(default)]
    pub holiday: Vec<RawHoliday>,
    /// Weekend days worked to make up for a long holiday (common in China).
    #[serde(default)]
    pub workday: Vec<RawWorkday>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHoliday {
    pub date: Spanned<toml::value::Datetime>,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWorkday {
    pub date: Spanned<toml::value::Datetime>,
    pub name: String,
    /// Which weekday's opening hours apply, e.g. "mon".
    pub hours_like: Spanned<String>,
}
