fn snapshot() {
    let _ = {
        #[allow(dead_code, non_snake_case)]
        fn jobloop_tasks() {}
        let mut jobloop_tasks = ::std::vec::Vec::new();
        for u in ::jobloop::__private::sized(&mut jobloop_tasks, urls) {
            jobloop_tasks.push(::jobloop::__private::task(fetch(u)));
        }
        ::jobloop::group::GroupStream::with_names(
                ::jobloop::__private::Names::Each("fetch(u)"),
                <::jobloop::group::Settle<_> as ::core::default::Default>::default(),
                ::core::primitive::usize::MAX,
                jobloop_tasks,
            )
            .with_task_timeout(each)
    };
}
