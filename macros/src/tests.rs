//! Expansion snapshots: each expansion, formatted by prettyplease, is compared with a checked-in
//! file under `macros/snapshots/`, so any change in the generated code shows in review.
//! Regenerate with `UPDATE_EXPECT=1 cargo test -p jobloop-macros`, then read the diff.

use expect_test::{expect_file, ExpectFile};
use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use crate::entry::{self, Entry};
use crate::tasks;

/// Formats generated items as a person would read them.
fn pretty(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("the expansion is valid Rust");
    prettyplease::unparse(&file)
}

/// Formats an expression expansion inside a function, so it can be printed as a file.
fn pretty_expr(tokens: TokenStream) -> String {
    pretty(quote! { fn snapshot() { let _ = #tokens; } })
}

fn check(actual: String, expected: ExpectFile) {
    expected.assert_eq(&actual);
}

#[test]
fn job_main_default_runtime() {
    let item = quote! {
        async fn main() {
            let out = jobloop::tasks![for id in 0..3 => job(id)].await;
            println!("{out:?}");
        }
    };
    check(
        pretty(entry::expand(Entry::Main, quote!(), item)),
        expect_file!["../snapshots/job_main_default.rs"],
    );
}

#[test]
fn job_main_with_runtime_and_result() {
    let item = quote! {
        /// Documented main.
        async fn main() -> Result<(), std::io::Error> {
            jobloop::sleep(std::time::Duration::from_secs(1)).await;
            Ok(())
        }
    };
    check(
        pretty(entry::expand(
            Entry::Main,
            quote!(runtime = my::Runtime::new::<A, B>(4)),
            item,
        )),
        expect_file!["../snapshots/job_main_runtime.rs"],
    );
}

#[test]
fn job_test_adds_the_test_attribute() {
    let item = quote! {
        #[should_panic]
        async fn it_panics() {
            panic!("expected");
        }
    };
    check(
        pretty(entry::expand(Entry::Test, quote!(), item)),
        expect_file!["../snapshots/job_test.rs"],
    );
}

#[test]
fn job_main_error_keeps_the_function() {
    let item = quote! {
        async fn main(arg: u32) {
            println!("{arg}");
        }
    };
    check(
        pretty(entry::expand(Entry::Main, quote!(), item)),
        expect_file!["../snapshots/job_main_error.rs"],
    );
}

#[test]
fn tasks_list_form() {
    check(
        pretty_expr(tasks::expand(quote!(
            job(7),
            async { "hi" },
            f::<u8, u16>(),
        ))),
        expect_file!["../snapshots/tasks_list.rs"],
    );
}

#[test]
fn tasks_for_form() {
    check(
        pretty_expr(tasks::expand(
            quote!(for (i, url) in urls.iter().enumerate() => fetch(i, url)),
        )),
        expect_file!["../snapshots/tasks_for.rs"],
    );
}

#[test]
fn tasks_for_form_with_mode_and_options() {
    check(
        pretty_expr(tasks::expand(quote!(
            try, limit = 8, timeout = Duration::from_secs(5); for u in urls => fetch(u)
        ))),
        expect_file!["../snapshots/tasks_for_try_limit_timeout.rs"],
    );
}

#[test]
fn tasks_for_form_with_a_timeout_per_task() {
    check(
        pretty_expr(tasks::expand(quote!(
            try, limit = 8, task_timeout = Duration::from_secs(2); for u in urls => fetch(u)
        ))),
        expect_file!["../snapshots/tasks_for_try_limit_task_timeout.rs"],
    );
    check(
        pretty_expr(tasks::expand(quote!(
            stream, settle, task_timeout = each; for u in urls => fetch(u)
        ))),
        expect_file!["../snapshots/tasks_for_stream_settle_task_timeout.rs"],
    );
}

#[test]
fn tasks_for_form_with_mode_and_no_limit_evaluates_the_tasks_first() {
    check(
        pretty_expr(tasks::expand(quote!(
            settle, send; for u in urls => fetch(u.parse()?)
        ))),
        expect_file!["../snapshots/tasks_for_settle_send.rs"],
    );
}

#[test]
fn tasks_list_form_with_mode() {
    check(
        pretty_expr(tasks::expand(quote!(try, send; job(1), other(2)))),
        expect_file!["../snapshots/tasks_list_try_send.rs"],
    );
}

#[test]
fn tasks_list_race_checks_each_task_against_the_first_where_it_is_written() {
    check(
        pretty_expr(tasks::expand(quote!(race, timeout = d; serve(), ctrl_c()))),
        expect_file!["../snapshots/tasks_list_race_timeout.rs"],
    );
}

#[test]
fn tasks_stream_and_scoped() {
    check(
        pretty_expr(tasks::expand(quote!(
            stream, limit = 8; for u in urls => fetch(u)
        ))),
        expect_file!["../snapshots/tasks_for_stream_limit.rs"],
    );
    check(
        pretty_expr(tasks::expand(
            quote!(scoped; load(&config), save(&mut cache)),
        )),
        expect_file!["../snapshots/tasks_list_scoped.rs"],
    );
}

#[test]
fn job_test_virtual_time() {
    let item = quote! {
        async fn clock() {
            jobloop::sleep(std::time::Duration::from_secs(60)).await;
        }
    };
    check(
        pretty(entry::expand(Entry::Test, quote!(virtual_time), item)),
        expect_file!["../snapshots/job_test_virtual_time.rs"],
    );
}

#[test]
fn job_test_shuffle() {
    let item = quote! {
        async fn race() {
            jobloop::yield_now().await;
        }
    };
    check(
        pretty(entry::expand(
            Entry::Test,
            quote!(shuffle = 50, virtual_time),
            item,
        )),
        expect_file!["../snapshots/job_test_shuffle.rs"],
    );
}

#[test]
fn job_test_debug() {
    let item = quote! {
        async fn slow() {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    };
    check(
        pretty(entry::expand(Entry::Test, quote!(debug), item)),
        expect_file!["../snapshots/job_test_debug.rs"],
    );
}

#[test]
fn tasks_progress() {
    check(
        pretty_expr(tasks::expand(
            quote!(try, progress, limit = 8; for u in urls => fetch(u)),
        )),
        expect_file!["../snapshots/tasks_for_try_progress_limit.rs"],
    );
}

#[test]
fn tasks_errors_are_all_reported() {
    let expanded = tasks::expand(quote!(a(), , b(); c())).to_string();
    assert_eq!(expanded.matches("compile_error").count(), 2, "{expanded}");
}

/// How `tasks![]` splits its input: each case is a list of expressions joined by `, `, which
/// must come back as those expressions, however they use `<`, `>`, closures and generics.
#[test]
fn splits_lists_of_expressions_where_rust_does() {
    use crate::tokens::split;
    let cases: &[&[&str]] = &[
        &["if n < 3 { job(1) } else { job(2) }", "job(3)"],
        &["a < b", "c > d"],
        &["a <= b", "c >= d", "e << 2", "f >> 1", "g <<= 1"],
        &["1usize << k", "x >> y"],
        &["f::<A, B>()", "g::<Vec<Vec<u8>>>()"],
        &["x.collect::<Vec<_>>()", "y"],
        &[
            "<T as Trait>::f()",
            "<Vec<u8>>::new()",
            "<<T as A>::B as C>::g()",
        ],
        &["x as u64", "y as Vec<u8>", "z as usize >= 3"],
        &["|a, b| a < b", "move |x: HashMap<K, V>| x.len() < 3"],
        &["|| -> Result<u8, E> { Ok(1) }", "async move || {}"],
        &["for<'a> |x: &'a u8| *x < 1", "next"],
        &["-<T>::x", "!a < b", "&mut <T>::y"],
        &["a | b", "c || d", "e & f"],
        &["x? < y", "z.await < w", "x.0 < 1"],
        &["a..<T>::b", "c..=d"],
        &[
            "job(x)",
            "Vec::<u8>::new()",
            "Box::<dyn Fn(u8) -> u8>::new(f)",
        ],
        &["match x { _ => 1 } < 2", "'a: loop { break 'a 1 }"],
        &["x as fn(u8) -> u8", "y"],
        &["a == b", "c != d", "e = f"],
    ];
    for case in cases {
        let joined = case.join(", ");
        let tokens: TokenStream = joined.parse().expect("lexes");
        let parts: Vec<String> = split(tokens, &[','])
            .iter()
            .map(|segment| segment.stream().to_string())
            .collect();
        let expected: Vec<String> = case
            .iter()
            .map(|part| part.parse::<TokenStream>().unwrap().to_string())
            .collect();
        assert_eq!(parts, expected, "splitting `{joined}`");
    }
}

/// The options' `;` is found the same way: `limit = 1usize << k; ...` has its `;`.
#[test]
fn finds_the_options_semicolon_after_shifts_and_comparisons() {
    use crate::tokens::first_top_level;
    for (input, options) in [
        (
            "limit = 1usize << k; for x in xs => job(x)",
            "limit = 1usize << k",
        ),
        (
            "limit = if a < b { 1 } else { 2 }; job()",
            "limit = if a < b { 1 } else { 2 }",
        ),
        (
            "timeout = d, limit = n >> 1; job()",
            "timeout = d, limit = n >> 1",
        ),
    ] {
        let tokens: Vec<TokenTree> = input.parse::<TokenStream>().unwrap().into_iter().collect();
        let end = first_top_level(&tokens, ';').expect("a `;`");
        let found: TokenStream = tokens[..end].iter().cloned().collect();
        assert_eq!(
            found.to_string(),
            options.parse::<TokenStream>().unwrap().to_string()
        );
    }
}
