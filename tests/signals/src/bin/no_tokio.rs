//! Tasks that panic as a tokio-based type does where no tokio runtime runs (tokio's own words),
//! in a settling group, plain or `scoped` (`no_tokio scoped`): the group takes the panics as
//! outcomes, and jobloop's line that names the fixes must come all the same.
const NO_TOKIO: &str =
    "there is no reactor running, must be called from the context of a Tokio 1.x runtime";

async fn uses_tokio() -> u32 {
    panic!("{NO_TOKIO}");
}

#[jobloop::job_main]
pub async fn main() {
    let (first, second) = if super::argument().as_deref() == Some("scoped") {
        jobloop::tasks![settle, scoped; uses_tokio(), async { 1u32 }].await
    } else {
        jobloop::tasks![settle; uses_tokio(), async { 1u32 }].await
    };
    println!("panicked: {}, second: {:?}", first.is_err(), second.ok());
}
