fn snapshot() {
    let _ = {
        let mut group = ::jobloop::TaskGroup::new();
        for (i, url) in urls.iter().enumerate() {
            group.spawn(fetch(i, url));
        }
        group
    };
}
