#[::core::prelude::v1::test]
fn slow() {
    ::jobloop::debug::enable();
    ::jobloop::EventLoop::new()
        .fail_on_deadlock()
        .block_on(
            ::jobloop::debug::watch_main(async {
                if false {
                    return ::jobloop::__private::returns::<()>();
                }
                {
                    std::thread::sleep(std::time::Duration::from_millis(300));
                }
            }),
        )
}
