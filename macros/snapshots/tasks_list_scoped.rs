fn snapshot() {
    let _ = ({
        mod group {
            pub enum Out<T0, T1> {
                T0(T0),
                T1(T1),
            }
            #[track_caller]
            pub fn start<'scope, F0, O0, F1, O1>(
                limit: ::core::primitive::usize,
                task_0: F0,
                task_1: F1,
            ) -> ::jobloop::__private::ScopedGroupFuture<'scope, (O0, O1)>
            where
                F0: ::jobloop::group::TaskFuture<Output = O0> + 'scope,
                O0: 'scope,
                F1: ::jobloop::group::TaskFuture<Output = O1> + 'scope,
                O1: 'scope,
            {
                let futures: [::core::pin::Pin<
                    ::std::boxed::Box<
                        dyn ::core::future::Future<Output = Out<O0, O1>> + 'scope,
                    >,
                >; 2usize] = [
                    ::std::boxed::Box::pin(async move { Out::T0(task_0.await) }),
                    ::std::boxed::Box::pin(async move { Out::T1(task_1.await) }),
                ];
                let group = ::jobloop::group::Group::with_names_scoped(
                    ::jobloop::__private::Names::List(
                        &["load(&config)", "save(&mutcache)"],
                    ),
                    <::jobloop::group::All<_> as ::core::default::Default>::default(),
                    limit,
                    futures,
                );
                ::jobloop::__private::ScopedGroupFuture(
                    ::std::boxed::Box::pin(async move {
                        let outputs = group.await;
                        {
                            let mut outputs = ::core::iter::IntoIterator::into_iter(
                                outputs,
                            );
                            (
                                match ::core::iter::Iterator::next(&mut outputs) {
                                    ::core::option::Option::Some(Out::T0(value)) => value,
                                    _ => {
                                        ::core::unreachable!(
                                            "jobloop: a group gives one output per task, in order"
                                        )
                                    }
                                },
                                match ::core::iter::Iterator::next(&mut outputs) {
                                    ::core::option::Option::Some(Out::T1(value)) => value,
                                    _ => {
                                        ::core::unreachable!(
                                            "jobloop: a group gives one output per task, in order"
                                        )
                                    }
                                },
                            )
                        }
                    }),
                )
            }
        }
        group::start
    })(
        ::core::primitive::usize::MAX,
        ::jobloop::__private::task(load(&config)),
        ::jobloop::__private::task(save(&mut cache)),
    );
}
