#![deny(warnings)]
// `return`, `break` and `continue` that belong to the task, to a closure or to a loop inside the
// task expression are fine, and or-patterns work in every `for` form.
async fn job(id: u32) -> u32 {
    id
}

fn main() {
    jobloop::EventLoop::new().block_on(async {
        let out = jobloop::tasks![for id in 0..3 => {
            let mut n = id;
            loop {
                if n > 10 {
                    break;
                }
                n += 4;
            }
            'found: {
                if n == 13 {
                    break 'found;
                }
            }
            let skip = |x: u32| -> u32 { if x > 1 { return 0; } x };
            async move {
                for _ in 0..2 {
                    continue;
                }
                if n == 0 {
                    return 0;
                }
                job(skip(n)).await
            }
        }]
        .await;
        assert_eq!(out.len(), 3);
        let items: Vec<Result<u32, u32>> = vec![Ok(1), Err(2)];
        let out = jobloop::tasks![limit = 1; for Ok(x) | Err(x) in items.clone() => job(x)].await;
        assert_eq!(out, [1, 2]);
        let out = jobloop::tasks![settle; for Ok(x) | Err(x) in items => job(x)].await;
        assert_eq!(out.len(), 2);
    });
}
