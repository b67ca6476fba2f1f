#[jobloop::job_main]
async fn main() -> u32 {
    0
}
