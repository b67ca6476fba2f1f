// jobloop's `hyper` feature is off in this crate: hyper's executor and timer are not there, and
// the compiler's note names the feature (hyper's own traits on jobloop's sockets come with it).
use jl::hyper::{Executor, Timer};

fn main() {
    let _ = (Executor, Timer);
}
