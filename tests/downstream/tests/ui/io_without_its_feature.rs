// jobloop's `io` feature is off in this crate: the compiler's note names the feature.
use jl::io::BufReader;

fn main() {
    let _ = BufReader::new(&b"line\n"[..]);
}
