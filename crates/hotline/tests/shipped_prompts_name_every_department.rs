//! The case-status path of the shipped menu names the department handling
//! a case (`dept_{case_department}`, else "another department"): every
//! department of the example catalogue, the one the hotline runs with
//! when none is configured, has its prompt in both languages.

use hotline_orders::Catalogue;

#[test]
fn every_example_department_has_a_prompt_in_both_languages() {
    let prompts =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ivr_scripts/prompts");
    let mut missing = Vec::new();
    for department in Catalogue::example().departments() {
        for language in ["zh", "en"] {
            let wav = prompts.join(format!("{language}/dept_{}.wav", department.code));
            if !wav.is_file() {
                missing.push(wav.display().to_string());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add them to ivr_scripts/prompts/generate.sh and run it: {missing:?}"
    );
}
