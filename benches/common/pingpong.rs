//! The two tasks of the `pingpong` scenario, for `benches/suite.rs` and
//! `benches/instructions/main.rs`: they pass a `u64` back and forth over two tokio `mpsc`
//! channels of capacity 1 (tokio's channels work on any runtime, so every row pays for the
//! same channel).

/// One task's ends: where it sends, and where it receives.
pub type Ends = (
    tokio::sync::mpsc::Sender<u64>,
    tokio::sync::mpsc::Receiver<u64>,
);

/// Two pairs of channels of capacity 1 (tokio's channels work on any runtime).
pub fn channels() -> (Ends, Ends) {
    let (to_pong, from_ping) = tokio::sync::mpsc::channel(1);
    let (to_ping, from_pong) = tokio::sync::mpsc::channel(1);
    ((to_pong, from_pong), (to_ping, from_ping))
}

/// Sends `0..n` and checks that each comes back.
pub async fn ping_task((to_pong, mut from_pong): Ends, n: usize) {
    for i in 0..n as u64 {
        to_pong.send(i).await.expect("pong is there");
        let back = from_pong.recv().await.expect("pong answers");
        assert_eq!(back, i);
    }
}

/// Sends back what it receives, until the other side is gone.
pub async fn pong_task((to_ping, mut from_ping): Ends) {
    while let Some(i) = from_ping.recv().await {
        if to_ping.send(i).await.is_err() {
            break;
        }
    }
}
