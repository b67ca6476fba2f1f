// `?` on an error that does not convert into `main`'s: the error points at the `?`.
#[derive(Debug)]
struct AppError;

#[jobloop::job_main]
async fn main() -> Result<(), AppError> {
    let n: u32 = "5".parse()?;
    println!("{n}");
    Ok(())
}
