/// Documented main.
fn main() -> Result<(), std::io::Error> {
    ::jobloop::__private::run_main(
        my::Runtime::new::<A, B>(4),
        async {
            if false {
                return ::jobloop::__private::returns::<Result<(), std::io::Error>>();
            }
            {
                jobloop::sleep(std::time::Duration::from_secs(1)).await;
                Ok(())
            }
        },
    )
}
