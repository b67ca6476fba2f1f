#![deny(warnings)]
async fn convert<A: Into<B>, B>(value: A) -> B {
    value.into()
}

#[jobloop::job_main]
async fn main() {
    let (a, b, c) = jobloop::tasks![convert::<u8, u16>(1), convert::<u8, u32>(2), async {
        Vec::<(u8, u16)>::new().len()
    }]
    .await;
    assert_eq!((a, b, c), (1u16, 2u32, 0usize));
    let out = jobloop::tasks![for x in 0..3u8 => convert::<u8, u64>(x)].await;
    assert_eq!(out, [0u64, 1, 2]);
}
