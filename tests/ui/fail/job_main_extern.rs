#[jobloop::job_main]
async extern "C" fn main() {}
