//! Splitting token streams at top-level separators, and the text of an expression.
//!
//! Expressions stay token trees: parsing them with syn would need its `full` feature, which
//! costs every user's build about a second (measured: the default build must compile faster than
//! tokio's). So the separators are found by reading Rust's expression grammar where it matters,
//! which is where a `<` opens generic arguments ([`Scanner`]). The property tests check the
//! splits against syn's `full` parser on generated expressions.

use proc_macro2::{Delimiter, LineColumn, Spacing, Span, TokenStream, TokenTree};

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
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut segments = Vec::new();
    let mut current = Vec::new();
    let mut scanner = Scanner::default();
    for (index, token) in tokens.iter().enumerate() {
        match scanner.step(&tokens, index) {
            Some(ch) if separators.contains(&ch) => {
                segments.push(Segment {
                    tokens: std::mem::take(&mut current),
                    separator: Some(token.clone()),
                });
                scanner = Scanner::default();
            }
            _ => current.push(token.clone()),
        }
    }
    segments.push(Segment {
        tokens: current,
        separator: None,
    });
    segments
}

/// The index of the first top-level `separator` in `tokens`.
pub(crate) fn first_top_level(tokens: &[TokenTree], separator: char) -> Option<usize> {
    let mut scanner = Scanner::default();
    (0..tokens.len()).find(|&index| scanner.step(tokens, index) == Some(separator))
}

/// Walks the tokens of an expression (or of the `for` form, or of options) and tells which `,`
/// and `;` are at its top level. Groups (`(..)`, `[..]`, `{..}`) are single tokens already; what
/// remains is what Rust's grammar itself decides: whether a `<` opens generic arguments or is a
/// comparison or a shift.
///
/// - `<` opens generic arguments after `::` (`f::<A, B>()`, `.collect::<Vec<_>>()`), in a type
///   (after `as`, in a closure's parameter types and return type, inside generic arguments),
///   after `for` (a closure's binder, `for<'a> |x| ..`), and where an operand begins (a
///   qualified path, `<T as Tr>::f()`). Everywhere else `<`, `<=`, `<<`, `>`, `>=` and `>>` are
///   operators. (The compiler reads `x as u8 < 3` as generic arguments too, and rejects it.)
/// - Inside generic arguments, `>` closes one level and `>>` two; `->` closes none.
/// - A closure's parameter list, between its two `|`, is not top level: its `,` and its types
///   belong to the closure. A `|` begins a closure where an operand begins, and is an
///   operator (or an or-pattern's bar) after one.
#[derive(Default)]
struct Scanner {
    /// How many generic argument lists are open.
    depth: usize,
    /// What opened the outermost generic argument list.
    opened_by: Opener,
    /// Inside a closure's parameter list (between the `|`s), outside generic arguments.
    closure_params: bool,
    /// Right after a closure's parameter list: a `->` there begins its return type.
    after_closure_params: bool,
    /// In a type at depth 0: after `as`, a closure parameter's `:`, or a closure's `->`.
    in_type: Option<TypeKind>,
    /// In a type after `as`, just after what may be its last part (a name, a group, a closing
    /// `>`): it goes on only with `::`, `<` or `->`.
    type_may_end: bool,
    /// The previous token, to know whether an operand begins here.
    previous: Previous,
    /// Tokens that belong to a multi-character operator already read.
    skip: usize,
}

/// What opened a generic argument list, which tells what follows its `>`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Opener {
    /// `f::<T>`, `<T as Tr>::f`, a type's `Vec<T>`: an operand (or type) goes on after it.
    #[default]
    Path,
    /// `for<'a>`: a closure follows.
    Binder,
}

/// Where a type began, which tells where it ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TypeKind {
    /// `x as T`: a type without bounds; it ends after its last name or group.
    As,
    /// `|x: T|`: ends at the `,` or `|` that closes the parameter.
    ClosureParam,
    /// `|| -> T { .. }`: ends at the closure's body, a block.
    ClosureReturn,
}

/// The kind of the previous token.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Previous {
    /// The start, an operator, or a keyword after which an operand begins.
    #[default]
    OperandNext,
    /// The end of an operand: a name, a literal, a group, a `?`.
    Operand,
    /// `::`
    PathSeparator,
    /// The keyword `for`, which may begin a closure's binder.
    For,
}

/// Keywords after which an operand begins (so a `<` there is a qualified path, and a `|` a
/// closure).
const OPERAND_KEYWORDS: &[&str] = &[
    "return", "in", "if", "while", "match", "else", "break", "mut", "move", "let", "async",
    "unsafe", "yield", "static", "box", "ref",
];

/// Keywords that go on a type after `as` (`as *const T`, `as &dyn Tr`, `as fn(u8) -> u8`).
const TYPE_KEYWORDS: &[&str] = &["dyn", "impl", "mut", "const", "fn", "unsafe", "extern", "for"];

/// The operators of two or three characters, longest first: a run of joint punctuation is read
/// as these, greedily, as the compiler reads it.
const OPERATORS: &[&str] = &[
    "<<=", ">>=", "...", "..=", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=",
    "*=", "/=", "%=", "^=", "&=", "|=", "<<", ">>", "..",
];

impl Scanner {
    /// Steps over `tokens[index]`; returns its character when it is a `,` or `;` at the top
    /// level (only those are asked for).
    fn step(&mut self, tokens: &[TokenTree], index: usize) -> Option<char> {
        if self.skip > 0 {
            self.skip -= 1;
            return None;
        }
        let token = &tokens[index];
        if self.in_type == Some(TypeKind::As) && self.depth == 0 && self.type_may_end {
            self.type_may_end = false;
            let goes_on = match token {
                TokenTree::Punct(punct) => {
                    let op = operator_at(tokens, index);
                    op == "::" || op == "->" || (op.starts_with('<') && op != "<=")
                        || punct.as_char() == '<'
                }
                _ => false,
            };
            if !goes_on {
                // The type after `as` is over: an operand, read on as an expression.
                self.in_type = None;
                self.previous = Previous::Operand;
            }
        }
        match token {
            TokenTree::Ident(ident) => {
                self.ident(&ident.to_string(), tokens.get(index + 1));
                None
            }
            TokenTree::Literal(_) => {
                self.after_closure_params = false;
                self.previous = Previous::Operand;
                None
            }
            TokenTree::Group(group) => {
                self.after_closure_params = false;
                if self.depth == 0 {
                    match self.in_type {
                        // A closure's body ends its return type.
                        Some(TypeKind::ClosureReturn) if group.delimiter() == Delimiter::Brace => {
                            self.in_type = None;
                        }
                        // `as (u8, u16)`, `as [u8; 4]`, `as fn(u8)`: maybe the end.
                        Some(TypeKind::As) => self.type_may_end = true,
                        _ => {}
                    }
                }
                self.previous = Previous::Operand;
                None
            }
            TokenTree::Punct(_) => {
                let op = operator_at(tokens, index);
                self.skip = op.chars().count() - 1;
                self.operator(op)
            }
        }
    }

    fn ident(&mut self, word: &str, next: Option<&TokenTree>) {
        self.after_closure_params = false;
        if self.depth > 0 {
            return;
        }
        if word == "as" {
            self.in_type = Some(TypeKind::As);
            self.type_may_end = false;
            self.previous = Previous::OperandNext;
            return;
        }
        if self.in_type == Some(TypeKind::As) {
            // `as dyn Tr`, `as *const T`: the type goes on; a name may be its last part.
            self.type_may_end = !TYPE_KEYWORDS.contains(&word);
            self.previous = Previous::Operand;
            return;
        }
        if self.in_type.is_some() {
            return;
        }
        self.previous = if word == "for" && is_punct(next, '<') {
            Previous::For
        } else if OPERAND_KEYWORDS.contains(&word) {
            Previous::OperandNext
        } else {
            Previous::Operand
        };
    }

    fn operator(&mut self, op: &str) -> Option<char> {
        let after_params = std::mem::take(&mut self.after_closure_params);
        if self.depth > 0 {
            self.inside_generics(op);
            return None;
        }
        let operand_next = self.previous == Previous::OperandNext;
        let was = self.previous;
        self.previous = Previous::OperandNext;
        match op {
            "," | ";" => {
                if self.closure_params {
                    // Between two parameters of a closure.
                    if self.in_type == Some(TypeKind::ClosureParam) {
                        self.in_type = None;
                    }
                    return None;
                }
                return op.chars().next();
            }
            "::" => self.previous = Previous::PathSeparator,
            "<" | "<<" if was == Previous::PathSeparator
                || was == Previous::For
                || operand_next
                || self.in_type.is_some() =>
            {
                self.opened_by = if was == Previous::For {
                    Opener::Binder
                } else {
                    Opener::Path
                };
                self.depth = op.len();
            }
            "->" if after_params => self.in_type = Some(TypeKind::ClosureReturn),
            "|" if self.closure_params => {
                // The end of the parameters.
                self.closure_params = false;
                self.after_closure_params = true;
                self.in_type = None;
            }
            "|" if operand_next => self.closure_params = true,
            "||" if operand_next => self.after_closure_params = true,
            ":" if self.closure_params => self.in_type = Some(TypeKind::ClosureParam),
            "?" => self.previous = Previous::Operand,
            "'" => self.previous = was,
            _ => {}
        }
        None
    }

    /// `op` inside generic arguments: only the brackets count, and `->` is not one.
    fn inside_generics(&mut self, op: &str) {
        if op == "->" {
            return;
        }
        for ch in op.chars() {
            match ch {
                '<' => self.depth += 1,
                '>' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.closed_generics();
                        return;
                    }
                }
                _ => {}
            }
        }
    }

    /// The outermost generic arguments were closed.
    fn closed_generics(&mut self) {
        match self.in_type {
            Some(TypeKind::As) => {
                self.type_may_end = true;
                self.previous = Previous::Operand;
            }
            Some(_) => {}
            None => {
                self.previous = match self.opened_by {
                    Opener::Binder => Previous::OperandNext,
                    Opener::Path => Previous::Operand,
                };
            }
        }
    }
}

/// The operator that begins at `tokens[index]` (a punctuation token): the longest of
/// [`OPERATORS`] its run of joint punctuation spells, or its one character.
fn operator_at(tokens: &[TokenTree], index: usize) -> &'static str {
    let mut run = String::new();
    for token in &tokens[index..] {
        let TokenTree::Punct(punct) = token else {
            break;
        };
        run.push(punct.as_char());
        if punct.spacing() == Spacing::Alone || run.len() == 3 {
            break;
        }
    }
    if let Some(op) = OPERATORS.iter().find(|op| run.starts_with(**op)) {
        return op;
    }
    SINGLE
        .iter()
        .find(|single| run.starts_with(**single))
        .copied()
        .unwrap_or("")
}

/// Every punctuation character as an operator of its own.
const SINGLE: &[&str] = &[
    "<", ">", "=", "!", "~", "+", "-", "*", "/", "%", "^", "&", "|", "@", ".", ",", ";", ":",
    "#", "$", "?", "'",
];

fn is_punct(token: Option<&TokenTree>, ch: char) -> bool {
    matches!(token, Some(TokenTree::Punct(punct)) if punct.as_char() == ch)
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

/// The text of a task expression, for its name in errors and traces: as the user wrote it,
/// spacing included (`i < 10`, `fetch(u)`), read from the tokens' places in the source. Where
/// the compiler does not tell them (before Rust 1.88), the tokens are joined with a space between
/// two words and after `,` and `;` (`fetch(u)`, `job(id*2)`, `{ let a=b; f(a) }`).
pub(crate) fn expr_text(tokens: &TokenStream) -> String {
    source_text(tokens).unwrap_or_else(|| joined_text(tokens))
}

/// One piece of an expression's text and where it is in the source.
struct Piece {
    text: String,
    start: LineColumn,
    end: LineColumn,
}

/// The expression as written, from the places of its tokens; `None` when they are not known.
fn source_text(tokens: &TokenStream) -> Option<String> {
    let mut pieces = Vec::new();
    collect_pieces(tokens, &mut pieces);
    if pieces.is_empty() || pieces.iter().any(|piece| piece.start.line == 0) {
        return None;
    }
    let mut text = String::new();
    let mut previous: Option<&Piece> = None;
    for piece in &pieces {
        if let Some(previous) = previous {
            if piece.start.line == previous.end.line {
                let gap = piece.start.column.saturating_sub(previous.end.column);
                text.extend(std::iter::repeat_n(' ', gap));
            } else if piece.start.line > previous.end.line {
                // An expression over several lines is named on one.
                text.push(' ');
            } else {
                // Tokens out of order (made by another macro): the places mean nothing here.
                return None;
            }
        }
        text.push_str(&piece.text);
        previous = Some(piece);
    }
    Some(text)
}

fn collect_pieces(tokens: &TokenStream, pieces: &mut Vec<Piece>) {
    for token in tokens.clone() {
        match token {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                if !open.is_empty() {
                    let span = group.span_open();
                    pieces.push(Piece {
                        text: open.to_string(),
                        start: span.start(),
                        end: span.end(),
                    });
                }
                collect_pieces(&group.stream(), pieces);
                if !close.is_empty() {
                    let span = group.span_close();
                    pieces.push(Piece {
                        text: close.to_string(),
                        start: span.start(),
                        end: span.end(),
                    });
                }
            }
            token => {
                let span = token.span();
                pieces.push(Piece {
                    text: token.to_string(),
                    start: span.start(),
                    end: span.end(),
                });
            }
        }
    }
}

/// The tokens joined by rule, when their places are not known.
fn joined_text(tokens: &TokenStream) -> String {
    let mut text = String::new();
    let mut space_before_word = false;
    for token in tokens.clone() {
        match token {
            TokenTree::Group(group) => {
                let inner = joined_text(&group.stream());
                match group.delimiter() {
                    Delimiter::Parenthesis => text.push_str(&format!("({inner})")),
                    Delimiter::Bracket => text.push_str(&format!("[{inner}]")),
                    Delimiter::Brace => {
                        if !text.is_empty() && !text.ends_with(' ') {
                            text.push(' ');
                        }
                        text.push_str(&format!("{{ {inner} }}"));
                    }
                    Delimiter::None => text.push_str(&inner),
                }
                space_before_word = matches!(group.delimiter(), Delimiter::Brace);
            }
            TokenTree::Punct(punct) => {
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
