//! `du -s`, as asyncio writes work that finds more work: each directory is a task that lists
//! its entries on a thread, adds up its files and starts a task for each subdirectory, in the
//! one group, at most 8 directories at once.
//!
//! ```python
//! async def walk(path, tg, sem):
//!     async with sem:
//!         entries = await asyncio.to_thread(lambda: list(os.scandir(path)))
//!     for entry in entries:
//!         if entry.is_dir(follow_symlinks=False):
//!             tg.create_task(walk(entry.path, tg, sem))
//!     return sum(e.stat().st_size for e in entries if e.is_file(follow_symlinks=False))
//!
//! async with asyncio.TaskGroup() as tg:
//!     tg.create_task(walk(root, tg, asyncio.Semaphore(8)))
//! ```
//!
//! Here the tasks of a `TaskSet` spawn into it through its `TaskSetSpawner`, and the set's
//! limit stands for the semaphore. Run it with `cargo run --example disk_usage -- <directory>`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use jobloop::group::TaskSetSpawner;
use jobloop::{job_main, to_thread, TaskSet};

/// What one directory holds, its subdirectories left out: the bytes and the number of its
/// files, or why it could not be listed.
pub type Listed = Result<(u64, u64), (PathBuf, io::Error)>;

/// Lists `dir` on a thread (reading a directory blocks), starts a task for each subdirectory,
/// and gives the size and number of the files in it. Symbolic links are not followed.
pub async fn walk(dir: PathBuf, spawner: TaskSetSpawner<Listed>) -> Listed {
    let listed = dir.clone();
    let entries = to_thread(move || list(&listed)).await;
    let entries = entries.map_err(|error| (dir, error))?;
    let (mut bytes, mut files) = (0, 0);
    for (path, kind, len) in entries {
        if kind.is_dir() {
            spawner.spawn(walk(path, spawner.clone()));
        } else if kind.is_file() {
            bytes += len;
            files += 1;
        }
    }
    Ok((bytes, files))
}

/// Each entry of `dir`: its path, its type (a link's own) and its length. An entry removed
/// while the directory is read is left out, as `du` leaves it.
fn list(dir: &Path) -> io::Result<Vec<(PathBuf, fs::FileType, u64)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        match entry.metadata() {
            Ok(metadata) => entries.push((entry.path(), metadata.file_type(), metadata.len())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(entries)
}

/// What [`disk_usage`] found under a directory.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub bytes: u64,
    pub files: u64,
    pub directories: u64,
    /// The directories that could not be listed, with why.
    pub unreadable: Vec<String>,
}

/// Walks `root`, 8 directories at a time.
pub async fn disk_usage(root: PathBuf) -> Usage {
    let mut set = TaskSet::new().with_limit(8);
    set.spawn(walk(root, set.spawner()));
    let mut usage = Usage::default();
    while let Some(outcome) = set.next().await {
        match outcome.expect("a walk panicked") {
            Ok((bytes, files)) => {
                usage.bytes += bytes;
                usage.files += files;
                usage.directories += 1;
            }
            Err((dir, error)) => usage.unreadable.push(format!("{}: {error}", dir.display())),
        }
    }
    usage
}

#[job_main]
pub async fn main() {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let usage = disk_usage(root.into()).await;
    for unreadable in &usage.unreadable {
        eprintln!("cannot list {unreadable}");
    }
    println!(
        "{} bytes in {} files, {} directories",
        usage.bytes, usage.files, usage.directories
    );
}
