fn main() {
    ::jobloop::EventLoop::new()
        .block_on(async {
            let out = jobloop::tasks![for id in 0..3 => job(id)].await;
            println!("{out:?}");
        })
}
