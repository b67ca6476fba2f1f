#![deny(warnings)]
// With `limit`, `?` and `.await` inside the task's own async blocks, closures, nested items and
// macro arguments are the task's business, not the enclosing function's: they compile.
use jobloop::tasks;

async fn fetch(id: u32) -> Result<u32, std::num::ParseIntError> {
    Ok(id)
}

#[jobloop::job_main]
async fn main() {
    let inputs = vec!["1", "2", "3"];
    let out = tasks![try, limit = 2; for input in inputs.clone() => async move {
        let n: u32 = input.parse()?;
        fetch(n).await
    }]
    .await;
    assert_eq!(out, Ok(vec![1, 2, 3]));

    let parsed = tasks![limit = 2; for input in inputs => {
        fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
            Ok(input.parse::<u32>()? * 2)
        }
        let doubled = Some(input).map(|s| parse(s).ok()).and_then(|n| Some(n? + 1));
        async move { doubled }
    }]
    .await;
    assert_eq!(parsed, [Some(3), Some(5), Some(7)]);

    // Closures with several parameters, generic arguments, closures in struct fields and behind
    // `&mut`, items and macros with their own `?`: all the task's own business.
    struct Holder<F: Fn(Option<u32>) -> Option<u32>> {
        f: F,
    }
    let words = vec![vec!["1", "2"], vec!["3"]];
    let sums = tasks![limit = 1; for group in words => {
        let sum = group.iter().try_fold(0u32, |acc, s| -> Result<u32, std::num::ParseIntError> {
            Ok(acc + s.parse::<u32>()?)
        });
        let double = |s: &str| Ok::<_, std::num::ParseIntError>(s.parse::<u32>()? * 2);
        let holder = Holder { f: |x: Option<u32>| Some(x? + 1) };
        fn apply(f: &mut dyn FnMut(u8) -> Option<u8>) -> Option<u8> {
            f(1)
        }
        #[allow(clippy::needless_question_mark)] // a closure with its own `?` is the point
        let applied = apply(&mut |x| Some(x.checked_add(1)?));
        struct Wrapper<T: ?Sized>(Box<T>);
        let _wrapped = Wrapper::<str>(Box::from("w"));
        let debug = format!("{:?}", sum);
        async move {
            (sum.ok(), double("4").ok(), (holder.f)(Some(1)), applied, !debug.is_empty())
        }
    }]
    .await;
    assert_eq!(sums[0], (Some(3), Some(8), Some(2), Some(2), true));
    assert_eq!(sums[1].0, Some(3));
}
