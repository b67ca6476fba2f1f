// jobloop's `progress` feature is off in this crate: the error points at `progress` and names
// the feature and the line to add.
#[jl::job_main(crate = jl)]
async fn main() {
    jl::tasks![progress; for i in 0..3 => async move { i }].await;
}
