// jobloop's `smol` feature is off in this crate: the error names the feature and the line to add.
#[jl::job_main(crate = jl, runtime = jl::runtime::Smol::new())]
async fn main() {}
