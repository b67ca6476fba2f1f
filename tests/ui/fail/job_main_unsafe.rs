#[jobloop::job_main]
async unsafe fn main() {}
