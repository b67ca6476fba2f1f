//! Splitting token streams at top-level separators without parsing expressions.
//!
//! Expressions stay token trees (parsing them would need syn's `full` feature and cost compile
//! time), so separators are found by walking the tokens: a separator inside a group (`(..)`,
//! `[..]`, `{..}`) or between angle brackets (`f::<A, B>()`) does not count.

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};

/// One segment of a split: its tokens, and the separator that ended it (if any).
pub(crate) struct Segment {
    pub(crate) tokens: Vec<TokenTree>,
    pub(crate) separator: Option<TokenTree>,
}

impl Segment {
    pub(crate) fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub(crate) fn stream(&self) -> TokenStream {
        self.tokens.iter().cloned().collect()
    }
}

/// Splits `tokens` at every top-level punctuation character in `separators` (`,` or `;`).
pub(crate) fn split(tokens: TokenStream, separators: &[char]) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut current = Vec::new();
    let mut depth = AngleDepth::default();
    for token in tokens {
        match depth.top_level_punct(&token) {
            // `,` and `;` never start a longer operator, so their spacing does not matter.
            Some(ch) if separators.contains(&ch) => segments.push(Segment {
                tokens: std::mem::take(&mut current),
                separator: Some(token),
            }),
            _ => current.push(token),
        }
    }
    segments.push(Segment {
        tokens: current,
        separator: None,
    });
    segments
}

/// The index of the first top-level `separator` in `tokens` (not inside angle brackets).
pub(crate) fn first_top_level(tokens: &[TokenTree], separator: char) -> Option<usize> {
    let mut depth = AngleDepth::default();
    tokens
        .iter()
        .position(|token| depth.top_level_punct(token) == Some(separator))
}

/// Tracks how deep in angle brackets a walk through tokens is.
#[derive(Default)]
struct AngleDepth {
    depth: usize,
    /// The previous token, when it was a joint punctuation character (`-` of `->`).
    previous_joint: Option<char>,
}

impl AngleDepth {
    /// Steps over `token`; returns its character when it is punctuation outside angle brackets.
    fn top_level_punct(&mut self, token: &TokenTree) -> Option<char> {
        let TokenTree::Punct(punct) = token else {
            self.previous_joint = None;
            return None;
        };
        let ch = punct.as_char();
        match ch {
            '<' => self.depth += 1,
            // `->` and `=>` are arrows, not closing brackets.
            '>' if !matches!(self.previous_joint, Some('-' | '=')) => {
                self.depth = self.depth.saturating_sub(1);
            }
            _ => {}
        }
        self.previous_joint = (punct.spacing() == Spacing::Joint).then_some(ch);
        (self.depth == 0).then_some(ch)
    }
}

/// Whether `token` is the identifier `word`.
pub(crate) fn is_ident(token: &TokenTree, word: &str) -> bool {
    matches!(token, TokenTree::Ident(ident) if ident == word)
}

/// The index of the first top-level `=>` in `tokens` (the index of its `=`).
pub(crate) fn find_fat_arrow(tokens: &[TokenTree]) -> Option<usize> {
    tokens.windows(2).position(|pair| {
        matches!(
            pair,
            [TokenTree::Punct(eq), TokenTree::Punct(gt)]
                if eq.as_char() == '=' && eq.spacing() == Spacing::Joint && gt.as_char() == '>'
        )
    })
}

/// The text of a task expression, for its name in errors: tokens joined as written, with a
/// space between two words and after `,` and `;` (`fetch(u)`, `job(id*2)`, `{ let a=b; f(a) }`).
pub(crate) fn expr_text(tokens: &TokenStream) -> String {
    let mut text = String::new();
    let mut space_before_word = false;
    for token in tokens.clone() {
        match token {
            proc_macro2::TokenTree::Group(group) => {
                let inner = expr_text(&group.stream());
                match group.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => text.push_str(&format!("({inner})")),
                    proc_macro2::Delimiter::Bracket => text.push_str(&format!("[{inner}]")),
                    proc_macro2::Delimiter::Brace => {
                        if !text.is_empty() && !text.ends_with(' ') {
                            text.push(' ');
                        }
                        text.push_str(&format!("{{ {inner} }}"));
                    }
                    proc_macro2::Delimiter::None => text.push_str(&inner),
                }
                space_before_word = matches!(group.delimiter(), proc_macro2::Delimiter::Brace);
            }
            proc_macro2::TokenTree::Punct(punct) => {
                text.push(punct.as_char());
                space_before_word = matches!(punct.as_char(), ',' | ';');
            }
            word => {
                if space_before_word {
                    text.push(' ');
                }
                text.push_str(&word.to_string());
                space_before_word = true;
            }
        }
    }
    text
}

/// `tokens` (a path such as the crate's `$crate`) shown at `span` in errors, while still
/// resolving where they were written: `$crate` must keep its own hygiene to mean jobloop.
pub(crate) fn located_at(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(token.span().located_at(span));
            token
        })
        .collect()
}
