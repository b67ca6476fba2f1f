struct App;

impl App {
    #[jobloop::job_main]
    async fn run(&self) {}
}

fn main() {
    let _ = App;
}
