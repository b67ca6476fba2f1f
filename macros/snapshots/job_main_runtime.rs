/// Documented main.
fn main() -> Result<(), std::io::Error> {
    ::jobloop::Runtime::run(
        my::Runtime::new::<A, B>(4),
        async {
            jobloop::sleep(std::time::Duration::from_secs(1)).await;
            Ok(())
        },
    )
}
