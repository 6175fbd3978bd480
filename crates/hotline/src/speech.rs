//! Text-to-speech: free text the IVR speaks (a department's reply, read
//! out when a citizen checks their case or is followed up) becomes a
//! prompt by running the configured synthesiser (espeak-ng by default)
//! once per text and loading the WAV it writes.
//!
//! Each synthesis is bounded: a few at once (`speech.max_concurrent`), a
//! time limit (the program is killed), a maximum length (the text is cut
//! at a word). The text reaches the program on its standard input, never
//! as an argument, so no text can become an option or a shell word. The
//! latest texts are kept, so a reply heard again is not synthesised again.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use hotline_media::Prompt;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;
use tracing::warn;

use crate::config::SpeechConfig;

/// How many spoken texts are kept (about 40 s of audio each at most:
/// 64 × 640 KB of G.711 in both laws at worst).
const KEPT: usize = 64;

/// The synthesiser, shared by every call.
#[derive(Debug)]
pub struct Speech {
    config: SpeechConfig,
    permits: Semaphore,
    /// (language, text, speech), the latest last.
    kept: Mutex<VecDeque<(String, String, Arc<Prompt>)>>,
}

impl Speech {
    /// Checks the configuration (the program is looked for at the first
    /// synthesis: a hotline without it still answers, and says why then).
    pub fn new(config: SpeechConfig) -> anyhow::Result<Self> {
        if config.enabled {
            if config.command.is_empty() {
                bail!(
                    "speech.command is empty: name the synthesiser, or set speech.enabled = false"
                );
            }
            if !config.command[1..].iter().any(|a| a.contains("{wav}")) {
                bail!("speech.command: no argument names the file to write ({{wav}})");
            }
            if config.max_concurrent == 0 || config.max_chars == 0 || config.timeout_ms == 0 {
                bail!("speech.max_concurrent, speech.max_chars and speech.timeout_ms must be at least 1");
            }
            if !on_path(&config.command[0]) {
                warn!(
                    program = %config.command[0],
                    "the text-to-speech program is not installed: replies are not read out (apt-get install espeak-ng, or set speech.command)"
                );
            }
        }
        Ok(Self {
            permits: Semaphore::new(config.max_concurrent.max(1)),
            config,
            kept: Mutex::new(VecDeque::new()),
        })
    }

    /// `text` spoken in the voice of an IVR `language`, as 8 kHz audio.
    pub async fn speak(&self, language: &str, text: &str) -> anyhow::Result<Arc<Prompt>> {
        if !self.config.enabled {
            bail!("text-to-speech is off (speech.enabled)");
        }
        let voice = self
            .config
            .voices
            .get(language)
            .with_context(|| format!("no voice for language {language:?} (speech.voices)"))?;
        let text = cut(text.trim(), self.config.max_chars);
        if text.is_empty() {
            bail!("nothing to say");
        }
        if let Some(kept) = self.kept(language, text) {
            return Ok(kept);
        }
        let prompt = {
            let _turn = self.permits.acquire().await?;
            Arc::new(self.synthesise(voice, text).await?)
        };
        let mut kept = self.lock();
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back((language.to_owned(), text.to_owned(), prompt.clone()));
        Ok(prompt)
    }

    async fn synthesise(&self, voice: &str, text: &str) -> anyhow::Result<Prompt> {
        let wav = tempfile::Builder::new()
            .prefix("hotline-speech-")
            .suffix(".wav")
            .tempfile()
            .context("no temporary file for the speech")?;
        let path = wav
            .path()
            .to_str()
            .ok_or_else(|| anyhow!("the temporary directory's path is not UTF-8"))?;
        let program = &self.config.command[0];
        let mut child = tokio::process::Command::new(program)
            .args(
                self.config.command[1..]
                    .iter()
                    .map(|a| a.replace("{voice}", voice).replace("{wav}", path)),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("the synthesiser {program:?} cannot be started"))?;
        let mut stdin = child.stdin.take().context("no standard input")?;
        let text = text.to_owned();
        let run = async move {
            // A program that exits without reading it all (a failing one, or
            // one that reads only part) closes the pipe: its exit status
            // says whether it spoke, not the write.
            let _ = stdin.write_all(text.as_bytes()).await;
            drop(stdin);
            child.wait_with_output().await
        };
        let limit = Duration::from_millis(self.config.timeout_ms);
        let output = tokio::time::timeout(limit, run)
            .await
            .map_err(|_| anyhow!("{program} took longer than {limit:?}: given up"))?
            .with_context(|| format!("{program} did not run"))?;
        if !output.status.success() {
            bail!(
                "{program} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        // Converting a long text's audio to 8 kHz is a few milliseconds of
        // arithmetic: not on the call's thread.
        tokio::task::spawn_blocking(move || {
            let samples = hotline_media::prompt::load_wav_8k_mono(wav.path())?;
            Ok(Prompt::from_samples("speech", &samples))
        })
        .await?
    }

    fn kept(&self, language: &str, text: &str) -> Option<Arc<Prompt>> {
        self.lock()
            .iter()
            .find(|(l, t, _)| l == language && t == text)
            .map(|(_, _, p)| p.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, String, Arc<Prompt>)>> {
        self.kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether `program` names a file that exists, directly or on `PATH`.
fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return std::path::Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// At most `max` characters of `text`, ending at a word or a punctuation
/// mark when one is in the last third (Chinese has no spaces between words).
fn cut(text: &str, max: usize) -> &str {
    let boundary = |c: char| c.is_whitespace() || "，。；、！？,.;!?".contains(c);
    let Some((end, next)) = text.char_indices().nth(max) else {
        return text;
    };
    let head = &text[..end];
    if boundary(next) {
        return head.trim_end();
    }
    let earliest = head.char_indices().nth(max * 2 / 3).map_or(0, |(at, _)| at);
    match head.rfind(boundary) {
        Some(at) if at >= earliest => head[..at].trim_end(),
        _ => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_at_a_word_or_a_mark() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("the lift works again now", 20), "the lift works again");
        assert_eq!(cut("电梯已修复，恢复正常运行了", 8), "电梯已修复");
        assert_eq!(
            cut("abcdefghijkl", 5),
            "abcde",
            "no word end: cut where the limit falls"
        );
    }

    #[test]
    fn a_configuration_that_cannot_synthesise_is_refused() {
        let no_file = SpeechConfig {
            command: vec!["espeak-ng".into(), "--stdin".into()],
            ..SpeechConfig::default()
        };
        assert!(Speech::new(no_file).is_err());
        let empty = SpeechConfig {
            command: Vec::new(),
            ..SpeechConfig::default()
        };
        assert!(Speech::new(empty).is_err());
        let off = SpeechConfig {
            enabled: false,
            command: Vec::new(),
            ..SpeechConfig::default()
        };
        assert!(Speech::new(off).is_ok(), "off: nothing to check");
    }

    #[tokio::test]
    async fn a_missing_or_failing_synthesiser_is_an_error_not_a_hang() {
        let missing = Speech::new(SpeechConfig {
            command: vec!["/nonexistent/tts".into(), "{wav}".into()],
            ..SpeechConfig::default()
        })
        .unwrap();
        let e = missing.speak("en", "hello").await.unwrap_err();
        assert!(e.to_string().contains("cannot be started"), "{e:#}");

        let failing = Speech::new(SpeechConfig {
            command: vec!["sh".into(), "-c".into(), "exit 3".into(), "{wav}".into()],
            ..SpeechConfig::default()
        })
        .unwrap();
        let e = failing.speak("en", "hello").await.unwrap_err();
        assert!(e.to_string().contains("failed"), "{e:#}");

        let slow = Speech::new(SpeechConfig {
            command: vec!["sh".into(), "-c".into(), "sleep 10".into(), "{wav}".into()],
            timeout_ms: 200,
            ..SpeechConfig::default()
        })
        .unwrap();
        let started = std::time::Instant::now();
        let e = slow.speak("en", "hello").await.unwrap_err();
        assert!(e.to_string().contains("longer than"), "{e:#}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "killed, not waited for"
        );

        let e = missing.speak("fr", "bonjour").await.unwrap_err();
        assert!(e.to_string().contains("no voice"), "{e:#}");
    }

    /// The shipped default: espeak-ng speaks a reply in both languages.
    #[tokio::test]
    async fn espeak_ng_speaks_a_reply_in_both_languages() {
        if std::process::Command::new("espeak-ng")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("HOTLINE_REQUIRE_ESPEAK").is_none(),
                "HOTLINE_REQUIRE_ESPEAK is set but espeak-ng is missing"
            );
            eprintln!("\n!!!!!!!! SKIPPED espeak_ng_speaks_a_reply_in_both_languages: espeak-ng is not installed (apt-get install espeak-ng) !!!!!!!!\n");
            return;
        }
        let speech = Speech::new(SpeechConfig::default()).unwrap();
        for (language, text) in [
            ("zh", "您反映的路灯问题已经修复。"),
            ("en", "The streetlight you reported was repaired on Monday."),
        ] {
            let prompt = speech.speak(language, text).await.unwrap();
            assert!(
                prompt.duration() > Duration::from_millis(1500),
                "{language}: {:?} of speech",
                prompt.duration()
            );
            let again = speech.speak(language, text).await.unwrap();
            assert!(Arc::ptr_eq(&prompt, &again), "kept, not synthesised again");
        }
    }
}
