// A `return` of the wrong type: the error points at the returned value.
#[jobloop::job_main]
async fn main() {
    return Ok(());
}
