trait Jobs {
    #[jobloop::job_main]
    async fn main();
}

fn main() {}
