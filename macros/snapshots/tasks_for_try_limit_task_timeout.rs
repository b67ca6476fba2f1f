fn snapshot() {
    let _ = ::jobloop::group::Group::with_names(
            ::jobloop::__private::Names::Each("fetch(u)"),
            <::jobloop::group::Try<_, _> as ::core::default::Default>::default(),
            8,
            ::core::iter::Iterator::map(
                ::core::iter::IntoIterator::into_iter(urls),
                |(u)| ::jobloop::__private::try_task(fetch(u)),
            ),
        )
        .with_task_timeout_error(Duration::from_secs(2), ::core::convert::From::from);
}
