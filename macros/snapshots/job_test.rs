#[::core::prelude::v1::test]
#[should_panic]
fn it_panics() {
    ::jobloop::EventLoop::new()
        .block_on(async {
            if false {
                return ::jobloop::__private::returns::<()>();
            }
            {
                panic!("expected");
            }
        })
}
