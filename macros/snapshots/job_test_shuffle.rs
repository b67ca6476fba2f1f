#[::core::prelude::v1::test]
fn race() {
    ::jobloop::__private::run_shuffled(
        ::core::concat!(::core::module_path!(), "::", ::core::stringify!(race)),
        50u32,
        true,
        || async {
            if false {
                return ::jobloop::__private::returns::<()>();
            }
            {
                jobloop::yield_now().await;
            }
        },
    )
}
