// jobloop's `process` feature is off in this crate: the compiler's note names the feature.
fn main() {
    let _ = jl::process::Command::new("ls");
}
