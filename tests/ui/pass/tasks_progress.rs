use std::time::Duration;

async fn fetch(n: u32) -> Result<u32, String> {
    Ok(n)
}

#[jobloop::job_main]
async fn main() {
    let urls: Vec<u32> = (0..10).collect();
    let _: Vec<Result<u32, String>> =
        jobloop::tasks![progress; for u in urls.clone() => fetch(u)].await;
    let _: Result<Vec<u32>, String> =
        jobloop::tasks![try, progress, limit = 4; for u in urls.clone() => fetch(u)].await;
    let _ = jobloop::tasks![settle, progress, timeout = Duration::from_secs(5); for u in urls.clone() => fetch(u)]
        .await;
    let _ = jobloop::tasks![race, progress, send; for u in urls.clone() => fetch(u)].await;
    let mut stream = jobloop::tasks![stream, progress; for u in urls.clone() => fetch(u)];
    while stream.next().await.is_some() {}
    let local = 7;
    let _ = jobloop::tasks![scoped, progress; for u in urls.iter() => async { *u + local }].await;
}
