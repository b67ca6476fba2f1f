fn snapshot() {
    let _ = {
        #[allow(dead_code, non_snake_case)]
        fn jobloop_tasks() {}
        let mut jobloop_tasks = ::std::vec::Vec::new();
        for u in ::jobloop::__private::sized(&mut jobloop_tasks, urls) {
            jobloop_tasks.push(::jobloop::__private::task(fetch(u.parse()?)));
        }
        ::jobloop::group::Group::with_names_send(
            ::jobloop::__private::Names::Each("fetch(u.parse()?)"),
            <::jobloop::group::Settle<_> as ::core::default::Default>::default(),
            ::core::primitive::usize::MAX,
            jobloop_tasks,
        )
    };
}
