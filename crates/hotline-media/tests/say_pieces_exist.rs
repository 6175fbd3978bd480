//! Every piece the say functions can name exists under
//! ivr_scripts/prompts/<lang>/say/ as a loadable 8 kHz prompt, so saying a
//! value can never fail on a missing file at call time.

use std::path::PathBuf;
use std::sync::Arc;

use hotline_media::say::{self, Language};
use hotline_media::{Prompt, PromptCache};

fn prompts_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ivr_scripts/prompts")
}

#[test]
fn every_piece_is_recorded_and_loads() {
    let cache = PromptCache::new();
    for lang in [Language::En, Language::Zh] {
        for piece in say::all_pieces(lang) {
            let path = say::piece_path(&prompts_root(), lang, piece);
            let prompt = cache.get(&path).unwrap_or_else(|e| {
                panic!("{lang:?} piece {piece}: {e} (run ivr_scripts/prompts/generate-say.sh)")
            });
            let ms = prompt.duration().as_millis();
            assert!(
                (100..=1500).contains(&ms),
                "{} lasts {ms} ms",
                path.display()
            );
        }
    }
}

#[test]
fn a_case_reference_becomes_a_playable_sentence() {
    let r = hotline_types::CaseRef::new(2026, 11, 22, 17).unwrap();
    for lang in [Language::En, Language::Zh] {
        let cache = PromptCache::new();
        let pieces = say::say_case_ref(lang, &r);
        let prompts: Vec<Arc<Prompt>> =
            say::load_pieces(&cache, &prompts_root(), lang, &pieces).unwrap();
        // Repeated digits share one loaded prompt.
        assert!(cache.len() < prompts.len());
        assert_eq!(prompts.len(), 14);
        let total: u128 = prompts.iter().map(|p| p.duration().as_millis()).sum();
        assert!((2000..=12000).contains(&total), "{lang:?}: {total} ms");
    }
}
