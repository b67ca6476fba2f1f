//! The types of `#[job_main]` and `#[job_test]`: what parsing makes of the input, and what
//! validation makes of the options. Imports nothing else of the crate.

use proc_macro2::{Group, Ident, TokenStream};
use syn::{Abi, Attribute, Generics, ReturnType, Token, Visibility};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    Main,
    Test,
}

impl Entry {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Entry::Main => "job_main",
            Entry::Test => "job_test",
        }
    }

    pub(crate) fn example(self) -> &'static str {
        match self {
            Entry::Main => "async fn main() { ... }",
            Entry::Test => "async fn my_test() { ... }",
        }
    }
}

/// One `name = value` option of an attribute.
pub(crate) struct EntryOption {
    pub(crate) name: Ident,
    pub(crate) value: TokenStream,
}

/// The function an attribute is put on: its signature parsed, its body kept as tokens.
pub(crate) struct FnItem {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) constness: Option<Token![const]>,
    pub(crate) asyncness: Option<Token![async]>,
    pub(crate) unsafety: Option<Token![unsafe]>,
    pub(crate) abi: Option<Abi>,
    pub(crate) fn_token: Token![fn],
    pub(crate) ident: Ident,
    pub(crate) generics: Generics,
    /// The parameters, unparsed (they must be empty).
    pub(crate) inputs: TokenStream,
    pub(crate) output: ReturnType,
    /// The `{ ... }` body, unparsed.
    pub(crate) body: Group,
}

/// The options of `#[job_main]` / `#[job_test]`, once checked.
#[derive(Default)]
pub(crate) struct EntryConfig {
    /// `runtime = EXPR`: the runtime to run on, instead of the embedded event loop.
    pub(crate) runtime: Option<TokenStream>,
    /// `virtual_time` (tests only): the runtime's virtual clock.
    pub(crate) virtual_time: bool,
    /// `crate = path`: where jobloop is, when it is renamed or re-exported (default `::jobloop`).
    pub(crate) krate: Option<TokenStream>,
    /// `signals = false` (main only): Ctrl-C and SIGTERM do not cancel the program; `None` when
    /// not written.
    pub(crate) signals: Option<bool>,
    /// `debug`: debug mode on (slow polls reported, tasks left running listed).
    pub(crate) debug: bool,
    /// `shuffle` or `shuffle = N` (tests only): run the test on N seeded schedules (`None` for
    /// the default number), at the option's name.
    pub(crate) shuffle: Option<(Ident, Option<u32>)>,
}

/// Whether `attr` is `#[test]` or another test attribute (`#[tokio::test]`, ...).
pub(crate) fn is_test_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "test")
}

