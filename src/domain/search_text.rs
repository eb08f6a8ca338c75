//! How search reads text: a word is a run of letters and digits in any
//! script, compared by its form (lowercase, accents removed). The index,
//! the query and the highlights all split text here, so a record is found
//! by the same words on every database, and what is found is what is
//! highlighted.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A word of a text: where it stands, in characters, and its form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Index of its first character.
    pub start: usize,
    /// Index just past its last character.
    pub end: usize,
    /// The form it is compared in.
    pub form: String,
}

/// Combining marks stay inside a word (they are part of a letter once
/// decomposed), so that "Luleå" written decomposed is still one word.
fn in_word(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

/// The form a word is compared in: lowercase, with accents and other
/// combining marks removed ("Luleå" → "lulea", "Ёлки" → "елки").
pub fn form(word: &str) -> String {
    let bare: String = word
        .chars()
        .flat_map(char::to_lowercase)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect();
    bare.nfc().collect()
}

/// The words of a text, in order.
pub fn words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut current: Option<(usize, String)> = None;
    let mut count = 0;
    for (index, c) in text.chars().enumerate() {
        count = index + 1;
        match (&mut current, in_word(c)) {
            (Some((_, word)), true) => word.push(c),
            (None, true) => current = Some((index, c.to_string())),
            (Some(_), false) => {
                if let Some((start, word)) = current.take() {
                    words.push(word_at(start, index, &word));
                }
            }
            (None, false) => {}
        }
    }
    if let Some((start, word)) = current {
        words.push(word_at(start, count, &word));
    }
    words
}

fn word_at(start: usize, end: usize, word: &str) -> Word {
    Word {
        start,
        end,
        form: form(word),
    }
}

/// The distinct forms of a query's words, in the order first given.
pub fn query_forms(query: &str) -> Vec<String> {
    let mut forms: Vec<String> = Vec::new();
    for word in words(query) {
        if !word.form.is_empty() && !forms.contains(&word.form) {
            forms.push(word.form);
        }
    }
    forms
}

/// One highlighted stretch of a fragment, in characters from its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Highlight {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// A short piece of a text around the words a query found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub highlights: Vec<Highlight>,
}

/// How many characters a fragment holds at most (and a few more, to end
/// on a whole word).
const FRAGMENT_CHARS: usize = 160;
/// How much of the text before the first match a fragment shows.
const LEAD_CHARS: usize = 40;

/// The words of `text` that start with one of `forms`, and a fragment of
/// the text around the first of them; `None` when none matches.
pub fn fragment(text: &str, forms: &[String]) -> Option<Fragment> {
    let all = words(text);
    let found: Vec<&Word> = all
        .iter()
        .filter(|w| forms.iter().any(|f| w.form.starts_with(f.as_str())))
        .collect();
    let first = found.first()?;
    let chars: Vec<char> = text.chars().collect();
    // Start at a word boundary shortly before the first match, end at a
    // word boundary about FRAGMENT_CHARS later.
    let start = all
        .iter()
        .map(|w| w.start)
        .filter(|s| *s <= first.start && first.start - *s <= LEAD_CHARS)
        .min()
        .unwrap_or(first.start);
    let limit = start + FRAGMENT_CHARS;
    let end = all
        .iter()
        .map(|w| w.end)
        .filter(|e| *e > first.start && *e <= limit)
        .max()
        .unwrap_or(first.end)
        .max(first.end);
    let end = if chars.len() <= limit {
        chars.len()
    } else {
        end
    };
    let start = if chars.len() <= FRAGMENT_CHARS {
        0
    } else {
        start
    };
    let highlights = found
        .iter()
        .filter(|w| w.start >= start && w.end <= end)
        .map(|w| Highlight {
            start: w.start - start,
            end: w.end - start,
            text: chars[w.start..w.end].iter().collect(),
        })
        .collect();
    Some(Fragment {
        text: chars[start..end].iter().collect(),
        highlights,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits_in_any_script_folded() {
        let forms: Vec<String> = words("Luleå, «Мурманск» 哈尔滨-2016 Tromsø")
            .into_iter()
            .map(|w| w.form)
            .collect();
        assert_eq!(forms, ["lulea", "мурманск", "哈尔滨", "2016", "tromsø"]);
        // Decomposed input reads the same as composed.
        assert_eq!(form("Lule\u{61}\u{30a}"), "lulea");
        assert_eq!(
            query_forms("Palsy  palsy, CEREBRAL!"),
            ["palsy", "cerebral"]
        );
        let positions: Vec<(usize, usize)> =
            words("a Ёж").iter().map(|w| (w.start, w.end)).collect();
        assert_eq!(positions, [(0, 1), (2, 4)]);
    }

    #[test]
    fn a_fragment_shows_and_marks_the_matching_words() {
        let text = "Children with cerebral palsy, and patients after a stroke.";
        let found = fragment(text, &["cerebral".into(), "pal".into()]).expect("a match");
        assert_eq!(found.text, text);
        let marked: Vec<(usize, usize, &str)> = found
            .highlights
            .iter()
            .map(|h| (h.start, h.end, h.text.as_str()))
            .collect();
        assert_eq!(marked, [(14, 22, "cerebral"), (23, 28, "palsy")]);
        assert_eq!(fragment(text, &["harbin".into()]), None);

        let long = format!(
            "{} the delegation arrived. {}",
            "word ".repeat(60),
            "tail ".repeat(60)
        );
        let found = fragment(&long, &["delegation".into()]).expect("a match");
        assert!(
            found.text.chars().count() <= FRAGMENT_CHARS,
            "{}",
            found.text
        );
        let h = &found.highlights[0];
        let shown: String = found
            .text
            .chars()
            .skip(h.start)
            .take(h.end - h.start)
            .collect();
        assert_eq!(shown, "delegation");
        assert!(found.text.starts_with("word") && h.start > 0 && h.start <= LEAD_CHARS);
    }
}
