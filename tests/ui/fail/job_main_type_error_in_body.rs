#[jobloop::job_main]
async fn main() {
    let count: u32 = "three";
    let _ = count;
}
