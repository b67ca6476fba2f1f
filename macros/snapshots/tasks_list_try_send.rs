fn snapshot() {
    let _ = ({
        mod group {
            pub enum Out<T0, T1> {
                T0(T0),
                T1(T1),
            }
            #[track_caller]
            pub fn start<F0, A0, E0, F1, A1, E1>(
                limit: ::core::primitive::usize,
                task_0: F0,
                task_1: F1,
            ) -> ::jobloop::__private::SendGroupFuture<
                ::core::result::Result<(A0, A1), E0>,
            >
            where
                F0: ::jobloop::group::SendTaskFuture<
                        Output = ::core::result::Result<A0, E0>,
                    > + 'static,
                ::core::result::Result<A0, E0>: ::core::marker::Send + 'static,
                F1: ::jobloop::group::SendTaskFuture<
                        Output = ::core::result::Result<A1, E1>,
                    > + 'static,
                ::core::result::Result<A1, E1>: ::core::marker::Send + 'static,
                E0: ::core::convert::From<E1>,
                A0: ::core::marker::Send + 'static,
                E0: ::core::marker::Send + 'static,
                A1: ::core::marker::Send + 'static,
                E1: ::core::marker::Send + 'static,
            {
                let futures: [::core::pin::Pin<
                    ::std::boxed::Box<
                        dyn ::core::future::Future<
                            Output = ::core::result::Result<Out<A0, A1>, E0>,
                        > + ::core::marker::Send + 'static,
                    >,
                >; 2usize] = [
                    ::std::boxed::Box::pin(async move {
                        match task_0.await {
                            ::core::result::Result::Ok(value) => {
                                ::core::result::Result::Ok(Out::T0(value))
                            }
                            ::core::result::Result::Err(error) => {
                                ::core::result::Result::Err(error)
                            }
                        }
                    }),
                    ::std::boxed::Box::pin(async move {
                        match task_1.await {
                            ::core::result::Result::Ok(value) => {
                                ::core::result::Result::Ok(Out::T1(value))
                            }
                            ::core::result::Result::Err(error) => {
                                ::core::result::Result::Err(
                                    ::core::convert::From::from(error),
                                )
                            }
                        }
                    }),
                ];
                let group = ::jobloop::group::Group::with_names_send(
                    ::jobloop::__private::Names::List(&["job(1)", "other(2)"]),
                    <::jobloop::group::Try<_, _> as ::core::default::Default>::default(),
                    limit,
                    futures,
                );
                ::jobloop::__private::SendGroupFuture(
                    ::std::boxed::Box::pin(async move {
                        let outputs = group.await;
                        ::core::result::Result::map(
                            outputs,
                            |outputs| {
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
                            },
                        )
                    }),
                )
            }
        }
        group::start
    })(
        ::core::primitive::usize::MAX,
        ::jobloop::__private::try_task(job(1)),
        ::jobloop::__private::try_task(other(2)),
    );
}
