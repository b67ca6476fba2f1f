// jobloop's `tokio` feature is off in this crate: the error names the feature and the line to add.
#[jl::job_main(crate = jl, runtime = jl::runtime::Tokio::current_thread())]
async fn main() {}
