// With `limit`, the tasks are made one at a time inside the group, as slots free up: their
// expressions cannot use `?` or `.await` of the function that writes `tasks![]`.
use jobloop::tasks;

async fn fetch(id: u32) -> u32 {
    id
}

async fn base() -> u32 {
    1
}

async fn run(inputs: Vec<&str>) -> Result<Vec<u32>, std::num::ParseIntError> {
    Ok(tasks![limit = 2; for input in inputs => fetch(input.parse::<u32>()? + base().await)].await)
}

fn main() {}
