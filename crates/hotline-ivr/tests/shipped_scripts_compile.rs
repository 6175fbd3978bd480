//! Every shipped script loads, with every prompt recorded in every language
//! and no warning left for its authors.

mod common;

use common::*;
use hotline_ivr::*;

#[test]
fn the_shipped_hotline_loads_clean() {
    let report = check(&shipped_dir(), &hotline_environment()).expect("directory readable");
    assert!(report.problems.is_empty(), "{report}");
    let set = ScriptSet::load(shipped_dir(), hotline_environment()).expect("loads");
    let bundle = set.current();
    assert_eq!(bundle.version(), 1);
    let hotline = bundle.script("hotline").expect("the hotline script");
    assert_eq!(hotline.languages().collect::<Vec<_>>(), ["zh", "en"]);
    assert!(hotline.node_count() > 40);
}

#[test]
fn the_shipped_prompts_are_8khz_mono_16bit_wavs() {
    for lang in ["zh", "en"] {
        let dir = shipped_dir().join("prompts").join(lang);
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("prompt dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "wav") {
                continue;
            }
            let bytes = std::fs::read(&path).expect("readable");
            assert_eq!(&bytes[0..4], b"RIFF", "{}", path.display());
            assert_eq!(&bytes[8..12], b"WAVE", "{}", path.display());
            let channels = u16::from_le_bytes([bytes[22], bytes[23]]);
            let rate = u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]);
            let bits = u16::from_le_bytes([bytes[34], bytes[35]]);
            assert_eq!((channels, rate, bits), (1, 8000, 16), "{}", path.display());
            assert!(
                bytes.len() > 44 + 8000,
                "{} is shorter than half a second",
                path.display()
            );
            count += 1;
        }
        assert!(count >= 45, "{lang}: only {count} prompts");
    }
}

#[test]
fn every_prompt_text_has_its_recordings_and_no_recording_is_stale() {
    let script = std::fs::read_to_string(shipped_dir().join("prompts/generate.sh")).expect("read");
    for (table, lang) in [("EN", "en"), ("ZH", "zh")] {
        let mut named: Vec<String> = script
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{table}[")))
            .filter_map(|l| l.split_once(']').map(|(name, _)| name.to_owned()))
            .collect();
        named.push("choose_language".into());
        named.sort();
        let mut recorded: Vec<String> = std::fs::read_dir(shipped_dir().join("prompts").join(lang))
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "wav"))
            .map(|p| p.file_stem().expect("stem").to_string_lossy().into_owned())
            .collect();
        recorded.sort();
        assert_eq!(
            named, recorded,
            "{lang}: rerun ivr_scripts/prompts/generate.sh"
        );
    }
}
