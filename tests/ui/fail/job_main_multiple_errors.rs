#[jobloop::job_main(threads = 4)]
fn main(verbose: bool) {
    let _ = verbose;
}
