//! The first `ContextVar::set` of the process, made inside a task: until then every context is
//! empty and tasks skip the swaps of the thread's current context (`EVER_SET` in
//! runtime/src/context_var.rs). A process of its own, so that no other test has set a variable
//! before. Feature `context`.

use std::time::Duration;

use jobloop::{sleep, spawn, tasks, yield_now, ContextVar, EventLoop};

static ID: ContextVar<u64> = ContextVar::new();

#[test]
fn the_first_set_of_the_process_inside_a_task_stays_in_that_task() {
    EventLoop::new().block_on(async {
        // Started before any variable was set: their contexts are empty.
        let sibling = spawn(async {
            sleep(Duration::from_millis(20)).await;
            ID.get()
        });
        let setter = spawn(async {
            ID.set(7); // the first set of the process, in a poll that swapped nothing
            yield_now().await;
            let child = spawn(async { ID.get() });
            (ID.get(), child.await)
        });
        assert_eq!(setter.await, (Some(7), Some(7)));
        assert_eq!(ID.get(), None, "the task's set did not reach its parent");
        assert_eq!(sibling.await, None, "nor a task started before it");
        let outputs = tasks![scoped; for i in 0..2u64 => async move {
            if i == 0 {
                ID.set(8);
            }
            yield_now().await;
            ID.get()
        }]
        .await;
        assert_eq!(outputs, [Some(8), None]);
        assert_eq!(ID.get(), None);
    });
}
