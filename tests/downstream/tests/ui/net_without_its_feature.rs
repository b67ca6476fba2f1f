// jobloop's `net` feature is off in this crate: the compiler's note names the feature.
use jl::net::TcpListener;

fn main() {
    let _ = TcpListener::bind("127.0.0.1:0");
}
