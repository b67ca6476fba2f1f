fn snapshot() {
    let _ = ::jobloop::group::GroupStream::with_names(
        ::jobloop::__private::Names::Each("fetch(u)"),
        <::jobloop::group::All<_> as ::core::default::Default>::default(),
        8,
        ::core::iter::Iterator::map(
            ::core::iter::IntoIterator::into_iter(urls),
            |(u)| ::jobloop::__private::task(fetch(u)),
        ),
    );
}
