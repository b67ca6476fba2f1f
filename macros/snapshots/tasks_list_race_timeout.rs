fn snapshot() {
    let _ = {
        #[allow(dead_code, non_snake_case)]
        fn jobloop_option_1() {}
        let jobloop_option_1 = d;
        #[allow(dead_code, non_snake_case)]
        fn jobloop_task_0() {}
        let jobloop_task_0 = ::jobloop::__private::task(serve());
        #[allow(dead_code, non_snake_case)]
        fn jobloop_task_1() {}
        let jobloop_task_1 = ::jobloop::__private::same_output(
            &jobloop_task_0,
            ::jobloop::__private::task(ctrl_c()),
        );
        ({
            mod group {
                #[track_caller]
                pub fn start<T, F0, F1>(
                    limit: ::core::primitive::usize,
                    timeout: ::core::time::Duration,
                    task_0: F0,
                    task_1: F1,
                ) -> ::jobloop::__private::LocalGroupFuture<
                    ::core::result::Result<
                        (::core::primitive::usize, T),
                        ::jobloop::Elapsed,
                    >,
                >
                where
                    F0: ::jobloop::group::TaskFuture<Output = T> + 'static,
                    F1: ::jobloop::group::TaskFuture<Output = T> + 'static,
                    T: 'static,
                {
                    let futures: [::core::pin::Pin<
                        ::std::boxed::Box<
                            dyn ::core::future::Future<Output = T> + 'static,
                        >,
                    >; 2usize] = [
                        ::std::boxed::Box::pin(task_0),
                        ::std::boxed::Box::pin(task_1),
                    ];
                    let group = ::jobloop::timeout(
                        timeout,
                        ::jobloop::group::Group::with_names(
                            ::jobloop::__private::Names::List(&["serve()", "ctrl_c()"]),
                            ::jobloop::group::Race,
                            limit,
                            futures,
                        ),
                    );
                    ::jobloop::__private::LocalGroupFuture(
                        ::std::boxed::Box::pin(async move {
                            let outputs = group.await;
                            ::core::result::Result::map(outputs, |outputs| outputs)
                        }),
                    )
                }
            }
            group::start
        })(
            ::core::primitive::usize::MAX,
            jobloop_option_1,
            jobloop_task_0,
            jobloop_task_1,
        )
    };
}
