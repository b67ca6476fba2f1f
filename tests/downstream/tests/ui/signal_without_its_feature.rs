// jobloop's `signal` feature is off in this crate: the compiler's note names the feature.
#[jl::job_main(crate = jl)]
async fn main() {
    let _ = jl::signal::ctrl_c().await;
}
