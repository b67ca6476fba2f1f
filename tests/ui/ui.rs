//! Compile-fail and pass cases for the macros: each misuse must be a compile error at the offending token with a message that says what to write instead.
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("fail/*.rs");
    t.pass("pass/*.rs");
}
