#[jobloop::job_test(debug = true)]
async fn slow() {}

fn main() {}
