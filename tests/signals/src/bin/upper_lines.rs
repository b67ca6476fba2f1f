//! A line filter on `jobloop::io::stdin()` and `stdout()`: each line of stdin, upper-cased, on
//! stdout, then the count of lines, on the runtime named by `JOBLOOP_RUNTIME`.
use jobloop::io::{stdin, stdout, AsyncBufReadExt, AsyncWriteExt, BufReader, StreamExt};

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
async fn main() -> std::io::Result<()> {
    let mut lines = BufReader::new(stdin()).lines();
    let mut out = stdout();
    let mut count = 0;
    while let Some(line) = lines.next().await {
        out.write_all(format!("{}\n", line?.to_uppercase()).as_bytes())
            .await?;
        count += 1;
    }
    out.write_all(format!("{count} lines\n").as_bytes()).await?;
    out.flush().await
}
