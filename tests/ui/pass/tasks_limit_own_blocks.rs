// With `limit`, `?` and `.await` inside the task's own async blocks, closures and nested items
// are the task's business, not the enclosing function's: they compile.
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
}
