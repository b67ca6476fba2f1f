#[jobloop::job_main]
struct App;

fn main() {
    let _ = App;
}
