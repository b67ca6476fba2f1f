fn snapshot() {
    let _ = ({
        mod group {
            #[track_caller]
            pub fn start<F0, O0, F1, O1, F2, O2>(
                task_0: F0,
                task_1: F1,
                task_2: F2,
            ) -> ::jobloop::__private::LocalGroupFuture<(O0, O1, O2)>
            where
                F0: ::jobloop::group::TaskFuture<Output = O0> + 'static,
                O0: 'static,
                F1: ::jobloop::group::TaskFuture<Output = O1> + 'static,
                O1: 'static,
                F2: ::jobloop::group::TaskFuture<Output = O2> + 'static,
                O2: 'static,
            {
                let mut group = ::jobloop::__private::TupleGroup::with_names(
                    &["job(7)", "async{\"hi\"}", "f::<u8,u16>()"],
                );
                let task_0 = group.spawn(task_0);
                let task_1 = group.spawn(task_1);
                let task_2 = group.spawn(task_2);
                ::jobloop::__private::LocalGroupFuture(
                    ::std::boxed::Box::pin(async move {
                        (task_0.await, task_1.await, task_2.await)
                    }),
                )
            }
        }
        group::start
    })(
        ::jobloop::__private::task(job(7)),
        ::jobloop::__private::task(async { "hi" }),
        ::jobloop::__private::task(f::<u8, u16>()),
    );
}
