::core::compile_error! {
    "`#[job_main]` functions take no arguments: remove them (read command-line arguments with `std::env::args()`)"
}
const _: () = {
    #[allow(dead_code)]
    async fn main(arg: u32) {
        println!("{arg}");
    }
};
fn main() {}
