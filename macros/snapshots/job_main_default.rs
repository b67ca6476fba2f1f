fn main() {
    ::jobloop::__private::run_main(
        ::jobloop::EventLoop::new(),
        async {
            if false {
                return ::jobloop::__private::returns::<()>();
            }
            {
                let out = jobloop::tasks![for id in 0..3 => job(id)].await;
                println!("{out:?}");
            }
        },
    )
}
