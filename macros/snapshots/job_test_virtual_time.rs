#[::core::prelude::v1::test]
fn clock() {
    ::jobloop::EventLoop::new()
        .with_virtual_time()
        .fail_on_deadlock()
        .block_on(async {
            if false {
                return ::jobloop::__private::returns::<()>();
            }
            {
                jobloop::sleep(std::time::Duration::from_secs(60)).await;
            }
        })
}
