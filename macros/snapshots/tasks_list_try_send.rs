fn snapshot() {
    let _ = {
        enum Out<T0, T1> {
            T0(T0),
            T1(T1),
        }
        let task_0 = ::jobloop::__private::try_task(job(1));
        let task_1 = ::jobloop::__private::try_task(other(2));
        let futures: [::core::pin::Pin<
            ::std::boxed::Box<
                dyn ::core::future::Future<
                    Output = ::core::result::Result<Out<_, _>, _>,
                > + ::core::marker::Send,
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
                        ::core::result::Result::Err(::core::convert::From::from(error))
                    }
                }
            }),
        ];
        let group = ::jobloop::group::Group::with_names_send(
            ::jobloop::__private::Names::List(&["job(1)", "other(2)"]),
            ::jobloop::group::Try::default(),
            ::core::primitive::usize::MAX,
            futures,
        );
        async move {
            let outputs = group.await;
            ::core::result::Result::map(
                outputs,
                |outputs| {
                    let mut outputs = ::core::iter::IntoIterator::into_iter(outputs);
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
        }
    };
}
