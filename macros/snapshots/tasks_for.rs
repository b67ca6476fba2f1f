fn snapshot() {
    let _ = {
        let items = ::core::iter::IntoIterator::into_iter(urls.iter().enumerate());
        let mut group = ::jobloop::TaskGroup::with_capacity(
            ::core::iter::Iterator::size_hint(&items).0,
        );
        for (i, url) in items {
            group.spawn(fetch(i, url));
        }
        group
    };
}
