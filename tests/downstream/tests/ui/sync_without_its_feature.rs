// jobloop's `sync` feature is off in this crate: the compiler's note names the feature.
fn main() {
    let _queue = jl::sync::Queue::<u32>::new(8);
}
