//! Subprocesses, as asyncio's `create_subprocess_exec`: 20 shell commands, 4 at a time, each
//! result printed as soon as its command completes (not in the order they were written).
//!
//! ```python
//! async def run(cmd):
//!     proc = await asyncio.create_subprocess_shell(cmd, stdout=PIPE, stderr=PIPE)
//!     stdout, stderr = await proc.communicate()
//!     return cmd, proc.returncode, stdout
//!
//! async def main():
//!     sem = asyncio.Semaphore(4)
//!     async def limited(cmd):
//!         async with sem:
//!             return await run(cmd)
//!     for done in asyncio.as_completed([limited(c) for c in commands]):
//!         cmd, code, out = await done
//!         print(f"[{code}] {cmd}: {out.decode().strip()}")
//! ```
//!
//! Run it with `cargo run --example subprocesses`.
use std::io;
use std::time::Instant;

use jobloop::process::Command;
use jobloop::{job_main, tasks};

/// Runs `script` with `sh -c`; gives its exit code and what it printed.
async fn run(script: String) -> io::Result<(String, Option<i32>, String)> {
    let output = Command::new("sh").arg("-c").arg(&script).output().await?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok((script, output.status.code(), stdout))
}

#[job_main]
pub async fn main() -> io::Result<()> {
    // Commands that take different times (and one that fails), so they finish out of order.
    let commands: Vec<String> = (0..20)
        .map(|i| match i {
            7 => "echo 'seven fails' && exit 7".to_owned(),
            _ => format!("sleep 0.{}; echo job {i}", (i * 7) % 10),
        })
        .collect();

    let start = Instant::now();
    let mut done = tasks![stream, limit = 4; for script in commands => run(script)];
    let (mut ok, mut failed) = (0, 0);
    while let Some((index, result)) = done.next().await {
        let (script, code, stdout) = result?;
        match code {
            Some(0) => ok += 1,
            _ => failed += 1,
        }
        println!(
            "#{index:>2} [{}] {script}: {stdout}",
            code.map_or("killed".into(), |c| c.to_string())
        );
    }
    println!(
        "{ok} succeeded, {failed} failed, in {:.2?} (4 at a time)",
        start.elapsed()
    );
    Ok(())
}
