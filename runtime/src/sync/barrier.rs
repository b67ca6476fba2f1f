//! [`Barrier`]: asyncio's `Barrier`, on event-listener.

use crate::wait_site::SiteSlot;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use event_listener::EventListener;

/// A meeting point for `n` tasks (asyncio's `Barrier`): [`wait`](Barrier::wait) returns once
/// `n` tasks wait, to all of them at once; one of them is told it is the leader. Then the
/// barrier is ready for the next round.
///
/// A waiter that is cancelled (its `wait` future dropped before the round was complete: a
/// `timeout`, a cancelled group) leaves the barrier: it no longer counts towards the `n`, as in
/// asyncio.
///
/// A cheap handle: clones share the same barrier (`Send + Sync`).
///
/// ```
/// use jobloop_runtime::sync::Barrier;
/// use jobloop_runtime::{EventLoop, TaskGroup};
///
/// let leaders = EventLoop::new().block_on(async {
///     let barrier = Barrier::new(3);
///     let mut group = TaskGroup::new();
///     for _ in 0..3 {
///         let barrier = barrier.clone();
///         group.spawn(async move { barrier.wait().await.is_leader() });
///     }
///     group.await.into_iter().filter(|leader| *leader).count()
/// });
/// assert_eq!(leaders, 1);
/// ```
#[derive(Clone)]
pub struct Barrier {
    inner: Arc<Inner>,
}

struct Inner {
    n: usize,
    round: Mutex<Round>,
    /// Woken when a round completes.
    completed: event_listener::Event,
}

/// The round being gathered.
struct Round {
    /// Tasks waiting in this round.
    arrived: usize,
    /// How many rounds completed before this one: a waiter of round `number` is released when
    /// it changes.
    number: u64,
}

impl Barrier {
    /// A barrier for `n` tasks (0 and 1 let every `wait` through at once).
    pub fn new(n: usize) -> Barrier {
        Barrier {
            inner: Arc::new(Inner {
                n,
                round: Mutex::new(Round {
                    arrived: 0,
                    number: 0,
                }),
                completed: event_listener::Event::new(),
            }),
        }
    }

    /// Waits until `n` tasks wait. Dropping the future before then takes this task out of the
    /// round.
    #[track_caller]
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            state: WaitState::Start,
            site: SiteSlot::here("Barrier::wait"),
        }
    }
}

impl Inner {
    fn round(&self) -> std::sync::MutexGuard<'_, Round> {
        self.round.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("n", &self.inner.n)
            .field("waiting", &self.inner.round().arrived)
            .finish()
    }
}

/// What [`Barrier::wait`] gives: whether this task was the leader of its round (exactly one per
/// round is: the last to arrive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this task was the round's leader.
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

/// The future of [`Barrier::wait`].
#[must_use = "futures do nothing unless you `.await` them"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    state: WaitState,
    /// Where the wait began (debug mode's tree, a deadlock's report).
    site: SiteSlot,
}

enum WaitState {
    /// Not counted yet: counted at the first poll.
    Start,
    /// Counted in round `round`.
    Waiting {
        round: u64,
        listener: Option<EventListener>,
    },
    Done,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let inner = &*self.barrier.inner;
        loop {
            match &mut self.state {
                WaitState::Start => {
                    let mut round = inner.round();
                    round.arrived += 1;
                    if round.arrived >= inner.n {
                        round.arrived = 0;
                        round.number = round.number.wrapping_add(1);
                        drop(round);
                        inner.completed.notify(usize::MAX);
                        self.state = WaitState::Done;
                        return Poll::Ready(BarrierWaitResult { leader: true });
                    }
                    let number = round.number;
                    self.state = WaitState::Waiting {
                        round: number,
                        listener: None,
                    };
                }
                WaitState::Waiting { round, listener } => {
                    if inner.round().number != *round {
                        self.site.done();
                        self.state = WaitState::Done;
                        return Poll::Ready(BarrierWaitResult { leader: false });
                    }
                    match listener {
                        // Listening, then checked again: a round completed in between is seen.
                        None => *listener = Some(inner.completed.listen()),
                        Some(listening) => {
                            if Pin::new(listening).poll(cx).is_pending() {
                                crate::debug::waiting("Barrier::wait"); // the trace
                                self.site.pending(); // the tree, a deadlock's report
                                return Poll::Pending;
                            }
                            *listener = None;
                        }
                    }
                }
                WaitState::Done => panic!("`BarrierWait` polled after it completed"),
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let WaitState::Waiting { round, .. } = self.state {
            // Cancelled while its round gathers: it leaves the round.
            let mut current = self.barrier.inner.round();
            if current.number == round {
                current.arrived -= 1;
            }
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait").finish_non_exhaustive()
    }
}
