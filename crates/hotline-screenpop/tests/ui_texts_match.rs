//! Every word of the pages exists in both languages: for the shared frame
//! and for each page, the English and the Chinese words in
//! `static/ui/texts.js` hold exactly the same keys, each written once. A key
//! missing in one language would show English words (or the key itself) to
//! a caller's agent who chose the other.
//!
//! Reads the file as the binary embeds it; needs nothing else. The file is
//! plain data (`export const TEXTS = { page: { en: { key: 'words' } } }`),
//! read here with a small reader of JavaScript object literals that knows
//! strings, comments, quoted keys and trailing commas.

use std::collections::BTreeSet;

const TEXTS_JS: &str = include_str!("../static/ui/texts.js");
const PAGES: [&str; 9] = [
    "common",
    "console",
    "wallboard",
    "reports",
    "departments",
    "admin",
    "callbacks",
    "orders",
    "privacy",
];

#[test]
fn english_and_chinese_hold_the_same_keys_on_every_page() {
    let texts = read_texts(TEXTS_JS).unwrap_or_else(|e| panic!("static/ui/texts.js: {e}"));
    let pages: Vec<&str> = texts.iter().map(|(page, _)| page.as_str()).collect();
    assert_eq!(pages, PAGES, "the sections of TEXTS");
    let problems: Vec<String> = texts
        .iter()
        .flat_map(|(page, languages)| problems_of(page, languages))
        .collect();
    assert!(
        problems.is_empty(),
        "static/ui/texts.js:\n{}",
        problems.join("\n")
    );
    // Not vacuous: the console alone has dozens of words.
    assert!(texts[1].1.iter().all(|(_, keys)| keys.len() > 40));
}

#[test]
fn a_key_missing_in_one_language_or_written_twice_is_reported() {
    let sample = r#"
        // A comment with { braces } and 'quotes'.
        export const TEXTS = {
          common: {
            en: { brand: 'Hotline', 'quoted-key': "it's {fine}", tpl: `a ${1} b`, twice: 'x', twice: 'y', },
            /* the Chinese words */
            zh: { brand: '热线', "quoted-key": '好', tpl: '模板', only_zh: '仅中文' },
          },
        };
    "#;
    let texts = read_texts(sample).expect("the sample reads");
    let problems = problems_of(&texts[0].0, &texts[0].1);
    assert_eq!(
        problems,
        [
            "common: en has \"twice\" twice",
            "common: only in en: [\"twice\"]",
            "common: only in zh: [\"only_zh\"]",
        ]
    );
}

#[test]
fn a_file_the_reader_does_not_understand_is_an_error_not_a_pass() {
    for (text, why) in [
        ("const OTHER = {};", "no TEXTS"),
        (
            "export const TEXTS = { common: { en: { ...more } } };",
            "a spread",
        ),
        (
            "export const TEXTS = { common: { en: { brand: 'Hotline' } };",
            "unclosed",
        ),
        (
            "export const TEXTS = { common: { en: { brand: 'Hotl } } };",
            "open string",
        ),
        (
            "export const TEXTS = { common: 'words' };",
            "a page that is not an object",
        ),
    ] {
        assert!(read_texts(text).is_err(), "{why}: {text}");
    }
}

/// Keys per language, in the order written (duplicates kept).
type Languages = Vec<(String, Vec<String>)>;

fn problems_of(page: &str, languages: &Languages) -> Vec<String> {
    let mut problems = Vec::new();
    let names: Vec<&str> = languages.iter().map(|(l, _)| l.as_str()).collect();
    if names != ["en", "zh"] {
        problems.push(format!(
            "{page}: languages {names:?}, expected [\"en\", \"zh\"]"
        ));
        return problems;
    }
    let mut sets = Vec::new();
    for (language, keys) in languages {
        let mut seen = BTreeSet::new();
        for key in keys {
            if !seen.insert(key.as_str()) {
                problems.push(format!("{page}: {language} has {key:?} twice"));
            }
        }
        sets.push(seen);
    }
    let only = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| -> Vec<String> {
        a.difference(b).map(|k| (*k).to_owned()).collect()
    };
    for (language, missing) in [
        ("en", only(&sets[0], &sets[1])),
        ("zh", only(&sets[1], &sets[0])),
    ] {
        if !missing.is_empty() {
            problems.push(format!("{page}: only in {language}: {missing:?}"));
        }
    }
    problems
}

/// `TEXTS` as (page, (language, keys)), in the order written.
fn read_texts(text: &str) -> Result<Vec<(String, Languages)>, String> {
    let tokens = tokenize(text)?;
    let start = tokens
        .windows(2)
        .position(|w| w[0] == Token::Word("TEXTS".into()) && w[1] == Token::Punct('='))
        .ok_or("no `TEXTS = {...}`")?;
    let mut reader = Reader {
        tokens: &tokens,
        at: start + 2,
    };
    let Value::Object(pages) = reader.value()? else {
        return Err("TEXTS is not an object".into());
    };
    let mut out = Vec::new();
    for (page, value) in pages {
        let Value::Object(languages) = value else {
            return Err(format!("TEXTS.{page} is not an object"));
        };
        let mut keys_by_language = Vec::new();
        for (language, value) in languages {
            let Value::Object(words) = value else {
                return Err(format!("TEXTS.{page}.{language} is not an object"));
            };
            keys_by_language.push((language, words.into_iter().map(|(k, _)| k).collect()));
        }
        out.push((page, keys_by_language));
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// An identifier, a number or another bare word.
    Word(String),
    /// A string or template literal's text (escapes not undone: only keys
    /// are compared, and quoted keys are plain).
    Str(String),
    Punct(char),
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let end = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                .ok_or("a /* comment that never ends")?;
            i = end + 2;
        } else if matches!(c, '\'' | '"' | '`') {
            let mut j = i + 1;
            let mut s = String::new();
            loop {
                match chars.get(j) {
                    None => return Err(format!("a string opened with {c} never ends")),
                    Some('\\') => {
                        s.extend(chars.get(j..j + 2).unwrap_or_default());
                        j += 2;
                    }
                    Some('\n') if c != '`' => return Err("a line break inside a string".into()),
                    Some(&d) if d == c => break,
                    Some(&d) => {
                        s.push(d);
                        j += 1;
                    }
                }
            }
            tokens.push(Token::Str(s));
            i = j + 1;
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let j = (i..chars.len())
                .find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_' || chars[j] == '$'))
                .unwrap_or(chars.len());
            tokens.push(Token::Word(chars[i..j].iter().collect()));
            i = j;
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    Ok(tokens)
}

#[derive(Debug)]
enum Value {
    Object(Vec<(String, Value)>),
    /// Anything but an object literal (a string, mostly), not looked into.
    Other,
}

struct Reader<'a> {
    tokens: &'a [Token],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn take(&mut self) -> Result<&Token, String> {
        let token = self
            .tokens
            .get(self.at)
            .ok_or("the text ends inside TEXTS")?;
        self.at += 1;
        Ok(token)
    }

    fn value(&mut self) -> Result<Value, String> {
        if self.peek() == Some(&Token::Punct('{')) {
            return self.object();
        }
        // Up to the `,` or `}` that ends this value, past nested brackets.
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err("the text ends inside a value".into()),
                Some(Token::Punct(',' | '}')) if depth == 0 => return Ok(Value::Other),
                Some(Token::Punct('(' | '[' | '{')) => depth += 1,
                Some(Token::Punct(')' | ']' | '}')) => {
                    depth = depth.checked_sub(1).ok_or("an unmatched bracket")?;
                }
                Some(_) => {}
            }
            self.at += 1;
        }
    }

    fn object(&mut self) -> Result<Value, String> {
        self.take()?; // `{`
        let mut entries = Vec::new();
        loop {
            let key = match self.take()? {
                Token::Punct('}') => return Ok(Value::Object(entries)),
                Token::Word(w) => w.clone(),
                Token::Str(s) => s.clone(),
                other => return Err(format!("{other:?} where a key was expected")),
            };
            match self.take()? {
                Token::Punct(':') => {}
                other => return Err(format!("{other:?} after key {key:?}, expected `:`")),
            }
            let value = self.value()?;
            entries.push((key, value));
            match self.take()? {
                Token::Punct(',') => {}
                Token::Punct('}') => return Ok(Value::Object(entries)),
                other => return Err(format!("{other:?} after a value, expected `,` or `}}`")),
            }
        }
    }
}
