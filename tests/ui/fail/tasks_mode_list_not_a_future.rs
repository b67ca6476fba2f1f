fn main() {
    jobloop::EventLoop::new().block_on(async {
        let _ = jobloop::tasks![settle; 1 + 1, async { 2 }].await;
    });
}
