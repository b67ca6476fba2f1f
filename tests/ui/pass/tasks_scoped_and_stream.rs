#![deny(warnings)]
use std::collections::HashMap;
use std::time::Duration;

struct Client {
    base: String,
}

impl Client {
    async fn get(&self, path: &str) -> String {
        jobloop::sleep(Duration::from_millis(path.len() as u64)).await;
        format!("{}/{}", self.base, path)
    }
}

async fn load(config: &HashMap<&str, u32>) -> u32 {
    config["retries"]
}

async fn save(cache: &mut Vec<u32>) {
    cache.push(1);
}

#[jobloop::job_main]
async fn main() {
    let client = Client {
        base: "http://127.0.0.1".to_string(),
    };
    let urls = vec!["a", "bb", "ccc"];
    // Tasks that borrow: no `move`, no clones, no `'static`.
    let pages = jobloop::tasks![scoped; for u in &urls => client.get(u)].await;
    assert_eq!(pages[2], "http://127.0.0.1/ccc");
    let config = HashMap::from([("retries", 3)]);
    let mut cache = Vec::new();
    let (retries, ()) = jobloop::tasks![scoped; load(&config), save(&mut cache)].await;
    assert_eq!((retries, cache.len()), (3, 1));

    // Results as they complete.
    let mut done =
        jobloop::tasks![stream, limit = 2; for u in urls.clone() => async move { u.len() }];
    let mut seen = 0;
    while let Some((index, length)) = done.next().await {
        assert_eq!(urls[index].len(), length);
        seen += 1;
    }
    assert_eq!(seen, 3);
    let mut tried = jobloop::tasks![stream, try, scoped; for u in &urls => async move {
        if u.len() < 3 { Ok(u.len()) } else { Err("too long") }
    }];
    while let Some(item) = tried.next().await {
        if item.is_err() {
            break;
        }
    }
    let mut settled = jobloop::tasks![stream, settle, send; async { 1 }, async { 2 }];
    while let Some((_, outcome)) = settled.next().await {
        assert!(outcome.is_ok());
    }
}
