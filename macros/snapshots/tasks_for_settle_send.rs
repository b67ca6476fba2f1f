fn snapshot() {
    let _ = ::jobloop::group::Group::with_names_send(
        ::jobloop::__private::Names::Each("fetch(u.parse()?)"),
        ::jobloop::group::Settle::default(),
        ::core::primitive::usize::MAX,
        {
            let items = ::core::iter::IntoIterator::into_iter(urls);
            let mut futures = ::std::vec::Vec::with_capacity(
                ::core::iter::Iterator::size_hint(&items).0,
            );
            for u in items {
                futures.push(::jobloop::__private::task(fetch(u.parse()?)));
            }
            ::core::iter::IntoIterator::into_iter(futures)
        },
    );
}
