//! A task waits in `ctrl_c()` (or `terminate()`, given `term`); the signal comes while the loop
//! is busy (reading a line from stdin, which the test writes once it sent the signal), and the
//! wait is dropped before it looks again, as a race's loser is when another task won in that
//! very turn. The signal must not be lost: it cancels main (exit 130 or 143) as if
//! no task had waited, and the program never prints "went on". Given `seen`, two waits for
//! Ctrl-C: one sees it, the other is dropped, and the program goes on (exit 0).
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

type Wait = Pin<Box<dyn Future<Output = std::io::Result<()>>>>;

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let argument = super::argument().unwrap_or_default();
    let mut wait: Wait = if argument == "term" {
        Box::pin(jobloop::signal::terminate())
    } else {
        Box::pin(jobloop::signal::ctrl_c())
    };
    let mut other: Option<Wait> =
        (argument == "seen").then(|| Box::pin(jobloop::signal::ctrl_c()) as Wait);
    // Polled once: from here on the signal goes to these waits.
    poll_fn(|cx| {
        assert!(wait.as_mut().poll(cx).is_pending(), "no signal yet");
        if let Some(other) = &mut other {
            assert!(other.as_mut().poll(cx).is_pending(), "no signal yet");
        }
        Poll::Ready(())
    })
    .await;
    println!("waiting");
    // Busy: the test sends the signal, then writes a line; the signal thread takes the signal
    // meanwhile.
    std::io::stdin()
        .read_line(&mut String::new())
        .expect("a line");
    std::thread::sleep(Duration::from_millis(300));
    if let Some(mut other) = other {
        poll_fn(|cx| {
            assert!(other.as_mut().poll(cx).is_ready(), "the signal came");
            Poll::Ready(())
        })
        .await;
        println!("seen");
    }
    drop(wait);
    println!("dropped");
    jobloop::sleep(Duration::from_secs(1)).await;
    println!("went on");
}
