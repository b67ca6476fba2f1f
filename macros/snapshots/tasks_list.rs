fn snapshot() {
    let _ = {
        let group = ::jobloop::__private::TupleGroup::new();
        let task_0 = group.spawn(job(7));
        let task_1 = group.spawn(async { "hi" });
        let task_2 = group.spawn(f::<u8, u16>());
        async move { (task_0.await, task_1.await, task_2.await) }
    };
}
