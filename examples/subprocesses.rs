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
//! One command names a program that does not exist: its error is printed with the others (and
//! names the program), and the other 19 commands run all the same.
//!
//! Run it with `cargo run --features process --example subprocesses`.
use std::io;
use std::time::Instant;

use jobloop::process::Command;
use jobloop::{job_main, tasks};

/// Runs `program` with `args`; gives its exit code and what it printed.
async fn run(program: &str, args: Vec<String>) -> io::Result<(Option<i32>, String)> {
    let output = Command::new(program).args(args).output().await?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    Ok((output.status.code(), stdout))
}

#[job_main]
pub async fn main() -> io::Result<()> {
    // Commands that take different times, one that fails and one whose program does not exist,
    // so they finish out of order and not all of them well.
    let commands: Vec<(&str, Vec<String>)> = (0..20)
        .map(|i| match i {
            7 => (
                "sh",
                vec!["-c".into(), "echo 'seven fails' && exit 7".into()],
            ),
            13 => ("no-such-program", vec!["--version".into()]),
            _ => {
                let script = format!("sleep 0.{}; echo job {i}", (i * 7) % 10);
                ("sh", vec!["-c".into(), script])
            }
        })
        .collect();

    let start = Instant::now();
    let mut done = tasks![stream, limit = 4; for (program, args) in commands => run(program, args)];
    let (mut ok, mut failed, mut not_started) = (0, 0, 0);
    while let Some((index, result)) = done.next().await {
        // Each result is handled where it arrives: one error does not stop the others.
        match result {
            Ok((code, stdout)) => {
                if code == Some(0) {
                    ok += 1;
                } else {
                    failed += 1;
                }
                let code = code.map_or("killed".into(), |c| c.to_string());
                println!("#{index:>2} [{code}] {stdout}");
            }
            Err(error) => {
                not_started += 1;
                println!("#{index:>2} {error}");
            }
        }
    }
    println!(
        "{ok} succeeded, {failed} failed, {not_started} could not start, in {:.2?} (4 at a time)",
        start.elapsed()
    );
    Ok(())
}
