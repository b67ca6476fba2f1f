fn snapshot() {
    let _ = {
        #[allow(dead_code, non_snake_case)]
        fn jobloop_group() {}
        let mut jobloop_group = ::jobloop::TaskGroup::for_tasks_macro(0, "fetch(i,url)");
        for (i, url) in jobloop_group.sized(urls.iter().enumerate()) {
            jobloop_group.spawn(fetch(i, url));
        }
        jobloop_group
    };
}
