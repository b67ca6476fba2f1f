//! A `ctrl_c()` future dropped before Ctrl-C (a timeout, a cancelled task) forgets its waker: a
//! server that waits for Ctrl-C under a timeout in a loop keeps flat memory, and a later Ctrl-C
//! wakes nobody who left. (In its own test binary: the first `ctrl_c()` installs the process's
//! signal handlers.)

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

struct Nothing;

impl Wake for Nothing {
    fn wake(self: Arc<Self>) {}
}

#[test]
fn a_dropped_ctrl_c_future_forgets_its_waker() {
    let woken = Arc::new(Nothing);
    let waker = Waker::from(woken.clone());
    for _ in 0..1000 {
        let mut future = pin!(jobloop::signal::ctrl_c());
        let poll = future.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(matches!(poll, Poll::Pending), "no Ctrl-C came");
    }
    drop(waker);
    // Only the test's own reference is left: no clone of the waker stayed in the signal state.
    assert_eq!(
        Arc::strong_count(&woken),
        1,
        "wakers kept after their futures were dropped"
    );
}
