//! The macros never panic: random token streams, and truncated, spliced and otherwise mutated
//! valid invocations, go through each expansion function, which must return tokens (a
//! `compile_error!` is fine) and must not panic. A panicking proc macro gives the user "proc
//! macro panicked" instead of an error at their token.
//!
//! Each function gets 2 000 cases by default; set `PROPTEST_CASES` for another count, e.g.
//! `PROPTEST_CASES=100000 cargo test -p jobloop-macros proptests -- --nocapture`. A failure
//! prints the shrunk input (nothing is written to disk). The cargo-fuzz target under `fuzz/`
//! drives the same functions with raw bytes.

use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::entry::{self, Entry};
use crate::tasks;

const DEFAULT_CASES: u32 = 2_000;

// ---------------------------------------------------------------------------------------------
// Vocabulary

/// Identifiers, weighted towards the words the macros look at.
const IDENTS: &str =
    "for in async fn send try settle race stream scoped limit timeout runtime main self Self \
    super crate pub const unsafe extern where impl move await let mut match if else loop return \
    dyn static type struct use mod union macro_rules test should_panic doc _ x xs a b job jobloop \
    EventLoop new tokio Result u8 Vec virtual_time signals debug progress";

/// Identifiers that may be written raw (`r#try`): not `self`, `Self`, `super`, `crate` or `_`.
const RAW_IDENTS: &str = "for in async fn try send limit move await match r main";

/// Single punctuation characters, weighted towards separators.
const PUNCTS: &str = ",,,;;==>><<##!~+-*/%^&|@.:$?";

/// Multi-character operators, written as joint punctuation.
const OPERATORS: &str = "=> => -> :: .. ..= == <= >= << >>= && || =>> <-";

fn words(text: &'static str) -> Vec<&'static str> {
    text.split_whitespace().collect()
}

fn delimiter() -> impl Strategy<Value = Delimiter> {
    prop_oneof![
        Just(Delimiter::Parenthesis),
        Just(Delimiter::Bracket),
        Just(Delimiter::Brace),
        Just(Delimiter::None),
    ]
}

// ---------------------------------------------------------------------------------------------
// Random token trees

/// A token tree, described so that proptest can generate and shrink it.
#[derive(Clone, Debug)]
enum Tok {
    Ident(&'static str),
    RawIdent(&'static str),
    Punct(char, bool),
    Operator(&'static str),
    Lifetime(&'static str),
    Int(i64),
    Suffixed(u8),
    Float(i32),
    Str(String),
    Char(char),
    ByteStr(Vec<u8>),
    Group(Delimiter, Vec<Tok>),
}

impl Tok {
    fn push_to(&self, out: &mut Vec<TokenTree>) {
        let span = Span::call_site();
        match self {
            Tok::Ident(name) => out.push(Ident::new(name, span).into()),
            Tok::RawIdent(name) => {
                out.push(Ident::new_raw(name, span).into());
            }
            Tok::Punct(ch, joint) => {
                let spacing = if *joint {
                    Spacing::Joint
                } else {
                    Spacing::Alone
                };
                out.push(Punct::new(*ch, spacing).into());
            }
            Tok::Operator(op) => {
                let count = op.chars().count();
                for (index, ch) in op.chars().enumerate() {
                    let spacing = if index + 1 < count {
                        Spacing::Joint
                    } else {
                        Spacing::Alone
                    };
                    out.push(Punct::new(ch, spacing).into());
                }
            }
            Tok::Lifetime(name) => {
                out.push(Punct::new('\'', Spacing::Joint).into());
                out.push(Ident::new(name, span).into());
            }
            Tok::Int(value) => out.push(Literal::i64_unsuffixed(*value).into()),
            Tok::Suffixed(value) => out.push(Literal::u8_suffixed(*value).into()),
            Tok::Float(value) => out.push(Literal::f64_unsuffixed(f64::from(*value) / 8.0).into()),
            Tok::Str(value) => out.push(Literal::string(value).into()),
            Tok::Char(value) => out.push(Literal::character(*value).into()),
            Tok::ByteStr(value) => out.push(Literal::byte_string(value).into()),
            Tok::Group(delimiter, inner) => {
                out.push(Group::new(*delimiter, stream_of(inner)).into());
            }
        }
    }
}

fn stream_of(toks: &[Tok]) -> TokenStream {
    let mut out = Vec::new();
    for tok in toks {
        tok.push_to(&mut out);
    }
    out.into_iter().collect()
}

fn leaf() -> impl Strategy<Value = Tok> {
    prop_oneof![
        8 => prop::sample::select(words(IDENTS)).prop_map(Tok::Ident),
        1 => prop::sample::select(words(RAW_IDENTS)).prop_map(Tok::RawIdent),
        6 => (prop::sample::select(PUNCTS.chars().collect::<Vec<_>>()), any::<bool>()).prop_map(|(c, j)| Tok::Punct(c, j)),
        3 => prop::sample::select(words(OPERATORS)).prop_map(Tok::Operator),
        1 => prop::sample::select(&["a", "static", "_"][..]).prop_map(Tok::Lifetime),
        1 => any::<i64>().prop_map(Tok::Int),
        1 => any::<u8>().prop_map(Tok::Suffixed),
        1 => any::<i32>().prop_map(Tok::Float),
        1 => any::<String>().prop_map(Tok::Str),
        1 => any::<char>().prop_map(Tok::Char),
        1 => prop::collection::vec(any::<u8>(), 0..4).prop_map(Tok::ByteStr),
    ]
}

fn tok() -> impl Strategy<Value = Tok> {
    leaf().prop_recursive(4, 48, 8, |inner| {
        (delimiter(), prop::collection::vec(inner, 0..8)).prop_map(|(d, toks)| Tok::Group(d, toks))
    })
}

// ---------------------------------------------------------------------------------------------
// Mutated valid invocations

/// `tasks![...]` inputs: valid ones, the options of the new modes, and known mistakes.
const TASKS_SEEDS: &[&str] = &[
    "job(1), job(2)",
    "a(), async { 1 }, f::<u8, u16>(),",
    "for x in xs => job(x)",
    "for (i, url) in urls.iter().enumerate() => fetch(i, url)",
    "for x in 0..n => async move { x * 2 },",
    "send; a(), b()",
    "send; for x in xs => job(x)",
    "send, send; a()",
    "send = true; a()",
    "try; a(), b()",
    "settle; for x in xs => job(x)",
    "race; a(), b()",
    "limit = 4; for x in xs => job(x)",
    "send, try, limit = 2, timeout = Duration::from_secs(1); a(), b()",
    "try, send; job(1), other(2)",
    "race, limit = 0; a()",
    "stream, limit = 2; for x in xs => job(x)",
    "stream, race; a(), b()",
    "scoped, send, stream, try, timeout = d; for x in &xs => job(x)",
    "scoped, scoped; a(), b()",
    "stream = 1, scoped = 2; a()",
    "settle, timeout = 1; for x in xs => job(x)",
    "limit = 8, limit = 2, try, race; a()",
    "limit; timeout; a()",
    "timeout = std::time::Duration::from_millis(10); for x in xs => job(x)",
    "for x in xs { job(x) }",
    "a(), , b(); c()",
    "for x in xs => a(), b()",
    "a, for x in xs => job(x)",
    "|x| x, move || async {}, x.await?",
    "f::<Vec<u8>>(), g => h, i -> j",
    "",
    ";",
    "for",
    "for in =>",
];

/// `#[job_main(...)]` / `#[job_test(...)]` arguments.
const ARGS_SEEDS: &[&str] = &[
    "",
    "runtime = jobloop::EventLoop::new()",
    "runtime = my::Runtime::new::<A, B>(4)",
    "runtime = jobloop::runtime::Tokio::multi_thread(), runtime = x",
    "runtime",
    "runtime =",
    "runtime: x",
    ", runtime = x,",
    "flavor = \"multi_thread\", worker_threads = 2",
    "send",
    "virtual_time",
    "virtual_time, runtime = jobloop::EventLoop::new()",
    "virtual_time = true, virtual_time",
    "limit = 4, timeout = Duration::from_secs(1)",
    "1 = 2",
    "#[x] runtime = {}",
];

/// Items the attributes are put on.
const ITEM_SEEDS: &[&str] = &[
    "async fn main() { let out = jobloop::tasks![for id in 0..3 => job(id)].await; \
     println!(\"{out:?}\"); }",
    "/// Doc.\n#[should_panic] async fn it_panics() -> Result<(), std::io::Error> { panic!(); }",
    "pub(crate) async fn t() -> impl Sized where T: Copy { }",
    "const async unsafe extern \"C\" fn f<T, 'a, const N: usize>(self, a: u32) -> u8 \
     where T: X {}",
    "#[test] #[tokio::test] async fn x() {}",
    "fn main() {}",
    "async fn main(arg: u32) { println!(\"{arg}\"); }",
    "async fn method(&mut self) {}",
    "impl X { async fn f(&self) {} }",
    "struct S;",
    "async fn main() -> ! { loop {} }",
    "#![inner] async fn main() {}",
    "async fn main() {} fn extra() {}",
    "async fn main()",
    "async fn main() ;",
    "pub async fn r#try() {}",
    "async fn<T> () {}",
];

/// Every seed, for splices across kinds.
fn all_seeds() -> impl Iterator<Item = &'static str> {
    TASKS_SEEDS
        .iter()
        .chain(ARGS_SEEDS)
        .chain(ITEM_SEEDS)
        .copied()
}

fn lex(source: &str) -> TokenStream {
    TokenStream::from_str(source).unwrap_or_else(|error| panic!("seed `{source}`: {error}"))
}

/// A token stream flattened, so that a mutation can cut a group open or close it early.
#[derive(Clone, Debug)]
enum Event {
    Open(Delimiter),
    Close,
    Leaf(TokenTree),
}

fn flatten(tokens: TokenStream, out: &mut Vec<Event>) {
    for token in tokens {
        match token {
            TokenTree::Group(group) => {
                out.push(Event::Open(group.delimiter()));
                flatten(group.stream(), out);
                out.push(Event::Close);
            }
            leaf => out.push(Event::Leaf(leaf)),
        }
    }
}

/// The events as a stream again: a `Close` with no open group is dropped, and groups still open
/// at the end are closed there.
fn rebuild(events: &[Event]) -> TokenStream {
    let mut stack: Vec<(Delimiter, Vec<TokenTree>)> = vec![(Delimiter::None, Vec::new())];
    for event in events {
        match event {
            Event::Open(delimiter) => stack.push((*delimiter, Vec::new())),
            Event::Close if stack.len() > 1 => close(&mut stack),
            Event::Close => {}
            Event::Leaf(token) => stack.last_mut().unwrap().1.push(token.clone()),
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    stack.pop().unwrap().1.into_iter().collect()
}

fn close(stack: &mut Vec<(Delimiter, Vec<TokenTree>)>) {
    let (delimiter, tokens) = stack.pop().unwrap();
    let group = Group::new(delimiter, tokens.into_iter().collect());
    stack.last_mut().unwrap().1.push(group.into());
}

/// One edit of a flattened stream.
#[derive(Clone, Debug)]
enum Mutation {
    /// Keep what is before the index.
    Truncate(Index),
    /// Keep what is from the index on.
    DropFront(Index),
    Delete(Index, u8),
    Insert(Index, Vec<Tok>),
    InsertOpen(Index, Delimiter),
    InsertClose(Index),
    /// Insert a range of another seed (by its index among all seeds).
    Splice(Index, Index, Index, u8),
    Duplicate(Index, u8),
    Swap(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let index = any::<Index>;
    prop_oneof![
        3 => index().prop_map(Mutation::Truncate),
        2 => index().prop_map(Mutation::DropFront),
        2 => (index(), 1..4u8).prop_map(|(i, n)| Mutation::Delete(i, n)),
        3 => (index(), prop::collection::vec(tok(), 1..4)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => (index(), delimiter()).prop_map(|(i, d)| Mutation::InsertOpen(i, d)),
        1 => index().prop_map(Mutation::InsertClose),
        2 => (index(), index(), index(), 1..8u8)
            .prop_map(|(at, seed, from, n)| Mutation::Splice(at, seed, from, n)),
        1 => (index(), 1..4u8).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => (index(), index()).prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

impl Mutation {
    fn apply(&self, events: &mut Vec<Event>) {
        // Positions in `0..=len`, so that an edit can also happen at the end.
        let at = |index: &Index, len: usize| index.index(len + 1);
        let len = events.len();
        match self {
            Mutation::Truncate(i) => events.truncate(at(i, len)),
            Mutation::DropFront(i) => {
                events.drain(..at(i, len));
            }
            Mutation::Delete(i, n) => {
                let start = at(i, len);
                events.drain(start..(start + usize::from(*n)).min(len));
            }
            Mutation::Insert(i, toks) => {
                let mut inserted = Vec::new();
                flatten(stream_of(toks), &mut inserted);
                events.splice(at(i, len)..at(i, len), inserted);
            }
            Mutation::InsertOpen(i, delimiter) => {
                events.insert(at(i, len), Event::Open(*delimiter))
            }
            Mutation::InsertClose(i) => events.insert(at(i, len), Event::Close),
            Mutation::Splice(i, seed, from, n) => {
                let seeds: Vec<&str> = all_seeds().collect();
                let mut other = Vec::new();
                flatten(lex(seeds[seed.index(seeds.len())]), &mut other);
                let start = at(from, other.len());
                let end = (start + usize::from(*n)).min(other.len());
                events.splice(at(i, len)..at(i, len), other[start..end].iter().cloned());
            }
            Mutation::Duplicate(i, n) => {
                let start = at(i, len);
                let copy: Vec<Event> = events[start..(start + usize::from(*n)).min(len)].to_vec();
                events.splice(start..start, copy);
            }
            Mutation::Swap(a, b) if len > 0 => events.swap(a.index(len), b.index(len)),
            Mutation::Swap(..) => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// One macro input, in one of three shapes.
#[derive(Clone, Debug)]
enum Input {
    /// Random token trees.
    Random(Vec<Tok>),
    /// A seed with a few edits.
    Mutated(&'static str, Vec<Mutation>),
    /// Source text put together from fragments, lexed (inputs that do not lex are skipped).
    Lexed(String),
}

impl Input {
    fn tokens(&self) -> Option<TokenStream> {
        match self {
            Input::Random(toks) => Some(stream_of(toks)),
            Input::Mutated(seed, mutations) => {
                let mut events = Vec::new();
                flatten(lex(seed), &mut events);
                for mutation in mutations {
                    mutation.apply(&mut events);
                }
                Some(rebuild(&events))
            }
            Input::Lexed(source) => TokenStream::from_str(source).ok(),
        }
    }
}

/// Fragments of source text, joined with or without a space (so `=` `>` may become `=>`).
const FRAGMENTS: &str = r##"for in => = > < - , ; # ! :: . send try limit timeout runtime async
    fn main self move ( ) [ ] { } () {} [] x xs job(x) 'a "s" 'c' 1 1.5 0u8 b"b" r#try //! |x|
    .await ? _"##;

/// Fragments with spaces in them.
const SPACED_FRAGMENTS: &[&str] = &["/// doc\n", "/* c */", "async fn main() {}"];

fn lexed() -> impl Strategy<Value = String> {
    let mut fragments = words(FRAGMENTS);
    fragments.extend(SPACED_FRAGMENTS);
    prop::collection::vec((prop::sample::select(fragments), any::<bool>()), 0..24).prop_map(
        |parts| {
            let mut source = String::new();
            for (fragment, space) in parts {
                source.push_str(fragment);
                if space {
                    source.push(' ');
                }
            }
            source
        },
    )
}

fn input(seeds: &'static [&'static str]) -> impl Strategy<Value = Input> {
    weighted_input(seeds, [3, 5, 2])
}

/// An input: random token trees, a mutated seed or lexed fragments, with these weights.
fn weighted_input(
    seeds: &'static [&'static str],
    [random_weight, mutated_weight, lexed_weight]: [u32; 3],
) -> impl Strategy<Value = Input> {
    prop_oneof![
        random_weight => prop::collection::vec(tok(), 0..16).prop_map(Input::Random),
        mutated_weight => (prop::sample::select(seeds), prop::collection::vec(mutation(), 0..4))
            .prop_map(|(seed, mutations)| Input::Mutated(seed, mutations)),
        lexed_weight => lexed().prop_map(Input::Lexed),
    ]
}

// ---------------------------------------------------------------------------------------------
// The property

thread_local! {
    /// Whether this thread expects panics, which the hook then leaves unprinted.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// A panic hook that stays quiet on a thread running a case (the panic is reported as the
/// case's failure, after shrinking) and defers to the previous hook everywhere else.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-string panic payload)".to_owned())
}

/// What the cases of one property did, to show that they ran and reached both outcomes.
#[derive(Default)]
struct Stats {
    expanded: AtomicUsize,
    errors: AtomicUsize,
    skipped: AtomicUsize,
}

/// Runs `expand` on `inputs` and checks the output.
fn check(
    stats: &Stats,
    inputs: &[&TokenStream],
    expand: impl FnOnce() -> TokenStream,
) -> Result<(), TestCaseError> {
    let describe = || {
        let mut text = String::new();
        for input in inputs {
            let _ = write!(text, "\n  input: `{input}`");
        }
        text
    };
    QUIET.with(|quiet| quiet.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(expand));
    QUIET.with(|quiet| quiet.set(false));
    let output = result.map_err(|payload| {
        TestCaseError::fail(format!(
            "the expansion panicked: {}{}",
            panic_message(&*payload),
            describe()
        ))
    })?;
    prop_assert!(!output.is_empty(), "empty expansion{}", describe());
    let text = output.to_string();
    // Tokens built by hand may print as text that lexes to other tokens (`/` `/` joint prints
    // as a comment); when each input prints as text that lexes back to the same text, the
    // output must lex too.
    let round_trips = |tokens: &TokenStream| {
        let printed = tokens.to_string();
        TokenStream::from_str(&printed).is_ok_and(|lexed| lexed.to_string() == printed)
    };
    if inputs.iter().all(|input| round_trips(input)) {
        prop_assert!(
            TokenStream::from_str(&text).is_ok(),
            "the expansion does not re-parse: `{}`{}",
            text,
            describe()
        );
    }
    let counter = if text.contains("compile_error") {
        &stats.errors
    } else {
        &stats.expanded
    };
    counter.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

fn run<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(&Stats, S::Value) -> Result<(), TestCaseError>,
) {
    install_quiet_hook();
    let cases = cases();
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let stats = Stats::default();
    let mut runner = TestRunner::new(config);
    if let Err(failure) = runner.run(&strategy, |value| test(&stats, value)) {
        panic!("{name}: {failure}");
    }
    let (expanded, errors, skipped) = (
        stats.expanded.into_inner(),
        stats.errors.into_inner(),
        stats.skipped.into_inner(),
    );
    eprintln!(
        "{name}: {cases} cases: {expanded} expanded, {errors} with compile_error, \
         {skipped} skipped (did not lex)"
    );
    // The generators must reach the macros, and both with valid and with invalid input.
    assert!(
        expanded + errors >= cases as usize / 2,
        "{name}: too many skipped"
    );
    if cases >= 100 {
        assert!(expanded > 0, "{name}: no input expanded without an error");
        assert!(errors > 0, "{name}: no input gave a compile_error");
    }
}

fn check_entry(
    stats: &Stats,
    entry: Entry,
    args: &Input,
    item: &Input,
) -> Result<(), TestCaseError> {
    let (Some(args), Some(item)) = (args.tokens(), item.tokens()) else {
        stats.skipped.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    };
    check(stats, &[&args, &item], || {
        entry::expand(entry, args.clone(), item.clone())
    })
}

#[test]
fn job_main_never_panics() {
    run(
        "job_main",
        (weighted_input(ARGS_SEEDS, [1, 8, 1]), input(ITEM_SEEDS)),
        |stats, (args, item)| check_entry(stats, Entry::Main, &args, &item),
    );
}

#[test]
fn job_test_never_panics() {
    run(
        "job_test",
        (weighted_input(ARGS_SEEDS, [1, 8, 1]), input(ITEM_SEEDS)),
        |stats, (args, item)| check_entry(stats, Entry::Test, &args, &item),
    );
}

#[test]
fn tasks_never_panics() {
    run("tasks", input(TASKS_SEEDS), |stats, input| {
        let Some(tokens) = input.tokens() else {
            stats.skipped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        check(stats, &[&tokens], || tasks::expand(tokens.clone()))
    });
}

/// Edge cases, one a line (and the empty input), checked on every run.
const EDGE_CASES: &str = r#"
    ;
    ,
    =>
    =
    >
    #
    for
    for in
    for in =>
    for x in
    for x in =>
    for x in xs =>
    for => in
    in
    send;
    send
    ;;
    send;;
    =;
    a = ;
    try;
    try, race;
    limit = 0; a()
    virtual_time
    limit = ; a()
    timeout = ; a()
    a =>
    ()
    {}
    []
    async
    async fn
    async fn main
    fn
    #[x]
    pub
    const
    extern
    extern "C"
    async fn main() -> {}
    async fn main() where {}
    #[test] fn main() {}
"#;

/// Edge cases, checked on every run whatever the random cases were.
#[test]
fn edge_cases_never_panic() {
    let stats = Stats::default();
    let sources = std::iter::once("").chain(EDGE_CASES.lines().map(str::trim));
    for source in sources {
        let tokens = lex(source);
        let empty = TokenStream::new();
        let results = [
            check(&stats, &[&tokens], || tasks::expand(tokens.clone())),
            check(&stats, &[&tokens, &empty], || {
                entry::expand(Entry::Main, tokens.clone(), TokenStream::new())
            }),
            check(&stats, &[&empty, &tokens], || {
                entry::expand(Entry::Test, TokenStream::new(), tokens.clone())
            }),
            check(&stats, &[&tokens, &tokens], || {
                entry::expand(Entry::Main, tokens.clone(), tokens.clone())
            }),
        ];
        for result in results {
            if let Err(error) = result {
                panic!("`{source}`: {error}");
            }
        }
    }
    // A group with no delimiters (as a `macro_rules!` `$e:expr` arrives) around each part.
    let none_group = |source: &str| -> TokenStream {
        TokenTree::from(Group::new(Delimiter::None, lex(source))).into()
    };
    let tasks = none_group("for x in xs => job(x)");
    check(&stats, &[&tasks], || tasks::expand(tasks.clone())).unwrap();
    let item = none_group("async fn main() {}");
    let empty = TokenStream::new();
    check(&stats, &[&empty, &item], || {
        entry::expand(Entry::Main, TokenStream::new(), item.clone())
    })
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The splitter against syn's full parser

/// A type, as Rust writes it, with generics, references, function pointers and tuples.
fn type_source() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec!["u8", "T", "String", "_", "Self"]).prop_map(String::from);
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| format!("Vec<{t}>")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("HashMap<{a}, {b}>")),
            inner.clone().prop_map(|t| format!("&'a {t}")),
            inner
                .clone()
                .prop_map(|t| format!("Box<dyn Fn({t}) -> {t}>")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}, {b})")),
            inner.clone().prop_map(|t| format!("fn({t}) -> u8")),
            inner.prop_map(|t| format!("<{t} as Tr>::Out")),
        ]
    })
}

/// An expression, as Rust writes it: comparisons and shifts beside generics, closures with typed
/// parameters, casts, qualified paths, blocks, `if`, method calls with turbofish.
fn expression_source() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        prop::sample::select(vec!["a", "b", "x", "n", "1", "2u8", "self.0", "\"s\""])
            .prop_map(String::from),
        type_source().prop_map(|t| format!("f::<{t}>()")),
        type_source().prop_map(|t| format!("<{t}>::new()")),
    ];
    leaf.prop_recursive(4, 48, 3, |inner| {
        let op = prop::sample::select(vec![
            "<", ">", "<=", ">=", "<<", ">>", "+", "-", "*", "==", "!=", "&&", "||", "&", "|", "^",
            "..",
        ]);
        prop_oneof![
            // Parenthesized operands, so that no chain of comparisons is made (invalid Rust).
            (inner.clone(), op, inner.clone()).prop_map(|(a, op, b)| format!("({a}) {op} ({b})")),
            (inner.clone(), type_source()).prop_map(|(e, t)| format!("(({e}) as {t})")),
            (inner.clone(), type_source()).prop_map(|(e, t)| format!("({e}).m::<{t}>()")),
            (inner.clone(), type_source()).prop_map(|(e, t)| format!("|p: {t}, q| {e}")),
            (inner.clone(), type_source()).prop_map(|(e, t)| format!("move || -> {t} {{ {e} }}")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("if {c} {{ {a} }} else {{ {b} }}")),
            inner.clone().prop_map(|e| format!("-{e}")),
            inner.clone().prop_map(|e| format!("async move {{ {e} }}")),
            inner.clone().prop_map(|e| format!("{e}?")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("[{a}, {b}]")),
        ]
    })
}

/// Every list of generated expressions that syn reads as a list is split by `tasks![]` into the
/// same expressions, and the options' `;` after such an expression is found where syn ends it.
#[test]
fn the_splitter_agrees_with_syn_on_generated_expressions() {
    use syn::punctuated::Punctuated;
    use syn::{Expr, Token};

    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let agreed = AtomicUsize::new(0);
    let mut runner = TestRunner::new(config);
    let strategy = prop::collection::vec(expression_source(), 1..5);
    let outcome = runner.run(&strategy, |parts| {
        let joined = parts.join(", ");
        let Ok(tokens) = TokenStream::from_str(&joined) else {
            return Ok(());
        };
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        let Ok(exprs) = syn::parse::Parser::parse2(parser, tokens.clone()) else {
            // Not valid Rust (the generator can make such), so no answer to compare with.
            return Ok(());
        };
        let ours = crate::tokens::split(tokens.clone(), &[',']);
        prop_assert_eq!(ours.len(), exprs.len(), "splitting `{}`", joined);
        for (segment, expr) in ours.iter().zip(&exprs) {
            let theirs = quote::ToTokens::to_token_stream(expr).to_string();
            let mine = syn::parse2::<Expr>(segment.stream())
                .map(|expr| quote::ToTokens::to_token_stream(&expr).to_string());
            prop_assert_eq!(mine.as_ref().ok(), Some(&theirs), "splitting `{}`", joined);
        }
        // The same expressions as the value of an option, before the options' `;`.
        let with_options = format!("limit = {}; job()", parts[0]);
        if let Ok(tokens) = TokenStream::from_str(&with_options) {
            let tokens: Vec<TokenTree> = tokens.into_iter().collect();
            let end = crate::tokens::first_top_level(&tokens, ';');
            let value: TokenStream = tokens[2..end.unwrap_or(tokens.len())]
                .iter()
                .cloned()
                .collect();
            prop_assert!(
                syn::parse2::<Expr>(value).is_ok(),
                "the options of `{}` end at the wrong `;`",
                with_options
            );
        }
        agreed.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    let agreed = agreed.into_inner();
    eprintln!("splitter: {agreed} generated lists split as syn splits them");
    assert!(
        agreed > cases() as usize / 2,
        "too few valid cases: {agreed}"
    );
}
