//! `task_timeout` under `settle` and `try`, in every form: each task its own deadline.
use std::io;
use std::time::Duration;

async fn fetch(url: &str) -> io::Result<usize> {
    Ok(url.len())
}

#[jobloop::job_main]
async fn main() -> io::Result<()> {
    let urls = ["a", "bb"];
    let each = Duration::from_secs(2);
    let sizes =
        jobloop::tasks![try, limit = 10, task_timeout = each; for u in urls => fetch(u)].await?;
    assert_eq!(sizes, [1, 2]);
    let settled = jobloop::tasks![settle, task_timeout = each, timeout = Duration::from_secs(5); for u in urls => fetch(u)].await;
    assert!(settled.iter().all(|outcome| outcome.is_ok()));
    let (a, b) =
        jobloop::tasks![try, send, task_timeout = each; fetch("a"), async { io::Result::Ok("b") }]
            .await?;
    assert_eq!((a, b), (1, "b"));
    let mut stream =
        jobloop::tasks![stream, try, scoped, task_timeout = each; for u in urls => fetch(u)];
    while let Some(item) = stream.next().await {
        item?;
    }
    let mut stream = jobloop::tasks![stream, settle, task_timeout = each; fetch("a"), fetch("bb")];
    while let Some((_, outcome)) = stream.next().await {
        assert!(outcome.is_ok());
    }
    Ok(())
}

/// The list form of a `try` stream with a timeout for the whole stream.
#[allow(dead_code)]
async fn list_stream_with_timeout() -> io::Result<()> {
    let mut stream =
        jobloop::tasks![stream, try, timeout = Duration::from_secs(5); fetch("a"), fetch("bb")];
    while let Some(item) = stream.next().await {
        item?;
    }
    Ok(())
}
