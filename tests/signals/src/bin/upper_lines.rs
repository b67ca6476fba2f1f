//! A line filter on `jobloop::io::stdin()` and `stdout()`: each line of stdin, upper-cased, on
//! stdout, then the count of lines, on the runtime named by `JOBLOOP_RUNTIME`. Given `one`, it
//! reads one line, says so, and waits a second before it exits (how far stdin is read ahead).
//! Given `forever`, it writes lines with `write_all` until a write fails, and prints the error's
//! kind on stderr (a closed pipe must be `BrokenPipe`, as the docs say).
use jobloop::io::{stdin, stdout, AsyncBufReadExt, AsyncWriteExt, BufReader, StreamExt};

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() -> std::io::Result<()> {
    let mut lines = BufReader::new(stdin()).lines();
    let mut out = stdout();
    if super::argument().as_deref() == Some("forever") {
        let error = loop {
            if let Err(error) = out.write_all(b"a line that goes on and on\n").await {
                break error;
            }
        };
        eprintln!("{:?}", error.kind());
        return Ok(());
    }
    if super::argument().as_deref() == Some("one") {
        lines.next().await.transpose()?;
        out.write_all(b"read one\n").await?;
        out.flush().await?;
        jobloop::sleep(std::time::Duration::from_secs(1)).await;
        return Ok(());
    }
    let mut count = 0;
    while let Some(line) = lines.next().await {
        out.write_all(format!("{}\n", line?.to_uppercase()).as_bytes())
            .await?;
        count += 1;
    }
    out.write_all(format!("{count} lines\n").as_bytes()).await?;
    out.flush().await
}
