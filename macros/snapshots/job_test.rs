#[::core::prelude::v1::test]
#[should_panic]
fn it_panics() {
    ::jobloop::EventLoop::new()
        .fail_on_deadlock()
        .block_on(async {
            if false {
                return ::jobloop::__private::returns::<()>();
            }
            {
                panic!("expected");
            }
        })
}
